"""Box resources — apiref 303–315, 295: the box root, WebDAV collections and files, and ``__box`` (304).

Each method's handler lives with its kind of work (``dav_content``, ``dav_tree``, ``dav_props``); this
module routes to them and answers ``GET {cell}__box``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from cellar.auth.access.authorize import denied
from cellar.auth.access.endpoint_privileges import DAV_METHODS
from cellar.ctl import boxes
from cellar.ctl.formats import check_schema_uri
from cellar.dav import tree
from cellar.errors import PersoniumError
from cellar.http.box_target import BoxTarget, CellSource, basic_caller
from cellar.http.context import RequestContext
from cellar.http.ctl import cell_request_in, load_cell_request
from cellar.http.dav_content import get, post, put
from cellar.http.dav_props import acl, options, propfind, proppatch
from cellar.http.dav_tree import delete, mkcol, move


async def box_resource(request: Request, ctx: RequestContext, cell_name: str, segments: list[str]) -> Response:
    handler = HANDLERS.get(request.method)
    if handler is None:
        raise PersoniumError("PR405-MC-0001")
    path = segments[1:-1] if len(segments) > 1 and segments[-1] == "" else segments[1:]
    cell: CellSource = cell_name
    if ctx.authorization and ctx.authorization.partition(" ")[0] == "Basic":
        cell_request = await run_in_threadpool(load_cell_request, ctx, cell_name)
        cell = await run_in_threadpool(basic_caller, ctx, cell_request, segments[0], ctx.authorization)
    return await handler(request, ctx, cell, segments[0], tuple(path))


Handler = Callable[[Request, RequestContext, CellSource, str, tuple[str, ...]], Awaitable[Response]]


HANDLERS: dict[str, Handler] = {
    "GET": get, "HEAD": get, "POST": post, "PUT": put, "MKCOL": mkcol, "DELETE": delete, "MOVE": move,
    "PROPFIND": propfind, "PROPPATCH": proppatch, "ACL": acl, "OPTIONS": options,
}
assert set(HANDLERS) == set(DAV_METHODS), "every box method declares its privilege"


# --- __box -------------------------------------------------------------------------------------------


async def box_url(request: Request, ctx: RequestContext, cell_name: str) -> Response:
    """Retrieve Box URL — apiref/304: the box of the app named by ``schema`` or by the token.

    The box's ACL is skipped when the token was issued to that very app (this is how an app finds
    its box); otherwise the caller needs ``read`` on the box root.
    """
    if request.method != "GET":
        raise PersoniumError("PR405-MC-0001")
    schema_query = request.query_params.get("schema")
    if schema_query is not None:
        try:
            check_schema_uri("schema", schema_query)
        except PersoniumError:
            raise PersoniumError("PR400-OD-0029", "schema", schema_query) from None

    def run() -> str:
        with ctx.services.storage.transaction("dav.box_url", write=False) as tx:
            cell_request = cell_request_in(tx, ctx, cell_name)
            access = cell_request.caller.access
            token_schema = access.schema.removesuffix("#c")
            schema = ctx.services.urls.canonical(schema_query) if schema_query else token_schema
            box = boxes.find_box_by_schema(tx, cell_request.cell, schema) if schema else None
            if box is None:
                raise denied(access, cell_request.url)
            target = BoxTarget(cell_request, tree.locate(tx, box, ()))
            if not token_schema or token_schema != box.schema:
                target.authorize(DAV_METHODS["GET"])
            return target.box_url

    url = await run_in_threadpool(run)
    return Response(orjson.dumps({"Url": url}), media_type="application/json",
                    headers={"Location": url, "Access-Control-Expose-Headers": "Location"})
