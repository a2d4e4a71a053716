"""OPTIONS on box resources: the methods each kind of resource answers."""

from __future__ import annotations

from cellar.auth.access.endpoint_privileges import DAV_METHODS
from cellar.dav.target import BoxTarget
from cellar.dav.tree import Kind

#: RFC 4918 §18: the WebDAV compliance classes announced (class 1: no locks).
DAV_CLASSES = "1"

ALLOW = {
    Kind.BOX: "OPTIONS, GET, PUT, DELETE, MKCOL, PROPFIND, PROPPATCH, ACL",
    Kind.WEBDAV: "OPTIONS, GET, PUT, DELETE, MKCOL, MOVE, COPY, PROPFIND, PROPPATCH, ACL",
    Kind.FILE: "OPTIONS, GET, PUT, DELETE, MOVE, COPY, PROPFIND, PROPPATCH, ACL",
    Kind.ODATA: "OPTIONS, GET, DELETE, MOVE, PROPFIND, PROPPATCH, ACL",
    Kind.SERVICE: "OPTIONS, DELETE, MOVE, PROPFIND, PROPPATCH, ACL",
    Kind.SOURCE: "OPTIONS, GET, PUT, DELETE, MKCOL, MOVE, PROPFIND, PROPPATCH, ACL",
    Kind.STREAM: "OPTIONS, DELETE, MOVE, PROPFIND, PROPPATCH, ACL",
    None: "OPTIONS, GET, PUT, DELETE, MKCOL, PROPFIND, PROPPATCH, ACL",
}


def allow(target: BoxTarget) -> str:
    """With credentials, OPTIONS needs ``read`` (without, the middleware answered already)."""
    target.authorize(DAV_METHODS["OPTIONS"])
    node = target.node
    return ALLOW[node.kind if node is not None else None]
