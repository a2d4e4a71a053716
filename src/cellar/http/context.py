"""Per-request context handed to handlers: the services and who is calling."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from cellar.auth.context import Caller
from cellar.auth.credentials import access_from_headers
from cellar.services import Services


#: Request headers domain code may read (it never sees the request itself).
DOMAIN_HEADERS = ("x-personium-credential",)


@dataclass(frozen=True)
class RequestContext:
    services: Services
    caller: Caller

    @classmethod
    def of(cls, request: Request) -> RequestContext:
        services: Services = request.app.state.services
        headers = request.headers
        unit_user = headers.get("x-personium-unit-user")
        access = access_from_headers(headers.get("authorization"),
                                     services.urls.canonical(unit_user) if unit_user else None,
                                     services.settings.master_token)
        forwarded = {name: headers[name] for name in DOMAIN_HEADERS if name in headers}
        caller = Caller(access, forwarded, services.urls.unit_url)
        return cls(services, caller)
