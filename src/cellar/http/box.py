"""Box requests — apiref 303–315, 295, 304: resolved once (cell, caller, box, path), then handed to
the handler of the kind of collection the path falls in (``cellar.dav.regions``): plain WebDAV, or an
OData, service or stream collection. ``{cell}__box`` (304) is answered here too.

A request runs in one transaction, opened once its body has been read. Bodies too large for that
(a PUT beyond one chunk) are received only once the handler, run in a read transaction, said the
request may go on; it then runs again, in a write transaction, with the body.
"""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import replace
from enum import Enum

import anyio
import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from cellar.auth.access.authorize import denied
from cellar.auth.access.endpoint_privileges import DAV_METHODS
from cellar.auth.authn import basic
from cellar.ctl import boxes
from cellar.ctl.formats import check_schema_uri
from cellar.dav import tree
from cellar.dav.regions import WEBDAV, Region, region_of
from cellar.dav.target import BoxTarget
from cellar.dav.tree import Kind
from cellar.errors import PersoniumError
from cellar.http import userdata, webdav
from cellar.http.context import RequestContext
from cellar.http.ctl import cell_request_in
from cellar.http.exchange import Answer, Exchange, Handler
from cellar.http.negotiation import MAX_XML_BODY, discard_upload, query_params, read_body, receive_body
from cellar.http.work import run_work
from cellar.storage.blobs import CHUNK_SIZE
from cellar.storage.uow import Transaction

#: Methods whose (XML) body is read whole before the transaction.
XML_METHODS = frozenset({"MKCOL", "PROPFIND", "PROPPATCH", "ACL"})
READ_METHODS = frozenset({"GET", "HEAD", "PROPFIND", "OPTIONS"})
assert set(webdav.HANDLERS) == set(DAV_METHODS), "every box method declares its privilege"
#: The WebDAV methods, and OData's MERGE (user data).
BOX_METHODS = frozenset({*webdav.HANDLERS, "MERGE"})


def _to_come(ex: Exchange, target: BoxTarget, tx: Transaction) -> Answer:
    """Inside service (beside ``__src``) and stream collections: the script engine and streams arrive
    with their own issues; the caller learns that only once authorized."""
    target.authorize(DAV_METHODS[ex.method])
    raise PersoniumError("PR501-MC-0002", ex.region.kind.value)


#: The handler of each kind of region.
REGIONS: dict[Kind, Handler] = {Kind.WEBDAV: webdav.handle, Kind.ODATA: userdata.handle, Kind.SERVICE: _to_come,
                                Kind.STREAM: _to_come}


class Mode(Enum):
    READ = "read"
    WRITE = "write"
    #: A read whose streamed body is sent from its transaction's snapshot.
    SNAPSHOT = "snapshot"


async def box_resource(request: Request, ctx: RequestContext, cell_name: str, segments: list[str]) -> Response:
    method = request.method
    if method not in BOX_METHODS:
        raise PersoniumError("PR405-MC-0001")
    box_name, path = segments[0], tuple(segments[1:-1] if len(segments) > 1 and segments[-1] == "" else segments[1:])
    ex = Exchange(ctx, method, request.headers, WEBDAV, await _early_body(request, method),
                  query=query_params(request))
    answer = await _judged(ex, cell_name, box_name, path, _mode(ex))
    if isinstance(answer, Response):
        return answer
    blobs = ctx.services.blobs
    body = await receive_body(request, blobs, answer.cell_id, ctx.services.settings.max_file_size)
    try:
        answer = await _judged(replace(ex, body=body), cell_name, box_name, path, Mode.WRITE)
    except BaseException:
        if not isinstance(body, bytes):
            await discard_upload(blobs, body.blob_id)
        raise
    assert isinstance(answer, Response), "a handler wants the body once"
    return answer


