"""Routing from the raw path: segments are percent-decoded one by one, so ``a%2Fb`` is one segment
and OData keys such as ``ExtCell('https%3A%2F%2F…')`` survive. Fixed ``__`` names win over cell names.
"""

from __future__ import annotations

from urllib.parse import unquote_to_bytes

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket

from cellar.errors import PersoniumError
from cellar.http import (
    auth_endpoints,
    authz,
    box,
    cell,
    ctl,
    event,
    event_bus,
    log,
    message,
    role_urls,
    rules,
    token,
    unit,
)
from cellar.http.context import RequestContext
from cellar.http.errors import answer_error

CROSSDOMAIN_XML = (
    b'<?xml version="1.0"?>\n<!DOCTYPE cross-domain-policy SYSTEM '
    b'"http://www.macromedia.com/xml/dtds/cross-domain-policy.dtd">\n'
    b'<cross-domain-policy>\n  <allow-access-from domain="*" />\n</cross-domain-policy>\n'
)


def split_path(raw_path: bytes) -> list[str]:
    """``/a/b%2Fc/`` → ["a", "b/c", ""]; undecodable bytes are an unrecognised URI."""
    try:
        return [unquote_to_bytes(part).decode("utf-8") for part in raw_path.split(b"/")[1:]]
    except UnicodeDecodeError:
        raise PersoniumError("PR404-MC-0001") from None


#: Fixed endpoints directly under a cell URL (notes §1.3).
CELL_ENDPOINTS = {
    "__token": token.token_endpoint,
    "__authz": authz.authorization_endpoint,
    "__introspect": auth_endpoints.introspect,
    "__mypassword": auth_endpoints.my_password,
    "__certs": auth_endpoints.certs,
    "__box": box.box_url,
    "__event": event.event_endpoint,
    "__rule": rules.rules_endpoint,
}


class Dispatcher:
    """The innermost ASGI app: decide unit or cell level, then hand over to the resource handler."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        try:
            response = await self.route(request, RequestContext.of(request))
        except PersoniumError as exc:
            response = answer_error(scope, exc)
        await response(scope, receive, send)

    async def websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Only the event bus, ``{CellURL}__event``, speaks WebSocket; any other upgrade is refused."""
        websocket = WebSocket(scope, receive, send)
        urls = scope["app"].state.services.urls
        try:
            segments = split_path(scope.get("raw_path") or scope["path"].encode())
        except PersoniumError:
            segments = []
        host_cell = urls.cell_from_host(websocket.headers.get("host"))
        if host_cell is not None and segments == ["__event"]:
            await event_bus.event_bus(websocket, host_cell)
        elif host_cell is None and urls.path_based and len(segments) == 2 and segments[1] == "__event":
            await event_bus.event_bus(websocket, segments[0])
        else:
            await websocket.close(code=1008)

    async def route(self, request: Request, ctx: RequestContext) -> Response:
        segments = split_path(request.scope.get("raw_path") or request.scope["path"].encode())
        host_cell = ctx.services.urls.cell_from_host(request.headers.get("host"))
        if host_cell is not None:
            return await self.cell_level(request, ctx, host_cell, segments)
        return await self.unit_level(request, ctx, segments)

    async def unit_level(self, request: Request, ctx: RequestContext, segments: list[str]) -> Response:
        first, rest = segments[0], segments[1:]
        if first == "" and not rest:
            return await unit.unit_root(request, ctx)
        if first == "__ctl":
            return await unit.unit_ctl(request, ctx, rest)
        if first == "__health" and not rest:
            return await unit.health(request, ctx)
        if first == "crossdomain.xml" and not rest:
            return Response(CROSSDOMAIN_XML, media_type="application/xml")
        if not ctx.services.urls.path_based:
            raise PersoniumError("PR400-MC-0002")
        if first == "" or first.startswith("__"):
            raise PersoniumError("PR404-MC-0001")
        return await self.cell_level(request, ctx, first, rest)

    async def cell_level(self, request: Request, ctx: RequestContext, cell_name: str,
                         segments: list[str]) -> Response:
        if not segments or segments == [""]:
            return await cell.cell_root(request, ctx, cell_name)
        if segments[0] == "__ctl":
            return await ctl.cell_ctl(request, ctx, cell_name, segments[1:])
        handler = CELL_ENDPOINTS.get(segments[0]) if len(segments) == 1 else None
        if handler is not None:
            return await handler(request, ctx, cell_name)
        if segments[0] == "__role":
            return await role_urls.role_urls(request, ctx, cell_name, segments[1:])
        if segments[0] == "__log":
            return await log.log_resource(request, ctx, cell_name, segments[1:])
        if segments[0] == "__message":
            return await message.message(request, ctx, cell_name, segments[1:])
        if segments == ["__html", "error"]:
            return await authz.error_page(request, ctx, cell_name)
        if segments[0] == "__" or not segments[0].startswith("__"):
            return await box.box_resource(request, ctx, cell_name, segments)
        return await cell.cell_path(request, ctx, cell_name, segments)
