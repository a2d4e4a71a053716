"""Messages between cells — apiref 267-274, on both databases: send, the port, approval, and the
ReceivedMessage / SentMessage control objects.

Where the pages and the real server differ, the server wins (personium-core's ODataSentMessageResource,
ODataReceivedMessageResource, MessageODataProducer and their tests); where Cellar goes beyond it (a
recipient that cannot be reached is recorded instead of failing the whole send with 500, approval is
all or nothing) the test says so.
"""

from __future__ import annotations

from typing import Any

import pytest
from lxml import etree

from cellar.auth.authn.tokens import TokenKind
from tests.api._auth_support import (
    PASSWORD,
    cell_url,
    login,
    make_account,
    make_box,
    make_cells,
    make_extcell,
    make_relation,
    make_role,
    mint,
    mint_tcat,
)
from tests.api._ctl_support import extcell_key, relation_key, role_key
from tests.api.test_events import Received, received  # noqa: F401 - the fixture
from tests.helpers import MASTER_AUTH, assert_error

ALICE, BOB, CAROL = cell_url("alice"), cell_url("bob"), cell_url("carol")
APP = "https://app.example/"
MESSAGE_ID = "0123456789abcdef0123456789abcdef"
UNREACHABLE = "http://127.0.0.1:9/nobody/"
PERSONIUM = "urn:x-personium:xmlns"


@pytest.fixture
def cells(client: Any) -> Any:
    return make_cells(client, "alice", "bob", "carol")


def send(client: Any, body: dict[str, Any], cell: str = "alice", headers: dict[str, str] | None = None) -> Any:
    return client.post(f"/{cell}/__message/send", json=body, headers=headers or MASTER_AUTH)


def sent(client: Any, body: dict[str, Any], cell: str = "alice") -> dict[str, Any]:
    response = send(client, body, cell)
    assert response.status_code == 201, response.text
    return response.json()["d"]["results"]  # type: ignore[no-any-return]


def received_messages(client: Any, cell: str = "bob") -> list[dict[str, Any]]:
    response = client.get(f"/{cell}/__ctl/ReceivedMessage", headers=MASTER_AUTH)
    assert response.status_code == 200, response.text
    return response.json()["d"]["results"]  # type: ignore[no-any-return]


def command(client: Any, message_id: str, value: Any, cell: str = "bob",
            headers: dict[str, str] | None = None) -> Any:
    return client.post(f"/{cell}/__message/received/{message_id}", json={"Command": value},
                       headers=headers or MASTER_AUTH)


def request_to_bob(client: Any, *objects: dict[str, Any]) -> str:
    return str(sent(client, {"To": BOB, "Type": "request", "RequestObjects": list(objects)})["__id"])


def relation_add(name: str | None = "friend", **fields: Any) -> dict[str, Any]:
    return {"RequestType": "relation.add", **({"Name": name} if name else {}), "TargetUrl": ALICE, **fields}


def grant(client: Any, cell: str, role: str, *privileges: str) -> None:
    """The cell ACL grants ``role`` (main box) the privileges."""
    grants = "".join(f"<D:privilege><p:{p}/></D:privilege>" for p in privileges)
    body = (f'<D:acl xmlns:D="DAV:" xmlns:p="{PERSONIUM}" xml:base="{cell_url(cell)}__role/__/">'
            f"<D:ace><D:principal><D:href>{role}</D:href></D:principal><D:grant>{grants}</D:grant></D:ace></D:acl>")
    response = client.request("ACL", f"/{cell}/", content=body.encode(), headers=MASTER_AUTH)
    assert response.status_code == 200, response.text


def account_token(client: Any, cell: str, account: str, *privileges: str) -> dict[str, str]:
    """A password login of an account whose role the cell ACL grants ``privileges``."""
    make_role(client, cell, f"{account}-role")
    make_account(client, cell, account)
    response = client.post(f"/{cell}/__ctl/Account('{account}')/$links/_Role",
                           json={"uri": f"{cell_url(cell)}__ctl/{role_key(account + '-role')}"}, headers=MASTER_AUTH)
    assert response.status_code == 204, response.text
    if privileges:
        grant(client, cell, f"{account}-role", *privileges)
    token = login(client, cell, account, PASSWORD)["access_token"]
    return {"Authorization": f"Bearer {token}", "Accept": "application/json"}


