"""Every cell-level endpoint declares its privilege in auth/endpoint_privileges.py (issue: access control)."""

from __future__ import annotations

from cellar.auth.access.endpoint_privileges import CELL_ENDPOINTS, CELL_ROOT, CTL_SETS, OWN, PUBLIC, UNIT
from cellar.auth.access.privileges import CELL
from cellar.ctl.schema import CELL_CTL
from cellar.http import dispatch, message
from cellar.http.cell import CELL_ROOT_HANDLERS

KNOWN = set(CELL) | {PUBLIC, UNIT, OWN}


def test_every_cell_root_method_is_declared() -> None:
    assert set(CELL_ROOT_HANDLERS) == set(CELL_ROOT)


def test_every_cell_endpoint_is_declared() -> None:
    """``__role``, ``__log`` and ``__message`` take path segments below them, so they are routed on their own."""
    assert set(dispatch.CELL_ENDPOINTS) | {"__role", "__log"} | set(message.ROUTES) == set(CELL_ENDPOINTS)


def test_every_control_object_set_is_declared() -> None:
    assert {etype.name for etype in CELL_CTL.types} == set(CTL_SETS)


def test_declarations_name_real_privileges() -> None:
    values = set(CELL_ROOT.values()) | {p for methods in CELL_ENDPOINTS.values() for p in methods.values()}
    values |= {r for reads, _ in CTL_SETS.values() for r in reads} | {w for _, ws in CTL_SETS.values() for w in ws}
    assert values <= KNOWN


def test_extcell_write_accepts_social_and_auth() -> None:
    """The seed page says auth, the real server requires social: both are accepted (README)."""
    assert CTL_SETS["ExtCell"] == (("social-read", "auth-read"), ("social", "auth"))


def test_every_box_method_is_declared_with_a_box_privilege() -> None:
    from cellar.auth.access.endpoint_privileges import BOX_ROOT_DELETE, DAV_METHODS
    from cellar.auth.access.privileges import BOX
    from cellar.http.webdav import HANDLERS

    assert set(HANDLERS) == set(DAV_METHODS)
    assert set(DAV_METHODS.values()) <= set(BOX)
    assert BOX_ROOT_DELETE in CELL
