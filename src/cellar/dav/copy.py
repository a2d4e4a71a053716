"""COPY of box resources (RFC 4918 §9.8; Personium has no COPY): files and plain collections, inside
one box, with MOVE's Destination and Overwrite rules (apiref/309). The copy is a new resource with its
own ETag and the source's body and dead properties, not its ACL; Depth ``0`` copies a collection
without its members. One transaction; the event is the creation of the copy."""

from __future__ import annotations

from collections.abc import Callable

from cellar.auth.access.endpoint_privileges import DAV_METHODS
from cellar.dav import tree
from cellar.dav.move import Moved, MoveHeaders, parse_transfer, take_destination
from cellar.dav.regions import SPECIAL
from cellar.dav.target import BoxTarget
from cellar.dav.tree import Kind, Node
from cellar.errors import PersoniumError
from cellar.events import catalog
from cellar.storage.blobs import BlobStore
from cellar.storage.uow import Transaction


def copy(tx: Transaction, blobs: BlobStore, target: BoxTarget, headers: MoveHeaders,
         canonical: Callable[[str], str], max_children: int = tree.MAX_CHILDREN) -> Moved:
    """``read`` on the source; ``bind`` at the destination's parent (and ``unbind`` to overwrite)."""
    node = target.existing(DAV_METHODS["COPY"])
    overwrite, destination, depth = parse_transfer(headers, target, canonical, depths=("0", "infinity"))
    if node.kind is Kind.BOX:
        raise PersoniumError("PR400-DV-0015")
    if node.kind is Kind.SOURCE:
        raise PersoniumError("PR400-DV-0011")
    members = list(tree.subtree(tx, node)) if node.is_collection and depth == "infinity" else []
    _refuse_special(node, members)
    if not node.if_match(headers.if_match):
        raise PersoniumError("PR412-DV-0001")
    dest_target, replaced = take_destination(tx, blobs, target, node, destination, overwrite)
    copied = tree.copy(tx, blobs, node, members, dest_target.located, max_children=max_children)
    dest_target.emit(tx, node.kind, catalog.CREATE if node.kind is Kind.FILE else catalog.MKCOL)
    return Moved(not replaced, dest_target.href, copied.etag)


def _refuse_special(node: Node, members: list[Node]) -> None:
    """OData, service and stream collections hold more than WebDAV resources (entities, scripts,
    messages): copying them is not offered, nor copying a collection that holds one."""
    special = sorted(kind.value for kind in {node.kind, *(member.kind for member in members)} & SPECIAL)
    if special:
        raise PersoniumError("PR501-MC-0002", f"COPY of {special[0]}")
