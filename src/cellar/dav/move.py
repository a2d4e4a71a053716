"""MOVE — apiref/309. Where it may put a resource (the real server's checks, in its order): never onto a
collection, into an OData or service collection, under a file, or a collection under ``__src``;
onto an existing file only with ``Overwrite: T``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from cellar.auth.access.endpoint_privileges import DAV_METHODS, DAV_MISSING_WRITE, DAV_MOVE_DESTINATION
from cellar.dav import tree
from cellar.dav.target import BoxTarget
from cellar.dav.tree import Kind, Located, Node
from cellar.errors import PersoniumError
from cellar.events import catalog
from cellar.storage.blobs import BlobStore
from cellar.storage.uow import Transaction


@dataclass(frozen=True)
class MoveHeaders:
    """The request headers MOVE (and COPY) read, as sent."""

    destination: str | None
    overwrite: str | None
    depth: str | None
    if_match: str | None


@dataclass(frozen=True)
class Moved:
    created: bool
    location: str
    etag: str


def move(tx: Transaction, blobs: BlobStore, target: BoxTarget, headers: MoveHeaders,
         canonical: Callable[[str], str], max_children: int = tree.MAX_CHILDREN) -> Moved:
    """Move and rename — apiref/309. Overwrite defaults to ``F``; collections are never overwritten;
    the caller needs ``unbind`` at the source's parent, ``bind`` (and ``unbind`` to overwrite) at the
    destination's."""
    if not target.path:
        target.authorize(DAV_MISSING_WRITE)
        raise PersoniumError("PR400-DV-0015")
    node = target.detachable(DAV_METHODS["MOVE"])
    overwrite, destination, _ = parse_transfer(headers, target, canonical)
    if node.kind is Kind.SOURCE:
        raise PersoniumError("PR400-DV-0011")
    if not node.if_match(headers.if_match):
        raise PersoniumError("PR412-DV-0001")
    dest_target, replaced = take_destination(tx, blobs, target, node, destination, overwrite)
    moved = tree.move(tx, node, dest_target.located, max_children=max_children)
    target.emit(tx, node.kind, catalog.MOVE)
    return Moved(not replaced, dest_target.href, moved.etag)


def take_destination(tx: Transaction, blobs: BlobStore, target: BoxTarget, node: Node,
                     destination: tuple[str, ...], overwrite: bool) -> tuple[BoxTarget, bool]:
    """MOVE's and COPY's destination, validated and authorized: ``bind`` at its parent, and ``unbind``
    too when a file there is overwritten (it is removed here). True if one was."""
    dest = tree.locate(tx, target.box, destination)
    existing = check_destination(dest, node, overwrite)
    target.elsewhere(dest).authorize(DAV_MOVE_DESTINATION[0], on_parent=True)
    if existing is None:
        return target.elsewhere(dest), False
    target.elsewhere(dest).authorize(DAV_MOVE_DESTINATION[1], on_parent=True)
    tree.remove(tx, blobs, existing)
    return target.elsewhere(tree.locate(tx, target.box, destination)), True


def parse_transfer(headers: MoveHeaders, target: BoxTarget, canonical: Callable[[str], str],
                   depths: tuple[str, ...] = ("infinity",)) -> tuple[bool, tuple[str, ...], str]:
    """MOVE's and COPY's headers: Overwrite (``F`` unless ``T``), the Destination's path in the box,
    and the Depth (one of ``depths``; infinity when absent)."""
    depth = (headers.depth or "infinity").lower()
    if depth not in depths:
        raise PersoniumError("PR400-DV-0003", headers.depth)
    overwrite = headers.overwrite or "F"
    if overwrite.upper() not in ("T", "F"):
        raise PersoniumError("PR400-DV-0009", "Overwrite", overwrite)
    destination = headers.destination
    if not destination:
        raise PersoniumError("PR400-DV-0010", "Destination")
    if destination == target.url:
        raise PersoniumError("PR403-DV-0005", destination)
    return overwrite.upper() == "T", _destination_path(canonical(destination), destination, target), depth


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


def check_destination(dest: Located, node: Node, overwrite: bool) -> Node | None:
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
