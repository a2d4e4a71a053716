"""Rules as control objects — apiref 2A0-2A9 (notes §5.1), on both databases.

The validation table follows personium-core's CellCtlResource.validateRule and its unit tests
(CellCtlResourceTest.validateRule_*), where the pages are silent.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.api._auth_support import make_box, make_cells
from tests.helpers import MASTER_AUTH, assert_error

CELL = "c1"
BASE = f"/{CELL}/__ctl/Rule"
UNIT_CELL = "http://localhost:8080/c2/"  # an http URL of this (test) unit


@pytest.fixture
def cell(client: Any) -> Any:
    return make_cells(client, CELL)


def create(client: Any, body: dict[str, Any]) -> Any:
    return client.post(BASE, json=body, headers=MASTER_AUTH)


def created(client: Any, body: dict[str, Any]) -> dict[str, Any]:
    response = create(client, body)
    assert response.status_code == 201, response.text
    return response.json()["d"]["results"]  # type: ignore[no-any-return]


def test_create_like_page_2a0(client: Any, cell: Any) -> None:
    body = {"Name": "rule1", "EventExternal": False, "EventSubject": "https://cell1.example/#account",
            "EventType": "odata.create", "EventObject": "personium-localcell:/box1/odata/Entity",
            "EventInfo": "201", "Action": "exec", "TargetUrl": "personium-localcell:/box1/service/svc"}
    response = create(client, body)
    assert response.status_code == 201, response.text
    entity = response.json()["d"]["results"]
    assert response.headers["location"] == f"http://localhost:8080/{CELL}/__ctl/Rule(Name='rule1',_Box.Name=null)"
    assert entity["__metadata"]["type"] == "CellCtl.Rule"
    assert {k: entity[k] for k in body} == body  # kept as written, nothing converted
    assert entity["_Box.Name"] is None
    assert set(entity["_Box"]) == {"__deferred"}


def test_defaults(client: Any, cell: Any) -> None:
    entity = created(client, {"Action": "log"})
    assert len(entity["Name"]) == 32
    assert entity["EventExternal"] is False
    assert all(entity[k] is None for k in ("EventSubject", "EventType", "EventObject", "EventInfo", "TargetUrl"))


@pytest.mark.parametrize(("body", "field"), [
    ({"Name": "_bad", "Action": "log"}, "Name"),
    ({"Name": "x" * 201, "Action": "log"}, "Name"),
    ({"_Box.Name": "-box", "Action": "log"}, "_Box.Name"),
    ({"EventSubject": "ftp://x.example/", "Action": "log"}, "EventSubject"),
    ({"EventType": "odata create", "Action": "log"}, "EventType"),
    ({"EventType": "x" * 128, "Action": "log"}, "EventType"),
    ({"Action": "log.debug"}, "Action"),
    ({}, "Action"),
    ({"Action": None}, "Action"),
    ({"EventExternal": "yes", "Action": "log"}, "EventExternal"),
    ({"EventSubject": f"{UNIT_CELL}#me", "Action": "log"}, "EventSubject"),
    ({"Action": "relay", "TargetUrl": f"{UNIT_CELL}box/col/svc"}, "TargetUrl"),
    ({"EventType": "timer.oneshot", "EventExternal": True, "EventObject": "1", "Action": "log"}, "EventExternal"),
    ({"EventType": "timer.oneshot", "EventObject": "0", "Action": "log"}, "EventObject"),
    ({"EventType": "timer.periodic", "EventObject": "-10", "Action": "log"}, "EventObject"),
    ({"EventType": "timer.periodic", "EventObject": "253402300800000", "Action": "log"}, "EventObject"),
    ({"EventType": "timer.periodic", "Action": "log"}, "EventObject"),
    ({"EventType": "odata.get", "Action": "relay.data", "TargetUrl": "https://c.example/box/col/ent"}, "EventType"),
    ({"Action": "relay.data", "TargetUrl": "https://c.example/box/col/ent"}, "EventType"),
    ({"EventObject": "personium-localbox:/col/entity", "Action": "log"}, "EventObject"),
    ({"EventObject": "https://c.example/box", "Action": "log"}, "EventObject"),
    ({"EventObject": "/personium/box", "Action": "log"}, "EventObject"),
    ({"EventObject": "personium-localcell:/box/../x", "Action": "log"}, "EventObject"),
    ({"Action": "relay"}, "TargetUrl"),
    ({"Action": "exec"}, "TargetUrl"),
    ({"Action": "relay.event"}, "TargetUrl"),
    ({"Action": "exec", "TargetUrl": "personium-localbox:/col/svc"}, "TargetUrl"),
    ({"Action": "exec", "TargetUrl": "https://c.example/box/col/svc"}, "TargetUrl"),
    ({"Action": "relay", "TargetUrl": "personium-localbox:/col/service"}, "TargetUrl"),
    ({"Action": "relay", "TargetUrl": "/personium/cell/box/col/service"}, "TargetUrl"),
    ({"Action": "relay.event", "TargetUrl": "personium-localcell:/box"}, "TargetUrl"),
    ({"Action": "relay.event", "TargetUrl": "https://c.example/cell"}, "TargetUrl"),
])
def test_create_refuses(client: Any, cell: Any, body: dict[str, Any], field: str) -> None:
    error = assert_error(create(client, body), 400, "PR400-OD-0006")
    assert error["message"]["value"] == f"request body format error. field [{field}]"
    assert client.get(BASE, headers=MASTER_AUTH).json()["d"]["results"] == []


@pytest.mark.parametrize("body", [
    {"EventObject": "personium-localcell:/box/col/entity", "Action": "log"},
    {"EventExternal": True, "EventObject": "anything at all", "Action": "log.warn"},
    {"Action": "relay", "TargetUrl": "http://personium.example/cell/box/col/service#box/col/service"},
    {"Action": "relay", "TargetUrl": "personium-localunit:/cell/box/dir/col/service"},
    {"Action": "relay", "TargetUrl": "personium-localcell:/box/dir/col/service"},
    {"Action": "relay.event", "TargetUrl": "personium-localcell:/"},
    {"Action": "relay.event", "TargetUrl": "https://cell.example/"},
    {"Action": "relay.event", "TargetUrl": "personium-localunit:/cell/"},
    {"EventType": "odata.patch", "Action": "relay.data", "TargetUrl": "https://c.example/box/col/ent#box/col/ent"},
    {"EventType": "timer.oneshot", "EventObject": "1234567890", "Action": "exec",
     "TargetUrl": "personium-localcell:/box/col/srv"},
    {"EventType": "timer.periodic", "EventObject": "10", "Action": "log"},
    {"EventSubject": "personium-localunit:/c2/#me", "Action": "log"},
    {"Action": "log", "TargetUrl": "ignored for logs"},
])
def test_create_accepts(client: Any, cell: Any, body: dict[str, Any]) -> None:
    created(client, body)


def test_box_bound_rules(client: Any, cell: Any) -> None:
    make_box(client, CELL, "box1")
    bound = {"_Box.Name": "box1", "Action": "exec", "EventObject": "personium-localbox:/col/entity",
             "TargetUrl": "personium-localbox:/dir/col/service"}
    entity = created(client, {"Name": "r", **bound})
    assert entity["_Box.Name"] == "box1"
    created(client, {"Name": "r", "Action": "log"})  # the same name unbound is another rule
    assert_error(create(client, {"Name": "r", **bound}), 409, "PR409-OD-0003")
    created(client, {"Name": "meta", "_Box.Name": "box1", "EventObject": "personium-localcell:/__ctl/Rule",
                     "Action": "log"})
    for changes, field in (({"EventObject": "personium-localcell:/box1/col"}, "EventObject"),
                           ({"TargetUrl": "personium-localcell:/box/svc"}, "TargetUrl")):
        error = assert_error(create(client, {**bound, "Name": "x", **changes}), 400, "PR400-OD-0006")
        assert f"[{field}]" in error["message"]["value"]
    assert_error(create(client, {"Name": "x", "_Box.Name": "nobox", "Action": "log"}), 400, "PR400-OD-0024")
    response = client.get(f"/{CELL}/__ctl/Box('box1')/_Rule", headers=MASTER_AUTH)
    assert sorted(r["Name"] for r in response.json()["d"]["results"]) == ["meta", "r"]
    # A box with rules cannot be deleted plainly; the recursive delete takes them along.
    assert_error(client.delete(f"/{CELL}/__ctl/Box('box1')", headers=MASTER_AUTH), 409, "PR409-OD-0001")
    response = client.delete(f"/{CELL}/box1", headers={**MASTER_AUTH, "X-Personium-Recursive": "true"})
    assert response.status_code == 204, response.text
    assert [r["Name"] for r in client.get(BASE, headers=MASTER_AUTH).json()["d"]["results"]] == ["r"]


def test_navigation_create_and_links(client: Any, cell: Any) -> None:
    make_box(client, CELL, "box1")
    response = client.post(f"/{CELL}/__ctl/Box('box1')/_Rule", json={"Name": "nav", "Action": "log"},
                           headers=MASTER_AUTH)
    assert response.status_code == 201, response.text
    assert response.json()["d"]["results"]["_Box.Name"] == "box1"
    # Unlike the real server, a navigation create is checked like any other.
    response = client.post(f"/{CELL}/__ctl/Box('box1')/_Rule", json={"Name": "nav2"}, headers=MASTER_AUTH)
    assert_error(response, 400, "PR400-OD-0006")
    created(client, {"Name": "free", "Action": "log"})
    response = client.post(f"/{CELL}/__ctl/Rule('free')/$links/_Box",
                           json={"uri": f"http://localhost:8080/{CELL}/__ctl/Box('box1')"}, headers=MASTER_AUTH)
    assert response.status_code == 204, response.text
    assert client.get(f"{BASE}(Name='free',_Box.Name='box1')", headers=MASTER_AUTH).status_code == 200


def test_put_replaces_and_merge_is_refused(client: Any, cell: Any) -> None:
    created(client, {"Name": "r", "Action": "log", "EventType": "odata"})
    key = f"{BASE}('r')"
    for headers in (MASTER_AUTH, {"Accept": "application/json"}):  # refused before any access check
        assert_error(client.request("MERGE", key, json={"Action": "log"}, headers=headers), 405, "PR405-MC-0001")
        assert_error(client.request("MERGE", f"{BASE}('none')", json={}, headers=headers), 405, "PR405-MC-0001")
    response = client.put(key, json={"Name": "r2", "Action": "log.error"}, headers=MASTER_AUTH)
    assert response.status_code == 204, response.text
    entity = client.get(f"{BASE}('r2')", headers=MASTER_AUTH).json()["d"]["results"]
    assert (entity["Action"], entity["EventType"]) == ("log.error", None)
    assert_error(client.put(f"{BASE}('r2')", json={"Name": "r2"}, headers=MASTER_AUTH), 400, "PR400-OD-0006")
    assert client.delete(f"{BASE}('r2')", headers=MASTER_AUTH).status_code == 204
    assert_error(client.get(f"{BASE}('r2')", headers=MASTER_AUTH), 404, "PR404-OD-0002")


def test_list_filter(client: Any, cell: Any) -> None:
    for name, action in (("a", "log"), ("b", "log.warn"), ("c", "log")):
        created(client, {"Name": name, "Action": action})
    response = client.get(BASE, params={"$filter": "Action eq 'log'", "$orderby": "Name desc"}, headers=MASTER_AUTH)
    assert [r["Name"] for r in response.json()["d"]["results"]] == ["c", "a"]
