"""OData results as replies: status, headers and body bytes, for HTTP or a ``$batch`` part alike."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from cellar import clock
from cellar.odata import atom, serialize
from cellar.odata.metadata import edmx_document, service_document
from cellar.odata.operations import (
    Allow,
    Created,
    EntityList,
    EntityRead,
    LinkList,
    MetadataDocument,
    NoContent,
    Result,
    ServiceDocument,
)
from cellar.odata.service import EntitySetService, ServiceRoot
from cellar.odata.store import Entity

ODATA_HEADERS = {"DataServiceVersion": "2.0"}
JSON = "application/json"


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    #: None: no Content-Type (an empty answer).
    media_type: str | None = None


def render(root: ServiceRoot, result: Result) -> Reply:
    match result:
        case Allow(methods):
            return Reply(200, {"Allow": methods, "Access-Control-Allow-Methods": methods})
        case ServiceDocument(names, fmt):
            if fmt == "json":
                return _json({"d": {"EntitySets": names}})
            return Reply(200, dict(ODATA_HEADERS), service_document(root.url, names),
                         "application/atomsvc+xml;charset=utf-8")
        case MetadataDocument():
            model = root.model
            return Reply(200, dict(ODATA_HEADERS), edmx_document(model.namespace, model.types, model.complex_types),
                         "application/xml;charset=utf-8")
        case EntityRead():
            return _entity(root, result)
        case EntityList():
            return _list(root, result)
        case Created(service, entity):
            uri = service.uri(entity)
            return _json(serialize.single(serialize.entity_json(entity, uri)), 201,
                         {"ETag": entity.etag, "Location": uri})
        case NoContent(etag):
            return Reply(204, {**ODATA_HEADERS, **({"ETag": etag} if etag else {})})
        case LinkList(uris, count):
            body: dict[str, Any] = {"results": [{"uri": uri} for uri in uris]}
            if count is not None:
                body["__count"] = str(count)
            return _json({"d": body})
    raise AssertionError(f"unrendered result {result!r}")


def _entity(root: ServiceRoot, read: EntityRead) -> Reply:
    entity, service = read.entity, read.service
    headers = {**ODATA_HEADERS, "ETag": entity.etag}
    if read.not_modified:
        return Reply(304, headers)
    uri = service.uri(entity)
    if read.fmt == "atom":
        return Reply(200, headers, atom.entry_document(entity, uri, root.url, read.options.select),
                     "application/atom+xml;type=entry;charset=utf-8")
    body = _entity_json(service, entity, read.options.select, read.expanded.get(entity.id))
    return _json(serialize.single(body), headers=headers)


def _list(root: ServiceRoot, listed: EntityList) -> Reply:
    service, result, options = listed.service, listed.result, listed.options
    if listed.fmt == "atom":
        items = [(entity, service.uri(entity)) for entity in result.entities]
        document = atom.feed_document(service.etype.name, root.url, items, result.count, options.select, clock.now_ms())
        return Reply(200, dict(ODATA_HEADERS), document, "application/atom+xml;type=feed;charset=utf-8")
    entities = [_entity_json(service, e, options.select, listed.expanded.get(e.id)) for e in result.entities]
    return _json(serialize.collection(entities, result.count))


def _entity_json(service: EntitySetService, entity: Entity, select: list[str] | None,
                 expanded: dict[str, list[Entity]] | None) -> dict[str, Any]:
    body = serialize.entity_json(entity, service.uri(entity), select)
    # Personium's JSON writer inlines every expanded navigation property as an array, N:1 included.
    for name, related in (expanded or {}).items():
        body[name] = [serialize.entity_json(r, service.uri(r)) for r in related]
    return body


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Reply:
    return Reply(status, {**ODATA_HEADERS, **(headers or {})}, orjson.dumps(body), JSON)
