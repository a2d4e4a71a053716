"""The OData operations of one service root, as functions of (transaction, root, request) → result.

Whoever calls owns the transaction: a plain request runs one, a ``$batch`` changeset will run several
operations in one, OData inside a box runs them in the box request's. Checks come in Personium's
order — path, then method, query options and format, then the body, then the privilege, then the data
— so that the first error a client sees is the real server's. Rendering is :mod:`cellar.odata.replies`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from cellar.errors import PersoniumError
from cellar.odata.body import parse_json_object
from cellar.odata.keys import resolve_key, split_segment
from cellar.odata.model import EntityType, NavigationProperty
from cellar.odata.negotiation import response_format
from cellar.odata.paths import PathKind, Target, parse_path
from cellar.odata.query.options import QueryOptions, parse_query_options
from cellar.odata.service import EntitySetService, ListResult, ServiceRoot
from cellar.odata.store import Entity
from cellar.storage.uow import Transaction

SET_METHODS = "OPTIONS, GET, POST"
ENTITY_METHODS = "OPTIONS, GET, PUT, MERGE, DELETE"
LINKS_METHODS = "OPTIONS, GET, DELETE, PUT, POST"
METADATA_METHODS = "OPTIONS, GET"
#: Related entities inlined by $expand per navigation property (notes §7.2: list 100, single 1000).
EXPAND_LIMIT_LIST = 100
EXPAND_LIMIT_SINGLE = 1000
#: Methods that change data: they need a write transaction.
WRITE_METHODS = frozenset({"POST", "PUT", "MERGE", "DELETE"})

Expanded = dict[str, dict[str, list[Entity]]]


@dataclass(frozen=True)
class ODataRequest:
    method: str
    #: Percent-decoded path segments below the service root.
    segments: list[str]
    #: Query parameters, the first of repeated names winning (as in the real server).
    query: Mapping[str, str]
    accept: str | None = None
    body: bytes = b""
    if_match: str | None = None
    if_none_match: str | None = None


# --- results ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Allow:
    methods: str


@dataclass(frozen=True)
class ServiceDocument:
    names: list[str]
    fmt: str


@dataclass(frozen=True)
class MetadataDocument:
    pass


@dataclass(frozen=True)
class EntityRead:
    service: EntitySetService
    entity: Entity
    options: QueryOptions
    fmt: str
    expanded: Expanded
    not_modified: bool


@dataclass(frozen=True)
class EntityList:
    service: EntitySetService
    result: ListResult
    options: QueryOptions
    fmt: str
    expanded: Expanded


@dataclass(frozen=True)
class Created:
    service: EntitySetService
    entity: Entity


@dataclass(frozen=True)
class NoContent:
    etag: str | None = None


@dataclass(frozen=True)
class LinkList:
    uris: list[str]
    count: int | None


Result = Allow | ServiceDocument | MetadataDocument | EntityRead | EntityList | Created | NoContent | LinkList


def is_write(method: str) -> bool:
    return method in WRITE_METHODS


def execute(tx: Transaction, root: ServiceRoot, request: ODataRequest) -> Result:
    target = parse_path(root.model, request.segments)
    return _HANDLERS[target.kind](tx, root, target, request)


# --- request shapes ---------------------------------------------------------------------------------

def _service_document(tx: Transaction, root: ServiceRoot, target: Target, request: ODataRequest) -> Result:
    if request.method == "OPTIONS":
        root.authorize(None, "options-root")
        return Allow(METADATA_METHODS)
    _only(request, "GET", "HEAD")
    return ServiceDocument([t.name for t in root.model.types],
                           response_format(request.query.get("$format"), request.accept))


def _metadata(tx: Transaction, root: ServiceRoot, target: Target, request: ODataRequest) -> Result:
    if request.method == "OPTIONS":
        return Allow(METADATA_METHODS)
    _only(request, "GET", "HEAD")
    return MetadataDocument()


def _entity_set(tx: Transaction, root: ServiceRoot, target: Target, request: ODataRequest) -> Result:
    etype = _etype(target)
    method = request.method
    if method in ("GET", "HEAD"):
        options, fmt = _read_options(request, single=False)
        root.authorize(etype, "read")
        service = root.service(etype)
        result = service.list(tx, options)
        return EntityList(service, result, options, fmt,
                          _expand(tx, root, service, result.entities, options, EXPAND_LIMIT_LIST))
    if method == "POST":
        _allowed(etype, method)
        body = parse_json_object(request.body)
        root.authorize(etype, "write")
        service = root.service(etype)
        return Created(service, service.create(tx, body))
    if method == "OPTIONS":
        root.authorize(etype, "read")
        return Allow(SET_METHODS)
    raise PersoniumError("PR405-MC-0001")


def _entity(tx: Transaction, root: ServiceRoot, target: Target, request: ODataRequest) -> Result:
    etype, key, method = _etype(target), target.key, request.method
    assert key is not None
    if method in ("GET", "HEAD"):
        options, fmt = _read_options(request, single=True)
        root.authorize(etype, "read")
        service = root.service(etype)
        entity = service.get(tx, key)
        expanded = _expand(tx, root, service, [entity], options, EXPAND_LIMIT_SINGLE)
        not_modified = request.if_none_match is not None and \
            entity.etag in [v.strip() for v in request.if_none_match.split(",")]
        return EntityRead(service, entity, options, fmt, expanded, not_modified)
    if method in ("PUT", "MERGE"):
        _allowed(etype, method)
        body = parse_json_object(request.body)
        root.authorize(etype, "write")
        service = root.service(etype)
        operation = service.replace if method == "PUT" else service.merge
        return NoContent(operation(tx, key, body, request.if_match).etag)
    if method == "DELETE":
        root.authorize(etype, "write")
        root.service(etype).delete(tx, key, request.if_match)
        return NoContent()
    if method == "OPTIONS":
        root.authorize(etype, "read")
        return Allow(ENTITY_METHODS)
    raise PersoniumError("PR405-MC-0001")


def _navigation(tx: Transaction, root: ServiceRoot, target: Target, request: ODataRequest) -> Result:
    nav = _nav(target)
    etype, other = _etype(target), root.model.type(nav.target)
    method = request.method
    if method in ("GET", "HEAD"):
        options, fmt = _read_options(request, single=False)
        _authorize_both(root, etype, other, "read")
        service, source = _source(tx, root, target, "PR404-OD-0002")
        related, result = service.list_related(tx, source, nav, options)
        return EntityList(related, result, options, fmt,
                          _expand(tx, root, related, result.entities, options, EXPAND_LIMIT_LIST))
    if method == "POST":
        body = parse_json_object(request.body)
        _authorize_both(root, etype, other, "write")
        service, source = _source(tx, root, target, "PR404-OD-0002")
        related, entity = service.create_related(tx, source, nav, body)
        return Created(related, entity)
    if method == "OPTIONS":
        _authorize_both(root, etype, other, "read")
        return Allow(SET_METHODS)
    raise PersoniumError("PR405-MC-0001")


def _links(tx: Transaction, root: ServiceRoot, target: Target, request: ODataRequest) -> Result:
    nav = _nav(target)
    etype, other = _etype(target), root.model.type(nav.target)
    method = request.method
    if method in ("GET", "HEAD"):
        if target.nav_key is not None:
            raise PersoniumError("PR400-OD-0010")
        options = parse_query_options(request.query, single=False)
        _authorize_both(root, etype, other, "read")
        service, source = _source(tx, root, target, "PR404-OD-0000")
        plain = QueryOptions(top=options.top, skip=options.skip, inlinecount=options.inlinecount)
        related, result = service.list_related(tx, source, nav, plain)
        return LinkList([related.uri(e) for e in result.entities], result.count)
    if method == "POST":
        if target.nav_key is not None:
            raise PersoniumError("PR400-OD-0010")
        body = parse_json_object(request.body)
        _authorize_both(root, etype, other, "write")
        service, source = _source(tx, root, target, "PR404-OD-0000")
        service.add_link(tx, source, nav, _entity_from_uri(tx, root, service, source, nav, body.get("uri")))
        return NoContent()
    if method == "DELETE":
        if target.nav_key is None:
            raise PersoniumError("PR400-OD-0011")
        _authorize_both(root, etype, other, "write")
        service, source = _source(tx, root, target, "PR404-OD-0000")
        linked = service.find_related(tx, source, nav, target.nav_key)
        if linked is None:
            raise PersoniumError("PR404-OD-0000")
        service.remove_link(tx, source, nav, linked)
        return NoContent()
    if method == "PUT":
        raise PersoniumError("PR400-OD-0011" if target.nav_key is None else "PR501-MC-0001")
    if method == "OPTIONS":
        root.authorize(etype, "options-links")
        return Allow(LINKS_METHODS)
    raise PersoniumError("PR405-MC-0001")


Handler = Callable[[Transaction, ServiceRoot, Target, ODataRequest], Result]
_HANDLERS: dict[PathKind, Handler] = {
    PathKind.SERVICE_DOCUMENT: _service_document,
    PathKind.METADATA: _metadata,
    PathKind.ENTITY_SET: _entity_set,
    PathKind.ENTITY: _entity,
    PathKind.NAVIGATION: _navigation,
    PathKind.LINKS: _links,
}


# --- shared steps -------------------------------------------------------------------------------

def _etype(target: Target) -> EntityType:
    assert target.etype is not None
    return target.etype


def _nav(target: Target) -> NavigationProperty:
    assert target.nav is not None
    return target.nav


def _allowed(etype: EntityType, method: str) -> None:
    if method in etype.refused:
        raise PersoniumError("PR405-MC-0001")


def _only(request: ODataRequest, *methods: str) -> None:
    if request.method not in methods:
        raise PersoniumError("PR405-MC-0001")


def _read_options(request: ODataRequest, *, single: bool) -> tuple[QueryOptions, str]:
    options = parse_query_options(request.query, single=single)
    return options, response_format(options.format, request.accept)


def _authorize_both(root: ServiceRoot, a: EntityType, b: EntityType, privilege: str) -> None:
    """``$links`` and navigation between A and B need the privilege on both (notes §4.4), or on the one
    the root names as owning links touching it."""
    owners = [t for t in (a, b) if t.name in root.link_owners]
    for etype in owners or (a, b):
        root.authorize(etype, privilege)


def _source(tx: Transaction, root: ServiceRoot, target: Target, missing: str) -> tuple[EntitySetService, Entity]:
    """The entity the navigation or ``$links`` starts from; ``missing`` is the 404 to answer without it."""
    service = root.service(_etype(target))
    assert target.key is not None
    try:
        return service, service.get(tx, target.key)
    except PersoniumError as exc:
        if exc.code == "PR404-OD-0002":
            raise PersoniumError(missing) from None
        raise


def _entity_from_uri(tx: Transaction, root: ServiceRoot, service: EntitySetService, source: Entity,
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


def _expand(tx: Transaction, root: ServiceRoot, service: EntitySetService, entities: list[Entity],
            options: QueryOptions, limit: int) -> Expanded:
    if not options.expand:
        return {}
    for name in options.expand:
        nav = service.etype.navigation_property(name)
        if nav is None:
            raise PersoniumError("PR400-OD-0026")
        root.authorize(root.model.type(nav.target), "read")
    return service.expand(tx, entities, options.expand, limit)
