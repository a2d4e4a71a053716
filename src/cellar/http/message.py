"""Messages — apiref 267 and 271: ``{CellURL}__message/send``, ``__message/port`` (cell to cell) and
``__message/received/{id}`` (approval)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from cellar.auth.access.authorize import challenge
from cellar.auth.access.endpoint_privileges import APPROVAL_PRIVILEGES, CELL_ENDPOINTS
from cellar.errors import PersoniumError
from cellar.http.context import RequestContext
from cellar.http.ctl import cell_request_in, ctl_root
from cellar.http.negotiation import read_body
from cellar.http.work import run_work
from cellar.messaging import approval, delivery, port, send
from cellar.odata import serialize
from cellar.odata.body import parse_json_object
from cellar.odata.replies import ODATA_HEADERS
from cellar.odata.store import Entity

MESSAGE_METHODS = "OPTIONS, POST"
SEND, RECEIVED = CELL_ENDPOINTS["__message/send"], CELL_ENDPOINTS["__message/received"]


async def message(request: Request, ctx: RequestContext, cell_name: str, segments: list[str]) -> Response:
    """``segments``: the path below ``__message``; each endpoint takes POST alone, ``received`` a message id."""
    handler = ROUTES.get(f"__message/{segments[0]}") if segments else None
    arguments = segments[1:]
    if handler is None or len(arguments) != (1 if handler is change_status else 0) or "" in arguments:
        await run_work(ctx.services.storage, lambda: _find_cell(ctx, cell_name), write=False)
        raise PersoniumError("PR404-MC-0001")
    if request.method == "OPTIONS":  # what JAX-RS answers for a resource of POST alone
        return Response(headers={"Allow": MESSAGE_METHODS, "Access-Control-Allow-Methods": MESSAGE_METHODS})
    if request.method != "POST":
        raise PersoniumError("PR405-MC-0001")
    return await handler(request, ctx, cell_name, *arguments)


def _find_cell(ctx: RequestContext, cell_name: str) -> None:
    with ctx.services.storage.transaction("message.cell", write=False) as tx:
        cell_request_in(tx, ctx, cell_name)


async def send_message(request: Request, ctx: RequestContext, cell_name: str) -> Response:
    """Checks in one transaction, delivery outside any, the SentMessage kept in a second one."""
    raw = await read_body(request)
    storage, urls = ctx.services.storage, ctx.services.urls

    def prepare() -> tuple[Any, send.Outgoing]:
        with storage.transaction("message.send.prepare", write=False) as tx:
            cell_request = cell_request_in(tx, ctx, cell_name)
            cell_request.authorize(SEND["POST"])
            body = parse_json_object(raw)
            return cell_request.caller, send.prepare(tx, cell_request.cell, urls, cell_request.caller.access, body)

    caller, outgoing = await run_work(storage, prepare, write=False)
    results = await delivery.deliver(ctx.services.outbound, ctx.services.keyring, outgoing,
                                     request.headers.get("x-personium-version"))

    def record() -> Entity:
        with storage.transaction("message.send", cause=ctx.cause(caller)) as tx:
            return send.record(tx, outgoing, results)

    return _created(outgoing.sender, await run_work(storage, record, write=True))


async def receive_message(request: Request, ctx: RequestContext, cell_name: str) -> Response:
    raw = await read_body(request)
    urls = ctx.services.urls

    def work() -> tuple[str, Entity]:
        with ctx.services.storage.transaction("message.port") as tx:
            cell_request = cell_request_in(tx, ctx, cell_name)
            port.check_sender(cell_request.caller.access, challenge(cell_request.url))
            return cell_request.url, port.receive(tx, cell_request.cell, urls, parse_json_object(raw))

    return _created(*await run_work(ctx.services.storage, work, write=True))


async def change_status(request: Request, ctx: RequestContext, cell_name: str, message_id: str) -> Response:
    raw = await read_body(request)

    def work() -> Entity:
        with ctx.services.storage.transaction("message.approve") as tx:
            cell_request = cell_request_in(tx, ctx, cell_name)
            cell_request.authorize(RECEIVED["POST"])
            command = approval.parse_command(raw)
            return approval.change_status(
                tx, ctl_root(ctx, cell_request), cell_request.cell, ctx.services.urls, message_id, command,
                lambda kind: cell_request.authorize(APPROVAL_PRIVILEGES[kind]))

    entity = await run_work(ctx.services.storage, work, write=True)
    return Response(status_code=204, headers={**ODATA_HEADERS, "ETag": entity.etag})


def _created(cell_url: str, entity: Entity) -> Response:
    """The message as the message EDM renders it: like ``__ctl``, without navigation properties."""
    uri = send.message_url(cell_url, entity)
    body = {name: value for name, value in serialize.entity_json(entity, uri).items()
            if not (isinstance(value, dict) and "__deferred" in value)}
    return Response(orjson.dumps(serialize.single(body)), 201, media_type="application/json",
                    headers={**ODATA_HEADERS, "ETag": entity.etag, "Location": uri})


ROUTES: dict[str, Callable[..., Awaitable[Response]]] = {
    "__message/send": send_message, "__message/port": receive_message, "__message/received": change_status}
