"""The HTTP binding of the generic OData engine: one handler for every entity set of a service root.

Paths under a root: ``''`` (service document), ``$metadata``, ``{Set}``, ``{Set}({key})``,
``{Set}({key})/{_Nav}`` and ``{Set}({key})/$links/{_Nav}[({key})]``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from cellar.auth.context import Caller
from cellar.errors import PersoniumError
from cellar.events.bus import NO_CAUSE, Cause
from cellar.http.negotiation import odata_format, query_params, read_body
from cellar.odata import atom, serialize
from cellar.odata.body import parse_json_object
from cellar.odata.keys import resolve_key, split_segment
from cellar.odata.metadata import edmx_document, service_document
from cellar.odata.model import EntityModel, EntityType, NavigationProperty
from cellar.odata.query.options import QueryOptions, parse_query_options
from cellar.odata.service import EntityHooks, EntitySetService, ListResult, ServiceRoot
from cellar.odata.store import Entity, now_ms
from cellar.storage import Storage, Transaction

ODATA_HEADERS = {"DataServiceVersion": "2.0"}
SET_METHODS = "OPTIONS, GET, POST"
ENTITY_METHODS = "OPTIONS, GET, PUT, MERGE, DELETE"
LINKS_METHODS = "OPTIONS, GET, DELETE, PUT, POST"
#: Related entities inlined by $expand per navigation property (notes §7.2: list 100, single 1000).
EXPAND_LIMIT_LIST = 100
EXPAND_LIMIT_SINGLE = 1000

#: Raises unless the caller may do ``kind`` ("read", "write", "options-links"; "options-root" with no
#: entity type) on the entity type.
Authorizer = Callable[[EntityType | None, str], None]


@dataclass(frozen=True)
class ODataRoot:
    model: EntityModel
    url: str
    storage: Storage
    caller: Caller
    authorize: Authorizer
    #: The scope columns, looked up inside the request's transaction (e.g. the cell's id).
    scope: Callable[[Transaction], Mapping[str, Any]]
    hooks: Mapping[str, EntityHooks]
    event_prefix: str | None = None
    on_write: Callable[[Transaction], None] | None = None
    #: The request behind the transactions this root serves, for their events.
    cause: Cause = NO_CAUSE

    def entity_type(self, name: str) -> EntityType:
        etype = self.model.find(name)
        if etype is None:
            raise PersoniumError("PR404-OD-0001")
        return etype

    def service(self, tx: Transaction, etype: EntityType) -> EntitySetService:
        tx.cause = self.cause
        root = ServiceRoot(self.model, self.scope(tx), self.url, self.hooks, self.event_prefix, self.on_write)
        return root.service(etype)


@dataclass(frozen=True)
class Target:
    """What the path names below the root."""

    etype: EntityType
    key: dict[str, Any] | None = None
    nav: NavigationProperty | None = None
    links: bool = False
    nav_key: dict[str, Any] | None = None


async def serve_odata(request: Request, root: ODataRoot, segments: list[str]) -> Response:
    segments = _rejoin_keys(segments)
    if not segments or segments == [""]:
        return _service_document(request, root)
    if segments == ["$metadata"]:
        if request.method == "OPTIONS":
            return _allow("OPTIONS, GET")
        _only(request, "GET", "HEAD")
        return Response(edmx_document(root.model.namespace, root.model.types),
                        media_type="application/xml;charset=utf-8", headers=ODATA_HEADERS)
    target = _parse_target(root, segments)
    if target.key is None:
        return await _entity_set(request, root, target.etype)
    if target.nav is None:
        return await _entity(request, root, target)
    if target.links:
        return await _links(request, root, target)
    return await _navigation(request, root, target)


def _rejoin_keys(segments: list[str]) -> list[str]:
    """A key written with raw slashes (``ExtCell('https://c/')``) was split: put it back together."""
    out: list[str] = []
    for segment in segments:
        if out and out[-1].count("'") % 2 == 1:
            out[-1] += "/" + segment
        else:
            out.append(segment)
    return out


def _parse_target(root: ODataRoot, segments: list[str]) -> Target:
    set_name, predicate = split_segment(segments[0])
    etype = root.entity_type(set_name)
    if len(segments) == 1 or (len(segments) == 2 and segments[1] == "" and predicate is None):
        return Target(etype, None if predicate is None else resolve_key(etype, predicate))
    if predicate is None:
        raise PersoniumError("PR404-MC-0001")
    key = resolve_key(etype, predicate)
    rest = segments[1:]
    links = rest[0] == "$links"
    if links:
        rest = rest[1:]
        if len(rest) != 1:
            raise PersoniumError("PR400-OD-0008")
    if len(rest) != 1:
        raise PersoniumError("PR404-MC-0001")
    nav_name, nav_predicate = split_segment(rest[0])
    nav = etype.navigation_property(nav_name)
    if nav is None:
        raise PersoniumError("PR400-OD-0008" if links else "PR404-OD-0003")
    if nav_predicate is not None and not links:
        raise PersoniumError("PR400-OD-0010")
    nav_key = None
    if nav_predicate is not None:
        try:
            nav_key = resolve_key(root.model.type(nav.target), nav_predicate)
        except PersoniumError:
            raise PersoniumError("PR400-OD-0028") from None
    return Target(etype, key, nav, links, nav_key)


def _only(request: Request, *methods: str) -> None:
    if request.method not in methods:
        raise PersoniumError("PR405-MC-0001")


def _service_document(request: Request, root: ODataRoot) -> Response:
    if request.method == "OPTIONS":
        root.authorize(None, "options-root")
        return _allow("OPTIONS, GET")
    _only(request, "GET", "HEAD")
    names = [t.name for t in root.model.types]
    if odata_format(request, query_params(request).get("$format")) == "json":
        return _json({"d": {"EntitySets": names}})
    return Response(service_document(root.url, names), media_type="application/atomsvc+xml;charset=utf-8",
                    headers=ODATA_HEADERS)


# --- request shapes ---------------------------------------------------------------------------------

async def _entity_set(request: Request, root: ODataRoot, etype: EntityType) -> Response:
    method = request.method
    if method in ("GET", "HEAD"):
        options = parse_query_options(query_params(request), single=False)
        fmt = odata_format(request, options.format)
        root.authorize(etype, "read")
        return await run_in_threadpool(_list, root, etype, options, fmt)
    if method == "POST":
        body = parse_json_object(await read_body(request))
        root.authorize(etype, "write")
        return await run_in_threadpool(_create, root, etype, body)
    if method == "OPTIONS":
        root.authorize(etype, "read")
        return _allow(SET_METHODS)
    raise PersoniumError("PR405-MC-0001")


async def _entity(request: Request, root: ODataRoot, target: Target) -> Response:
    method, etype, key = request.method, target.etype, target.key
    assert key is not None
    if method in ("GET", "HEAD"):
        options = parse_query_options(query_params(request), single=True)
        fmt = odata_format(request, options.format)
        root.authorize(etype, "read")
        return await run_in_threadpool(_get, root, etype, key, options, fmt, request.headers.get("if-none-match"))
    if method in ("PUT", "MERGE"):
        body = parse_json_object(await read_body(request))
        root.authorize(etype, "write")
        return await run_in_threadpool(_update, root, etype, key, body, method, request.headers.get("if-match"))
    if method == "DELETE":
        root.authorize(etype, "write")
        return await run_in_threadpool(_delete, root, etype, key, request.headers.get("if-match"))
    if method == "OPTIONS":
        root.authorize(etype, "read")
        return _allow(ENTITY_METHODS)
    raise PersoniumError("PR405-MC-0001")


async def _navigation(request: Request, root: ODataRoot, target: Target) -> Response:
    assert target.nav is not None
    other = root.model.type(target.nav.target)
    if request.method in ("GET", "HEAD"):
        options = parse_query_options(query_params(request), single=False)
        fmt = odata_format(request, options.format)
        _authorize_both(root, target.etype, other, "read")
        return await run_in_threadpool(_list_related, root, target, options, fmt)
    if request.method == "POST":
        body = parse_json_object(await read_body(request))
        _authorize_both(root, target.etype, other, "write")
        return await run_in_threadpool(_create_related, root, target, body)
    if request.method == "OPTIONS":
        _authorize_both(root, target.etype, other, "read")
        return _allow(SET_METHODS)
    raise PersoniumError("PR405-MC-0001")


async def _links(request: Request, root: ODataRoot, target: Target) -> Response:
    assert target.nav is not None
    other = root.model.type(target.nav.target)
    method = request.method
    if method in ("GET", "HEAD"):
        if target.nav_key is not None:
            raise PersoniumError("PR400-OD-0010")
        options = parse_query_options(query_params(request), single=False)
        _authorize_both(root, target.etype, other, "read")
        return await run_in_threadpool(_list_links, root, target, options)
    if method == "POST":
        if target.nav_key is not None:
            raise PersoniumError("PR400-OD-0010")
        body = parse_json_object(await read_body(request))
        _authorize_both(root, target.etype, other, "write")
        return await run_in_threadpool(_add_link, root, target, body)
    if method == "DELETE":
        if target.nav_key is None:
            raise PersoniumError("PR400-OD-0011")
        _authorize_both(root, target.etype, other, "write")
        return await run_in_threadpool(_remove_link, root, target)
    if method == "PUT":
        raise PersoniumError("PR400-OD-0011" if target.nav_key is None else "PR501-MC-0001")
    if method == "OPTIONS":
        root.authorize(target.etype, "options-links")
        return _allow(LINKS_METHODS)
    raise PersoniumError("PR405-MC-0001")


def _authorize_both(root: ODataRoot, a: EntityType, b: EntityType, privilege: str) -> None:
    """``$links`` and navigation between A and B need the privilege on both (notes §4.4)."""
    root.authorize(a, privilege)
    root.authorize(b, privilege)


# --- the work, run in a worker thread inside one transaction ----------------------------------------

def _list(root: ODataRoot, etype: EntityType, options: QueryOptions, fmt: str) -> Response:
    with root.storage.transaction(f"odata.list.{etype.name}", write=False) as tx:
        service = root.service(tx, etype)
        result = service.list(tx, root.caller, options)
        expanded = _expand(tx, root, service, result.entities, options, EXPAND_LIMIT_LIST)
    return _render_list(root, service, etype.name, result, options, fmt, expanded)


def _get(root: ODataRoot, etype: EntityType, key: dict[str, Any], options: QueryOptions, fmt: str,
         if_none_match: str | None) -> Response:
    with root.storage.transaction(f"odata.get.{etype.name}", write=False) as tx:
        service = root.service(tx, etype)
        entity = service.get(tx, root.caller, key)
        expanded = _expand(tx, root, service, [entity], options, EXPAND_LIMIT_SINGLE)
    headers = {**ODATA_HEADERS, "ETag": entity.etag}
    if if_none_match is not None and entity.etag in [v.strip() for v in if_none_match.split(",")]:
        return Response(status_code=304, headers=headers)
    uri = service.uri(entity)
    if fmt == "atom":
        document = atom.entry_document(entity, uri, root.url, options.select)
        return Response(document, media_type="application/atom+xml;type=entry;charset=utf-8", headers=headers)
    body = _entity_json(service, entity, options.select, expanded.get(entity.id))
    return _json(serialize.single(body), headers=headers)


def _create(root: ODataRoot, etype: EntityType, body: dict[str, Any]) -> Response:
    with root.storage.transaction(f"odata.create.{etype.name}") as tx:
        service = root.service(tx, etype)
        entity = service.create(tx, root.caller, body)
    return _created(service, entity)


def _update(root: ODataRoot, etype: EntityType, key: dict[str, Any], body: dict[str, Any], method: str,
            if_match: str | None) -> Response:
    with root.storage.transaction(f"odata.{method.lower()}.{etype.name}") as tx:
        service = root.service(tx, etype)
        operation = service.replace if method == "PUT" else service.merge
        entity = operation(tx, root.caller, key, body, if_match)
    return Response(status_code=204, headers={**ODATA_HEADERS, "ETag": entity.etag})


def _delete(root: ODataRoot, etype: EntityType, key: dict[str, Any], if_match: str | None) -> Response:
    with root.storage.transaction(f"odata.delete.{etype.name}") as tx:
        root.service(tx, etype).delete(tx, root.caller, key, if_match)
    return Response(status_code=204, headers=ODATA_HEADERS)


def _source(tx: Transaction, root: ODataRoot, target: Target, missing: str) -> tuple[EntitySetService, Entity]:
    service = root.service(tx, target.etype)
    assert target.key is not None
    try:
        return service, service.get(tx, root.caller, target.key)
    except PersoniumError as exc:
        if exc.code == "PR404-OD-0002":
            raise PersoniumError(missing) from None
        raise


def _list_related(root: ODataRoot, target: Target, options: QueryOptions, fmt: str) -> Response:
    assert target.nav is not None
    with root.storage.transaction(f"odata.nav.{target.etype.name}", write=False) as tx:
        service, source = _source(tx, root, target, "PR404-OD-0002")
        related, result = service.list_related(tx, root.caller, source, target.nav, options)
        expanded = _expand(tx, root, related, result.entities, options, EXPAND_LIMIT_LIST)
    return _render_list(root, related, related.etype.name, result, options, fmt, expanded)


def _create_related(root: ODataRoot, target: Target, body: dict[str, Any]) -> Response:
    assert target.nav is not None
    with root.storage.transaction(f"odata.nav.create.{target.etype.name}") as tx:
        service, source = _source(tx, root, target, "PR404-OD-0002")
        related, entity = service.create_related(tx, root.caller, source, target.nav, body)
    return _created(related, entity)


def _list_links(root: ODataRoot, target: Target, options: QueryOptions) -> Response:
    assert target.nav is not None
    with root.storage.transaction(f"odata.links.{target.etype.name}", write=False) as tx:
        service, source = _source(tx, root, target, "PR404-OD-0000")
        plain = QueryOptions(top=options.top, skip=options.skip, inlinecount=options.inlinecount)
        related, result = service.list_related(tx, root.caller, source, target.nav, plain)
    body: dict[str, Any] = {"results": [{"uri": related.uri(e)} for e in result.entities]}
    if result.count is not None:
        body["__count"] = str(result.count)
    return _json({"d": body})


def _add_link(root: ODataRoot, target: Target, body: dict[str, Any]) -> Response:
    assert target.nav is not None
    with root.storage.transaction(f"odata.links.create.{target.etype.name}") as tx:
        service, source = _source(tx, root, target, "PR404-OD-0000")
        other = _entity_from_uri(tx, root, service, source, target.nav, body.get("uri"))
        service.add_link(tx, source, target.nav, other)
    return Response(status_code=204, headers=ODATA_HEADERS)


def _remove_link(root: ODataRoot, target: Target) -> Response:
    assert target.nav is not None and target.nav_key is not None
    with root.storage.transaction(f"odata.links.delete.{target.etype.name}") as tx:
        service, source = _source(tx, root, target, "PR404-OD-0000")
        other = service.find_related(tx, source, target.nav, target.nav_key)
        if other is None:
            raise PersoniumError("PR404-OD-0000")
        service.remove_link(tx, source, target.nav, other)
    return Response(status_code=204, headers=ODATA_HEADERS)


def _entity_from_uri(tx: Transaction, root: ODataRoot, service: EntitySetService, source: Entity,
                     nav: NavigationProperty, uri: Any) -> Entity:
    """The ``{"uri": …}`` of a $links POST: an absolute or root-relative URL of an entity of the nav's type."""
    if not isinstance(uri, str) or not uri:
        raise PersoniumError("PR400-OD-0006", "uri")
    relative = uri[len(root.url):] if uri.startswith(root.url) else uri
    try:
        set_name, predicate = split_segment(relative)
        if set_name != nav.target or predicate is None:
            raise PersoniumError("PR400-OD-0006", "uri")
        key = resolve_key(root.model.type(nav.target), unquote(predicate))
    except PersoniumError:
        raise PersoniumError("PR400-OD-0006", "uri") from None
    other = service.find_related(tx, source, nav, key)
    if other is None:
        raise PersoniumError("PR400-OD-0006", "uri")
    return other


