"""The shape of the tree — apiref 306 (MKCOL), 309 (MOVE), 310 and 314 (DELETE), 295 (box recursive delete)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import unquote, urlsplit

from starlette.requests import Request
from starlette.responses import Response

from cellar.auth.access.endpoint_privileges import BOX_ROOT_DELETE, DAV_METHODS, DAV_MISSING_WRITE, DAV_MOVE_DESTINATION
from cellar.ctl import boxes
from cellar.dav import tree
from cellar.dav import xml as davxml
from cellar.dav.mkcol import MkcolRefused, parse_mkcol
from cellar.dav.move import check_destination
from cellar.dav.tree import Kind
from cellar.errors import PersoniumError
from cellar.events import catalog
from cellar.http.box_target import MAX_XML_BODY, BoxTarget, CellSource, in_box, missing_parent
from cellar.http.context import RequestContext
from cellar.http.negotiation import read_body
from cellar.storage.uow import Transaction


async def mkcol(request: Request, ctx: RequestContext, cell: CellSource, box_name: str,
                path: tuple[str, ...]) -> Response:
    """Create Collection — apiref/306 (plain, ``p:odata``, ``p:service`` or ``p:stream``)."""
    body = await read_body(request, MAX_XML_BODY)
    if not path:
        # MKCOL on a box URL installs a bar file (a later feature); on an existing box it is refused.
        def refuse(target: BoxTarget, tx: Transaction) -> None:
            raise PersoniumError("PR405-MC-0001") if target.box.is_main else \
                PersoniumError("PR405-BI-0001", target.box_url)

        return await in_box(ctx, cell, box_name, path, "mkcol", refuse, write=False)

    def work(target: BoxTarget, tx: Transaction) -> Response:
        node = target.node
        if node is not None and not node.is_collection:
            raise PersoniumError("PR405-MC-0001")
        target.authorize(DAV_METHODS["MKCOL"], on_parent=True)
        if node is not None:
            raise PersoniumError("PR405-DV-0001")
        if len(target.located.missing) > 1 or not target.located.deepest.is_collection:
            raise missing_parent(target)
        tree.check_name(target.located.missing[0])
        kind = parse_mkcol(body)
        created = tree.make_collection(tx, target.located, kind)
        target.emit(tx, kind, catalog.MKCOL)
        return Response(status_code=201, headers={"ETag": created.etag})

    try:
        return await in_box(ctx, cell, box_name, path, "mkcol", work)
    except MkcolRefused as refused:
        return Response(refused.body, status_code=403, media_type=davxml.MULTISTATUS_TYPE)


async def delete(request: Request, ctx: RequestContext, cell: CellSource, box_name: str,
                 path: tuple[str, ...]) -> Response:
    """Delete file (314), collection (310) or, with ``X-Personium-Recursive: true``, the box (295)."""
    recursive_header = request.headers.get("x-personium-recursive")
    if_match = request.headers.get("if-match")
    if not path:
        if (recursive_header or "").lower() != "true":
            raise PersoniumError("PR412-MC-0001", "X-Personium-Recursive")
        return await _delete_box(ctx, cell, box_name)

    def work(target: BoxTarget, tx: Transaction) -> Response:
        node = target.node
        recursive = _recursive_flag(recursive_header) if node is not None and node.is_collection else False
        node = target.detachable(DAV_METHODS["DELETE"])
        if node.kind is Kind.SOURCE:
            raise PersoniumError("PR403-DV-0003")
        if node.kind is Kind.FILE:
            if not node.if_match(if_match):
                raise PersoniumError("PR412-DV-0001")
        elif not recursive and any(child.kind is not Kind.SOURCE or tree.has_children(tx, child)
                                   for child in tree.children(tx, node)):
            raise PersoniumError("PR403-DV-0003")
        tree.remove(tx, ctx.services.blobs, node)
        target.emit(tx, node.kind, catalog.DELETE)
        return Response(status_code=204)

    return await in_box(ctx, cell, box_name, path, "delete", work)


def _recursive_flag(value: str | None) -> bool:
    if value is None or value.lower() == "false":
        return False
    if value.lower() == "true":
        return True
    raise PersoniumError("PR400-DV-0009", "X-Personium-Recursive", value)


async def _delete_box(ctx: RequestContext, cell: CellSource, box_name: str) -> Response:
    def work(target: BoxTarget, tx: Transaction) -> Response:
        target.authorize(BOX_ROOT_DELETE)
        if target.box.is_main:
            raise PersoniumError("PR405-MC-0001")
        boxes.delete_recursive(tx, ctx.services.blobs, target.box)
        target.emit(tx, Kind.BOX, catalog.DELETE, target.box_url)
        return Response(status_code=204)

    return await in_box(ctx, cell, box_name, (), "delete_box", work)


async def move(request: Request, ctx: RequestContext, cell: CellSource, box_name: str,
               path: tuple[str, ...]) -> Response:
    """Move and rename — apiref/309. Overwrite defaults to ``F``; collections are never overwritten."""
    headers = request.headers

    def work(target: BoxTarget, tx: Transaction) -> Response:
        if not path:
            target.authorize(DAV_MISSING_WRITE)
            raise PersoniumError("PR400-DV-0015")
        node = target.detachable(DAV_METHODS["MOVE"])
        overwrite, destination = _move_headers(headers, target, ctx.services.urls.canonical)
        if node.kind is Kind.SOURCE:
            raise PersoniumError("PR400-DV-0011")
        if_match = headers.get("if-match")
        if not node.if_match(if_match):
            raise PersoniumError("PR412-DV-0001")
        dest = tree.locate(tx, target.box, destination)
        dest_target = BoxTarget(target.cell_request, dest)
        existing = check_destination(dest, node, overwrite)
        dest_target.authorize(DAV_MOVE_DESTINATION[0], on_parent=True)
        if existing is not None:
            dest_target.authorize(DAV_MOVE_DESTINATION[1], on_parent=True)
            tree.remove(tx, ctx.services.blobs, existing)
            dest = tree.locate(tx, target.box, destination)
        moved = tree.move(tx, node, dest)
        target.emit(tx, node.kind, catalog.MOVE)
        location = dest_target.url_of(destination)
        return Response(status_code=204 if existing is not None else 201,
                        headers={"Location": location, "ETag": moved.etag})

    return await in_box(ctx, cell, box_name, path, "move", work)


def _move_headers(headers: Any, target: BoxTarget, canonical: Callable[[str], str]) -> tuple[bool, tuple[str, ...]]:
    depth = headers.get("depth")
    if depth is not None and depth.lower() != "infinity":
        raise PersoniumError("PR400-DV-0003", depth)
    overwrite = headers.get("overwrite", "F")
    if overwrite.upper() not in ("T", "F"):
        raise PersoniumError("PR400-DV-0009", "Overwrite", overwrite)
    destination = headers.get("destination")
    if not destination:
        raise PersoniumError("PR400-DV-0010", "Destination")
    if destination == target.url:
        raise PersoniumError("PR403-DV-0005", destination)
    return overwrite.upper() == "T", _destination_path(canonical(destination), destination, target)


def _destination_path(destination: str, given: str, target: BoxTarget) -> tuple[str, ...]:
    """The Destination (``personium-localunit:`` forms resolved) must lie in the same box; returns
    its path inside it. Errors quote the header as ``given``."""
    box_url = urlsplit(target.box_url + "/")
    try:
        parts = urlsplit(destination)
    except ValueError:
        raise PersoniumError("PR400-DV-0009", "Destination", given) from None
    same_origin = (parts.scheme, parts.hostname, parts.port) == (box_url.scheme, box_url.hostname, box_url.port)
    raw_path = parts.path
    if not same_origin or not (raw_path + "/").startswith(box_url.path):
        raise PersoniumError("PR400-DV-0009", "Destination", given)
    names = [unquote(part) for part in raw_path[len(box_url.path):].split("/")]
    if names and names[-1] == "":
        names.pop()
    if not names or "" in names:
        raise PersoniumError("PR400-DV-0009", "Destination", given)
    return tuple(names)
