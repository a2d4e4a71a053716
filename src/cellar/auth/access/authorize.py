"""The one access decision (notes §4.3): (caller, resource, privilege) → allow, or the 401/403 that
explains why not.

Cell level: unit-level bypass (master token; owning or admin unit users holding CellContents roles),
then the cell ACL against the caller's roles, then the token's scope. Box level: the same bypass,
then the app-schema check (§4.5), then the ACLs from the resource up through its collections to the
box root and finally the cell — where only a role granted ``root`` opens a box. Scopes do not apply
inside boxes. Principal ``all`` matches everyone, anonymous callers included, so bad credentials only
become an error once the ACLs said no.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from cellar.auth.access.acl import Acl, allows
from cellar.auth.access.privileges import BOX, CELL
from cellar.auth.access.scopes import scope_allows
from cellar.auth.context import ADMIN, READER, AccessContext, AccessKind
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


@dataclass(frozen=True)
class BoxGuard:
    """What a box-level decision needs: the cell, the box's app schema, and the ACLs of the
    resource and its ancestors, nearest first, ending with the box root's."""

    cell: CellGuard
    schema: str | None
    acls: tuple[Acl, ...]


def authorize(access: AccessContext, guard: CellGuard | BoxGuard, *required: str) -> None:
    """Allow if the caller holds any of the ``required`` privileges on the cell or box resource the
    guard describes; raise the 401 or 403 that explains why not otherwise."""
    cell = guard.cell if isinstance(guard, BoxGuard) else guard
    if unit_bypass(access, cell, required):
        return
    if access.kind is AccessKind.PASSWORD_CHANGE:
        raise PersoniumError("PR401-AU-0012", headers=challenge(cell.url, _offers_basic(guard)))
    role_ids = access.role_ids if access.kind in SCOPED_KINDS else ()
    if isinstance(guard, BoxGuard):
        check_schema(access, guard)
        if not any(_box_allows(guard, role_ids, privilege) for privilege in required):
            raise denied(access, cell.url, basic=_offers_basic(guard))
        return
    if not any(allows(cell.acl, role_ids, privilege) for privilege in required):
        raise denied(access, cell.url)
    if access.kind in SCOPED_KINDS and not any(scope_allows(access.scopes, p) for p in required):
        raise PersoniumError("PR403-AU-0007", required[0])


def allowed(access: AccessContext, guard: CellGuard | BoxGuard, privilege: str) -> bool:
    """Would :func:`authorize` let it pass (what PROPFIND shows depends on it)."""
    try:
        authorize(access, guard, privilege)
    except PersoniumError:
        return False
    return True


def _box_allows(guard: BoxGuard, role_ids: tuple[str, ...], required: str) -> bool:
    """The resource's ACL, its ancestors', the box root's, then the cell's — where a box privilege is
    opened only by a role granted ``root``, and a cell privilege (the recursive box delete) as usual."""
    if any(allows(acl, role_ids, required) for acl in guard.acls):
        return True
    if required in CELL:
        return allows(guard.cell.acl, role_ids, required)
    return any(ace.role_id in role_ids and "root" in ace.privileges for ace in guard.cell.acl.aces)


def _offers_basic(guard: CellGuard | BoxGuard) -> bool:
    """Basic is offered in the main box and in boxes without a Schema (notes §6.1)."""
    return isinstance(guard, BoxGuard) and not guard.schema


def schema_level(guard: BoxGuard) -> str:
    """The nearest ``requireSchemaAuthz`` up the tree, then the cell's; ``none`` if unset everywhere."""
    for acl in (*guard.acls, guard.cell.acl):
        if acl.schema_authz is not None:
            return acl.schema_authz
    return "none"


def check_schema(access: AccessContext, guard: BoxGuard) -> None:
    """§4.5: a level above ``none`` needs a token issued to the box's app (``#c``: confidential)."""
    level = schema_level(guard)
    if level == "none" or access.is_unit_level:
        return
    if access.kind in (AccessKind.ANONYMOUS, AccessKind.INVALID):
        raise denied(access, guard.cell.url, basic=_offers_basic(guard))
    schema = access.schema
    if guard.schema:
        if not schema:
            raise PersoniumError("PR403-AU-0004")
        if schema.removesuffix("#c") != guard.schema:
            raise PersoniumError("PR403-AU-0005")
    if not schema or (level == "confidential" and not schema.endswith("#c")):
        raise PersoniumError("PR403-AU-0006")


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


def challenge(realm: str, basic: bool = False) -> dict[str, str | tuple[str, ...]]:
    """``Bearer``; also ``Basic`` in the main box and boxes without a Schema (notes §6.1)."""
    if basic:
        return {"WWW-Authenticate": (f'Bearer realm="{realm}"', f'Basic realm="{realm}"')}
    return {"WWW-Authenticate": f'Bearer realm="{realm}"'}


def denied(access: AccessContext, realm: str, basic: bool = False) -> PersoniumError:
    if access.kind is AccessKind.ANONYMOUS:
        return PersoniumError("PR401-AU-0001", headers=challenge(realm, basic))
    if access.kind is AccessKind.INVALID:
        return PersoniumError(access.error_code or "PR401-AU-0006", headers=challenge(realm, basic))
    return PersoniumError("PR403-AU-0002")
