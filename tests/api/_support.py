"""Small helpers shared by the unit-level API tests (pages 100–107, 200, 296, 400–407)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote

import httpx
from starlette.testclient import TestClient

from tests.conftest import UNIT
from tests.helpers import MASTER_AUTH, make_cell

CTL = f"{UNIT}__ctl/"
CELL_SET = "/__ctl/Cell"
PERSONIUM_VERSION = "1.8.4"
#: notes §8.2: unauthenticated OPTIONS lists every method Personium supports.
ALL_METHODS = "OPTIONS, GET, POST, PUT, DELETE, HEAD, MERGE, MKCOL, MOVE, COPY, PROPFIND, PROPPATCH, ACL"
NO_AUTH_JSON = {"Accept": "application/json"}

_ETAG = re.compile(r'^W/"(\d+)-(\d+)"$')
_DATE = re.compile(r"^/Date\((-?\d+)\)/$")


def cell_path(name: str) -> str:
    """``/__ctl/Cell('name')`` (single-key form)."""
    return f"{CELL_SET}('{name}')"


def cell_uri(name: str) -> str:
    """``__metadata.uri`` / ``Location`` of a cell (notes §11: ``Cell('x')``, not ``Cell(Name='x')``)."""
    return f"{CTL}Cell('{name}')"


def cell_url(name: str) -> str:
    """Path-based cell URL (the test unit runs in path mode)."""
    return f"{UNIT}{name}/"


def etag_parts(etag: str) -> tuple[int, int]:
    """``W/"3-1486456585171"`` → (3, 1486456585171); fails the test on any other shape."""
    match = _ETAG.match(etag)
    assert match, f"not a weak OData ETag: {etag!r}"
    return int(match.group(1)), int(match.group(2))


def date_ms(value: str) -> int:
    """``/Date(1486456585171)/`` → 1486456585171."""
    match = _DATE.match(value)
    assert match, f"not an OData /Date(ms)/ value: {value!r}"
    return int(match.group(1))


def make_cells(client: Any, *names: str, headers: dict[str, str] | None = None) -> None:
    for name in names:
        make_cell(client, name, headers)


def get_cell(client: Any, name: str, headers: dict[str, str] | None = None) -> httpx.Response:
    return client.get(cell_path(name), headers=headers or MASTER_AUTH)


def list_cells(client: Any, headers: dict[str, str] | None = None, **params: str) -> httpx.Response:
    return client.get(CELL_SET, params=params, headers=headers or MASTER_AUTH)


def results(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    return response.json()["d"]["results"]


def names(response: httpx.Response) -> list[str]:
    """The ``Name`` of every entry of a JSON list response, in response order."""
    return [entry["Name"] for entry in results(response)]


def current_etag(client: Any, name: str) -> str:
    response = get_cell(client, name)
    assert response.status_code == 200, response.text
    return response.headers["etag"]


def raw_request(client: TestClient, method: str, path: str, headers: dict[str, str | bytes],
                body: bytes = b"") -> httpx.Response:
    """One request straight into the ASGI app, header bytes as given and the response's header bytes kept.

    httpx refuses to send or read back some bytes a real peer may send (non-ASCII header values, which
    the app may echo); the wire carries them, so the server must survive them."""
    raw = {b"host": b"localhost:8080", b"content-length": str(len(body)).encode()}
    raw |= {name.lower().encode(): value if isinstance(value, bytes) else value.encode()
            for name, value in headers.items()}
    raw_path, _, query = path.encode().partition(b"?")
    scope = {"type": "http", "http_version": "1.1", "method": method, "scheme": "http",
             "path": unquote(raw_path.decode()), "raw_path": raw_path, "root_path": "", "query_string": query,
             "headers": list(raw.items()),
             "client": ("127.0.0.1", 50000), "server": ("localhost", 8080), "state": client.app_state.copy(),
             "extensions": {}}
    messages: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    assert client.portal is not None, "the client must be open (used as a context manager)"
    client.portal.call(client.app, scope, receive, send)
    start = next(m for m in messages if m["type"] == "http.response.start")
    content = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
    return httpx.Response(start["status"], headers=start.get("headers", []), content=content,
                          request=httpx.Request(method, f"{UNIT.rstrip('/')}{path}"))


def assert_not_server_error(response: httpx.Response) -> None:
    """Robustness: whatever the input, never a 5xx, and errors keep the Personium body shape."""
    assert response.status_code < 500, (response.status_code, response.text)
    if response.status_code >= 400 and response.content:
        assert response.headers["content-type"].startswith("application/json"), response.headers
        body = response.json()
        assert body["code"].startswith(f"PR{response.status_code}-"), body

