"""Inside an OData collection of a box — apiref 316-378: the user data service (``{collection}/``,
its entity sets and ``$metadata``) and its schema service (``{collection}/$metadata/…``), both run by
the generic OData engine in the box request's transaction."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from cellar.auth.access.endpoint_privileges import USER_ODATA
from cellar.dav.target import BoxTarget
from cellar.errors import PersoniumError
from cellar.events import catalog
from cellar.http.exchange import Answer, BodyWanted, Exchange
from cellar.odata.model import EntityModel, EntityType
from cellar.odata.operations import ODataRequest, execute
from cellar.odata.replies import render
from cellar.odata.service import EntityHooks, ServiceRoot
from cellar.storage.uow import Transaction
from cellar.userdata.model import user_model
from cellar.userdata.schema import SCHEMA, schema_hooks
from cellar.userdata.versions import bump_schema

BODY_METHODS = frozenset({"POST", "PUT", "MERGE"})
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
METADATA = "$metadata"


def handle(ex: Exchange, target: BoxTarget, tx: Transaction) -> Answer:
    region = ex.region
    assert region.collection is not None
    collection = region.collection
    below = list(region.below)
    schema = below[:1] == [METADATA] and len(below) > 1
    authorize = _authorizer(target, schema)
    authorize(None, "read" if ex.method in READ_METHODS else "write")  # before the path: nothing leaks
    if ex.method in BODY_METHODS and ex.body is None:
        return BodyWanted(target.cell_request.cell["id"])
    body = ex.body if isinstance(ex.body, bytes) else b""
    if not isinstance(ex.body, bytes | None):
        raise PersoniumError("PR400-OD-0001")  # more than a chunk of JSON is no entity
    names = [node.name for node in target.located.chain[1:]]
    url = target.href_of(names[:names.index(collection.name) + 1] if collection.name in names else names)
    scope = {"cell_id": target.cell_request.cell["id"], "collection_id": collection.id}
    model: EntityModel = SCHEMA if schema else user_model(tx, collection.id)
    segments = below[1:] if schema else below
    root = ServiceRoot(model, scope, f"{url}/{METADATA}/" if schema else f"{url}/", target.cell_request.caller,
                       authorize, _hooks(schema, collection.id),
                       events=catalog.ODATA_SCHEMA_EVENTS if schema else catalog.USER_DATA_EVENTS,
                       on_write=(lambda write_tx: bump_schema(write_tx, scope["cell_id"], collection.id))
                       if schema else None)
    request = ODataRequest(ex.method, segments, ex.query, ex.headers.get("accept"), body,
                           ex.headers.get("if-match"), ex.headers.get("if-none-match"))
    reply = render(root, execute(tx, root, request))
    return Response(reply.body, reply.status, headers=reply.headers, media_type=reply.media_type)


def _authorizer(target: BoxTarget, schema: bool) -> Any:
    """Data is read with ``read`` and written with ``write``; the schema is written with ``alter-schema``."""

    def authorize(etype: EntityType | None, kind: str) -> None:
        if kind == "write" and schema:
            target.authorize(USER_ODATA["alter-schema"])
        else:
            target.authorize(USER_ODATA["write" if kind == "write" else "read"])

    return authorize


def _hooks(schema: bool, collection_id: str) -> dict[str, EntityHooks]:
    return schema_hooks(collection_id) if schema else {}
