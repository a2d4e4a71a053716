"""``__introspect`` (apiref/297), ``__mypassword`` (apiref/294) and ``__certs`` (apiref/298).

The HTTP side only: methods, bodies and transactions. Who may do what is decided in
:mod:`cellar.auth.oauth.introspect` and :mod:`cellar.auth.oauth.password_change`.
"""

from __future__ import annotations

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from cellar import clock
from cellar.auth.access.endpoint_privileges import CELL_ENDPOINTS
from cellar.auth.authn.keyring import cell_public_jwks
from cellar.auth.oauth import introspect as introspection
from cellar.auth.oauth import password_change
from cellar.errors import PersoniumError
from cellar.http.context import RequestContext
from cellar.http.ctl import load_cell_request
from cellar.http.negotiation import form_params, read_body
from cellar.unit.cells import find_cell, find_cell_by_id

MAX_FORM = 64 * 1024


def _allow(methods: str) -> Response:
    return Response(headers={"Allow": methods, "Access-Control-Allow-Methods": methods})


async def introspect(request: Request, ctx: RequestContext, cell_name: str) -> Response:
    """Accept is ignored and every body is read as a form; the answer is always JSON (apiref/297)."""
    cell_request = await run_in_threadpool(load_cell_request, ctx, cell_name)
    cell, caller, cell_url = cell_request.cell, cell_request.caller, cell_request.url
    services = ctx.services
    if request.method == "OPTIONS":
        cell_request.authorize(CELL_ENDPOINTS["__introspect"]["OPTIONS"])
        return _allow("OPTIONS, POST")
    if request.method != "POST":
        raise PersoniumError("PR405-MC-0001")
    token = form_params(await read_body(request, MAX_FORM)).get("token")
    keyring = services.keyring
    settings = services.settings
    user = introspection.IntrospectUser(settings.introspect_username, settings.introspect_password)

    def work() -> dict[str, object]:
        # Client authentication verifies an XML signature: off the event loop, like the rest.
        schema = introspection.allowed_schema(caller, ctx.authorization, cell, cell_url, services.urls,
                                              keyring.unit.trusted_roots, user)
        with services.storage.transaction("auth.introspect", write=False) as tx:
            return introspection.introspect(tx, cell, cell_url, token, schema, keyring.codec, services.urls,
                                            keyring.unit.trusted_roots, clock.now_ms())

    body = await run_in_threadpool(work)
    return Response(orjson.dumps(body), media_type="application/json")


async def my_password(request: Request, ctx: RequestContext, cell_name: str) -> Response:
    cell_request = await run_in_threadpool(load_cell_request, ctx, cell_name)
    cell = cell_request.cell
    if request.method == "OPTIONS":
        return _allow("OPTIONS, PUT")
    if request.method != "PUT":
        raise PersoniumError("PR405-MC-0001")
    # Authorized and hashed first: argon2 must not run while the write transaction is held.
    change = await run_in_threadpool(password_change.prepare, cell_request.caller, cell_request.url)

    def work() -> None:
        with ctx.services.storage.transaction("auth.mypassword", cause=ctx.cause(cell_request.caller)) as tx:
            if find_cell_by_id(tx, cell["id"]) is None:
                raise PersoniumError("PR404-DV-0003")
            password_change.apply(tx, cell["id"], cell_request.url, change)

    await run_in_threadpool(work)
    return Response(status_code=204)


async def certs(request: Request, ctx: RequestContext, cell_name: str) -> Response:
    """No authentication: the public half of the cell's id_token signing key, as a JWK set."""
    if request.method not in ("GET", "HEAD"):
        await run_in_threadpool(load_cell_request, ctx, cell_name)
        if request.method == "OPTIONS":
            return _allow("OPTIONS, GET")
        raise PersoniumError("PR405-MC-0001")

    def work() -> dict[str, list[dict[str, str]]]:
        # A write transaction: the cell's key is made on first use.
        with ctx.services.storage.transaction("auth.certs") as tx:
            cell = find_cell(tx, cell_name)
            if cell is None:
                raise PersoniumError("PR404-DV-0003")
            return cell_public_jwks(tx, cell["id"])

    return Response(orjson.dumps(await run_in_threadpool(work)), media_type="application/json")

