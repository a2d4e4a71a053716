"""The HTTP binding of the generic OData engine: one handler for every entity set of a service root."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from cellar.auth.context import Caller
from cellar.errors import PersoniumError
from cellar.http.negotiation import odata_format, read_body
from cellar.odata import atom, serialize
from cellar.odata.body import parse_json_object
from cellar.odata.keys import resolve_key, split_segment
from cellar.odata.metadata import edmx_document, service_document
from cellar.odata.model import EntityType
from cellar.odata.query.options import QueryOptions, parse_query_options
from cellar.odata.service import EntitySetService
from cellar.odata.store import now_ms
from cellar.storage import Storage, Transaction

ODATA_HEADERS = {"DataServiceVersion": "2.0"}
SET_METHODS = "OPTIONS, GET, POST"
ENTITY_METHODS = "OPTIONS, GET, PUT, MERGE, DELETE"

#: Raises unless the caller holds the privilege ("read" or "write") on the entity type.
Authorizer = Callable[[EntityType, str], None]


@dataclass(frozen=True)
class ODataRoot:
    namespace: str
    root_url: str
    types: Sequence[EntityType]
    storage: Storage
    caller: Caller
    authorize: Authorizer
    #: The set's service, built inside the request's transaction (scope lookups share it).
    service_for: Callable[[EntityType, Transaction], EntitySetService]

    def entity_type(self, name: str) -> EntityType:
        etype = next((t for t in self.types if t.name == name), None)
        if etype is None:
            raise PersoniumError("PR404-OD-0001")
        return etype


async def serve_odata(request: Request, root: ODataRoot, segments: list[str]) -> Response:
    if not segments or segments == [""]:
        return _service_document(request, root)
    if segments == ["$metadata"]:
        _only(request, "GET", "HEAD")
        return Response(edmx_document(root.namespace, root.types), media_type="application/xml;charset=utf-8",
                        headers=ODATA_HEADERS)
    set_name, predicate = split_segment(segments[0])
    etype = root.entity_type(set_name)
    if len(segments) > 1:
        raise PersoniumError("PR404-OD-0003")
    if predicate is None:
        return await _entity_set(request, root, etype)
    return await _entity(request, root, etype, resolve_key(etype, predicate))


def _only(request: Request, *methods: str) -> None:
    if request.method not in methods:
        raise PersoniumError("PR405-MC-0001")


def _service_document(request: Request, root: ODataRoot) -> Response:
    _only(request, "GET", "HEAD")
    names = [t.name for t in root.types]
    if odata_format(request, request.query_params.get("$format")) == "json":
        return _json({"d": {"EntitySets": names}})
    return Response(service_document(root.root_url, names), media_type="application/atomsvc+xml;charset=utf-8",
                    headers=ODATA_HEADERS)


async def _entity_set(request: Request, root: ODataRoot, etype: EntityType) -> Response:
    method = request.method
    if method in ("GET", "HEAD"):
        options = parse_query_options(request.query_params, single=False)
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


async def _entity(request: Request, root: ODataRoot, etype: EntityType, key: dict[str, Any]) -> Response:
    method = request.method
    if method in ("GET", "HEAD"):
        options = parse_query_options(request.query_params, single=True)
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


# --- the work, run in a worker thread inside one transaction ----------------------------------------

def _list(root: ODataRoot, etype: EntityType, options: QueryOptions, fmt: str) -> Response:
    with root.storage.transaction(f"odata.list.{etype.name}", write=False) as tx:
        service = root.service_for(etype, tx)
        result = service.list(tx, root.caller, options)
    if fmt == "atom":
        items = [(entity, service.uri(entity)) for entity in result.entities]
        document = atom.feed_document(etype.name, root.root_url, items, result.count, options.select, now_ms())
        return Response(document, media_type="application/atom+xml;type=feed;charset=utf-8", headers=ODATA_HEADERS)
    entities = [serialize.entity_json(e, service.uri(e), options.select) for e in result.entities]
    return _json(serialize.collection(entities, result.count))


def _get(root: ODataRoot, etype: EntityType, key: dict[str, Any], options: QueryOptions, fmt: str,
         if_none_match: str | None) -> Response:
    with root.storage.transaction(f"odata.get.{etype.name}", write=False) as tx:
        service = root.service_for(etype, tx)
        entity = service.get(tx, root.caller, key)
    headers = {**ODATA_HEADERS, "ETag": entity.etag}
    if if_none_match is not None and entity.etag in [v.strip() for v in if_none_match.split(",")]:
        return Response(status_code=304, headers=headers)
    uri = service.uri(entity)
    if fmt == "atom":
        document = atom.entry_document(entity, uri, root.root_url, options.select)
        return Response(document, media_type="application/atom+xml;type=entry;charset=utf-8", headers=headers)
    return _json(serialize.single(serialize.entity_json(entity, uri, options.select)), headers=headers)


def _create(root: ODataRoot, etype: EntityType, body: dict[str, Any]) -> Response:
    with root.storage.transaction(f"odata.create.{etype.name}") as tx:
        service = root.service_for(etype, tx)
        entity = service.create(tx, root.caller, body)
    uri = service.uri(entity)
    headers = {**ODATA_HEADERS, "ETag": entity.etag, "Location": uri}
    return _json(serialize.single(serialize.entity_json(entity, uri)), status=201, headers=headers)


def _update(root: ODataRoot, etype: EntityType, key: dict[str, Any], body: dict[str, Any], method: str,
            if_match: str | None) -> Response:
    with root.storage.transaction(f"odata.{method.lower()}.{etype.name}") as tx:
        service = root.service_for(etype, tx)
        operation = service.replace if method == "PUT" else service.merge
        entity = operation(tx, root.caller, key, body, if_match)
    return Response(status_code=204, headers={**ODATA_HEADERS, "ETag": entity.etag})


def _delete(root: ODataRoot, etype: EntityType, key: dict[str, Any], if_match: str | None) -> Response:
    with root.storage.transaction(f"odata.delete.{etype.name}") as tx:
        root.service_for(etype, tx).delete(tx, root.caller, key, if_match)
    return Response(status_code=204, headers=ODATA_HEADERS)


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status, headers={**ODATA_HEADERS, **(headers or {})},
                    media_type="application/json")


def _allow(methods: str) -> Response:
    return Response(status_code=200, headers={"Allow": methods, "Access-Control-Allow-Methods": methods})
