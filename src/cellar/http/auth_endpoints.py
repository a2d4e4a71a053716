"""``__introspect`` (apiref/297), ``__mypassword`` (apiref/294) and ``__certs`` (apiref/298)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from cellar.errors import PersoniumError
from cellar.http.context import RequestContext


async def introspect(request: Request, ctx: RequestContext, cell_name: str) -> Response:
    raise PersoniumError("PR501-MC-0002", "__introspect")


async def my_password(request: Request, ctx: RequestContext, cell_name: str) -> Response:
    raise PersoniumError("PR501-MC-0002", "__mypassword")


async def certs(request: Request, ctx: RequestContext, cell_name: str) -> Response:
    raise PersoniumError("PR501-MC-0002", "__certs")
