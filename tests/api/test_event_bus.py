"""The event bus — apiref/279: a WebSocket at ``{CellURL}__event`` (WebSocketService), on both databases."""

from __future__ import annotations

import json
from typing import Any

import pytest
from starlette.websockets import WebSocketDisconnect

from tests.api._auth_support import cell_url, make_cells
from tests.api.test_messages import account_token
from tests.helpers import MASTER, MASTER_AUTH

CELL = "alice"
URL = cell_url(CELL)


@pytest.fixture
def cell(client: Any) -> Any:
    return make_cells(client, CELL)


def ask(ws: Any, message: dict[str, Any]) -> dict[str, Any]:
    ws.send_text(json.dumps(message))
    reply = json.loads(ws.receive_text())
    assert isinstance(reply.pop("Timestamp"), int)
    return reply  # type: ignore[no-any-return]


def test_subscribe_and_follow_events(client: Any, cell: Any) -> None:
    with client.websocket_connect(f"/{CELL}/__event") as ws:
        assert ask(ws, {"Subscribe": {"Type": "cellctl.Role", "Object": "*"}}) == {
            "Response": "AccessToken", "Result": "Error", "Reason": "Unauthorized"}
        assert ask(ws, {"AccessToken": MASTER}) == {"Response": "AccessToken", "Result": "Success",
                                                    "ExpiresIn": 3600}
        assert ask(ws, {"Subscribe": {"Type": "cellctl.Role", "Object": "*"}}) == {
            "Response": "Subscribe", "Result": "Success"}
        assert ask(ws, {"Subscribe": {"Type": "app."}}) == {"Response": "Subscribe", "Result": "Error",
                                                           "Reason": "Format error"}
        assert ask(ws, {"Subscribe": {"Type": "app.", "Object": f"{URL}box"}})["Result"] == "Success"
        ws.send_text("not json")  # ignored
        client.post(f"/{CELL}/__ctl/Account", json={"Name": "nobody"}, headers=MASTER_AUTH)  # not subscribed
        response = client.post(f"/{CELL}/__ctl/Role", json={"Name": "doctor"},
                               headers={**MASTER_AUTH, "X-Personium-RequestKey": "rk"})
        assert response.status_code == 201
        event = json.loads(ws.receive_text())
        assert isinstance(event.pop("Timestamp"), int)
        assert event == {"RequestKey": "rk", "External": False, "Schema": None, "Subject": None,
                         "Type": "cellctl.Role.create", "Object": f"{URL}__ctl/Role(Name='doctor',_Box.Name=null)",
                         "Info": ""}
        client.post(f"/{CELL}/__event", json={"Type": "app.x", "Object": "personium-localcell:/box/1"},
                    headers=MASTER_AUTH)
        event = json.loads(ws.receive_text())
        assert (event["Type"], event["Object"], event["External"], event["Info"]) == (
            "app.x", f"{URL}box/1", True, None)
        state = ask(ws, {"State": "All"})
        assert state["Subscriptions"] == [{"Type": "cellctl.Role", "Object": "*"},
                                          {"Type": "app.", "Object": f"{URL}box"}]
        assert state["Cell"] == CELL and 3590 <= state["ExpiresIn"] <= 3600
        assert ask(ws, {"State": "Other"})["Reason"] == "Invalid state type. Allowed status type: [All, Subscriptions]"
        assert ask(ws, {"Unsubscribe": {"Type": "app.", "Object": "x"}})["Reason"] == "Subscriptions not found"
        assert ask(ws, {"Unsubscribe": {"Type": "app.", "Object": f"{URL}box"}})["Result"] == "Success"
        assert ask(ws, {"State": "Subscriptions"})["Subscriptions"] == [{"Type": "cellctl.Role", "Object": "*"}]


def test_external_events_over_the_socket(client: Any, cell: Any) -> None:
    with client.websocket_connect(f"/{CELL}/__event") as ws:
        ask(ws, {"AccessToken": MASTER})
        ask(ws, {"Subscribe": {"Type": "*", "Object": "*"}})
        ws.send_text(json.dumps({"Type": "t", "Object": "o"}))  # all three are needed: ignored
        ws.send_text(json.dumps({"Type": "t", "Object": "o", "Info": "i", "RequestKey": "k"}))  # no answer
        event = json.loads(ws.receive_text())
        assert (event["Type"], event["Object"], event["Info"], event["RequestKey"], event["External"]) == (
            "t", "o", "i", "k", True)


def test_a_token_without_event_read_closes_the_session(client: Any, cell: Any) -> None:
    headers = account_token(client, CELL, "other", "log-read")
    token = headers["Authorization"].split(" ", 1)[1]
    with client.websocket_connect(f"/{CELL}/__event") as ws:
        ws.send_text(json.dumps({"AccessToken": token}))
        with pytest.raises(WebSocketDisconnect):
            ws.receive_text()
    reader = account_token(client, CELL, "reader", "event-read")["Authorization"].split(" ", 1)[1]
    with client.websocket_connect(f"/{CELL}/__event") as ws:
        assert ask(ws, {"AccessToken": reader})["Result"] == "Success"


def test_other_paths_refuse_the_upgrade(client: Any, cell: Any) -> None:
    for path in (f"/{CELL}/__ctl", "/", f"/{CELL}/__event/x"):
        with pytest.raises(WebSocketDisconnect), client.websocket_connect(path) as ws:
            ws.receive_text()
    with client.websocket_connect("/nobody/__event") as ws:  # an unknown cell cannot authenticate
        ws.send_text(json.dumps({"AccessToken": MASTER}))
        with pytest.raises(WebSocketDisconnect):
            ws.receive_text()
