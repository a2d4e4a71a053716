"""``{CellURL}__token`` — apiref/293: the HTTP side (form parsing, OAuth error shape, no caching)."""

from __future__ import annotations

import uuid
from dataclasses import replace
from urllib.parse import urlsplit

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from cellar.auth.authn.tokens import CookieCodec
from cellar.auth.oauth.token_endpoint import Failure, PasswordCheck, TokenEndpoint, TokenRequest, password_to_check
from cellar.errors import PersoniumError
from cellar.http.context import RequestContext
from cellar.http.negotiation import client_ip, form_params, read_body
from cellar.unit.cells import find_cell

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
MAX_FORM = 64 * 1024


async def token_endpoint(request: Request, ctx: RequestContext, cell_name: str) -> Response:
    request.scope["cellar.error_style"] = "oauth"
    if request.method == "OPTIONS":
        return Response(headers={"Allow": "OPTIONS, POST", "Access-Control-Allow-Methods": "OPTIONS, POST"})
    if request.method != "POST":
        raise PersoniumError("PR405-MC-0001")
    token_request = TokenRequest(form_params(await read_body(request, MAX_FORM)), request.headers.get("authorization"),
                                 client_ip(request))

    def work() -> Response:
        params = token_request.params
        checked = checked_password(ctx, cell_name, params.get("username"), params.get("password")) \
            if params.get("grant_type") == "password" else None
        with ctx.services.storage.transaction("auth.token") as tx:
            cell = find_cell(tx, cell_name)
            if cell is None:
                raise PersoniumError("PR404-DV-0003")
            result = TokenEndpoint(ctx.services, tx, cell).handle(replace(token_request, checked=checked))
        if isinstance(result, Failure):
            raise PersoniumError(result.error.code, *result.error.params, extra=result.extra,
                                 headers=result.error.headers)
        response = Response(orjson.dumps(result.body), headers={**NO_STORE, **result.headers},
                            media_type="application/json")
        if token_request.params.get("p_cookie") == "true" and "p_target" not in result.body \
                and "refresh_token" in result.body:
            _set_cookie(ctx, response, result.body, cell_name)
        return response

    return await run_in_threadpool(work)





def checked_password(ctx: RequestContext, cell_name: str, username: str | None,
                     password: str | None) -> PasswordCheck | None:
    """Hash a login's password before its write transaction (SQLite has one writer; argon2 takes
    tens of milliseconds and releases the GIL, so logins hash in parallel)."""
    if not username or not password:
        return None
    with ctx.services.storage.transaction("auth.password", write=False) as tx:
        cell = find_cell(tx, cell_name)
        if cell is None:
            raise PersoniumError("PR404-DV-0003")
        pending = password_to_check(tx, cell["id"], username)
    return pending.verified(password)


def _set_cookie(ctx: RequestContext, response: Response, body: dict[str, object], cell_name: str) -> None:
    """``p_cookie`` (notes §3.4): a session cookie holding the access token, usable together with
    the ``p_cookie_peer`` value returned in the body."""
    cell_url = ctx.services.urls.cell_url(cell_name)
    peer = uuid.uuid4().hex
    body["p_cookie_peer"] = peer
    response.body = orjson.dumps(body)
    response.headers["content-length"] = str(len(response.body))
    value = CookieCodec(ctx.services.keyring.codec).seal(peer, str(body["access_token"]), cell_url)
    response.set_cookie("p_cookie", value, path=urlsplit(cell_url).path, secure=cell_url.startswith("https:"),
                        httponly=True, samesite="lax")
