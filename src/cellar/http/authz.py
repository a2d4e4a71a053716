"""``{CellURL}__authz`` — apiref/292 and 292p: the OAuth 2.0 authorization endpoint (HTTP side).

GET reads the query, POST the form body; the domain logic is :mod:`cellar.auth.oauth.authz`. Answers are
HTML pages (200) or 303 redirects with an empty body, never cached.
"""

from __future__ import annotations

from dataclasses import replace
from html import escape

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from cellar.auth.oauth.authz import AuthorizationEndpoint, AuthzRequest, Redirect
from cellar.errors import CATALOG, PersoniumError, format_message
from cellar.http.context import RequestContext
from cellar.http.negotiation import client_ip, form_params, read_body
from cellar.http.token import checked_password
from cellar.unit.cells import find_cell

ALLOW = "OPTIONS, GET, POST"
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
#: The login page runs no script and loads nothing; it must not be framed (clickjacking).
PAGE_HEADERS = {
    **NO_STORE,
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; "
                               "frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}
MAX_FORM = 64 * 1024


async def authorization_endpoint(request: Request, ctx: RequestContext, cell_name: str) -> Response:
    if request.method == "OPTIONS":
        return Response(headers={"Allow": ALLOW, "Access-Control-Allow-Methods": ALLOW})
    if request.method == "GET":
        params = form_params(request.scope.get("query_string", b""))
    elif request.method == "POST":
        params = form_params(await read_body(request, MAX_FORM))
    else:
        raise PersoniumError("PR405-MC-0001")
    authz_request = AuthzRequest(request.method == "POST", params, client_ip(request))

    def work() -> Response:
        login = authz_request
        if login.post:
            login = replace(login, checked=checked_password(ctx, cell_name, params.get("username"),
                                                            params.get("password")))
        # GET only shows a form; POST records logins, so only POST writes.
        with ctx.services.storage.transaction("auth.authz", write=login.post) as tx:
            cell = find_cell(tx, cell_name)
            if cell is None:
                raise PersoniumError("PR404-DV-0003")
            result = AuthorizationEndpoint(ctx.services, tx, cell).handle(login)
        if isinstance(result, Redirect):
            return Response(status_code=303, headers={**NO_STORE, "Location": result.location})
        return HTMLResponse(result.html, headers=PAGE_HEADERS)

    return await run_in_threadpool(work)






async def error_page(request: Request, ctx: RequestContext, cell_name: str) -> Response:
    """``{CellURL}__html/error?code=PR…`` — the page ``__authz`` sends a browser to when it cannot
    trust the redirect URI with the error (notes §1.3)."""
    if request.method not in ("GET", "HEAD"):
        raise PersoniumError("PR405-MC-0001")
    code = request.query_params.get("code", "")
    spec = CATALOG.get(code)
    message = format_message(spec.template, ()) if spec else "Unknown error."
    page = (f"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Error</title></head><body>"
            f"<h1>Error</h1><p>{escape(code if spec else '')}</p><p>{escape(message)}</p></body></html>")
    return HTMLResponse(page, headers=PAGE_HEADERS)
