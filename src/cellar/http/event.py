"""External events — apiref/278: ``POST {CellURL}__event`` (privilege ``event``)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from cellar.auth.access.endpoint_privileges import CELL_ENDPOINTS
from cellar.errors import PersoniumError
from cellar.events import external
from cellar.http.context import RequestContext
from cellar.http.ctl import cell_request_in
from cellar.http.negotiation import read_body
from cellar.http.work import run_work

PRIVILEGES = CELL_ENDPOINTS["__event"]
#: The log settings of pages 287-288 were never made: the real server answers 501 before any check.
UNMADE = frozenset({"PROPFIND", "PROPPATCH"})


async def event_endpoint(request: Request, ctx: RequestContext, cell_name: str) -> Response:
    if request.method in UNMADE:
        raise PersoniumError("PR501-MC-0001")
    if request.method != "POST":
        raise PersoniumError("PR405-MC-0001")
    raw = await read_body(request)

    def work() -> None:
        with ctx.services.storage.transaction("event.post") as tx:
            cell_request = cell_request_in(tx, ctx, cell_name)
            cell_request.authorize(PRIVILEGES["POST"])
            tx.emit(external.parse(raw, cell_request.cell["id"]))

    await run_work(ctx.services.storage, work, write=True)
    return Response(status_code=200)
