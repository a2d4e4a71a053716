"""Requests this unit makes to cells — message delivery now, rule relays and scripts later.

A URL of this unit is answered in-process by the unit's own ASGI app: the same handlers, the same
authentication and checks as over the network, without a socket or a dependence on how the public URL
routes back here. Every other URL goes over the network, with one timeout for the whole exchange.
"""

from __future__ import annotations

import httpx
from starlette.types import ASGIApp

from cellar.urls import UnitUrls


class _Routing(httpx.AsyncBaseTransport):
    def __init__(self, urls: UnitUrls, app: ASGIApp) -> None:
        self.urls = urls
        self.local = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        self.network = httpx.AsyncHTTPTransport(retries=0)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        transport = self.local if self.urls.is_local(str(request.url)) else self.network
        return await transport.handle_async_request(request)

    async def aclose(self) -> None:
        await self.network.aclose()


class Outbound:
    """One client per process; ``timeout`` bounds each request from connecting to the last byte."""

    def __init__(self, urls: UnitUrls, app: ASGIApp, timeout: float) -> None:
        self.timeout = timeout
        self.urls, self._app = urls, app
        self._client: httpx.AsyncClient | None = None

    @property
    def client(self) -> httpx.AsyncClient:
        """Made on first use, inside the event loop that serves requests."""
        if self._client is None:
            self._client = httpx.AsyncClient(transport=_Routing(self.urls, self._app), follow_redirects=False,
                                             timeout=httpx.Timeout(self.timeout))
        return self._client

    async def post(self, url: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
        return await self.client.post(url, content=body, headers=headers)

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None
