"""``{CellURL}__authz`` — apiref/292 and 292p: the OAuth 2.0 authorization endpoint."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from cellar.errors import PersoniumError
from cellar.http.context import RequestContext


async def authorization_endpoint(request: Request, ctx: RequestContext, cell_name: str) -> Response:
    raise PersoniumError("PR501-MC-0002", "__authz")
