"""Choosing JSON or Atom for OData reads (notes §7.1), and reading request bodies within limits."""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.requests import Request

from cellar.errors import PersoniumError

#: Control-object bodies are small (a string property is at most 51,200 bytes); refuse floods early.
MAX_JSON_BODY = 1024 * 1024


def odata_format(request: Request, format_option: str | None) -> str:
    """``$format`` wins; else ``Accept`` compared exactly, as the real server does: XML/Atom → atom,
    JSON → json, ``*/*`` or no header → atom, anything else → 406."""
    if format_option is not None:
        return format_option
    accept = request.headers.get("accept")
    if not accept:
        return "atom"
    if not accept.isascii():
        raise PersoniumError("PR400-OD-0041", "Accept", accept)
    types = {part.split(";", 1)[0].strip() for part in accept.split(",")}
    if types & {"application/atom+xml", "application/xml"}:
        return "atom"
    if "application/json" in types:
        return "json"
    if "*/*" in types:
        return "atom"
    raise PersoniumError("PR406-OD-0001", accept)


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
