"""Inside an OData collection of a box — apiref 316-378: the user data service (``{collection}/``,
its entity sets, ``$metadata`` and ``$batch``) and its schema service (``{collection}/$metadata/…``),
both run by the generic OData engine in the box request's transaction."""

from __future__ import annotations

import time
from collections.abc import Callable

from starlette.responses import Response

from cellar.auth.access.endpoint_privileges import USER_ODATA
from cellar.dav.target import BoxTarget
from cellar.errors import PersoniumError
from cellar.events import catalog
from cellar.http.exchange import Answer, BodyWanted, Exchange
from cellar.odata import batch
from cellar.odata.keys import split_segment
from cellar.odata.metadata import service_document
from cellar.odata.model import EntityModel, EntityType
from cellar.odata.operations import ODataRequest, execute
from cellar.odata.replies import render
from cellar.odata.service import Authorizer, EntityHooks, ServiceRoot
from cellar.storage.uow import Transaction
from cellar.userdata.model import user_model
from cellar.userdata.schema import SCHEMA, schema_hooks
from cellar.userdata.versions import bump_schema

BODY_METHODS = frozenset({"POST", "PUT", "MERGE"})
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
METADATA, BATCH = "$metadata", "$batch"
#: ODataSvcSchemaResource.beforeMerge: these schema sets are not partially updated (501).
NOT_MERGED = frozenset({"Property", "ComplexType", "ComplexTypeProperty"})
#: apiref/371: the schema's Atom service document, its sets in the real server's order.
SCHEMA_SETS = ("EntityType", "AssociationEnd", "ComplexTypeProperty", "Property", "ComplexType")


def handle(ex: Exchange, target: BoxTarget, tx: Transaction) -> Answer:
    below = list(ex.region.below)
    schema = below[:1] == [METADATA] and len(below) > 1
    authorize = _authorizer(target, schema)
    if below == [BATCH]:
        _authorize_batch(target)
    else:
        authorize(None, "read" if ex.method in READ_METHODS else "write")  # before the path: nothing leaks
    if ex.method in BODY_METHODS and ex.body is None:
        return BodyWanted(target.cell_request.cell["id"])
    body = _body(ex, tx)
    root = _root(ex, target, tx, schema, authorize)
    if below == [BATCH]:
        return _batch(ex, tx, root, body)
    if schema and ex.method == "MERGE" and split_segment(below[1])[0] in NOT_MERGED:
        raise PersoniumError("PR501-MC-0001")
    if below == [METADATA] and ex.method in ("GET", "HEAD") and _wants_atomsvc(ex):
        document = service_document(f"{root.url}{METADATA}/", SCHEMA_SETS)
        return Response(document, 200, headers={"DataServiceVersion": "2.0"},
                        media_type="application/atomsvc+xml;charset=utf-8")
    request = ODataRequest(ex.method, below[1:] if schema else below, ex.query, ex.headers.get("accept"), body,
                           ex.headers.get("if-match"), ex.headers.get("if-none-match"))
    reply = render(root, execute(tx, root, request))
    return Response(reply.body, reply.status, headers=reply.headers, media_type=reply.media_type)


def _wants_atomsvc(ex: Exchange) -> bool:
    """apiref/371: ``$format=atomsvc`` or ``Accept: application/atomsvc+xml``; anything else is the EDMX."""
    return ex.query.get("$format") == "atomsvc" or ex.headers.get("accept") == "application/atomsvc+xml"


def _body(ex: Exchange, tx: Transaction) -> bytes:
    """The body: small ones arrived whole, larger ones (a ``$batch``) were staged and are read back."""
    if ex.body is None or isinstance(ex.body, bytes):
        return ex.body or b""
    blobs = ex.ctx.services.blobs
    data = b"".join(blobs.read(tx, ex.body.blob_id))
    blobs.release(tx, [ex.body.blob_id])
    return data


def _root(ex: Exchange, target: BoxTarget, tx: Transaction, schema: bool, authorize: Authorizer) -> ServiceRoot:
    collection = ex.region.collection
    assert collection is not None
    chain = target.located.chain
    url = target.href_of([node.name for node in chain[1:chain.index(collection) + 1]])
    scope = {"cell_id": target.cell_request.cell["id"], "collection_id": collection.id}
    model: EntityModel = SCHEMA if schema else user_model(tx, collection.id)
    return ServiceRoot(model, scope, f"{url}/{METADATA}/" if schema else f"{url}/", target.cell_request.caller,
                       authorize, schema_hooks(collection.id) if schema else _NO_HOOKS,
                       events=catalog.ODATA_SCHEMA_EVENTS if schema else catalog.USER_DATA_EVENTS,
                       on_write=(lambda write_tx: bump_schema(write_tx, scope["cell_id"], collection.id))
                       if schema else None)


_NO_HOOKS: dict[str, EntityHooks] = {}


def _authorizer(target: BoxTarget, schema: bool) -> Authorizer:
    """Data is read with ``read`` and written with ``write``; the schema is written with ``alter-schema``."""

    def authorize(etype: EntityType | None, kind: str) -> None:
        if kind == "write" and schema:
            target.authorize(USER_ODATA["alter-schema"])
        else:
            target.authorize(USER_ODATA["write" if kind == "write" else "read"])

    return authorize


def _authorize_batch(target: BoxTarget) -> None:
    """A ``$batch`` needs ``read`` or ``write`` on the collection; each of its parts then needs its own."""
    try:
        target.authorize(USER_ODATA["read"])
    except PersoniumError as refused:
        try:
            target.authorize(USER_ODATA["write"])
        except PersoniumError:
            raise refused from None


def _batch(ex: Exchange, tx: Transaction, root: ServiceRoot, body: bytes) -> Response:
    """apiref/368: every part in order, each changeset in a savepoint (all or nothing)."""
    if ex.method != "POST":
        raise PersoniumError("PR405-MC-0001")
    boundary = batch.boundary_of(ex.headers.get("content-type"))
    parts = batch.parse(body, boundary)
    deadline = time.monotonic() + batch.TIMEOUT_SECONDS

    def atomic(work: Callable[[], list[batch.PartReply]]) -> list[batch.PartReply]:
        with tx.savepoint():
            return work()

    answer = batch.answer(parts, boundary, lambda request: _part(tx, root, request), atomic,
                          lambda: time.monotonic() > deadline)
    return Response(answer, 202, headers={"DataServiceVersion": "2.0"},
                    media_type=f"multipart/mixed; boundary={boundary}")


def _part(tx: Transaction, root: ServiceRoot, request: batch.BatchRequest) -> batch.PartReply:
    """One request of a batch, answered in JSON with the headers the real server gives each kind."""
    if request.refusal is not None:
        root.authorize(None, "read" if request.method == "GET" else "write")
        raise PersoniumError(request.refusal)
    accept = "application/json" if request.method == "GET" else None
    reply = render(root, execute(tx, root, ODataRequest(request.method, request.segments, request.query, accept,
                                                        request.body, request.headers.get("If-Match"))))
    headers = dict(reply.headers)
    if request.method == "GET":
        headers.pop("ETag", None)
    if reply.media_type is not None:
        headers["Content-Type"] = reply.media_type
    return batch.PartReply(reply.status, headers, reply.body)
