"""The framework's limit for bench/dav.py: a bare Starlette app answering every GET with 1 KB.

No middleware, no database, no authentication: what is left of a request through uvicorn and
Starlette routing. bench/references.py serves it with the uvicorn options ``cellar serve`` uses.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

ONE_KB = b"x" * 1023 + b"\n"


async def one_kb(request: Request) -> Response:
    return Response(ONE_KB, media_type="text/plain")


def create() -> Starlette:
    """An app factory, as ``cellar.asgi:create`` is (uvicorn ``--factory``)."""
    return Starlette(routes=[Route("/{path:path}", one_kb)])
