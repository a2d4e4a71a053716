"""Deleting box resources — apiref 314 (file), 310 (collection), 295 (the box, recursively)."""

from __future__ import annotations

from cellar.auth.access.endpoint_privileges import BOX_ROOT_DELETE, DAV_METHODS
from cellar.dav import tree
from cellar.dav.target import BoxTarget
from cellar.dav.tree import Kind
from cellar.errors import PersoniumError
from cellar.events import catalog
from cellar.storage.blobs import BlobStore
from cellar.storage.uow import Transaction
from cellar.userdata.versions import has_schema


def delete(tx: Transaction, blobs: BlobStore, target: BoxTarget, recursive: str | None,
           if_match: str | None) -> None:
    """A resource below the box root. A collection must be empty (its ``__src`` aside) unless
    ``X-Personium-Recursive: true``; a service's ``__src`` goes only with its service; a file only
    if ``If-Match`` allows."""
    node = target.node
    deep = _recursive_flag(recursive) if node is not None and node.is_collection else False
    node = target.detachable(DAV_METHODS["DELETE"])
    if node.kind is Kind.SOURCE:
        raise PersoniumError("PR403-DV-0003")
    if node.kind is Kind.FILE:
        if not node.if_match(if_match):
            raise PersoniumError("PR412-DV-0001")
    elif not deep and (any(child.kind is not Kind.SOURCE or tree.has_children(tx, child)
                               for child in tree.children(tx, node))
                           or (node.kind is Kind.ODATA and has_schema(tx, node.id))):
        raise PersoniumError("PR403-DV-0003")  # an OData collection with a schema is not empty
    tree.remove(tx, blobs, node)
    target.emit(tx, node.kind, catalog.DELETE)


def _recursive_flag(value: str | None) -> bool:
    if value is None or value.lower() == "false":
        return False
    if value.lower() == "true":
        return True
    raise PersoniumError("PR400-DV-0009", "X-Personium-Recursive", value)


def check_box_deletable(target: BoxTarget, recursive: str | None) -> None:
    """apiref/295: only with ``X-Personium-Recursive: true``, never the main box. What goes with the
    box (its roles and relations) is the cell's business (``ctl.boxes.delete_recursive``)."""
    if (recursive or "").lower() != "true":
        raise PersoniumError("PR412-MC-0001", "X-Personium-Recursive")
    target.authorize(BOX_ROOT_DELETE)
    if target.box.is_main:
        raise PersoniumError("PR405-MC-0001")
