"""Box resource contents — apiref 303 (box root GET), 311 (GET file), 312 (PUT file); GET on a plain
collection and POST outside OData and service collections.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from cellar.auth.access.endpoint_privileges import DAV_METHODS, DAV_PUT_EXISTING
from cellar.dav import tree
from cellar.dav.ranges import byte_range
from cellar.dav.tree import Kind, Node
from cellar.errors import PersoniumError
from cellar.events import catalog
from cellar.http.box_target import BoxTarget, CellSource, in_box, missing_parent, streamed_in_box
from cellar.http.context import RequestContext
from cellar.http.negotiation import discard_upload, read_body, receive_body
from cellar.http.unit import unit_metadata
from cellar.storage.blobs import CHUNK_SIZE, BlobStore, Upload
from cellar.storage.uow import Transaction


async def get(request: Request, ctx: RequestContext, cell: CellSource, box_name: str,
              path: tuple[str, ...]) -> Response:
    if_none_match, range_header = request.headers.get("if-none-match"), request.headers.get("range")
    body = request.method != "HEAD"
    blobs = ctx.services.blobs

    def work(target: BoxTarget, tx: Transaction) -> Response:
        node = target.existing(DAV_METHODS["GET"])
        if node.kind is Kind.BOX:
            return Response(orjson.dumps(_box_metadata(ctx, target)), media_type="application/json")
        if node.kind is Kind.FILE:
            return _file_response(tx, blobs, node, if_none_match, range_header, body)
        if node.kind in (Kind.WEBDAV, Kind.SOURCE):
            return Response(f"URL : {target.url}\n".encode(), media_type="text/plain;charset=utf-8")
        if node.kind in (Kind.SERVICE, Kind.STREAM):
            raise PersoniumError("PR405-MC-0001")
        raise PersoniumError("PR501-MC-0002", node.kind.value)

    return await streamed_in_box(ctx, cell, box_name, path, "get", work)


def _box_metadata(ctx: RequestContext, target: BoxTarget) -> dict[str, Any]:
    """apiref/303 for a box that is ready (bar installation arrives with its own issue)."""
    box = target.box
    installed = datetime.fromtimestamp(box.published / 1000, UTC)
    return {"box": {"status": "ready",
                    "installed_at": installed.strftime("%Y-%m-%dT%H:%M:%S.") + f"{installed.microsecond // 1000:03d}Z",
                    "name": box.name, "url": f"{target.box_url}/", "schema": box.schema},
            "cell": {"name": target.cell_request.cell["name"], "url": target.cell_request.url},
            "unit": unit_metadata(ctx)}


def _file_response(tx: Transaction, blobs: BlobStore, node: Node, if_none_match: str | None,
                   range_header: str | None, body: bool) -> Response:
    headers = {"ETag": node.etag, "Accept-Ranges": "bytes"}
    if if_none_match is not None and node.etag_matches(if_none_match):
        return Response(status_code=304, headers=headers)
    # The type exactly as it was stored (Starlette would add a charset to text/* media types).
    headers["Content-Type"] = node.content_type or "application/octet-stream"
    size = node.content_length or 0
    span = byte_range(range_header, size)
    status, start, length = 200, 0, size
    if span is not None:
        status, start, length = 206, span[0], span[1] - span[0] + 1
        headers["Content-Range"] = f"bytes {start}-{span[1]}/{size}"
    headers["Content-Length"] = str(length)
    if not body:  # HEAD: the headers of the GET, no chunk read
        return Response(status_code=status, headers=headers)
    pieces = tree.read_file(tx, blobs, node, start, length)
    if length <= CHUNK_SIZE:  # at most two chunks in memory; a plain response, as for any small body
        return Response(b"".join(pieces), status_code=status, headers=headers)
    return StreamingResponse(pieces, status_code=status, headers=headers)


async def post(request: Request, ctx: RequestContext, cell: CellSource, box_name: str,
               path: tuple[str, ...]) -> Response:
    """POST means something only inside OData and service collections; elsewhere 404 or 405."""

    def work(target: BoxTarget, tx: Transaction) -> Response:
        target.existing(DAV_METHODS["POST"])
        raise PersoniumError("PR405-MC-0001")

    return await in_box(ctx, cell, box_name, path, "post", work, write=False)


async def put(request: Request, ctx: RequestContext, cell: CellSource, box_name: str,
              path: tuple[str, ...]) -> Response:
    """Create/Update file — apiref/312. A body declared to fit one chunk is read first, then authorized
    and written in one transaction; a larger one is authorized before it is read (so nobody streams
    megabytes into a collection they may not write), staged as it arrives, and authorized again when
    it is linked."""
    if_match, content_type = request.headers.get("if-match"), request.headers.get("content-type")

    def check(target: BoxTarget, tx: Transaction) -> str:
        """The cell the body will belong to, once the caller may write it."""
        node = target.node
        if node is not None and node.is_collection:
            raise PersoniumError("PR405-MC-0001")
        if node is None:
            target.authorize(DAV_METHODS["PUT"], on_parent=True)
            tree.check_name(target.located.missing[-1])
            if len(target.located.missing) > 1 or not target.located.deepest.is_collection:
                raise missing_parent(target)
        else:
            target.authorize(DAV_PUT_EXISTING)
        return target.box.cell_id

    blobs, limit = ctx.services.blobs, ctx.services.settings.max_file_size
    declared = request.headers.get("content-length")
    body: bytes | Upload
    if declared is not None and declared.isdigit() and int(declared) <= CHUNK_SIZE:
        body = await read_body(request, CHUNK_SIZE)
    else:
        cell_id = await in_box(ctx, cell, box_name, path, "put.check", check, write=False)
        body = await receive_body(request, blobs, cell_id, limit)

    def work(target: BoxTarget, tx: Transaction) -> Response:
        check(target, tx)
        node = target.node
        if node is not None and not node.if_match(if_match):
            raise PersoniumError("PR412-DV-0001")
        if isinstance(body, bytes):
            if len(body) > limit:
                raise PersoniumError("PR413-MC-0001")
            blob_id, size = blobs.store(tx, target.box.cell_id, body), len(body)
        else:
            blob_id, size = body.blob_id, body.size
        written, created = tree.write_file(tx, blobs, target.located, content_type, blob_id, size,
                                           staged=not isinstance(body, bytes))
        target.emit(tx, Kind.FILE, catalog.CREATE if created else catalog.UPDATE)
        return Response(status_code=201 if created else 204, headers={"ETag": written.etag})

    try:
        return await in_box(ctx, cell, box_name, path, "put", work)
    except BaseException:
        if not isinstance(body, bytes):
            await discard_upload(blobs, body.blob_id)
        raise
