"""Box resources — apiref 303–315, 295: the box root, WebDAV collections and files.

Order of checks, as in Personium (notes §4.3, §4.4): the cell, then the box (404 before any
authorization), then the caller's privilege on the resource — for a resource that does not exist,
on its ancestors — and only then whether the resource exists and the request makes sense, so a
caller without privileges learns nothing about the tree.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote, urlsplit

import orjson
from lxml import etree
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from cellar.auth import basic
from cellar.auth.acl import parse_acl, parse_xml, render_acl
from cellar.auth.acl_store import role_resolver
from cellar.auth.authorize import BoxGuard, authorize_box, denied
from cellar.auth.endpoint_privileges import (
    BOX_ROOT_DELETE,
    DAV_METHODS,
    DAV_MISSING_WRITE,
    DAV_MOVE_DESTINATION,
    DAV_PUT_EXISTING,
)
from cellar.auth.roles import roles_by_id
from cellar.ctl import boxes
from cellar.ctl.formats import check_schema_uri
from cellar.dav import tree
from cellar.dav import xml as davxml
from cellar.dav.mkcol import MkcolRefused, parse_mkcol
from cellar.dav.properties import parse_propertyupdate
from cellar.dav.propfind import node_properties
from cellar.dav.tree import Kind, Located, Node
from cellar.errors import PersoniumError
from cellar.events.bus import Event
from cellar.http.context import RequestContext
from cellar.http.ctl import CellRequest, load_cell_request
from cellar.http.negotiation import read_body
from cellar.http.unit import unit_metadata
from cellar.storage.uow import Transaction

MAX_XML_BODY = 256 * 1024
_RANGE = re.compile(r"bytes=(\d*)-(\d*)")

#: ``Allow`` after OPTIONS, per kind of resource (the real server's lists).
ALLOW = {
    Kind.BOX: "OPTIONS, GET, PUT, DELETE, MKCOL, PROPFIND, PROPPATCH, ACL",
    Kind.WEBDAV: "OPTIONS, GET, PUT, DELETE, MKCOL, MOVE, PROPFIND, PROPPATCH, ACL",
    Kind.FILE: "OPTIONS, GET, PUT, DELETE, MOVE, PROPFIND, PROPPATCH, ACL",
    Kind.ODATA: "OPTIONS, GET, DELETE, MOVE, PROPFIND, PROPPATCH, ACL",
    Kind.SERVICE: "OPTIONS, DELETE, MOVE, PROPFIND, PROPPATCH, ACL",
    Kind.SOURCE: "OPTIONS, GET, PUT, DELETE, MKCOL, MOVE, PROPFIND, PROPPATCH, ACL",
    Kind.STREAM: "OPTIONS, DELETE, MOVE, PROPFIND, PROPPATCH, ACL",
    None: "OPTIONS, GET, PUT, DELETE, MKCOL, PROPFIND, PROPPATCH, ACL",
}


@dataclass(frozen=True)
class BoxTarget:
    """A request on a box resource: the cell request, the box, and the path resolved in it."""

    cell_request: CellRequest
    located: Located

    @property
    def box(self) -> tree.Box:
        return self.located.box

    @property
    def box_url(self) -> str:
        return f"{self.cell_request.url}{self.box.name}"

    def url_of(self, names: tuple[str, ...] | list[str]) -> str:
        return "/".join((self.box_url, *names))

    @property
    def url(self) -> str:
        return self.url_of(self.path)

    @property
    def path(self) -> tuple[str, ...]:
        return tuple(n.name for n in self.located.chain[1:]) + self.located.missing

    @property
    def node(self) -> Node | None:
        return self.located.node

    def guard(self, chain: tuple[Node, ...]) -> BoxGuard:
        return BoxGuard(self.cell_request.guard, self.box.schema, tuple(n.acl for n in reversed(chain)))

    def authorize(self, privilege: str, *, on_parent: bool = False) -> None:
        """On the resource (its ancestors if it does not exist) or, for bind/unbind, on its parent."""
        chain = self.located.parent_chain() if on_parent else self.located.chain
        authorize_box(self.cell_request.caller.access, self.guard(chain), privilege)

    def existing(self, privilege: str) -> Node:
        """The addressed resource, once the caller may ``privilege`` it (404 only after that)."""
        self.authorize(privilege)
        _beyond_webdav(self)
        return _existing(self)

    def detachable(self, privilege: str) -> Node:
        """DELETE and MOVE: the resource, once the caller may ``privilege`` its parent; a missing one
        is judged by ``write`` on its ancestors before the 404."""
        if self.node is None:
            self.authorize(DAV_MISSING_WRITE)
            _beyond_webdav(self)
            raise _not_found(self)
        self.authorize(privilege, on_parent=True)
        _beyond_webdav(self)
        return self.node

    def may(self, privilege: str) -> bool:
        try:
            self.authorize(privilege)
        except PersoniumError:
            return False
        return True

    def emit(self, tx: Transaction, kind: str, action: str, url: str | None = None) -> None:
        tx.emit(Event(f"{kind}.{action}", url or self.url, cell_id=self.box.cell_id))


async def box_resource(request: Request, ctx: RequestContext, cell_name: str, segments: list[str]) -> Response:
    handler = HANDLERS.get(request.method)
    if handler is None:
        raise PersoniumError("PR405-MC-0001")
    path = segments[1:-1] if len(segments) > 1 and segments[-1] == "" else segments[1:]
    cell_request = await run_in_threadpool(load_cell_request, ctx, cell_name)
    if cell_request.caller.access.basic and ctx.authorization:
        cell_request = await run_in_threadpool(_basic_caller, ctx, cell_request, segments[0], ctx.authorization)
    return await handler(request, ctx, cell_request, segments[0], tuple(path))


def _basic_caller(ctx: RequestContext, cell_request: CellRequest, box_name: str, authorization: str) -> CellRequest:
    """Basic credentials count in the main box and in boxes without a Schema (notes §3.2)."""
    with ctx.services.storage.transaction("dav.basic", write=False) as tx:
        box = boxes.find_box(tx, cell_request.cell, box_name)
    if box is None or (box.schema and not box.is_main):
        return cell_request
    access = basic.authenticate(ctx.services.storage, ctx.services.settings, cell_request.cell, cell_request.url,
                                authorization)
    return replace(cell_request, caller=replace(cell_request.caller, access=access))


Work = Callable[[BoxTarget, Transaction], Any]


async def _in_box(ctx: RequestContext, cell_request: CellRequest, box_name: str, path: tuple[str, ...],
                  name: str, work: Work, write: bool = True) -> Any:
    """Find the box (404 before anything else) and the path, then run ``work`` in one transaction."""

    def run() -> Any:
        with ctx.services.storage.transaction(f"dav.{name}", write=write) as tx:
            box = boxes.find_box(tx, cell_request.cell, box_name)
            if box is None:
                raise PersoniumError("PR404-DV-0002", f"{cell_request.url}{box_name}")
            if write:
                tree.lock_box(tx, box.id)
            return work(BoxTarget(cell_request, tree.locate(tx, box, path)), tx)

    return await run_in_threadpool(run)


def _not_found(target: BoxTarget) -> PersoniumError:
    return PersoniumError("PR404-DV-0001", target.url)


def _existing(target: BoxTarget) -> Node:
    node = target.node
    if node is None:
        raise _not_found(target)
    return node


def _beyond_webdav(target: BoxTarget) -> None:
    """Paths inside OData and stream collections, and inside a service collection other than its
    ``__src``, belong to features still to come (user OData, the script engine, streams)."""
    names = target.path
    for index, ancestor in enumerate(target.located.chain[1:], start=1):
        below = names[index:]
        if not below:
            return
        if ancestor.kind in (Kind.ODATA, Kind.STREAM) or (ancestor.kind is Kind.SERVICE and below[0] != "__src"):
            raise PersoniumError("PR501-MC-0002", ancestor.kind.value)


# --- GET / HEAD --------------------------------------------------------------------------------------

async def get(request: Request, ctx: RequestContext, cell_request: CellRequest, box_name: str,
              path: tuple[str, ...]) -> Response:
    if_none_match, range_header = request.headers.get("if-none-match"), request.headers.get("range")

    def work(target: BoxTarget, tx: Transaction) -> Response:
        node = target.existing(DAV_METHODS["GET"])
        if node.kind is Kind.BOX:
            return Response(orjson.dumps(_box_metadata(ctx, target)), media_type="application/json")
        if node.kind is Kind.FILE:
            return _file_response(tx, node, if_none_match, range_header)
        if node.kind in (Kind.WEBDAV, Kind.SOURCE):
            return Response(f"URL : {target.url}\n".encode(), media_type="text/plain;charset=utf-8")
        if node.kind in (Kind.SERVICE, Kind.STREAM):
            raise PersoniumError("PR405-MC-0001")
        raise PersoniumError("PR501-MC-0002", node.kind.value)

    return await _in_box(ctx, cell_request, box_name, path, "get", work, write=False)


def _box_metadata(ctx: RequestContext, target: BoxTarget) -> dict[str, Any]:
    """apiref/303 for a box that is ready (bar installation arrives with its own issue)."""
    box = target.box
    installed = datetime.fromtimestamp(box.published / 1000, UTC)
    return {"box": {"status": "ready",
                    "installed_at": installed.strftime("%Y-%m-%dT%H:%M:%S.") + f"{installed.microsecond // 1000:03d}Z",
                    "name": box.name, "url": f"{target.box_url}/", "schema": box.schema},
            "cell": {"name": target.cell_request.cell["name"], "url": target.cell_request.url},
            "unit": unit_metadata(ctx)}


def etag_matches(header: str, node: Node) -> bool:
    """The whole header against the strong ETag or its weak form (lists never match)."""
    value = header.strip()
    return value in (node.etag, f"W/{node.etag}")


def _file_response(tx: Transaction, node: Node, if_none_match: str | None, range_header: str | None) -> Response:
    headers = {"ETag": node.etag, "Accept-Ranges": "bytes"}
    if if_none_match is not None and etag_matches(if_none_match, node):
        return Response(status_code=304, headers=headers)
    # The type exactly as it was stored (Starlette would add a charset to text/* media types).
    headers["Content-Type"] = node.content_type or "application/octet-stream"
    size = node.content_length or 0
    span = _range(range_header, size)
    if span is None:
        return Response(tree.read_file(tx, node), headers=headers)
    start, end = span
    headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    return Response(tree.read_file(tx, node, start, end - start + 1), status_code=206, headers=headers)


def _range(header: str | None, size: int) -> tuple[int, int] | None:
    """One ``bytes=`` range → (first, last); malformed headers are ignored, as Personium does."""
    if header is None:
        return None
    value = header.strip()
    if value.startswith("bytes=") and "," in value:
        raise PersoniumError("PR501-MC-0002", "Range-MultiPart")
    match = _RANGE.fullmatch(value)
    if match is None or match.group(1) == match.group(2) == "":
        return None
    first, last = match.group(1), match.group(2)
    if first == "":
        length = int(last)
        if length == 0 or size == 0:
            raise PersoniumError("PR416-DV-0001")
        return max(size - length, 0), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if last and int(last) < start:
        return None
    if start >= size:
        raise PersoniumError("PR416-DV-0001")
    return start, end


# --- POST --------------------------------------------------------------------------------------------

async def post(request: Request, ctx: RequestContext, cell_request: CellRequest, box_name: str,
               path: tuple[str, ...]) -> Response:
    """POST means something only inside OData and service collections; elsewhere 404 or 405."""

    def work(target: BoxTarget, tx: Transaction) -> Response:
        target.existing(DAV_METHODS["POST"])
        raise PersoniumError("PR405-MC-0001")

    return await _in_box(ctx, cell_request, box_name, path, "post", work, write=False)


# --- PUT ---------------------------------------------------------------------------------------------

async def put(request: Request, ctx: RequestContext, cell_request: CellRequest, box_name: str,
              path: tuple[str, ...]) -> Response:
    """Create/Update file — apiref/312. Authorized before the body is read, and again when written."""
    if_match, content_type = request.headers.get("if-match"), request.headers.get("content-type")

    def check(target: BoxTarget, tx: Transaction) -> None:
        node = target.node
        if node is not None and node.is_collection:
            raise PersoniumError("PR405-MC-0001")
        if node is None:
            target.authorize(DAV_METHODS["PUT"], on_parent=True)
            _beyond_webdav(target)
            tree.check_name(target.located.missing[-1])
            if len(target.located.missing) > 1 or not target.located.deepest.is_collection:
                raise _missing_parent(target)
        else:
            target.authorize(DAV_PUT_EXISTING)
            _beyond_webdav(target)

    await _in_box(ctx, cell_request, box_name, path, "put.check", check, write=False)
    body = await read_body(request, ctx.services.settings.max_file_size)

    def work(target: BoxTarget, tx: Transaction) -> Response:
        check(target, tx)
        node = target.node
        if node is not None and if_match is not None and if_match.strip() != "*" and not etag_matches(if_match, node):
            raise PersoniumError("PR412-DV-0001")
        written, created = tree.write_file(tx, target.located, content_type, body)
        target.emit(tx, "davfile", "create" if created else "update")
        return Response(status_code=201 if created else 204, headers={"ETag": written.etag})

    return await _in_box(ctx, cell_request, box_name, path, "put", work)


def _missing_parent(target: BoxTarget) -> PersoniumError:
    """PR409-DV-0001 names the parent that should exist; below a file there is nothing to create."""
    if not target.located.deepest.is_collection:
        return _not_found(target)
    return PersoniumError("PR409-DV-0001", target.url_of(target.path[:-1]))


# --- MKCOL -------------------------------------------------------------------------------------------

async def mkcol(request: Request, ctx: RequestContext, cell_request: CellRequest, box_name: str,
                path: tuple[str, ...]) -> Response:
    """Create Collection — apiref/306 (plain, ``p:odata``, ``p:service`` or ``p:stream``)."""
    body = await read_body(request, MAX_XML_BODY)
    if not path:
        # MKCOL on a box URL installs a bar file (a later feature); on an existing box it is refused.
        def refuse(target: BoxTarget, tx: Transaction) -> None:
            raise PersoniumError("PR405-MC-0001") if target.box.is_main else \
                PersoniumError("PR405-BI-0001", target.box_url)

        return await _in_box(ctx, cell_request, box_name, path, "mkcol", refuse, write=False)

    def work(target: BoxTarget, tx: Transaction) -> Response:
        node = target.node
        if node is not None and not node.is_collection:
            raise PersoniumError("PR405-MC-0001")
        target.authorize(DAV_METHODS["MKCOL"], on_parent=True)
        _beyond_webdav(target)
        if node is not None:
            raise PersoniumError("PR405-DV-0001")
        if len(target.located.missing) > 1 or not target.located.deepest.is_collection:
            raise _missing_parent(target)
        tree.check_name(target.located.missing[0])
        kind = parse_mkcol(body)
        created = tree.make_collection(tx, target.located, kind)
        target.emit(tx, "davcol" if kind is Kind.WEBDAV else kind.value.replace("col.", "") + "col", "create")
        return Response(status_code=201, headers={"ETag": created.etag})

    try:
        return await _in_box(ctx, cell_request, box_name, path, "mkcol", work)
    except MkcolRefused as refused:
        return Response(refused.body, status_code=403, media_type=davxml.MULTISTATUS_TYPE)


# --- DELETE ------------------------------------------------------------------------------------------

async def delete(request: Request, ctx: RequestContext, cell_request: CellRequest, box_name: str,
                 path: tuple[str, ...]) -> Response:
    """Delete file (314), collection (310) or, with ``X-Personium-Recursive: true``, the box (295)."""
    recursive_header = request.headers.get("x-personium-recursive")
    if_match = request.headers.get("if-match")
    if not path:
        if (recursive_header or "").lower() != "true":
            raise PersoniumError("PR412-MC-0001", "X-Personium-Recursive")
        return await _delete_box(ctx, cell_request, box_name)

    def work(target: BoxTarget, tx: Transaction) -> Response:
        node = target.node
        recursive = _recursive_flag(recursive_header) if node is not None and node.is_collection else False
        node = target.detachable(DAV_METHODS["DELETE"])
        if node.kind is Kind.SOURCE:
            raise PersoniumError("PR403-DV-0003")
        if node.kind is Kind.FILE:
            if if_match is not None and if_match.strip() != "*" and not etag_matches(if_match, node):
                raise PersoniumError("PR412-DV-0001")
        elif not recursive and any(child.kind is not Kind.SOURCE or tree.has_children(tx, child)
                                   for child in tree.children(tx, node)):
            raise PersoniumError("PR403-DV-0003")
        tree.remove(tx, node)
        target.emit(tx, "davfile" if node.kind is Kind.FILE else "davcol", "delete")
        return Response(status_code=204)

    return await _in_box(ctx, cell_request, box_name, path, "delete", work)


def _recursive_flag(value: str | None) -> bool:
    if value is None or value.lower() == "false":
        return False
    if value.lower() == "true":
        return True
    raise PersoniumError("PR400-DV-0009", "X-Personium-Recursive", value)


async def _delete_box(ctx: RequestContext, cell_request: CellRequest, box_name: str) -> Response:
    def work(target: BoxTarget, tx: Transaction) -> Response:
        target.authorize(BOX_ROOT_DELETE)
        if target.box.is_main:
            raise PersoniumError("PR405-MC-0001")
        boxes.delete_recursive(tx, target.box)
        tx.emit(Event("cellctl.Box.delete", target.box_url, cell_id=target.box.cell_id,
                      extra={"recursive": True}))
        return Response(status_code=204)

    return await _in_box(ctx, cell_request, box_name, (), "delete_box", work)


# --- MOVE --------------------------------------------------------------------------------------------

async def move(request: Request, ctx: RequestContext, cell_request: CellRequest, box_name: str,
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
        if if_match is not None and if_match.strip() != "*" and not etag_matches(if_match, node):
            raise PersoniumError("PR412-DV-0001")
        dest = tree.locate(tx, target.box, destination)
        dest_target = BoxTarget(target.cell_request, dest)
        existing = _check_destination(dest, node, overwrite)
        dest_target.authorize(DAV_MOVE_DESTINATION[0], on_parent=True)
        if existing is not None:
            dest_target.authorize(DAV_MOVE_DESTINATION[1], on_parent=True)
            tree.remove(tx, existing)
            dest = tree.locate(tx, target.box, destination)
        moved = tree.move(tx, node, dest)
        target.emit(tx, "davfile" if node.kind is Kind.FILE else "davcol", "move")
        location = dest_target.url_of(destination)
        return Response(status_code=204 if existing is not None else 201,
                        headers={"Location": location, "ETag": moved.etag})

    return await _in_box(ctx, cell_request, box_name, path, "move", work)


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


def _check_destination(dest: Located, node: Node, overwrite: bool) -> Node | None:
    """Validate the destination (notes and the real server's order); return a file to overwrite."""
    if dest.node is not None:
        existing = dest.node
        if existing.id == node.id:
            raise PersoniumError("PR403-DV-0005", "")
        if not overwrite:
            raise PersoniumError("PR412-DV-0002")
        if existing.kind is Kind.SOURCE:
            raise PersoniumError("PR400-DV-0017")
        if existing.is_collection:
            raise PersoniumError("PR400-DV-0012")
        return existing
    parent = dest.deepest
    tree.check_name(dest.missing[-1])  # stricter than Personium, which stores whatever MOVE names
    if len(dest.missing) > 1:
        if not parent.is_collection:
            raise PersoniumError("PR400-DV-0014")
        raise PersoniumError("PR409-DV-0001", dest.missing[0])
    if parent.kind is Kind.FILE:
        raise PersoniumError("PR400-DV-0014")
    if parent.kind is Kind.ODATA:
        raise PersoniumError("PR400-DV-0013")
    if parent.kind in (Kind.SERVICE, Kind.STREAM):
        raise PersoniumError("PR400-DV-0016")
    if parent.kind is Kind.SOURCE and node.is_collection:
        raise PersoniumError("PR400-DV-0018")
    return None


# --- PROPFIND / PROPPATCH / ACL / OPTIONS ------------------------------------------------------------

async def propfind(request: Request, ctx: RequestContext, cell_request: CellRequest, box_name: str,
                   path: tuple[str, ...]) -> Response:
    """Retrieve properties — apiref 305/307: all properties whatever the body asks; Depth 0 or 1."""
    body = await read_body(request, MAX_XML_BODY)
    depth_header = request.headers.get("depth")

    def work(target: BoxTarget, tx: Transaction) -> Response:
        node = target.existing(DAV_METHODS["PROPFIND"])
        if body.strip():
            _parse_or(body, "PR400-DV-0001")
        depth = _depth(depth_header)
        show_acl = target.may("read-acl")
        responses = [davxml.response(target.url, node_properties(node, _acl(tx, target, target.located.chain)
                                                                 if show_acl else None))]
        if depth == 1 and node.is_collection:
            for child in tree.children(tx, node):
                chain = (*target.located.chain, child)
                acl = _acl(tx, target, chain) if show_acl else None
                responses.append(davxml.response(f"{target.url}/{child.name}", node_properties(child, acl)))
        return Response(davxml.multistatus(responses), status_code=207, media_type=davxml.MULTISTATUS_TYPE,
                        headers={"ETag": node.etag})

    return await _in_box(ctx, cell_request, box_name, path, "propfind", work, write=False)


def _parse_or(body: bytes, code: str) -> etree._Element:
    try:
        return parse_xml(body)
    except PersoniumError:
        raise PersoniumError(code) from None


def _depth(value: str | None) -> int:
    if value == "0" or value == "1":
        return int(value)
    if value is not None and value.lower() == "infinity":
        raise PersoniumError("PR403-DV-0001")
    raise PersoniumError("PR400-DV-0003", "null" if value is None else value)


def _acl(tx: Transaction, target: BoxTarget, chain: tuple[Node, ...]) -> etree._Element:
    """The node's ACL, then its ancestors' marked as inherited (the cell's is not shown)."""
    node, ancestors = chain[-1], chain[:-1]
    names = [n.name for n in chain[1:]]
    inherited = [(ancestor.acl, target.url_of(names[:index]))
                 for index, ancestor in reversed(list(enumerate(ancestors)))]
    role_ids = [ace.role_id for acl in (node.acl, *(a for a, _ in inherited)) for ace in acl.aces if ace.role_id]
    roles = roles_by_id(tx, target.box.cell_id, role_ids)
    home = None if target.box.is_main else target.box.name
    return render_acl(node.acl, f"{target.cell_request.url}__role/{target.box.name}/",
                      {rid: (r.box, r.name) for rid, r in roles.items()}, home_box=home, inherited=inherited)


async def proppatch(request: Request, ctx: RequestContext, cell_request: CellRequest, box_name: str,
                    path: tuple[str, ...]) -> Response:
    """Change properties — apiref 308/313: sets, then removes; a missing property removed is a 404 entry."""
    body = await read_body(request, MAX_XML_BODY)

    def work(target: BoxTarget, tx: Transaction) -> Response:
        node = target.existing(DAV_METHODS["PROPPATCH"])
        _parse_or(body, "PR400-DV-0001")
        changes = parse_propertyupdate(body)
        keyed = [(f"{{{c.namespace}}}{c.name}", c) for c in changes]
        missing = [c for key, c in keyed if c.xml is None and key not in node.props]
        ordered = [(key, c.xml) for key, c in keyed if c.xml is not None] + \
                  [(key, None) for key, c in keyed if c.xml is None]
        updated = tree.set_props(tx, target.box, node, ordered)
        found = [etree.Element(f"{{{c.namespace}}}{c.name}") for c in changes if c not in missing]
        response = davxml.response(target.url, found)
        if missing:
            davxml.add_propstat(response, [etree.Element(f"{{{c.namespace}}}{c.name}") for c in missing],
                          "HTTP/1.1 404 Not Found")
        target.emit(tx, "davfile" if node.kind is Kind.FILE else "davcol", "proppatch")
        return Response(davxml.multistatus([response]), status_code=207, media_type=davxml.MULTISTATUS_TYPE,
                        headers={"ETag": updated.etag})

    return await _in_box(ctx, cell_request, box_name, path, "proppatch", work)


async def acl(request: Request, ctx: RequestContext, cell_request: CellRequest, box_name: str,
              path: tuple[str, ...]) -> Response:
    """Box level access control — apiref/315: replaces the resource's ACL; box privileges only."""
    body = await read_body(request, MAX_XML_BODY)

    def work(target: BoxTarget, tx: Transaction) -> Response:
        target.authorize(DAV_METHODS["ACL"])
        _beyond_webdav(target)
        if target.node is None:  # the body is judged first, the roles it names only once the resource exists
            parse_acl(body, cell_request.url, lambda box, name: "", cell_level=False)
        node = _existing(target)
        resolver = role_resolver(tx, target.box.cell_id, cell_request.url)
        updated = tree.set_acl(tx, target.box, node, parse_acl(body, cell_request.url, resolver, cell_level=False))
        target.emit(tx, "davfile" if node.kind is Kind.FILE else "davcol", "acl")
        return Response(status_code=200, headers={"ETag": updated.etag})

    return await _in_box(ctx, cell_request, box_name, path, "acl", work)


async def options(request: Request, ctx: RequestContext, cell_request: CellRequest, box_name: str,
                  path: tuple[str, ...]) -> Response:
    """With credentials, OPTIONS needs ``read`` (without, the middleware answered already)."""

    def work(target: BoxTarget, tx: Transaction) -> Response:
        target.authorize(DAV_METHODS["OPTIONS"])
        _beyond_webdav(target)
        node = target.node
        allow = ALLOW[node.kind if node is not None else None]
        return Response(headers={"Allow": allow, "Access-Control-Allow-Methods": allow})

    return await _in_box(ctx, cell_request, box_name, path, "options", work, write=False)


Handler = Callable[[Request, RequestContext, CellRequest, str, tuple[str, ...]], Awaitable[Response]]
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
    cell_request = await run_in_threadpool(load_cell_request, ctx, cell_name)
    access = cell_request.caller.access
    token_schema = access.schema.removesuffix("#c")
    schema = ctx.services.urls.canonical(schema_query) if schema_query else token_schema

    def run() -> str:
        with ctx.services.storage.transaction("dav.box_url", write=False) as tx:
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
