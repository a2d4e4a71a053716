"""Cell level: the cell root (apiref 200, 296) and recursive cell delete (apiref 105)."""

from __future__ import annotations

from typing import Any

import orjson
from lxml import etree
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from cellar.auth.credentials import require_unit_access
from cellar.errors import PersoniumError
from cellar.http.context import RequestContext
from cellar.http.unit import unit_metadata
from cellar.unit.cells import check_owner, delete_recursive, find_cell

PERSONIUM_NS = "urn:x-personium:xmlns"
CELL_ROOT_METHODS = "OPTIONS, POST, PROPFIND"


async def cell_root(request: Request, ctx: RequestContext, cell_name: str) -> Response:
    method = request.method
    if method in ("GET", "HEAD"):
        return await get_cell_root(request, ctx, cell_name)
    if method == "DELETE":
        return await delete_cell(request, ctx, cell_name)
    if method == "OPTIONS":
        await run_in_threadpool(_load, ctx, cell_name)
        return Response(headers={"Allow": CELL_ROOT_METHODS, "Access-Control-Allow-Methods": CELL_ROOT_METHODS})
    if method in ("PROPFIND", "PROPPATCH", "ACL"):
        raise PersoniumError("PR501-MC-0001")
    raise PersoniumError("PR405-MC-0001")


def _load(ctx: RequestContext, cell_name: str) -> dict[str, Any]:
    with ctx.services.storage.transaction("cell.load", write=False) as tx:
        cell = find_cell(tx, cell_name)
    if cell is None:
        raise PersoniumError("PR404-DV-0003")
    return cell


async def get_cell_root(request: Request, ctx: RequestContext, cell_name: str) -> Response:
    """Get Cell Metadata — apiref/296 (JSON or XML); the relay HTML of apiref/200 otherwise."""
    cell = await run_in_threadpool(_load, ctx, cell_name)
    cell_url = ctx.services.urls.cell_url(cell["name"])
    accept = request.headers.get("accept", "")
    if "application/json" in accept:
        body = {"cell": {"name": cell["name"], "url": cell_url}, "unit": unit_metadata(ctx)}
        return Response(orjson.dumps(body), media_type="application/json")
    if "application/xml" in accept:
        root = etree.Element(f"{{{PERSONIUM_NS}}}cell", nsmap={None: PERSONIUM_NS})
        etree.SubElement(root, f"{{{PERSONIUM_NS}}}uuid").text = cell["id"]
        etree.SubElement(root, f"{{{PERSONIUM_NS}}}ctl").text = f"{cell_url}__ctl/"
        return Response(etree.tostring(root, xml_declaration=True, encoding="utf-8"),
                        media_type="application/xml;charset=utf-8")
    # The relay page comes from the cell property p:relayhtmlurl (cell PROPPATCH, a later issue).
    raise PersoniumError("PR412-UI-0001", "relayhtmlurl")


async def delete_cell(request: Request, ctx: RequestContext, cell_name: str) -> Response:
    """Cell Recursive Delete — apiref/105. Unit-level access; exact ``X-Personium-Recursive: true``."""
    caller = ctx.unit_caller()
    require_unit_access(caller.access, ctx.services.urls.cell_url(cell_name))
    if request.headers.get("x-personium-recursive") != "true":
        raise PersoniumError("PR412-MC-0001", "X-Personium-Recursive")

    def work() -> None:
        with ctx.services.storage.transaction("cell.delete_recursive") as tx:
            cell = find_cell(tx, cell_name)
            if cell is None:
                raise PersoniumError("PR404-DV-0003")
            check_owner(caller, cell["owner"])
            delete_recursive(tx, cell, ctx.services.urls.cell_url(cell_name))

    await run_in_threadpool(work)
    return Response(status_code=204)


async def cell_path(request: Request, ctx: RequestContext, cell_name: str, segments: list[str]) -> Response:
    """Anything under a cell that is not served yet: the cell must exist, then the box must."""
    await run_in_threadpool(_load, ctx, cell_name)
    first = segments[0]
    if first.startswith("__"):
        raise PersoniumError("PR501-MC-0002", first)
    raise PersoniumError("PR404-DV-0002", f"{ctx.services.urls.cell_url(cell_name)}{first}")
