"""Reading query parameters, forms and request bodies within limits."""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.requests import Request

from cellar.errors import PersoniumError

#: Control-object bodies are small (a string property is at most 51,200 bytes); refuse floods early.
MAX_JSON_BODY = 1024 * 1024


def query_params(request: Request) -> dict[str, str]:
    """Query parameters where the first occurrence of a repeated name wins, as in the real server."""
    params: dict[str, str] = {}
    for name, value in request.query_params.multi_items():
        params.setdefault(name, value)
    return params


def form_params(raw: bytes) -> dict[str, str]:
    """``application/x-www-form-urlencoded`` (a body or a query), whatever the Content-Type says;
    the first of repeated names wins; undecodable input is no parameters at all."""
    try:
        pairs = parse_qsl(raw.decode("utf-8"), keep_blank_values=True, errors="strict")
    except (UnicodeDecodeError, ValueError):
        return {}
    params: dict[str, str] = {}
    for name, value in pairs:
        params.setdefault(name, value)
    return params


def client_ip(request: Request) -> str | None:
    """The first ``X-Forwarded-For`` entry (the client behind a proxy), else the peer address."""
    forwarded = request.headers.get("x-forwarded-for")
    if forwarded:
        return forwarded.split(",", 1)[0].strip()
    return request.client.host if request.client else None


async def read_body(request: Request, limit: int = MAX_JSON_BODY) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PersoniumError("PR413-MC-0001")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PersoniumError("PR413-MC-0001")
        chunks.append(chunk)
    return b"".join(chunks)
