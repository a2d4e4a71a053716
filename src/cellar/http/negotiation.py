"""Reading query parameters, forms and request bodies within limits."""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import parse_qsl

import anyio
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from cellar.errors import PersoniumError
from cellar.storage.blobs import CHUNK_SIZE, BlobStore, Upload

#: Control-object bodies are small (a string property is at most 51,200 bytes); refuse floods early.
MAX_JSON_BODY = 1024 * 1024
#: WebDAV request bodies (PROPFIND, PROPPATCH, ACL, MKCOL) are small XML documents.
MAX_XML_BODY = 256 * 1024


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
    chunks: list[bytes] = []
    async for chunk in _limited(request, limit):
        chunks.append(chunk)
    return b"".join(chunks)


async def _limited(request: Request, limit: int) -> AsyncIterator[bytes]:
    """The body as it arrives; 413 ``PR413-MC-0001`` as soon as it (or its declared length) is too long."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PersoniumError("PR413-MC-0001")
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PersoniumError("PR413-MC-0001")
        yield chunk


async def receive_body(request: Request, blobs: BlobStore, cell_id: str, limit: int) -> bytes | Upload:
    """A body of at most one chunk comes back whole, to be written with its node in one transaction;
    a larger one is staged as it arrives (:func:`stage_body`)."""
    pending: list[bytes] = []
    held = 0
    stream = _limited(request, limit)
    async for piece in stream:
        pending.append(piece)
        held += len(piece)
        if held > CHUNK_SIZE:
            return await stage_body(blobs, cell_id, pending, stream)
    return b"".join(pending)


async def stage_body(blobs: BlobStore, cell_id: str, received: list[bytes], rest: AsyncIterator[bytes]) -> Upload:
    """Stream the body (what was ``received`` so far, then the ``rest``) into a staged blob, about a
    chunk at a time, each written in a transaction of its own; on any failure (too long, client gone)
    the partial blob is discarded at once."""
    upload = await run_in_threadpool(blobs.stage, cell_id)
    try:
        pending = list(received)
        held = sum(map(len, pending))
        async for piece in rest:
            if held >= CHUNK_SIZE:
                await run_in_threadpool(upload.write, b"".join(pending))
                pending, held = [], 0
            pending.append(piece)
            held += len(piece)
        await run_in_threadpool(upload.write, b"".join(pending))
        await run_in_threadpool(upload.finish)
    except BaseException:
        await discard_upload(blobs, upload.blob_id)
        raise
    return upload


async def discard_upload(blobs: BlobStore, blob_id: str) -> None:
    """Even when the request is being cancelled (client gone, server stopping)."""
    with anyio.CancelScope(shield=True):
        await run_in_threadpool(blobs.discard, blob_id)
