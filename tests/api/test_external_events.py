"""External events — apiref/278: ``POST {CellURL}__event``, on both databases.

Where the page and the real server differ the server wins (EventResource, EventTest): nothing is
required, a bad body is PR400-CM-0004, a value that is no string or longer than 51,200 characters
PR400-EV-0004, and success is 200 with an empty body.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.api._auth_support import make_cells
from tests.api.test_events import Received, received  # noqa: F401 - the fixture
from tests.api.test_messages import account_token
from tests.helpers import MASTER_AUTH, assert_error


@pytest.fixture
def cell(client: Any) -> Any:
    return make_cells(client, "alice")


def post(client: Any, body: Any, headers: dict[str, str] | None = None) -> Any:
    return client.post("/alice/__event", json=body, headers=headers or MASTER_AUTH)


def test_post_like_page_278(client: Any, cell: Any, received: Received) -> None:  # noqa: F811
    start = received.quiet()
    response = post(client, {"Type": "action", "Object": "object", "Info": "result"},
                    {**MASTER_AUTH, "X-Personium-RequestKey": "key-1"})
    assert response.status_code == 200, response.text
    assert response.content == b""
    [event] = received.wait(start + 1)[start:]
    assert (event.type, event.object, event.info, event.external) == ("action", "object", "result", True)
    assert event.cause.request_key == "key-1"
    assert event.cell_id is not None


def test_nothing_is_required(client: Any, cell: Any, received: Received) -> None:  # noqa: F811
    start = received.quiet()
    assert post(client, {"Unknown": 1}).status_code == 200
    [event] = received.wait(start + 1)[start:]
    assert (event.type, event.object, event.info) == (None, None, None)
    assert post(client, {"Type": "", "Object": None, "Info": "x" * 51200}).status_code == 200


@pytest.mark.parametrize(("body", "code", "field"), [
    ({"Type": 1}, "PR400-EV-0004", "[Type] field format error."),
    ({"Object": True}, "PR400-EV-0004", "[Object] field format error."),
    ({"Info": {"a": 1}}, "PR400-EV-0004", "[Info] field format error."),
    ({"Type": "x" * 51201}, "PR400-EV-0004", "[Type] field format error."),
    ({"Type": 1, "Object": 2}, "PR400-EV-0004", "[Type] field format error."),
    ([], "PR400-CM-0004", "JSON parse error."),
])
def test_bad_bodies(client: Any, cell: Any, body: Any, code: str, field: str) -> None:
    error = assert_error(post(client, body), 400, code)
    assert error["message"]["value"].startswith(field) or field in error["message"]["value"], error


@pytest.mark.parametrize("raw", [b"", b"{", b"null", b'"x"'])
def test_bodies_that_are_no_json_object(client: Any, cell: Any, raw: bytes) -> None:
    assert_error(client.post("/alice/__event", content=raw, headers=MASTER_AUTH), 400, "PR400-CM-0004")


def test_privilege_event(client: Any, cell: Any) -> None:
    assert_error(post(client, {}, {"Accept": "application/json"}), 401, "PR401-AU-0001")
    reader = account_token(client, "alice", "reader", "event-read")
    assert_error(post(client, {}, reader), 403, "PR403-AU-0002")
    writer = account_token(client, "alice", "writer", "event")
    assert post(client, {"Type": "t"}, writer).status_code == 200


def test_other_methods(client: Any, cell: Any) -> None:
    for method in ("GET", "PUT", "DELETE"):
        assert_error(client.request(method, "/alice/__event", headers=MASTER_AUTH), 405, "PR405-MC-0001")
    for method in ("PROPFIND", "PROPPATCH"):  # log settings (pages 287-288) were never made
        response = client.request(method, "/alice/__event", headers={"Accept": "application/json"})
        assert_error(response, 501, "PR501-MC-0001")
    assert_error(post(client, {}, {**MASTER_AUTH, "X-Personium-RequestKey": "abc#123"}), 400, "PR400-EV-0002")
    assert_error(client.post("/nobody/__event", json={}, headers=MASTER_AUTH), 404, "PR404-DV-0003")
