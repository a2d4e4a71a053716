"""Properties and access control of box resources — apiref 305/307 (PROPFIND), 308/313 (PROPPATCH),
315 (ACL), and OPTIONS.
"""

from __future__ import annotations

from lxml import etree
from starlette.requests import Request
from starlette.responses import Response

from cellar.auth.access.acl import parse_acl
from cellar.auth.access.acl_store import role_resolver
from cellar.auth.access.endpoint_privileges import DAV_METHODS
from cellar.auth.authn.roles import roles_by_id
from cellar.dav import tree
from cellar.dav import xml as davxml
from cellar.dav.properties import parse_propertyupdate
from cellar.dav.propfind import AclRenderer, Listing, acl_renderer, listed_acls
from cellar.dav.tree import Kind, Node
from cellar.events import catalog
from cellar.http.box_target import MAX_XML_BODY, BoxTarget, CellSource, in_box
from cellar.http.context import RequestContext
from cellar.http.negotiation import read_body
from cellar.storage.uow import Transaction
from cellar.xml import parse_body

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


async def propfind(request: Request, ctx: RequestContext, cell: CellSource, box_name: str,
                   path: tuple[str, ...]) -> Response:
    """Retrieve properties — apiref 305/307: all properties whatever the body asks; Depth 0 or 1."""
    body = await read_body(request, MAX_XML_BODY)
    depth_header = request.headers.get("depth")

    def work(target: BoxTarget, tx: Transaction) -> Response:
        node = target.existing(DAV_METHODS["PROPFIND"])
        if body.strip():
            parse_body(body, "PR400-DV-0001")
        depth = davxml.depth(depth_header, missing=None)
        chain = target.located.chain
        children = tree.child_versions(tx, node) if depth == 1 and node.is_collection else []
        renderer = _acl_renderer(tx, target, chain, children) if target.may("read-acl") else None
        listing = Listing(target.url, chain, renderer)
        listing.add_self()
        listing.add_children(children, lambda ids: tree.nodes_by_id(tx, ids))
        return Response(listing.document(), status_code=207, media_type=davxml.MULTISTATUS_TYPE,
                        headers={"ETag": node.etag})

    return await in_box(ctx, cell, box_name, path, "propfind", work, write=False)


def _acl_renderer(tx: Transaction, target: BoxTarget, chain: tuple[Node, ...],
                  children: list[tree.Version]) -> AclRenderer:
    """The roles of every ACL listed are looked up in one query."""
    role_ids = {ace.role_id for acl in listed_acls(chain, children) for ace in acl.aces if ace.role_id}
    roles = {rid: (r.box, r.name) for rid, r in roles_by_id(tx, target.box.cell_id, role_ids).items()}
    return acl_renderer(target.cell_request.url, target.box, target.url_of, roles)


async def proppatch(request: Request, ctx: RequestContext, cell: CellSource, box_name: str,
                    path: tuple[str, ...]) -> Response:
    """Change properties — apiref 308/313: sets, then removes; a missing property removed is a 404 entry."""
    body = await read_body(request, MAX_XML_BODY)

    def work(target: BoxTarget, tx: Transaction) -> Response:
        node = target.existing(DAV_METHODS["PROPPATCH"])
        changes = parse_propertyupdate(body, unreadable="PR400-DV-0001")
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
        target.emit(tx, node.kind, catalog.PROPPATCH)
        return Response(davxml.multistatus([response]), status_code=207, media_type=davxml.MULTISTATUS_TYPE,
                        headers={"ETag": updated.etag})

    return await in_box(ctx, cell, box_name, path, "proppatch", work)


async def acl(request: Request, ctx: RequestContext, cell: CellSource, box_name: str,
              path: tuple[str, ...]) -> Response:
    """Box level access control — apiref/315: replaces the resource's ACL; box privileges only."""
    body = await read_body(request, MAX_XML_BODY)

    def work(target: BoxTarget, tx: Transaction) -> Response:
        target.authorize(DAV_METHODS["ACL"])
        if target.node is None:  # the body is judged first, the roles it names only once the resource exists
            parse_acl(body, target.cell_request.url, lambda box, name: "", cell_level=False)
        node = target.found()
        cell_url = target.cell_request.url
        resolver = role_resolver(tx, target.box.cell_id, cell_url)
        updated = tree.set_acl(tx, target.box, node, parse_acl(body, cell_url, resolver, cell_level=False))
        target.emit(tx, node.kind, catalog.ACL)
        return Response(status_code=200, headers={"ETag": updated.etag})

    return await in_box(ctx, cell, box_name, path, "acl", work)


async def options(request: Request, ctx: RequestContext, cell: CellSource, box_name: str,
                  path: tuple[str, ...]) -> Response:
    """With credentials, OPTIONS needs ``read`` (without, the middleware answered already)."""

    def work(target: BoxTarget, tx: Transaction) -> Response:
        target.authorize(DAV_METHODS["OPTIONS"])
        node = target.node
        allow = ALLOW[node.kind if node is not None else None]
        return Response(headers={"Allow": allow, "Access-Control-Allow-Methods": allow})

    return await in_box(ctx, cell, box_name, path, "options", work, write=False)
