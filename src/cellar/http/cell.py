"""Cell level: the cell root — GET (apiref 200, 296), DELETE (105), ACL (289), PROPFIND (290),
PROPPATCH (291), OPTIONS."""

from __future__ import annotations

from typing import Any

import orjson
from lxml import etree
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from cellar.auth.access.acl import Acl, parse_acl, render_acl
from cellar.auth.access.acl_store import load_acl, role_resolver, save_acl
from cellar.auth.access.authorize import challenge
from cellar.auth.access.cell_request import CellRequest
from cellar.auth.access.endpoint_privileges import CELL_ROOT
from cellar.auth.authn.credentials import require_unit_access
from cellar.auth.authn.roles import roles_by_id
from cellar.auth.context import AccessKind
from cellar.dav import xml as davxml
from cellar.dav.properties import parse_propertyupdate
from cellar.errors import PersoniumError
from cellar.events import catalog
from cellar.events.bus import Event
from cellar.http.context import RequestContext
from cellar.http.ctl import load_cell_request
from cellar.http.negotiation import MAX_XML_BODY, read_body
from cellar.http.unit import unit_metadata
from cellar.storage import tables
from cellar.storage.uow import Transaction
from cellar.unit.cell_properties import all_properties, apply_changes
from cellar.unit.cells import check_owner, delete_recursive, find_cell
from cellar.xml import PERSONIUM, parse

CELL_ROOT_METHODS = "OPTIONS, POST, PROPFIND"


async def cell_root(request: Request, ctx: RequestContext, cell_name: str) -> Response:
    handler = CELL_ROOT_HANDLERS.get(request.method)
    if handler is None:
        raise PersoniumError("PR405-MC-0001")
    return await handler(request, ctx, cell_name)


async def _cell_request(ctx: RequestContext, cell_name: str) -> CellRequest:
    return await run_in_threadpool(load_cell_request, ctx, cell_name)


async def options_cell(request: Request, ctx: RequestContext, cell_name: str) -> Response:
    """With credentials, OPTIONS needs ``social-read`` (notes §8.2); without, middleware answered."""
    (await _cell_request(ctx, cell_name)).authorize(CELL_ROOT["OPTIONS"])
    return Response(headers={"Allow": CELL_ROOT_METHODS, "Access-Control-Allow-Methods": CELL_ROOT_METHODS})


async def get_cell_root(request: Request, ctx: RequestContext, cell_name: str) -> Response:
    """Get Cell Metadata — apiref/296 (JSON or XML); the relay HTML of apiref/200 otherwise."""
    cell = (await _cell_request(ctx, cell_name)).cell
    cell_url = ctx.services.urls.cell_url(cell["name"])
    accept = request.headers.get("accept", "")
    if "application/json" in accept:
        body = {"cell": {"name": cell["name"], "url": cell_url}, "unit": unit_metadata(ctx)}
        return Response(orjson.dumps(body), media_type="application/json")
    if "application/xml" in accept:
        root = etree.Element(f"{{{PERSONIUM}}}cell", nsmap={None: PERSONIUM})
        etree.SubElement(root, f"{{{PERSONIUM}}}uuid").text = cell["id"]
        etree.SubElement(root, f"{{{PERSONIUM}}}ctl").text = f"{cell_url}__ctl/"
        return Response(etree.tostring(root, xml_declaration=True, encoding="utf-8"),
                        media_type="application/xml;charset=utf-8")
    # The relay page comes from the cell property p:relayhtmlurl (fetching it is a later feature).
    raise PersoniumError("PR412-UI-0001", "relayhtmlurl")


async def delete_cell(request: Request, ctx: RequestContext, cell_name: str) -> Response:
    """Cell Recursive Delete — apiref/105. Unit-level access; exact ``X-Personium-Recursive: true``."""
    # The real server (CellResource.cellBulkDeletion) looks at the header before the caller.
    if request.headers.get("x-personium-recursive") != "true":
        raise PersoniumError("PR412-MC-0001", "X-Personium-Recursive")
    caller = (await _cell_request(ctx, cell_name)).caller
    if caller.access.kind in (AccessKind.ACCOUNT, AccessKind.VISITOR, AccessKind.TRANS,
                              AccessKind.PASSWORD_CHANGE):
        raise PersoniumError("PR403-AU-0003")  # a valid token, but not one that acts for a unit user
    require_unit_access(caller.access, ctx.services.urls.cell_url(cell_name))

    def work() -> None:
        with ctx.services.storage.transaction("cell.delete_recursive", cause=ctx.cause(caller)) as tx:
            cell = find_cell(tx, cell_name)
            if cell is None:
                raise PersoniumError("PR404-DV-0003")
            check_owner(caller, cell["owner"])
            delete_recursive(tx, ctx.services.blobs, cell, ctx.services.urls.cell_url(cell_name))

    await run_in_threadpool(work)
    return Response(status_code=204)


async def acl_cell(request: Request, ctx: RequestContext, cell_name: str) -> Response:
    """Cell ACL — apiref/289: replaces the cell's ACL; privilege ``acl``."""
    cell_request = await _cell_request(ctx, cell_name)
    cell_request.authorize(CELL_ROOT["ACL"])
    body = await read_body(request, MAX_XML_BODY)

    def work() -> str:
        with ctx.services.storage.transaction("cell.acl", cause=ctx.cause(cell_request.caller)) as tx:
            acl = parse_acl(body, cell_request.url, role_resolver(tx, cell_request.cell["id"], cell_request.url),
                            cell_level=True)
            etag = save_acl(tx, cell_request.cell["id"], acl)
            _emit(tx, cell_request, catalog.CELL_ACL)
            return etag

    return Response(status_code=200, headers={"ETag": await run_in_threadpool(work)})


