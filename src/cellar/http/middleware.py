"""Protocol normalisation before routing, as small pure-ASGI middleware.

Order (outermost first): :class:`Compression` (gzip for clients that accept it),
:class:`ProtocolMiddleware` (limits, X-Override, method override, request key, version header, CORS,
unauthenticated OPTIONS).
"""

from __future__ import annotations

import re
import secrets
from base64 import urlsafe_b64encode
from typing import Any

from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cellar import PERSONIUM_VERSION
from cellar.dav.options import DAV_CLASSES
from cellar.errors import PersoniumError
from cellar.http.errors import error_response

ALL_METHODS = "OPTIONS, GET, POST, PUT, DELETE, HEAD, MERGE, MKCOL, MOVE, COPY, PROPFIND, PROPPATCH, ACL"
#: apiref/003: a URL of at most 50 KB and headers of at most 4096 bytes each — except Authorization,
#: which must hold a trans-cell token (a signed SAML assertion with its certificate, ~4-6 KB).
MAX_URL_BYTES = 50 * 1024
MAX_HEADER_BYTES = 4096
MAX_AUTHORIZATION_BYTES = 32 * 1024
_REQUEST_KEY = re.compile(r"^[A-Za-z0-9_-]{1,128}$")
_METHOD = re.compile(r"^[A-Z]{1,20}$")


class Compression(GZipMiddleware):
    """Starlette's gzip for clients that accept it; the others' responses pass straight through,
    saying only that they vary (Starlette's identity path inspects every message to say that)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or any(name == b"accept-encoding" and b"gzip" in value
                                          for name, value in scope["headers"]):
            await super().__call__(scope, receive, send)
            return

        async def varying(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), (b"vary", b"Accept-Encoding")]
            await send(message)

        await self.app(scope, receive, varying)


class ProtocolMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            scope = normalise(scope)
        except PersoniumError as exc:
            scope.setdefault("cellar.request_key", new_request_key())
            await error_response(exc)(scope, receive, _decorating(send, scope))
            return
        if scope["method"] == "OPTIONS" and "authorization" not in Headers(scope=scope):
            await _options_response(scope, send)
            return
        await self.app(scope, receive, _decorating(send, scope))


def normalise(scope: Scope) -> Scope:
    """Apply limits, ``X-Override`` and ``X-HTTP-Method-Override``; validate the request key."""
    _check_limits(scope)
    headers = _apply_header_overrides(list(scope["headers"]))
    scope = {**scope, "headers": headers}
    view = Headers(raw=headers)
    override = view.get("x-http-method-override")
    if scope["method"] == "POST" and override:
        method = override.strip().upper()
        if not _METHOD.match(method):
            raise PersoniumError("PR405-MC-0001")
        scope["method"] = method
    key = view.get("x-personium-requestkey")
    if key is not None and not _REQUEST_KEY.match(key):
        raise PersoniumError("PR400-EV-0002")
    scope["cellar.request_key"] = key or new_request_key()
    return scope


def _check_limits(scope: Scope) -> None:
    url_size = len(scope.get("raw_path") or b"") * 2 + len(scope.get("query_string") or b"") * 3
    if url_size > MAX_URL_BYTES:
        raise PersoniumError("PR414-MC-0001")
    for name, value in scope["headers"]:
        if len(value) > (MAX_AUTHORIZATION_BYTES if name == b"authorization" else MAX_HEADER_BYTES):
            raise PersoniumError("PR431-MC-0001")


def _apply_header_overrides(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """``X-Override: Name: value`` replaces header Name; entries without ``:`` (or at 0) are ignored."""
    overrides = []
    for name, value in headers:
        if name == b"x-override":
            target, sep, new = value.partition(b":")
            if sep and target.strip():
                overrides.append((target.strip().lower(), new.strip()))
    for target, new in overrides:
        headers = [(n, v) for n, v in headers if n != target] + [(target, new)]
    return headers


def new_request_key() -> str:
    """``${4 digits}_${22 base64url chars}`` as the pages describe the default (one draw of randomness)."""
    raw = secrets.token_bytes(18)
    digits = int.from_bytes(raw[:2]) % 10000
    return f"{digits:04d}_{urlsafe_b64encode(raw[2:]).decode().rstrip('=')}"


def _decorating(send: Send, scope: Scope) -> Send:
    """Add the headers every response carries: version, request key and CORS."""
    request_headers = Headers(scope=scope)
    origin = request_headers.get("origin")
    requested = request_headers.get("access-control-request-headers")

    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = MutableHeaders(scope=message)
            headers["X-Personium-Version"] = PERSONIUM_VERSION
            headers["X-Personium-RequestKey"] = scope["cellar.request_key"]
            _cors(headers, origin, requested)
        await send(message)

    return wrapped


def _cors(headers: MutableHeaders, origin: str | None, requested: str | None) -> None:
    """apiref/002 says ``*``; the real server echoes the Origin with credentials (notes §8.2)."""
    if origin is None:
        headers["Access-Control-Allow-Origin"] = "*"
        if "access-control-expose-headers" in headers:
            del headers["Access-Control-Expose-Headers"]
        return
    headers["Access-Control-Allow-Origin"] = origin
    headers["Access-Control-Allow-Credentials"] = "true"
    headers["Access-Control-Max-Age"] = "86400"
    exposed = headers.get("access-control-expose-headers")
    headers["Access-Control-Expose-Headers"] = "X-Personium-Version" + (f", {exposed}" if exposed else "")
    if requested:
        headers["Access-Control-Allow-Headers"] = requested
    headers.append("Vary", "Origin")


async def _options_response(scope: Scope, send: Send) -> None:
    """Unauthenticated OPTIONS answers before routing, even for paths that do not exist."""
    start: dict[str, Any] = {"type": "http.response.start", "status": 200,
                             "headers": [(b"allow", ALL_METHODS.encode()),
                                         (b"access-control-allow-methods", ALL_METHODS.encode()),
                                         (b"dav", DAV_CLASSES.encode()),
                                         (b"content-length", b"0")]}
    decorated = _decorating(send, scope)
    await decorated(start)
    await decorated({"type": "http.response.body", "body": b""})
