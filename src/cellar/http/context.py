"""Per-request context handed to handlers: the services and who is calling.

Who is calling depends on where: a cell-local token means something only inside its cell, so the
access context is computed by the unit-level or the cell-level handler, not up front.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from cellar.auth.context import AccessContext, Caller
from cellar.auth.credentials import cell_access, unit_access
from cellar.services import Services
from cellar.storage.uow import Transaction

#: Request headers domain code may read (it never sees the request itself).
DOMAIN_HEADERS = ("x-personium-credential",)


@dataclass(frozen=True)
class RequestContext:
    services: Services
    authorization: str | None
    unit_user: str | None
    headers: dict[str, str]

    @classmethod
    def of(cls, request: Request) -> RequestContext:
        services: Services = request.app.state.services
        headers = request.headers
        unit_user = headers.get("x-personium-unit-user")
        forwarded = {name: headers[name] for name in DOMAIN_HEADERS if name in headers}
        return cls(services, headers.get("authorization"),
                   services.urls.canonical(unit_user) if unit_user else None, forwarded)

    def _caller(self, access: AccessContext) -> Caller:
        return Caller(access, self.headers, self.services.urls.unit_url)

    def unit_caller(self) -> Caller:
        return self._caller(unit_access(self.services.auth, self.authorization, self.unit_user))

    def cell_caller(self, tx: Transaction, cell: Mapping[str, Any]) -> Caller:
        return self._caller(cell_access(self.services.auth, tx, cell, self.authorization, self.unit_user))
