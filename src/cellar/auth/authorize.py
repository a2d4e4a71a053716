"""The one access decision for cell-level resources (notes §4.3): (caller, cell, privilege) → allow,
or the 401/403 that explains why not.

Order: unit-level bypass (master token; owning or admin unit users holding CellContents roles),
then the cell ACL against the caller's roles, then the token's scope. Principal ``all`` matches
everyone, anonymous callers included, so bad credentials only become an error once the ACL said no.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from cellar.auth.acl import Acl, allows
from cellar.auth.context import AccessContext, AccessKind
from cellar.auth.credentials import ADMIN, READER
from cellar.auth.privileges import BOX, CELL
from cellar.auth.scopes import scope_allows
from cellar.errors import PersoniumError

#: Privileges a CellContentsReader unit user holds: every read-type one (notes §2.2).
READ_PRIVILEGES = frozenset({p for p in CELL if p.endswith("-read")} | {"propfind", "read", "read-properties",
                                                                         "read-acl"})
SCOPED_KINDS = frozenset({AccessKind.ACCOUNT, AccessKind.VISITOR, AccessKind.TRANS})
assert READ_PRIVILEGES <= set(CELL) | set(BOX)


@dataclass(frozen=True)
class CellGuard:
    """What the decision needs to know about the cell."""

    id: str
    url: str
    owner: str | None
    acl: Acl


def authorize(access: AccessContext, cell: CellGuard, *required: str) -> None:
    """Allow if the caller holds any of the ``required`` privileges; raise the right error otherwise."""
    if unit_bypass(access, cell, required):
        return
    if access.kind is AccessKind.PASSWORD_CHANGE:
        raise PersoniumError("PR401-AU-0012", headers=challenge(cell.url))
    role_ids = access.role_ids if access.kind in SCOPED_KINDS else ()
    if not any(allows(cell.acl, role_ids, privilege) for privilege in required):
        raise denied(access, cell.url)
    if access.kind in SCOPED_KINDS and not any(scope_allows(access.scopes, p) for p in required):
        raise PersoniumError("PR403-AU-0007", required[0])


def unit_bypass(access: AccessContext, cell: CellGuard, required: Iterable[str]) -> bool:
    if access.kind is AccessKind.UNIT_MASTER:
        return True
    if not access.is_unit_level:
        return False
    if access.kind is not AccessKind.UNIT_ADMIN and (cell.owner is None or cell.owner != access.subject):
        return False
    if ADMIN in access.unit_roles:
        return True
    return READER in access.unit_roles and all(p in READ_PRIVILEGES for p in required)


def challenge(realm: str) -> dict[str, str]:
    return {"WWW-Authenticate": f'Bearer realm="{realm}"'}


def denied(access: AccessContext, realm: str) -> PersoniumError:
    if access.kind is AccessKind.ANONYMOUS:
        return PersoniumError("PR401-AU-0001", headers=challenge(realm))
    if access.kind is AccessKind.INVALID:
        return PersoniumError(access.error_code or "PR401-AU-0006", headers=challenge(realm))
    return PersoniumError("PR403-AU-0002")