async def propfind_cell(request: Request, ctx: RequestContext, cell_name: str) -> Response:
    """Cell PROPFIND — apiref/290: privilege ``propfind``; the ACL is shown with ``acl-read``."""
    cell_request = await _cell_request(ctx, cell_name)
    depth = davxml.depth(request.headers.get("depth"), missing=0)
    cell_request.authorize(CELL_ROOT["PROPFIND"])
    davxml.propfind_wants_allprop(await read_body(request, MAX_XML_BODY))
    show_acl = cell_request.may("acl-read")

    def work() -> bytes:
        with ctx.services.storage.transaction("cell.propfind", write=False) as tx:
            return davxml.multistatus(_cell_responses(tx, cell_request, depth, show_acl))

    return Response(await run_in_threadpool(work), status_code=207, media_type=davxml.MULTISTATUS_TYPE)


def _cell_responses(tx: Transaction, cell_request: CellRequest, depth: int, show_acl: bool) -> list[Any]:
    cell = cell_request.cell
    props = [davxml.text_element(f"{{{davxml.DAV}}}creationdate", davxml.creation_date(cell["published"])),
             davxml.text_element(f"{{{davxml.DAV}}}getlastmodified", davxml.last_modified(cell["updated"])),
             davxml.collection_type(),
             davxml.text_element(f"{{{PERSONIUM}}}cellstatus", cell["status"])]
    if show_acl:
        props.append(_acl_element(tx, cell["id"], cell_request.url, load_acl(tx, cell["id"])))
    props += [parse(xml.encode()) for xml in all_properties(tx, cell["id"])]
    responses = [davxml.response(cell_request.url, props)]
    if depth == 1:
        b = tables.boxes
        for box in tx.conn.execute(select(b).where(b.c.cell_id == cell["id"]).order_by(b.c.name)).mappings():
            responses.append(davxml.response(f"{cell_request.url}{box['name']}/", [
                davxml.text_element(f"{{{davxml.DAV}}}creationdate", davxml.creation_date(box["published"])),
                davxml.text_element(f"{{{davxml.DAV}}}getlastmodified", davxml.last_modified(box["updated"])),
                davxml.collection_type()]))
    return responses


def _acl_element(tx: Transaction, cell_id: str, cell_url: str, acl: Acl) -> Any:
    roles = roles_by_id(tx, cell_id, [ace.role_id for ace in acl.aces if ace.role_id])
    return render_acl(acl, f"{cell_url}__role/__/", {rid: (r.box, r.name) for rid, r in roles.items()})


async def proppatch_cell(request: Request, ctx: RequestContext, cell_name: str) -> Response:
    """Cell PROPPATCH — apiref/291: only unit user tokens (master, admin, the owning unit user)."""
    cell_request = await _cell_request(ctx, cell_name)
    _require_unit_user_of(cell_request)
    changes = parse_propertyupdate(await read_body(request, MAX_XML_BODY))

    def work() -> bytes:
        with ctx.services.storage.transaction("cell.proppatch", cause=ctx.cause(cell_request.caller)) as tx:
            apply_changes(tx, cell_request.cell["id"], changes)
            _emit(tx, cell_request, catalog.CELL_PROPPATCH)
        shown = [parse(c.xml.encode()) if c.xml else etree.Element(f"{{{c.namespace}}}{c.name}") for c in changes]
        return davxml.multistatus([davxml.response(cell_request.url, shown)])

    return Response(await run_in_threadpool(work), status_code=207, media_type=davxml.MULTISTATUS_TYPE)


def _emit(tx: Transaction, cell_request: CellRequest, event_type: str) -> None:
    tx.emit(Event(event_type, cell_request.url, cell_id=cell_request.cell["id"]))


def _require_unit_user_of(cell_request: CellRequest) -> None:
    access = cell_request.caller.access
    if access.kind is AccessKind.UNIT_MASTER or access.kind is AccessKind.UNIT_ADMIN:
        return
    if access.is_unit_level and access.subject and access.subject == cell_request.cell["owner"]:
        return
    if access.kind is AccessKind.ANONYMOUS:
        raise PersoniumError("PR401-AU-0001", headers=challenge(cell_request.url))
    if access.kind is AccessKind.INVALID:
        raise PersoniumError(access.error_code or "PR401-AU-0006", headers=challenge(cell_request.url))
    raise PersoniumError("PR403-AU-0001")


async def cell_path(request: Request, ctx: RequestContext, cell_name: str, segments: list[str]) -> Response:
    """Reserved ``__`` endpoints that are not served yet (messages, events, rules, logs, …)."""
    await _cell_request(ctx, cell_name)
    raise PersoniumError("PR501-MC-0002", segments[0])


CELL_ROOT_HANDLERS = {
    "GET": get_cell_root, "HEAD": get_cell_root, "DELETE": delete_cell, "OPTIONS": options_cell,
    "ACL": acl_cell, "PROPFIND": propfind_cell, "PROPPATCH": proppatch_cell,
}
