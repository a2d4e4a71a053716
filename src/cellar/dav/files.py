"""File bodies — apiref 311 (GET file) and 312 (PUT file): which bytes a read answers, and the rules
a write follows, whether its body arrived whole or was staged as it arrived."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from cellar.auth.access.endpoint_privileges import DAV_METHODS, DAV_PUT_EXISTING
from cellar.dav import tree
from cellar.dav.propfind import DEFAULT_CONTENT_TYPE
from cellar.dav.ranges import byte_range
from cellar.dav.target import BoxTarget
from cellar.dav.tree import Kind, Node
from cellar.errors import PersoniumError
from cellar.events import catalog
from cellar.storage.blobs import BlobStore, Upload
from cellar.storage.uow import Transaction


@dataclass(frozen=True)
class FileRead:
    """What a GET or HEAD of a file answers; ``pieces`` is None when no body goes with it."""

    status: int
    headers: dict[str, str]
    pieces: Iterator[bytes] | None
    length: int


def read(tx: Transaction, blobs: BlobStore, node: Node, if_none_match: str | None, range_header: str | None,
         *, body: bool) -> FileRead:
    """The stored type exactly as written; one byte range at most; HEAD reads no chunk."""
    headers = {"ETag": node.etag, "Accept-Ranges": "bytes"}
    if if_none_match is not None and node.etag_matches(if_none_match):
        return FileRead(304, headers, None, 0)
    headers["Content-Type"] = node.content_type or DEFAULT_CONTENT_TYPE
    size = node.content_length or 0
    span = byte_range(range_header, size)
    status, start, length = 200, 0, size
    if span is not None:
        status, start, length = 206, span[0], span[1] - span[0] + 1
        headers["Content-Range"] = f"bytes {start}-{span[1]}/{size}"
    headers["Content-Length"] = str(length)
    pieces = tree.read_file(tx, blobs, node, start, length) if body else None
    return FileRead(status, headers, pieces, length)


def writable(target: BoxTarget) -> str:
    """The cell a body written here will belong to, once the caller may write it: a new file needs
    ``bind`` on a parent that exists, an existing one ``write-content``; a collection is no file."""
    node = target.node
    if node is not None and node.is_collection:
        raise PersoniumError("PR405-MC-0001")
    if node is None:
        target.authorize(DAV_METHODS["PUT"], on_parent=True)
        tree.check_name(target.located.missing[-1])
        target.creatable()
    else:
        target.authorize(DAV_PUT_EXISTING)
    return target.box.cell_id


def write(tx: Transaction, blobs: BlobStore, target: BoxTarget, content_type: str | None, body: bytes | Upload,
          if_match: str | None, limit: int, max_children: int = tree.MAX_CHILDREN) -> tuple[Node, bool]:
    """Create (True) or replace the file, with its event; a staged body is linked, a whole one stored."""
    writable(target)
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
                                       staged=not isinstance(body, bytes), max_children=max_children)
    target.emit(tx, Kind.FILE, catalog.CREATE if created else catalog.UPDATE)
    return written, created