async def _judged(ex: Exchange, cell_name: str, box_name: str, path: tuple[str, ...], mode: Mode) -> Answer:
    """The request; if its Basic password must be hashed first, that is done in a worker thread and the
    request runs again with the verdict."""
    try:
        return await _in_box(ex, cell_name, box_name, path, mode)
    except basic.PasswordToCheck as check:
        verdict = await run_in_threadpool(basic.settle, ex.ctx.services.storage, check)
    return await _in_box(replace(ex, basic=verdict), cell_name, box_name, path, mode)


async def _early_body(request: Request, method: str) -> bytes | None:
    """XML bodies whole (within their limit); a PUT body declared to fit one chunk; else not yet."""
    if method in XML_METHODS:
        return await read_body(request, MAX_XML_BODY)
    if method == "PUT":
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) <= CHUNK_SIZE:
            return await read_body(request, CHUNK_SIZE)
        return None
    return None if method in ("POST", "MERGE") else b""


def _mode(ex: Exchange) -> Mode:
    if ex.method in ("GET", "HEAD"):
        return Mode.SNAPSHOT
    return Mode.READ if ex.body is None or ex.method in READ_METHODS else Mode.WRITE


async def _in_box(ex: Exchange, cell_name: str, box_name: str, path: tuple[str, ...], mode: Mode) -> Answer:
    storage, name = ex.ctx.services.storage, f"dav.{ex.method.lower()}"
    if mode is not Mode.SNAPSHOT:
        def run() -> Answer:
            with storage.transaction(name, write=mode is Mode.WRITE) as tx:
                return _dispatch(tx, ex, cell_name, box_name, path, mode)

        return await run_work(storage, run, write=mode is Mode.WRITE)
    held = ExitStack()

    def snapshot() -> Answer:
        with ExitStack() as opened:
            tx = opened.enter_context(storage.snapshot(name))
            answer = _dispatch(tx, ex, cell_name, box_name, path, mode)
            if isinstance(answer, StreamingResponse):
                held.push(opened.pop_all())
            return answer

    answer = await run_work(storage, snapshot, write=False)
    return _HeldStream(answer, held) if isinstance(answer, StreamingResponse) else answer


def _dispatch(tx: Transaction, ex: Exchange, cell_name: str, box_name: str, path: tuple[str, ...],
              mode: Mode) -> Answer:
    """The cell and caller, the box (404 before any authorization), the path; then its region's handler."""
    cell_request = cell_request_in(tx, ex.ctx, cell_name)
    box = boxes.find_box(tx, cell_request.cell, box_name)
    if box is None:
        raise PersoniumError("PR404-DV-0002", f"{cell_request.url}{box_name}")
    authorization = ex.ctx.authorization
    if authorization and authorization.partition(" ")[0] == "Basic" and (box.is_main or not box.schema):
        # Basic credentials count in the main box and in boxes without a Schema (notes §3.2).
        settings = ex.ctx.services.settings
        access = ex.basic or basic.judge(tx, settings, cell_request.cell, cell_request.url, authorization)
        cell_request = replace(cell_request, caller=replace(cell_request.caller, access=access))
        tx.cause = ex.ctx.cause(cell_request.caller)
    if mode is Mode.WRITE:
        tree.lock_box(tx, box.id)
    target = BoxTarget(cell_request, tree.locate(tx, box, path))
    region: Region = region_of(target.located, ex.method)
    return REGIONS[region.kind](replace(ex, region=region), target, tx)


class _HeldStream(StreamingResponse):
    """A streamed body whose transaction (one snapshot, so the body reads whole even if it is replaced
    meanwhile) is closed once the response is over, however it ended."""

    def __init__(self, inner: StreamingResponse, held: ExitStack) -> None:
        super().__init__(inner.body_iterator, status_code=inner.status_code)
        self.raw_headers = inner.raw_headers
        self._held = held

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            with anyio.CancelScope(shield=True):
                await run_in_threadpool(self._held.close)


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
            return f"{target.box_url}/"  # as the real server writes it (apps append "index/" to it)

    url = await run_in_threadpool(run)
    return Response(orjson.dumps({"Url": url}), media_type="application/json",
                    headers={"Location": url, "Access-Control-Expose-Headers": "Location"})
