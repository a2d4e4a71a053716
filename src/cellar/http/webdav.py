"""Plain WebDAV resources of a box — apiref 303–315, 295: the box root, collections and files, and a
special collection itself (its PROPFIND, ACL, DELETE…). The rules live in ``cellar.dav``; each
handler here reads what its request says, calls them, and renders the result."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
from starlette.responses import Response, StreamingResponse

from cellar.auth.access.endpoint_privileges import DAV_METHODS
from cellar.ctl import boxes
from cellar.dav import delete as deletion
from cellar.dav import files
from cellar.dav import xml as davxml
from cellar.dav.acl import set_acl
from cellar.dav.copy import copy as copy_resource
from cellar.dav.mkcol import MkcolRefused
from cellar.dav.mkcol import mkcol as make_collection
from cellar.dav.move import MoveHeaders
from cellar.dav.move import move as move_resource
from cellar.dav.options import DAV_CLASSES, allow
from cellar.dav.properties import proppatch as patch_properties
from cellar.dav.propfind import propfind as list_properties
from cellar.dav.target import BoxTarget
from cellar.dav.tree import Kind
from cellar.errors import PersoniumError
from cellar.events import catalog
from cellar.http.exchange import Answer, BodyWanted, Exchange, Handler
from cellar.http.unit import unit_metadata
from cellar.storage.blobs import CHUNK_SIZE
from cellar.storage.uow import Transaction


def get(ex: Exchange, target: BoxTarget, tx: Transaction) -> Response:
    """GET and HEAD: the box's metadata (303), a file (311), a collection's URL as text."""
    node = target.existing(DAV_METHODS["GET"])
    if node.kind is Kind.BOX:
        return Response(orjson.dumps(_box_metadata(ex, target)), media_type="application/json")
    if node.kind is Kind.FILE:
        read = files.read(tx, ex.ctx.services.blobs, node, ex.headers.get("if-none-match"), ex.headers.get("range"),
                          body=ex.method != "HEAD")
        if read.pieces is None:
            return Response(status_code=read.status, headers=read.headers)
        if read.length <= CHUNK_SIZE:  # at most two chunks in memory: a plain response
            return Response(b"".join(read.pieces), status_code=read.status, headers=read.headers)
        return StreamingResponse(read.pieces, status_code=read.status, headers=read.headers)
    if node.kind in (Kind.SERVICE, Kind.STREAM):
        raise PersoniumError("PR405-MC-0001")
    return Response(f"URL : {target.url}\n".encode(), media_type="text/plain;charset=utf-8")


def _box_metadata(ex: Exchange, target: BoxTarget) -> dict[str, Any]:
    """apiref/303 for a box that is ready (bar installation arrives with its own issue)."""
    box = target.box
    installed = datetime.fromtimestamp(box.published / 1000, UTC)
    return {"box": {"status": "ready",
                    "installed_at": installed.strftime("%Y-%m-%dT%H:%M:%S.") + f"{installed.microsecond // 1000:03d}Z",
                    "name": box.name, "url": f"{target.box_url}/", "schema": box.schema},
            "cell": {"name": target.cell_request.cell["name"], "url": target.cell_request.url},
            "unit": unit_metadata(ex.ctx)}


def post(ex: Exchange, target: BoxTarget, tx: Transaction) -> Response:
    """POST means something only inside OData and service collections; elsewhere 404 or 405."""
    target.existing(DAV_METHODS["POST"])
    raise PersoniumError("PR405-MC-0001")


def put(ex: Exchange, target: BoxTarget, tx: Transaction) -> Answer:
    """Create/Update file — apiref/312. A larger body than one chunk is only received once the caller
    may write here (nobody streams megabytes into a collection they may not write)."""
    if ex.body is None:
        return BodyWanted(files.writable(target))
    settings, blobs = ex.ctx.services.settings, ex.ctx.services.blobs
    written, created = files.write(tx, blobs, target, ex.headers.get("content-type"), ex.body,
                                   ex.headers.get("if-match"), settings.max_file_size, settings.dav_max_children)
    return Response(status_code=201 if created else 204, headers={"ETag": written.etag})


def mkcol(ex: Exchange, target: BoxTarget, tx: Transaction) -> Response:
    try:
        created = make_collection(tx, target, _xml(ex), ex.ctx.services.settings.dav_max_children)
    except MkcolRefused as refused:
        return Response(refused.body, status_code=403, media_type=davxml.MULTISTATUS_TYPE)
    return Response(status_code=201, headers={"ETag": created.etag})


def delete(ex: Exchange, target: BoxTarget, tx: Transaction) -> Response:
    """A file (314), a collection (310) or, with ``X-Personium-Recursive: true``, the box (295)."""
    recursive, blobs = ex.headers.get("x-personium-recursive"), ex.ctx.services.blobs
    if target.path:
        deletion.delete(tx, blobs, target, recursive, ex.headers.get("if-match"))
    else:
        deletion.check_box_deletable(target, recursive)
        boxes.delete_recursive(tx, blobs, target.box)
        target.emit(tx, Kind.BOX, catalog.DELETE, target.box_url)
    return Response(status_code=204)


def move(ex: Exchange, target: BoxTarget, tx: Transaction) -> Response:
    h = ex.headers
    headers = MoveHeaders(h.get("destination"), h.get("overwrite"), h.get("depth"), h.get("if-match"))
    services = ex.ctx.services
    moved = move_resource(tx, services.blobs, target, headers, services.urls.canonical,
                          services.settings.dav_max_children)
    return Response(status_code=201 if moved.created else 204, headers={"Location": moved.location,
                                                                         "ETag": moved.etag})


def copy(ex: Exchange, target: BoxTarget, tx: Transaction) -> Response:
    h, services = ex.headers, ex.ctx.services
    headers = MoveHeaders(h.get("destination"), h.get("overwrite"), h.get("depth"), h.get("if-match"))
    copied = copy_resource(tx, services.blobs, target, headers, services.urls.canonical,
                           services.settings.dav_max_children)
    return Response(status_code=201 if copied.created else 204, headers={"Location": copied.location,
                                                                          "ETag": copied.etag})


def propfind(ex: Exchange, target: BoxTarget, tx: Transaction) -> Response:
    document, node = list_properties(tx, target, _xml(ex), ex.headers.get("depth"))
    return Response(document, status_code=207, media_type=davxml.MULTISTATUS_TYPE, headers={"ETag": node.etag})


def proppatch(ex: Exchange, target: BoxTarget, tx: Transaction) -> Response:
    document, node = patch_properties(tx, target, _xml(ex))
    return Response(document, status_code=207, media_type=davxml.MULTISTATUS_TYPE, headers={"ETag": node.etag})


def acl(ex: Exchange, target: BoxTarget, tx: Transaction) -> Response:
    return Response(status_code=200, headers={"ETag": set_acl(tx, target, _xml(ex)).etag})


def options(ex: Exchange, target: BoxTarget, tx: Transaction) -> Response:
    methods = allow(target)
    return Response(headers={"Allow": methods, "Access-Control-Allow-Methods": methods, "DAV": DAV_CLASSES})


def _xml(ex: Exchange) -> bytes:
    assert isinstance(ex.body, bytes), "XML bodies are read before the transaction"
    return ex.body


HANDLERS: dict[str, Handler] = {
    "GET": get, "HEAD": get, "POST": post, "PUT": put, "MKCOL": mkcol, "DELETE": delete, "MOVE": move, "COPY": copy,
    "PROPFIND": propfind, "PROPPATCH": proppatch, "ACL": acl, "OPTIONS": options,
}


def handle(ex: Exchange, target: BoxTarget, tx: Transaction) -> Answer:
    handler = HANDLERS.get(ex.method)
    if handler is None:  # MERGE is OData's: outside an OData collection there is nothing to merge
        raise PersoniumError("PR405-MC-0001")
    return handler(ex, target, tx)
