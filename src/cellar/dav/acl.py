"""Box level access control — apiref/315: ACL replaces a box resource's ACL, box privileges only."""

from __future__ import annotations

from cellar.auth.access.acl import parse_acl
from cellar.auth.access.acl_store import role_resolver
from cellar.auth.access.endpoint_privileges import DAV_METHODS
from cellar.dav import tree
from cellar.dav.target import BoxTarget
from cellar.dav.tree import Node
from cellar.events import catalog
from cellar.storage.uow import Transaction


def set_acl(tx: Transaction, target: BoxTarget, body: bytes) -> Node:
    """The body is judged first; the roles it names only once the resource exists."""
    target.authorize(DAV_METHODS["ACL"])
    cell_url = target.cell_request.url
    if target.node is None:
        parse_acl(body, cell_url, lambda box, name: "", cell_level=False)
    node = target.found()
    resolver = role_resolver(tx, target.box.cell_id, cell_url)
    updated = tree.set_acl(tx, target.box, node, parse_acl(body, cell_url, resolver, cell_level=False))
    target.emit(tx, node.kind, catalog.ACL)
    return updated
