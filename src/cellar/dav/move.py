"""Where MOVE may put a resource (apiref/309; the real server's checks, in its order): never onto a
collection, into an OData or service collection, under a file, or a collection under ``__src``;
onto an existing file only with ``Overwrite: T``."""

from __future__ import annotations

from cellar.dav import tree
from cellar.dav.tree import Kind, Located, Node
from cellar.errors import PersoniumError


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