def port(client: Any, body: dict[str, Any], token: str | None, cell: str = "bob") -> Any:
    headers = {"Accept": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
    return client.post(f"/{cell}/__message/port", json=body, headers=headers)


def port_body(**changes: Any) -> dict[str, Any]:
    return {"__id": MESSAGE_ID, "From": ALICE, "Type": "message", "Title": "t", "Body": "b", "Priority": 3,
            "Status": "unread", **changes}


# === send: apiref/271 ====================================================================================

def test_send_like_page_271(client: Any, cells: Any) -> None:
    response = send(client, {"BoxBound": False, "InReplyTo": "xnKXmd4TTZCw-bfSEw4f0AxnKXmd4TTZ", "To": BOB,
                             "Type": "message", "Title": "Message Sample Title", "Body": "Message Sample Body",
                             "Priority": 3})
    assert response.status_code == 201, response.text
    entity = response.json()["d"]["results"]
    uri = f"{ALICE}__ctl/SentMessage('{entity['__id']}')"
    assert response.headers["location"] == uri
    assert response.headers["etag"] == entity["__metadata"]["etag"]
    assert response.headers["dataserviceversion"] == "2.0"
    assert entity["__metadata"] == {"uri": uri, "etag": entity["__metadata"]["etag"], "type": "CellCtl.SentMessage"}
    assert len(entity["__id"]) == 32
    assert {k: entity[k] for k in ("InReplyTo", "To", "ToRelation", "Type", "Title", "Body", "Priority",
                                   "RequestObjects", "_Box.Name")} == {
        "InReplyTo": "xnKXmd4TTZCw-bfSEw4f0AxnKXmd4TTZ", "To": BOB, "ToRelation": None, "Type": "message",
        "Title": "Message Sample Title", "Body": "Message Sample Body", "Priority": 3, "RequestObjects": None,
        "_Box.Name": None}
    assert entity["Result"] == [{"To": BOB, "Code": "201", "Reason": "Created."}]
    assert "BoxBound" not in entity and "_Box" not in entity  # the message EDM has no Box association
    assert entity["__published"].startswith("/Date(")
    # The recipient keeps it under the same id, unread, from the sending cell.
    [message] = received_messages(client)
    assert message["__id"] == entity["__id"]
    assert {k: message[k] for k in ("From", "MulticastTo", "Type", "Title", "Body", "Priority", "Status",
                                    "InReplyTo", "_Box.Name")} == {
        "From": ALICE, "MulticastTo": None, "Type": "message", "Title": "Message Sample Title",
        "Body": "Message Sample Body", "Priority": 3, "Status": "unread",
        "InReplyTo": "xnKXmd4TTZCw-bfSEw4f0AxnKXmd4TTZ", "_Box.Name": None}
    # ... and the sender lists what it sent, Result included.
    response = client.get(f"/alice/__ctl/SentMessage('{entity['__id']}')", headers=MASTER_AUTH)
    assert response.status_code == 200, response.text
    assert response.json()["d"]["results"]["Result"] == entity["Result"]


def test_send_defaults(client: Any, cells: Any) -> None:
    entity = sent(client, {"To": BOB})
    assert (entity["Type"], entity["Title"], entity["Body"], entity["Priority"]) == ("message", "", "", 3)


def test_send_to_several_cells_records_each_in_order(client: Any, cells: Any) -> None:
    entity = sent(client, {"To": f"{BOB},{CAROL}", "Title": "both"})
    assert [r["To"] for r in entity["Result"]] == [BOB, CAROL]
    assert all(r["Code"] == "201" for r in entity["Result"])
    assert received_messages(client, "bob")[0]["MulticastTo"] == CAROL
    assert received_messages(client, "carol")[0]["MulticastTo"] == BOB


def test_send_to_relation_reaches_its_ext_cells_once(client: Any, cells: Any) -> None:
    make_relation(client, "alice", "friends")
    for url in (BOB, CAROL):
        make_extcell(client, "alice", url)
        response = client.post(f"/alice/__ctl/{relation_key('friends')}/$links/_ExtCell",
                               json={"uri": f"{ALICE}__ctl/{extcell_key(url)}"}, headers=MASTER_AUTH)
        assert response.status_code == 204, response.text
    entity = sent(client, {"To": BOB, "ToRelation": "friends"})
    assert entity["To"] == BOB and entity["ToRelation"] == "friends"
    # To first, then the relation's cells; bob is in both and gets one copy.
    assert [r["To"] for r in entity["Result"]] == [BOB, CAROL]
    assert len(received_messages(client, "bob")) == 1
    assert len(received_messages(client, "carol")) == 1


def test_a_recipient_that_fails_is_recorded_and_the_others_still_get_it(client: Any, cells: Any) -> None:
    """The real server answers 500 PR500-SM-0001 at the first unreachable recipient and keeps nothing;
    the issue asks that a failure never loses the sent message."""
    entity = sent(client, {"To": f"{UNREACHABLE},{cell_url('nosuchcell')},{BOB}"})
    assert entity["Result"][0] == {"To": UNREACHABLE, "Code": "500", "Reason": "Sent Message connection error."}
    assert entity["Result"][1]["To"] == cell_url("nosuchcell")
    assert entity["Result"][1]["Code"] == "404"  # the recipient's own answer and message
    assert entity["Result"][1]["Reason"] == "Cell not found."
    assert entity["Result"][2] == {"To": BOB, "Code": "201", "Reason": "Created."}
    assert len(received_messages(client)) == 1


@pytest.mark.parametrize(("body", "code", "detail"), [
    ({}, "PR400-OD-0006", "[To,ToRelation]"),
    ({"To": "ftp://x.example/"}, "PR400-OD-0006", "[ftp://x.example/]"),  # a single URL names itself
    ({"To": "http://x.example/a"}, "PR400-OD-0006", "[http://x.example/a]"),
    ({"To": f"{BOB},,{CAROL}"}, "PR400-OD-0006", "[To]"),
    ({"To": f"{BOB},nourl"}, "PR400-OD-0006", "[To]"),
    ({"To": BOB, "ToRelation": "_friend"}, "PR400-OD-0006", "[ToRelation]"),
    ({"To": BOB, "ToRelation": "x" * 129}, "PR400-OD-0006", "[ToRelation]"),
    ({"To": BOB, "Type": "req.relation.build"}, "PR400-OD-0006", "[Type]"),
    ({"To": BOB, "Type": "social.message"}, "PR400-OD-0006", "[Type]"),
    ({"To": BOB, "Title": "x" * 257}, "PR400-OD-0006", "[Title]"),
    ({"To": BOB, "Title": "two\nlines"}, "PR400-OD-0006", "[Title]"),
    ({"To": BOB, "Priority": 0}, "PR400-OD-0006", "[Priority]"),
    ({"To": BOB, "Priority": 6}, "PR400-OD-0006", "[Priority]"),
    ({"To": BOB, "Priority": 2.5}, "PR400-OD-0006", "[Priority]"),
    ({"To": BOB, "InReplyTo": "x" * 31}, "PR400-OD-0006", "[InReplyTo]"),
    ({"To": BOB, "InReplyTo": "x" * 33}, "PR400-OD-0006", "[InReplyTo]"),
    ({"To": BOB, "Body": "x" * 51201}, "PR400-OD-0006", "[Body]"),
    ({"To": BOB, "BoxBound": "yes"}, "PR400-OD-0006", "[BoxBound]"),
    ({"To": BOB, "RequestRelation": "friend"}, "PR400-OD-0007", "unknown property RequestRelation"),
    ({"To": BOB, "__published": 1}, "PR400-OD-0007", "__published is management information name"),
    ({"To": BOB, "Type": "request"}, "PR400-OD-0006", "[RequestObjects]"),
    ({"To": BOB, "Type": "request", "RequestObjects": []}, "PR400-OD-0006", "[RequestObjects]"),
    ({"To": BOB, "Type": "request", "RequestObjects": "x"}, "PR400-OD-0006", "[RequestObjects]"),
    ({"To": BOB, "Type": "request", "RequestObjects": [{"Name": "friend"}]}, "PR400-OD-0009", "[RequestType]"),
    ({"To": BOB, "Type": "request", "RequestObjects": [relation_add(ClassUrl=f"{APP}__relation/__/friend")]},
     "PR400-OD-0006", "[RequestObjects.Name,RequestObjects.ClassUrl]"),
    ({"To": BOB, "Type": "request", "RequestObjects": [relation_add(None)]},
     "PR400-OD-0006", "[RequestObjects.Name,RequestObjects.ClassUrl]"),
    ({"To": BOB, "Type": "request", "RequestObjects": [{"RequestType": "relation.add", "Name": "friend"}]},
     "PR400-OD-0006", "[RequestObjects.TargetUrl]"),
    ({"To": BOB, "Type": "request", "RequestObjects": [relation_add("_friend")]},
     "PR400-OD-0006", "[RequestObjects.Name]"),
    ({"To": BOB, "Type": "request",
      "RequestObjects": [relation_add(None, ClassUrl=f"{APP}box1/__relation/friend")]},
     "PR400-OD-0006", "[RequestObjects.ClassUrl]"),
    ({"To": BOB, "Type": "request",
      "RequestObjects": [{"RequestType": "role.add", "ClassUrl": f"{APP}__relation/__/friend", "TargetUrl": ALICE}]},
     "PR400-OD-0006", "[RequestObjects.ClassUrl]"),
    ({"To": BOB, "Type": "request",
      "RequestObjects": [{"RequestType": "role.add", "Name": "-doctor", "TargetUrl": ALICE}]},
     "PR400-OD-0006", "[RequestObjects.Name]"),
    # The real server leaves an unknown RequestType to the recipient (Result 400); page 271 lists the
    # values, and Cellar refuses others where they are sent.
    ({"To": BOB, "Type": "request", "RequestObjects": [relation_add(RequestType="relation.build")]},
     "PR400-OD-0006", "[RequestObjects.RequestType]"),
    ({"To": BOB, "Type": "request", "RequestObjects": [{"RequestType": "rule.add", "EventType": "x"}]},
     "PR400-OD-0006", "[RequestObjects.Action]"),
    ({"To": BOB, "Type": "request",
      "RequestObjects": [{"RequestType": "rule.add", "Action": "relay", "EventObject": "personium-localcell:/x"}]},
     "PR400-OD-0006", "[RequestObjects.TargetUrl]"),
    ({"To": BOB, "Type": "request",
      "RequestObjects": [{"RequestType": "rule.add", "Action": "log", "EventObject": "https://x.example/"}]},
     "PR400-OD-0006", "[RequestObjects.EventObject]"),
    ({"To": BOB, "Type": "request", "RequestObjects": [{"RequestType": "rule.remove"}]},
     "PR400-OD-0006", "[RequestObjects.Name]"),
    ({"To": BOB, "ToRelation": "nobody"}, "PR400-SM-0001", "ToRelation [nobody] does not exist."),
    ({"To": BOB, "BoxBound": True}, "PR400-SM-0004", "Schema[null]"),
    ({"To": ",".join(f"https://c{i}.example/" for i in range(1001))}, "PR400-SM-0003", "maximum number"),
])
def test_send_refuses(client: Any, cells: Any, body: dict[str, Any], code: str, detail: str) -> None:
    response = send(client, body)
    error = assert_error(response, int(code[2:5]), code)
    assert detail in error["message"]["value"], error
    assert received_messages(client) == []
    assert client.get("/alice/__ctl/SentMessage", headers=MASTER_AUTH).json()["d"]["results"] == []


def test_send_to_a_relation_without_ext_cells(client: Any, cells: Any) -> None:
    make_relation(client, "alice", "lonely")
    error = assert_error(send(client, {"ToRelation": "lonely"}), 400, "PR400-SM-0002")
    assert error["message"]["value"] == "ToRelation [lonely] does not have related ExtCell."


def test_send_to_a_box_relation_is_not_found(client: Any, cells: Any) -> None:
    """ToRelation names a relation of the main box (getExtCellListFromToRelation)."""
    make_box(client, "alice", "box1")
    make_relation(client, "alice", "friends", "box1")
    assert_error(send(client, {"ToRelation": "friends"}), 400, "PR400-SM-0001")


@pytest.mark.parametrize("raw", [b"", b"{", b"[]", b'"x"'])
def test_send_refuses_a_body_that_is_no_json_object(client: Any, cells: Any, raw: bytes) -> None:
    response = client.post("/alice/__message/send", content=raw, headers=MASTER_AUTH)
    assert_error(response, 400, "PR400-OD-0001")


def test_a_duplicate_id_is_refused_before_delivery(client: Any, cells: Any) -> None:
    sent(client, {"__id": MESSAGE_ID, "To": BOB})
    assert_error(send(client, {"__id": MESSAGE_ID, "To": CAROL}), 409, "PR409-OD-0003")
    assert received_messages(client, "carol") == []


def test_send_request_relays_its_objects(client: Any, cells: Any) -> None:
    entity = sent(client, {"To": BOB, "Type": "request", "RequestObjects": [
        {"RequestType": "relation.add", "ClassUrl": f"{APP}__relation/__/relation1", "TargetUrl": BOB},
        {"RequestType": "rule.add", "Action": "log", "EventType": "odata.create"}]})
    # The SentMessage keeps every field of each object (nine, nulls included), as sent.
    assert entity["RequestObjects"][0] == {
        "RequestType": "relation.add", "Name": None, "ClassUrl": f"{APP}__relation/__/relation1", "TargetUrl": BOB,
        "EventType": None, "EventSubject": None, "EventObject": None, "EventInfo": None, "Action": None}
    [message] = received_messages(client)
    assert message["Status"] == "none"
    # A rule without a name is named after the message (createRequestJsonBody).
    assert message["RequestObjects"][1]["Name"] == entity["__id"]
    assert message["RequestObjects"][1]["Action"] == "log"


def test_send_needs_the_message_privilege(client: Any, cells: Any) -> None:
    assert_error(send(client, {"To": BOB}, headers={"Accept": "application/json"}), 401, "PR401-AU-0001")
    reader = account_token(client, "alice", "reader", "message-read")
    assert_error(send(client, {"To": BOB}, headers=reader), 403, "PR403-AU-0002")
    writer = account_token(client, "alice", "writer", "message")
    assert send(client, {"To": BOB}, headers=writer).status_code == 201


def test_only_post(client: Any, cells: Any) -> None:
    for path in ("send", "port", f"received/{MESSAGE_ID}"):
        assert_error(client.get(f"/alice/__message/{path}", headers=MASTER_AUTH), 405, "PR405-MC-0001")
    response = client.options("/alice/__message/send", headers=MASTER_AUTH)
    assert response.status_code == 200 and response.headers["allow"] == "OPTIONS, POST"
    assert_error(client.post("/alice/__message/other", headers=MASTER_AUTH), 404, "PR404-MC-0001")
    assert_error(client.post("/nobody/__message/other", headers=MASTER_AUTH), 404, "PR404-DV-0003")


def test_box_bound_message_is_bound_on_both_sides(client: Any, cells: Any) -> None:
    for cell in ("alice", "bob"):
        make_box(client, cell, "box1", APP)
    account_token(client, "alice", "me", "message")
    token = mint(client, TokenKind.RESIDENT_ACCESS, ALICE, "me", schema=APP, scopes=("root",))  # the app token
    response = send(client, {"To": BOB, "BoxBound": True}, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 201, response.text
    assert response.json()["d"]["results"]["_Box.Name"] == "box1"
    assert received_messages(client)[0]["_Box.Name"] == "box1"
    # The recipient without a box of that schema refuses it; the sender records why.
    response = send(client, {"To": CAROL, "BoxBound": True}, headers={"Authorization": f"Bearer {token}"})
    assert response.json()["d"]["results"]["Result"] == [{
        "To": CAROL, "Code": "400", "Reason": f"Box corresponding to the schema can not be found. Schema [{APP}]."}]


# === the port =============================================================================================

def test_port_takes_a_cell_token(client: Any, cells: Any) -> None:
    token = mint_tcat(client, ALICE, ALICE, BOB)
    response = port(client, port_body(), token)
    assert response.status_code == 201, response.text
    assert response.headers["location"] == f"{BOB}__ctl/ReceivedMessage('{MESSAGE_ID}')"
    assert response.json()["d"]["results"]["__metadata"]["type"] == "CellCtl.ReceivedMessage"
    assert_error(port(client, port_body(), token), 409, "PR409-OD-0003")


@pytest.mark.parametrize(("token", "status", "code"), [
    (None, 401, "PR401-AU-0001"),
    ("garbage", 401, "PR401-AU-0006"),
    ("master", 403, "PR403-AU-0002"),
    ("account", 403, "PR403-AU-0002"),
    ("account-tcat", 403, "PR403-AU-0002"),
    ("foreign", 401, "PR401-AU-0008"),
    ("other-target", 401, "PR401-AU-0006"),
])
def test_port_refuses_other_credentials(client: Any, cells: Any, token: str | None, status: int, code: str) -> None:
    texts = {
        "master": "test-master-token",
        "account": mint(client, TokenKind.RESIDENT_ACCESS, BOB, "me"),
        "account-tcat": mint_tcat(client, ALICE, f"{ALICE}#me", BOB),
        "foreign": mint_tcat(client, ALICE, ALICE, BOB, foreign=True),
        "other-target": mint_tcat(client, ALICE, ALICE, CAROL),
    }
    response = port(client, port_body(), texts.get(token or "", token))
    assert_error(response, status, code)
    if status == 401:
        assert response.headers["www-authenticate"] == f'Bearer realm="{BOB}"'
    assert received_messages(client) == []


@pytest.mark.parametrize(("changes", "code", "detail"), [
    ({"__id": None}, "PR400-OD-0009", "[__id]"),
    ({"__id": "x" * 31}, "PR400-OD-0006", "[__id]"),
    ({"From": None}, "PR400-OD-0009", "[From]"),
    ({"From": "https://x.example/a"}, "PR400-OD-0049", "[From]"),
    ({"Status": None}, "PR400-OD-0009", "[Status]"),
    ({"Status": "none"}, "PR400-OD-0006", "[Status]"),
    ({"Type": "request", "Status": "unread", "RequestObjects": [relation_add()]}, "PR400-OD-0006", "[Status]"),
    ({"Type": "request", "Status": "none"}, "PR400-OD-0006", "[RequestObjects]"),
    ({"Type": "request", "Status": "none",
      "RequestObjects": [{"RequestType": "rule.add", "Action": "log"}]}, "PR400-OD-0006", "[RequestObjects.Name]"),
    ({"MulticastTo": f"{CAROL},,x"}, "PR400-OD-0006", "[MulticastTo]"),
    ({"Schema": APP}, "PR400-RM-0002", f"Schema [{APP}]"),
])
def test_port_refuses(client: Any, cells: Any, changes: dict[str, Any], code: str, detail: str) -> None:
    body = {k: v for k, v in port_body(**changes).items() if v is not None}
    error = assert_error(port(client, body, mint_tcat(client, ALICE, ALICE, BOB)), 400, code)
    assert detail in error["message"]["value"], error
    assert received_messages(client) == []


# === ReceivedMessage / SentMessage in __ctl: apiref 268-270, 272-274 =======================================

@pytest.mark.parametrize("entity_set", ["ReceivedMessage", "SentMessage"])
def test_ctl_sets_take_no_direct_writes(client: Any, cells: Any, entity_set: str) -> None:
    sent(client, {"__id": MESSAGE_ID, "To": ALICE})  # alice receives what she sent herself
    key = f"/alice/__ctl/{entity_set}('{MESSAGE_ID}')"
    for method, target in (("POST", f"/alice/__ctl/{entity_set}"), ("PUT", key), ("MERGE", key),
                           ("POST", key)):
        response = client.request(method, target, json={"Title": "x"}, headers=MASTER_AUTH)
        assert_error(response, 405, "PR405-MC-0001")
    assert client.delete(key, headers=MASTER_AUTH).status_code == 204
    assert_error(client.get(key, headers=MASTER_AUTH), 404, "PR404-OD-0002")


def test_list_filter_and_navigation(client: Any, cells: Any) -> None:
    for title in ("apple", "banana", "cherry"):
        sent(client, {"To": BOB, "Title": title, "Priority": 1 if title == "banana" else 3})
    response = client.get("/bob/__ctl/ReceivedMessage", params={"$filter": "startswith(Title,'b')"},
                          headers=MASTER_AUTH)
    assert [m["Title"] for m in response.json()["d"]["results"]] == ["banana"]
    response = client.get("/alice/__ctl/SentMessage", params={"$filter": "Priority eq 3", "$orderby": "Title desc",
                                                              "$inlinecount": "allpages"}, headers=MASTER_AUTH)
    body = response.json()["d"]
    assert body["__count"] == "2" and [m["Title"] for m in body["results"]] == ["cherry", "apple"]
    # Account–ReceivedMessage: _ReceivedMessageRead / _AccountRead, linked with the message privilege alone.
    message_id = received_messages(client)[0]["__id"]
    make_account(client, "bob", "me")
    writer = account_token(client, "bob", "writer", "message")
    response = client.post("/bob/__ctl/Account('me')/$links/_ReceivedMessageRead",
                           json={"uri": f"{BOB}__ctl/ReceivedMessage('{message_id}')"}, headers=writer)
    assert response.status_code == 204, response.text
    response = client.get("/bob/__ctl/Account('me')/_ReceivedMessageRead", headers=MASTER_AUTH)
    assert [m["__id"] for m in response.json()["d"]["results"]] == [message_id]
    response = client.get(f"/bob/__ctl/ReceivedMessage('{message_id}')/_AccountRead", headers=MASTER_AUTH)
    assert [a["Name"] for a in response.json()["d"]["results"]] == ["me"]
    response = client.get(f"/bob/__ctl/ReceivedMessage('{message_id}')", params={"$expand": "_AccountRead"},
                          headers=MASTER_AUTH)
    assert [a["Name"] for a in response.json()["d"]["results"]["_AccountRead"]] == ["me"]
    assert_error(client.post("/bob/__ctl/Account('me')/$links/_ReceivedMessage",
                             json={"uri": f"{BOB}__ctl/ReceivedMessage('{message_id}')"}, headers=MASTER_AUTH),
                 400, "PR400-OD-0008")
    # Deleting the message drops its links; the account stays.
    assert client.delete(f"/bob/__ctl/ReceivedMessage('{message_id}')", headers=MASTER_AUTH).status_code == 204
    response = client.get("/bob/__ctl/Account('me')/_ReceivedMessageRead", headers=MASTER_AUTH)
    assert response.json()["d"]["results"] == []


def test_box_navigation_creates_messages_and_a_box_with_messages_stays(client: Any, cells: Any) -> None:
    """MessageSentTest / MessageReceivedTest: a navigation create bypasses send and port."""
    make_box(client, "alice", "box1")
    response = client.post("/alice/__ctl/Box('box1')/_SentMessage", json={"To": BOB, "Title": "kept"},
                           headers=MASTER_AUTH)
    assert response.status_code == 201, response.text
    assert response.json()["d"]["results"]["_Box.Name"] == "box1"
    response = client.post("/alice/__ctl/Box('box1')/_ReceivedMessage",
                           json={"__id": MESSAGE_ID, "From": BOB, "Status": "unread"}, headers=MASTER_AUTH)
    assert response.status_code == 201, response.text
    assert received_messages(client, "bob") == []  # nothing was delivered
    assert_error(client.delete("/alice/__ctl/Box('box1')", headers=MASTER_AUTH), 409, "PR409-OD-0001")
    response = client.get("/alice/__ctl/Box('box1')/_ReceivedMessage", headers=MASTER_AUTH)
    assert [m["__id"] for m in response.json()["d"]["results"]] == [MESSAGE_ID]


# === approval: apiref/267 ==================================================================================

def test_read_and_unread(client: Any, cells: Any) -> None:
    message_id = sent(client, {"To": BOB})["__id"]
    response = command(client, message_id, "read")
    assert response.status_code == 204, response.text
    assert response.content == b""
    stored = client.get(f"/bob/__ctl/ReceivedMessage('{message_id}')", headers=MASTER_AUTH)
    assert stored.json()["d"]["results"]["Status"] == "read"
    assert response.headers["etag"] == stored.headers["etag"]
    assert command(client, message_id, "read").status_code == 204  # no state check for messages
    assert command(client, message_id, "unread").status_code == 204
    for value in ("approved", "rejected"):
        assert_error(command(client, message_id, value), 400, "PR400-OD-0006")


@pytest.mark.parametrize("value", [None, "", "ABCDE", 1])
def test_a_bad_command_is_refused_before_the_message_is_looked_up(client: Any, cells: Any, value: Any) -> None:
    error = assert_error(command(client, "nosuchmessage", value), 400, "PR400-OD-0006")
    assert error["message"]["value"] == "request body format error. field [Command]"


def test_approval_errors(client: Any, cells: Any) -> None:
    assert_error(command(client, "nosuchmessage", "read"), 404, "PR404-OD-0002")
    response = client.post(f"/bob/__message/received/{MESSAGE_ID}", content=b"{", headers=MASTER_AUTH)
    assert_error(response, 400, "PR400-CM-0004")
    assert_error(command(client, MESSAGE_ID, "read", headers={"Accept": "application/json"}), 401, "PR401-AU-0001")


def test_approving_a_relation_request_links_the_sender(client: Any, cells: Any) -> None:
    make_relation(client, "bob", "friend")
    message_id = request_to_bob(client, relation_add())
    response = command(client, message_id, "approved")
    assert response.status_code == 204, response.text
    linked = client.get(f"/bob/__ctl/{relation_key('friend')}/_ExtCell", headers=MASTER_AUTH).json()["d"]["results"]
    assert [e["Url"] for e in linked] == [ALICE]  # the ExtCell was made for it
    assert received_messages(client)[0]["Status"] == "approved"
    for value in ("approved", "rejected", "read"):  # once decided, a request stays decided
        assert_error(command(client, message_id, value), 400, "PR400-OD-0006")
    # Asked again: the link exists already.
    again = request_to_bob(client, relation_add())
    error = assert_error(command(client, again, "approved"), 400, "PR400-RM-0001")
    assert error["message"]["value"] == "Requested relation already exists."
    # relation.remove unlinks and keeps both.
    remove = request_to_bob(client, relation_add(RequestType="relation.remove"))
    assert command(client, remove, "approved").status_code == 204
    assert client.get(f"/bob/__ctl/{relation_key('friend')}/_ExtCell", headers=MASTER_AUTH).json()["d"]["results"] == []
    assert client.get(f"/bob/__ctl/{extcell_key(ALICE)}", headers=MASTER_AUTH).status_code == 200


def test_rejecting_changes_nothing_else(client: Any, cells: Any) -> None:
    make_relation(client, "bob", "friend")
    message_id = request_to_bob(client, relation_add())
    assert_error(command(client, message_id, "read"), 400, "PR400-OD-0006")
    assert command(client, message_id, "rejected").status_code == 204
    assert received_messages(client)[0]["Status"] == "rejected"
    assert client.get("/bob/__ctl/ExtCell", headers=MASTER_AUTH).json()["d"]["results"] == []


def test_approving_a_missing_relation_or_ext_cell_is_a_conflict(client: Any, cells: Any) -> None:
    message_id = request_to_bob(client, relation_add())
    error = assert_error(command(client, message_id, "approved"), 409, "PR409-RM-0002")
    assert error["message"]["value"] == "Requested relation does not exists. Type [Relation]. Keys [{Name=friend}]."
    assert client.get("/bob/__ctl/ExtCell", headers=MASTER_AUTH).json()["d"]["results"] == []
    assert received_messages(client)[0]["Status"] == "none"
    make_relation(client, "bob", "friend")
    remove = request_to_bob(client, relation_add(RequestType="relation.remove"))
    error = assert_error(command(client, remove, "approved"), 409, "PR409-RM-0002")
    assert error["message"]["value"] == f"Requested relation does not exists. Type [ExtCell]. Keys [{{Url={ALICE}}}]."


def test_approving_by_class_url_uses_the_box_of_its_schema(client: Any, cells: Any) -> None:
    make_box(client, "bob", "box1", APP)
    make_relation(client, "bob", "friend", "box1")
    make_role(client, "bob", "doctor", "box1")
    message_id = request_to_bob(
        client, relation_add(None, ClassUrl=f"{APP}__relation/__/friend"),
        {"RequestType": "role.add", "ClassUrl": f"{APP}__role/__/doctor", "TargetUrl": ALICE})
    assert command(client, message_id, "approved").status_code == 204
    for key in (relation_key("friend", "box1"), role_key("doctor", "box1")):
        linked = client.get(f"/bob/__ctl/{key}/_ExtCell", headers=MASTER_AUTH).json()["d"]["results"]
        assert [e["Url"] for e in linked] == [ALICE], key
    other = request_to_bob(client, relation_add(None, ClassUrl="https://other.example/__relation/__/friend"))
    error = assert_error(command(client, other, "approved"), 400, "PR400-RM-0003")
    assert "https://other.example/__relation/__/friend" in error["message"]["value"]


def test_approval_is_all_or_nothing(client: Any, cells: Any) -> None:
    """The real server keeps the objects applied before one fails; Cellar applies all or none."""
    make_relation(client, "bob", "friend")
    message_id = request_to_bob(client, relation_add(), relation_add("missing"))
    assert_error(command(client, message_id, "approved"), 409, "PR409-RM-0002")
    assert client.get("/bob/__ctl/ExtCell", headers=MASTER_AUTH).json()["d"]["results"] == []
    assert received_messages(client)[0]["Status"] == "none"


def test_approving_needs_social_for_relations_and_roles(client: Any, cells: Any) -> None:
    make_relation(client, "bob", "friend")
    message_id = request_to_bob(client, relation_add())
    messenger = account_token(client, "bob", "messenger", "message")
    assert_error(command(client, message_id, "approved", headers=messenger), 403, "PR403-AU-0002")
    assert command(client, message_id, "rejected", headers=messenger).status_code == 204
    other = request_to_bob(client, relation_add())
    grant(client, "bob", "messenger-role", "message", "social")
    assert command(client, other, "approved", headers=messenger).status_code == 204


def test_approving_a_role_request(client: Any, cells: Any) -> None:
    make_role(client, "bob", "doctor")
    message_id = request_to_bob(client, {"RequestType": "role.add", "Name": "doctor", "TargetUrl": ALICE})
    assert command(client, message_id, "approved").status_code == 204
    linked = client.get(f"/bob/__ctl/{role_key('doctor')}/_ExtCell", headers=MASTER_AUTH).json()["d"]["results"]
    assert [e["Url"] for e in linked] == [ALICE]
    revoke = request_to_bob(client, {"RequestType": "role.remove", "Name": "doctor", "TargetUrl": ALICE})
    assert command(client, revoke, "approved").status_code == 204
    assert client.get(f"/bob/__ctl/{role_key('doctor')}/_ExtCell", headers=MASTER_AUTH).json()["d"]["results"] == []


# === events ================================================================================================

def test_messages_emit(client: Any, cells: Any, received: Received) -> None:  # noqa: F811
    start = received.quiet()
    make_relation(client, "bob", "friend")
    message_id = request_to_bob(client, relation_add())
    assert command(client, message_id, "approved").status_code == 204
    events = received.wait(start + 5)[start:]
    types = [e.type for e in events]
    assert types[0] == "cellctl.Relation.create"
    assert set(types[1:]) == {"message.receive", "message.send", "cellctl.ExtCell.create",
                              "cellctl.ExtCell.links.Relation.create", "message.approve"}, types
    by_type = {e.type: e for e in events}
    assert by_type["message.send"].object == f"{ALICE}__ctl/SentMessage('{message_id}')"
    assert by_type["message.receive"].object == f"{BOB}__ctl/ReceivedMessage('{message_id}')"
    assert by_type["message.receive"].cause.subject == ALICE  # the sending cell speaks at the port
    assert by_type["message.approve"].info == "204"


def test_metadata_declares_the_message_types(client: Any, cells: Any) -> None:
    """CtlSchema: ReceivedMessage and SentMessage keyed by ``__id``, with ``_Box.Name``, and the complex
    types of their lists (``Message_Request_Object``, ``Sent_Message_Result``)."""
    response = client.get("/alice/__ctl/$metadata", headers=MASTER_AUTH)
    assert response.status_code == 200, response.text
    edm = "{http://schemas.microsoft.com/ado/2006/04/edm}"
    schema = etree.fromstring(response.content).find(f".//{edm}Schema")
    complex_types = {c.get("Name"): [p.get("Name") for p in c] for c in schema.findall(f"{edm}ComplexType")}
    assert complex_types == {
        "Message_Request_Object": ["RequestType", "Name", "TargetUrl", "ClassUrl", "EventSubject", "EventType",
                                   "EventObject", "EventInfo", "Action"],
        "Sent_Message_Result": ["To", "Code", "Reason"]}
    sent_type = schema.find(f"{edm}EntityType[@Name='SentMessage']")
    assert [ref.get("Name") for ref in sent_type.find(f"{edm}Key")] == ["__id"]
    props = {p.get("Name"): p for p in sent_type.findall(f"{edm}Property")}
    assert props["_Box.Name"].get("Nullable") == "true"
    assert props["Result"].get("Type") == "CellCtl.Sent_Message_Result"
    assert props["Result"].get("CollectionKind") == "List"
    assert props["Priority"].get("Type") == "Edm.Int32" and props["Priority"].get("DefaultValue") == "3"
    received_type = schema.find(f"{edm}EntityType[@Name='ReceivedMessage']")
    navs = [n.get("Name") for n in received_type.findall(f"{edm}NavigationProperty")]
    assert navs == ["_Box", "_AccountRead"]


def test_approving_a_rule_request(client: Any, cells: Any) -> None:
    """MessageODataProducer.updateRule: the rule is made in the message's box, named as the request names
    it (the sender named it after the message if it did not); rule.remove deletes it. Both need ``rule``."""
    message_id = request_to_bob(client, {"RequestType": "rule.add", "Action": "log", "EventType": "message."})
    messenger = account_token(client, "bob", "messenger", "message", "social")
    assert_error(command(client, message_id, "approved", headers=messenger), 403, "PR403-AU-0002")
    assert command(client, message_id, "approved").status_code == 204
    rule = client.get(f"/bob/__ctl/Rule('{message_id}')", headers=MASTER_AUTH)
    assert rule.status_code == 200, rule.text
    body = rule.json()["d"]["results"]
    assert (body["Action"], body["EventType"], body["EventExternal"], body["_Box.Name"]) == (
        "log", "message.", False, None)
    again = request_to_bob(client, {"RequestType": "rule.add", "Name": message_id, "Action": "log"})
    assert_error(command(client, again, "approved"), 409, "PR409-OD-0003")
    remove = request_to_bob(client, {"RequestType": "rule.remove", "Name": message_id})
    assert command(client, remove, "approved").status_code == 204
    assert_error(client.get(f"/bob/__ctl/Rule('{message_id}')", headers=MASTER_AUTH), 404, "PR404-OD-0002")
    missing = request_to_bob(client, {"RequestType": "rule.remove", "Name": "nosuchrule"})
    assert_error(command(client, missing, "approved"), 404, "PR404-OD-0002")