# --- rendering --------------------------------------------------------------------------------------

def _expand(tx: Transaction, root: ODataRoot, service: EntitySetService, entities: list[Entity],
            options: QueryOptions, limit: int) -> dict[str, dict[str, list[Entity]]]:
    if not options.expand:
        return {}
    for name in options.expand:
        nav = service.etype.navigation_property(name)
        if nav is None:
            raise PersoniumError("PR400-OD-0026")
        root.authorize(root.model.type(nav.target), "read")
    return service.expand(tx, root.caller, entities, options.expand, limit)


def _entity_json(service: EntitySetService, entity: Entity, select: list[str] | None,
                 expanded: dict[str, list[Entity]] | None) -> dict[str, Any]:
    body = serialize.entity_json(entity, service.uri(entity), select)
    # Personium's JSON writer inlines every expanded navigation property as an array, N:1 included.
    for name, related in (expanded or {}).items():
        body[name] = [serialize.entity_json(r, service.uri(r)) for r in related]
    return body


def _render_list(root: ODataRoot, service: EntitySetService, set_name: str, result: ListResult,
                 options: QueryOptions, fmt: str, expanded: dict[str, dict[str, list[Entity]]]) -> Response:
    if fmt == "atom":
        items = [(entity, service.uri(entity)) for entity in result.entities]
        document = atom.feed_document(set_name, root.url, items, result.count, options.select, now_ms())
        return Response(document, media_type="application/atom+xml;type=feed;charset=utf-8", headers=ODATA_HEADERS)
    entities = [_entity_json(service, e, options.select, expanded.get(e.id)) for e in result.entities]
    return _json(serialize.collection(entities, result.count))


def _created(service: EntitySetService, entity: Entity) -> Response:
    uri = service.uri(entity)
    headers = {**ODATA_HEADERS, "ETag": entity.etag, "Location": uri}
    return _json(serialize.single(serialize.entity_json(entity, uri)), status=201, headers=headers)


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status, headers={**ODATA_HEADERS, **(headers or {})},
                    media_type="application/json")


def _allow(methods: str) -> Response:
    return Response(status_code=200, headers={"Allow": methods, "Access-Control-Allow-Methods": methods})
