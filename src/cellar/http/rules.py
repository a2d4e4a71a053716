"""The rules the engine holds — apiref/2AA: ``GET {CellURL}__rule`` (privilege ``rule-read``)."""

from __future__ import annotations

import orjson
from starlette.requests import Request
from starlette.responses import Response

from cellar.auth.access.endpoint_privileges import CELL_ENDPOINTS
from cellar.errors import PersoniumError
from cellar.http.context import RequestContext
from cellar.http.ctl import cell_request_in
from cellar.http.work import run_work
from cellar.rules.listing import rule_list

PRIVILEGES = CELL_ENDPOINTS["__rule"]
METHODS = "OPTIONS, GET"


async def rules_endpoint(request: Request, ctx: RequestContext, cell_name: str) -> Response:
    method = "GET" if request.method == "HEAD" else request.method
    if method not in PRIVILEGES:
        raise PersoniumError("PR405-MC-0001")

    def work() -> Response:
        with ctx.services.storage.transaction("rule.list", write=False) as tx:
            cell_request = cell_request_in(tx, ctx, cell_name)
            cell_request.authorize(PRIVILEGES[method])
            if method == "OPTIONS":
                return Response(headers={"Allow": METHODS, "Access-Control-Allow-Methods": METHODS})
            body = rule_list(tx, cell_request.cell, ctx.services.urls)
        return Response(orjson.dumps(body), media_type="application/json")

    return await run_work(ctx.services.storage, work, write=False)
