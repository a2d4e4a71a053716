"""Cell control objects — apiref 201–266, 2AB–2B0: ``{CellURL}__ctl/…`` through the generic engine."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from cellar.auth.access.acl_store import CELL_ROOT, load_acl
from cellar.auth.access.authorize import CellGuard
from cellar.auth.access.cell_request import CellRequest
from cellar.auth.access.endpoint_privileges import CTL_LINK_OWNERS, CTL_LINKS_OPTIONS, CTL_ROOT_OPTIONS, CTL_SETS
from cellar.auth.cache import ACLS, bump_auth_version
from cellar.ctl.accounts import AccountHooks
from cellar.ctl.boxes import BoxHooks
from cellar.ctl.rules import RuleHooks
from cellar.ctl.schema import CELL_CTL
from cellar.errors import PersoniumError
from cellar.events import catalog
from cellar.http.context import RequestContext
from cellar.http.odata import serve_odata
from cellar.odata.model import EntityType
from cellar.odata.service import ServiceRoot
from cellar.storage import Transaction
from cellar.unit.cells import find_cell


def load_cell_request(ctx: RequestContext, cell_name: str) -> CellRequest:
    """The cell (404 PR404-DV-0003 if missing), who is calling as judged inside it, and its ACL."""
    with ctx.services.storage.transaction("cell.load", write=False) as tx:
        return cell_request_in(tx, ctx, cell_name)


def cell_request_in(tx: Transaction, ctx: RequestContext, cell_name: str) -> CellRequest:
    """:func:`load_cell_request` inside a transaction the caller runs (one per box request)."""
    cell = find_cell(tx, cell_name)
    if cell is None:
        raise PersoniumError("PR404-DV-0003")
    url = ctx.services.urls.cell_url(cell["name"])
    version = cell["auth_version"]
    acl = ACLS.get_or_make((cell["id"], version, CELL_ROOT), lambda: load_acl(tx, cell["id"]))
    guard = CellGuard(cell["id"], url, cell["owner"], acl)  # type: ignore[arg-type]
    return CellRequest(cell, ctx.cell_caller(tx, cell), guard)


def privileges_for(etype: EntityType | None, kind: str) -> tuple[str, ...]:
    """``kind``: "read" or "write" on a set; "options-links" or "options-root" (notes §4.4 quirks)."""
    if kind == "options-links":
        return (CTL_LINKS_OPTIONS,)
    if etype is None:
        return (CTL_ROOT_OPTIONS,)
    read, write = CTL_SETS[etype.name]
    return read if kind == "read" else write


def ctl_root(ctx: RequestContext, cell_request: CellRequest) -> ServiceRoot:
    """The cell's ``__ctl`` service root as this request sees it."""
    cell_id = cell_request.cell["id"]

    def authorize_set(etype: EntityType | None, kind: str) -> None:
        cell_request.authorize(*privileges_for(etype, kind))

    return ServiceRoot(CELL_CTL, {"cell_id": cell_id}, f"{cell_request.url}__ctl/", cell_request.caller,
                       authorize_set, {"Account": AccountHooks(), "Box": BoxHooks(ctx.services.blobs),
                                        "Rule": RuleHooks(ctx.services.urls)},
                       events=catalog.CELLCTL_EVENTS,
                       on_write=lambda write_tx: bump_auth_version(write_tx, cell_id),
                       link_owners=CTL_LINK_OWNERS)


async def cell_ctl(request: Request, ctx: RequestContext, cell_name: str, segments: list[str]) -> Response:
    """The cell, the caller and the operation in one transaction."""

    def open_root(tx: Transaction) -> ServiceRoot:
        return ctl_root(ctx, cell_request_in(tx, ctx, cell_name))

    # Only a credential sent along makes a write hash a password (Account create, update, merge).
    light = "x-personium-credential" not in request.headers
    return await serve_odata(request, ctx.services.storage, segments, open_root, light=light)
