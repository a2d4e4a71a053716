"""Per-request context handed to handlers: the services and who is calling.

Who is calling depends on where: a cell-local token means something only inside its cell, so the
access context is computed by the unit-level or the cell-level handler, not up front.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from starlette.requests import HTTPConnection

from cellar.auth.authn.credentials import cell_access, unit_access
from cellar.auth.authn.tokens import CookieCodec
from cellar.auth.context import AccessContext, AccessKind, Caller
from cellar.events.bus import Cause
from cellar.services import Services
from cellar.storage.uow import Transaction

#: Request headers domain code may read (it never sees the request itself).
DOMAIN_HEADERS = ("x-personium-credential",)
#: What a rule's action says of the chain of rules that made its request (RuleManager, HttpAction).
CHAIN_HEADERS = ("x-personium-rulechain", "x-personium-via", "x-personium-eventid")


@dataclass(frozen=True)
class RequestContext:
    services: Services
    authorization: str | None
    unit_user: str | None
    headers: dict[str, str]
    #: ``p_cookie`` and the ``p_cookie_peer`` query parameter, used only without Authorization.
    cookie: tuple[str, str] | None = None
    #: ``X-Personium-RequestKey`` as the middleware validated or generated it.
    request_key: str | None = None
    chain: tuple[str | None, str | None, str | None] = (None, None, None)

    @classmethod
    def of(cls, request: HTTPConnection) -> RequestContext:
        services: Services = request.app.state.services
        headers = request.headers
        unit_user = headers.get("x-personium-unit-user")
        forwarded = {name: headers[name] for name in DOMAIN_HEADERS if name in headers}
        authorization = headers.get("authorization")
        cookie = None
        if authorization is None and request.scope["query_string"]:
            peer = request.query_params.get("p_cookie_peer")
            if peer is not None:
                cookie = (request.cookies.get("p_cookie") or "", peer)
        chain = (headers.get(CHAIN_HEADERS[0]), headers.get(CHAIN_HEADERS[1]), headers.get(CHAIN_HEADERS[2]))
        return cls(services, authorization, services.urls.canonical(unit_user) if unit_user else None, forwarded,
                   cookie, request.scope.get("cellar.request_key"), chain)

    def cause(self, caller: Caller) -> Cause:
        """What the events of this request's writes carry about it."""
        access = caller.access
        return Cause(self.request_key, access.subject_url, access.schema or None, access.roles, *self.chain)

    def _caller(self, access: AccessContext) -> Caller:
        return Caller(access, self.headers, self.services.urls.unit_url)

    def unit_caller(self) -> Caller:
        return self._caller(unit_access(self.services.auth, self.authorization, self.unit_user))

    def cell_caller(self, tx: Transaction, cell: Mapping[str, Any]) -> Caller:
        """Who calls, judged inside the cell; the transaction's events will carry it."""
        caller = self._cell_caller(tx, cell)
        tx.cause = self.cause(caller)
        return caller

    def _cell_caller(self, tx: Transaction, cell: Mapping[str, Any]) -> Caller:
        authorization = self.authorization
        if authorization is None and self.cookie is not None:
            cell_url = self.services.urls.cell_url(cell["name"])
            token = CookieCodec(self.services.keyring.codec).open(self.cookie[0], self.cookie[1], cell_url)
            if token is None:
                return self._caller(AccessContext(AccessKind.INVALID, error_code="PR401-AU-0009"))
            authorization = f"Bearer {token}"
        return self._caller(cell_access(self.services.auth, tx, cell, authorization, self.unit_user))
