"""Cell control objects — apiref 201–266, 2AB–2B0: ``{CellURL}__ctl/…`` through the generic engine."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from cellar.auth.context import AccessKind, Caller
from cellar.ctl.accounts import AccountHooks
from cellar.ctl.schema import CELL_CTL
from cellar.errors import PersoniumError
from cellar.http.context import RequestContext
from cellar.http.odata import ODataRoot, serve_odata
from cellar.odata.model import EntityType
from cellar.storage import Transaction
from cellar.unit.cells import find_cell, find_cell_by_id

HOOKS = {"Account": AccountHooks()}


async def cell_ctl(request: Request, ctx: RequestContext, cell_name: str, segments: list[str]) -> Response:
    cell, caller = await run_in_threadpool(load_cell_and_caller, ctx, cell_name)
    cell_url = ctx.services.urls.cell_url(cell["name"])

    def authorize(etype: EntityType, privilege: str) -> None:
        authorize_cell_level(caller, cell, cell_url)

    def scope(tx: Transaction) -> Mapping[str, Any]:
        if find_cell_by_id(tx, cell["id"]) is None:
            raise PersoniumError("PR404-DV-0003")
        return {"cell_id": cell["id"]}

    root = ODataRoot(CELL_CTL, f"{cell_url}__ctl/", ctx.services.storage, caller, authorize, scope, HOOKS,
                     event_prefix="cellctl")
    return await serve_odata(request, root, segments)


def load_cell_and_caller(ctx: RequestContext, cell_name: str) -> tuple[dict[str, Any], Caller]:
    """The cell (404 PR404-DV-0003 if missing) and who is calling, as judged inside that cell."""
    with ctx.services.storage.transaction("cell.load", write=False) as tx:
        cell = find_cell(tx, cell_name)
        if cell is None:
            raise PersoniumError("PR404-DV-0003")
        return cell, ctx.cell_caller(tx, cell)


def authorize_cell_level(caller: Caller, cell: Mapping[str, Any], cell_url: str) -> None:
    """Until cell ACLs are enforced: the master token, a unit admin, or the cell's owner (a unit user)."""
    access = caller.access
    if access.sees_all_cells:
        return
    if access.kind in (AccessKind.UNIT_USER, AccessKind.UNIT_LOCAL) and access.subject == cell["owner"]:
        return
    challenge = {"WWW-Authenticate": f'Bearer realm="{cell_url}"'}
    if access.kind is AccessKind.ANONYMOUS:
        raise PersoniumError("PR401-AU-0001", headers=challenge)
    if access.kind is AccessKind.INVALID:
        code = "PR401-AU-0001" if access.basic else access.error_code or "PR401-AU-0006"
        raise PersoniumError(code, headers=challenge)
    raise PersoniumError("PR403-AU-0002")
