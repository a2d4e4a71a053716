"""Rules that log, and the event log — apiref 277, 283-286, on both databases.

Lines, levels, rotation and the answers of ``__log`` follow the real server (LogAction, logback.xml,
LogResource, LogCollectionResource; EventTest, LogTest, LogListTest) where the pages are silent.
"""

from __future__ import annotations

import dataclasses
import re
import time
from typing import Any

import pytest
from lxml import etree

from cellar.auth.authn.tokens import TokenKind
from cellar.settings import Settings
from tests.api._auth_support import cell_url, make_box, make_cells, mint
from tests.api.test_messages import account_token
from tests.helpers import MASTER_AUTH, assert_error

CELL = "alice"
URL = cell_url(CELL)
APP = "https://app.example/"
DAV = "{DAV:}"
LINE = re.compile(r'^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z),(\[INFO \]|\[WARN \]|\[ERROR\]),(.*)$')


@pytest.fixture
def cell(client: Any) -> Any:
    return make_cells(client, CELL)


def rule(client: Any, **fields: Any) -> None:
    response = client.post(f"/{CELL}/__ctl/Rule", json={"Action": "log", **fields}, headers=MASTER_AUTH)
    assert response.status_code == 201, response.text


def event(client: Any, headers: dict[str, str] | None = None, **body: Any) -> None:
    response = client.post(f"/{CELL}/__event", json=body, headers=headers or MASTER_AUTH)
    assert response.status_code == 200, response.text


def current(client: Any, headers: dict[str, str] | None = None) -> list[str]:
    response = client.get(f"/{CELL}/__log/current/default.log", headers=headers or MASTER_AUTH)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv"
    return response.text.splitlines()


def fields(line: str) -> tuple[str, str, str]:
    match = LINE.match(line)
    assert match, line
    return match.group(1), match.group(3), match.group(4)


def test_an_external_event_logged_like_event_test(client: Any, cell: Any) -> None:
    """EventTest.event_Normal_escape_processing: quotes doubled, absent values a bare null."""
    rule(client, EventExternal=True)
    assert current(client) == []  # nothing logged yet: an empty file
    event(client, {**MASTER_AUTH, "X-Personium-RequestKey": "testRequestKey"},
          Type='"POST,', Object='Object""Data', Info='resultData"')
    [line] = current(client)
    _, level, rest = fields(line)
    assert level == "[INFO ]"
    assert rest == '"testRequestKey","true",null,null,"""POST,","Object""""Data","resultData"""'


def test_levels_subject_schema_and_object(client: Any, cell: Any) -> None:
    for action in ("log.info", "log.warn", "log.error"):
        rule(client, Name=action.replace(".", "-"), Action=action, EventExternal=True, EventType="app.")
    account_token(client, CELL, "me", "event")
    token = mint(client, TokenKind.RESIDENT_ACCESS, URL, "me", schema=APP, scopes=("root",))
    event(client, {"Authorization": f"Bearer {token}", "X-Personium-RequestKey": "k"},
          Type="app.open", Object="personium-localcell:/box/x")
    event(client, Type="other")  # matches no rule
    lines = current(client)
    assert sorted(fields(line)[1] for line in lines) == ["[ERROR]", "[INFO ]", "[WARN ]"]
    # The subject is the account as a URL, the object in http form (RuleManager converts it).
    assert {fields(line)[2] for line in lines} == {
        f'"k","true","{APP}","{URL}#me","app.open","{URL}box/x",null'}


def test_internal_events_are_logged_by_their_rules(client: Any, cell: Any) -> None:
    rule(client, Name="roles", EventType="cellctl.Role")
    rule(client, Name="creates", EventType=".create", EventObject="personium-localcell:/__ctl/Account")
    response = client.post(f"/{CELL}/__ctl/Role", json={"Name": "doctor"}, headers=MASTER_AUTH)
    assert response.status_code == 201
    response = client.post(f"/{CELL}/__ctl/Account", json={"Name": "bob"}, headers=MASTER_AUTH)
    assert response.status_code == 201
    assert client.delete(f"/{CELL}/__ctl/Role('doctor')", headers=MASTER_AUTH).status_code == 204
    logged = [fields(line)[2].split(",") for line in current(client)]
    assert [(f[1], f[4]) for f in logged] == [('"false"', '"cellctl.Role.create"'),
                                             ('"false"', '"cellctl.Account.create"'),
                                             ('"false"', '"cellctl.Role.delete"')]
    assert logged[1][5] == f"\"{URL}__ctl/Account('bob')\""


def test_box_bound_rules_match_their_box_and_app(client: Any, cell: Any) -> None:
    make_box(client, CELL, "box1", APP)
    rule(client, EventExternal=True, EventObject="personium-localcell:/box1/",
         Name="cellwide")
    response = client.post(f"/{CELL}/__ctl/Rule", json={"Name": "bound", "_Box.Name": "box1", "Action": "log.warn",
                                                        "EventExternal": True, "EventObject": "personium-localbox:/"},
                           headers=MASTER_AUTH)
    assert response.status_code == 201, response.text
    account_token(client, CELL, "me", "event")
    app_token = mint(client, TokenKind.RESIDENT_ACCESS, URL, "me", schema=APP, scopes=("root",))
    event(client, {"Authorization": f"Bearer {app_token}"}, Object="personium-localcell:/box1/data")
    event(client, Object="personium-localcell:/box1/data")  # no app: the bound rule does not match
    assert [fields(line)[1] for line in current(client)] == ["[INFO ]", "[WARN ]", "[INFO ]"]


def test_log_privileges_and_errors(client: Any, cell: Any) -> None:
    assert_error(client.get(f"/{CELL}/__log/current/default.log", headers={"Accept": "application/json"}),
                 401, "PR401-AU-0001")
    reader = account_token(client, CELL, "reader", "log-read")
    assert current(client, reader) == []
    assert_error(client.delete(f"/{CELL}/__log/archive/default.log.1", headers=reader), 403, "PR403-AU-0002")
    other = account_token(client, CELL, "other", "event")
    assert_error(client.get(f"/{CELL}/__log/current/default.log", headers=other), 403, "PR403-AU-0002")
    for path, code, param in (("current/other.log", "PR404-DV-0001", "[other.log]"),
                              ("archive/default.log", "PR404-DV-0001", "[default.log]"),
                              ("archive/default.log.1", "PR404-DV-0001", "[default.log.1.zip]")):
        error = assert_error(client.get(f"/{CELL}/__log/{path}", headers=MASTER_AUTH), 404, code)
        assert param in error["message"]["value"], error
    assert_error(client.delete(f"/{CELL}/__log/current/default.log", headers=MASTER_AUTH), 400, "PR400-EV-0005")
    assert_error(client.get(f"/{CELL}/__log", headers=MASTER_AUTH), 404, "PR404-MC-0001")
    assert_error(client.get(f"/{CELL}/__log/dummy", headers=MASTER_AUTH), 404, "PR404-MC-0001")
    for method in ("GET", "PUT", "DELETE", "POST"):
        assert_error(client.request(method, f"/{CELL}/__log/current", headers=MASTER_AUTH), 405, "PR405-MC-0001")
    for method in ("PUT", "POST"):
        response = client.request(method, f"/{CELL}/__log/current/default.log", headers=MASTER_AUTH)
        assert_error(response, 405, "PR405-MC-0001")
    assert_error(client.get("/nobody/__log/current/default.log", headers=MASTER_AUTH), 404, "PR404-DV-0003")


@pytest.mark.parametrize(("depth", "body", "status", "code"), [
    (None, b"", 400, "PR400-DV-0003"),
    ("infinity", b"", 403, "PR403-DV-0001"),
    ("100", b"", 400, "PR400-DV-0003"),
    ("1", b"<D:propfind xmlns:D='DAV:'/>", 400, "PR400-DV-0002"),
    ("1", b"<oops", 400, "PR400-DV-0001"),
])
def test_propfind_errors(client: Any, cell: Any, depth: str | None, body: bytes, status: int, code: str) -> None:
    headers = {**MASTER_AUTH, **({"Depth": depth} if depth else {})}
    assert_error(client.request("PROPFIND", f"/{CELL}/__log/archive", content=body, headers=headers), status, code)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return dataclasses.replace(settings, event_log_size=1024)


def test_rotation_archives_and_their_answers(client: Any, cell: Any) -> None:
    rule(client, EventExternal=True)
    for n in range(40):
        event(client, Type=f"t{n}", Info="x" * 100)
    archive = client.request("PROPFIND", f"/{CELL}/__log/archive", headers={**MASTER_AUTH, "Depth": "1"})
    assert archive.status_code == 207, archive.text
    root = etree.fromstring(archive.content)
    hrefs = [r.findtext(f"{DAV}href") for r in root.findall(f"{DAV}response")]
    assert hrefs[0] == f"{URL}__log/archive"
    names = [href.rsplit("/", 1)[1] for href in hrefs[1:]]
    assert names and all(re.fullmatch(r"default\.log\.\d{13}", name) for name in names)
    first = root.findall(f"{DAV}response")[1]
    assert first.findtext(f".//{DAV}getcontenttype") == "text/csv"
    # Every line is in the current file or in exactly one archive, in order; each file stops just past 1 KiB.
    archived = []
    for name in sorted(names, key=lambda n: int(n.rsplit(".", 1)[1])):
        response = client.get(f"/{CELL}/__log/archive/{name}", headers=MASTER_AUTH)
        assert response.status_code == 200 and response.headers["content-type"] == "text/csv"
        assert 1024 <= len(response.content) < 1024 + 300
        archived += response.text.splitlines()
    types = [line.split(",")[6] for line in archived + current(client)]
    assert types == [f'"t{n}"' for n in range(40)]
    # PROPFIND of the current file, then an archive deleted.
    response = client.request("PROPFIND", f"/{CELL}/__log/current/default.log", headers={**MASTER_AUTH, "Depth": "0"})
    assert response.status_code == 207
    assert etree.fromstring(response.content).findtext(f".//{DAV}href") == f"{URL}__log/current/default.log"
    assert client.delete(f"/{CELL}/__log/archive/{names[0]}", headers=MASTER_AUTH).status_code == 204
    assert_error(client.get(f"/{CELL}/__log/archive/{names[0]}", headers=MASTER_AUTH), 404, "PR404-DV-0001")


def test_twelve_archives_are_kept(client: Any, cell: Any) -> None:
    rule(client, EventExternal=True)
    for n in range(150):
        event(client, Type=f"t{n}", Info="y" * 200)
    archive = client.request("PROPFIND", f"/{CELL}/__log/archive", headers={**MASTER_AUTH, "Depth": "1"})
    assert len(etree.fromstring(archive.content).findall(f"{DAV}response")) == 1 + 12


def test_rule_list_like_rule_manager(client: Any, cell: Any) -> None:
    """``__rule`` (apiref/2AA; RuleManager.getRules): the engine's forms of the rules, how often each matched,
    and the boxes they are bound to."""
    make_box(client, CELL, "box1", APP)
    rule(client, Name="ext", EventExternal=True, EventSubject="personium-localunit:/alice/#me")
    response = client.post(f"/{CELL}/__ctl/Rule", json={
        "Name": "bound", "_Box.Name": "box1", "Action": "relay", "EventType": "odata.create",
        "TargetUrl": "personium-localunit:/bob/box/col/srv#ignored"}, headers=MASTER_AUTH)
    assert response.status_code == 201, response.text
    account_token(client, CELL, "me", "event")
    token = mint(client, TokenKind.RESIDENT_ACCESS, URL, "me", scopes=("root",))
    event(client, {"Authorization": f"Bearer {token}"}, Type="x")
    event(client, Type="y")  # from no subject: the rule wants alice's "me"
    response = client.get(f"/{CELL}/__rule", headers=MASTER_AUTH)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["timers"] == [] and len(body["boxes"]) == 1
    assert body["boxes"][0]["Name"] == "box1" and body["boxes"][0]["Schema"] == APP
    assert re.fullmatch(r"[0-9a-f]{32}", body["boxes"][0]["id"])
    by_name = {r["Name"]: r for r in body["rules"]}
    assert by_name["ext"] == {"Name": "ext", "EventExternal": True, "EventSubject": f"{URL}#me", "EventType": None,
                              "EventObject": None, "EventInfo": None, "Action": "log", "TargetUrl": None,
                              "HitCount": 1}
    bob = cell_url("bob")
    assert by_name["bound"]["TargetUrl"] == f"{bob}box/col/srv#box/col/srv"
    assert (by_name["bound"]["_Box.Name"], by_name["bound"]["Schema"], by_name["bound"]["HitCount"]) == (
        "box1", APP, 0)
    assert "_Box.Name" not in by_name["ext"]


def test_rule_list_privileges_and_methods(client: Any, cell: Any) -> None:
    assert_error(client.get(f"/{CELL}/__rule", headers={"Accept": "application/json"}), 401, "PR401-AU-0001")
    reader = account_token(client, CELL, "reader", "rule-read")
    assert client.get(f"/{CELL}/__rule", headers=reader).json() == {"rules": [], "boxes": [], "timers": []}
    response = client.options(f"/{CELL}/__rule", headers=reader)
    assert response.status_code == 200 and response.headers["allow"] == "OPTIONS, GET"
    other = account_token(client, CELL, "other", "log-read")
    assert_error(client.get(f"/{CELL}/__rule", headers=other), 403, "PR403-AU-0002")
    for method in ("POST", "PUT", "DELETE"):
        assert_error(client.request(method, f"/{CELL}/__rule", headers=MASTER_AUTH), 405, "PR405-MC-0001")


# === HTTP actions (rule.action.*, rules_facts §5) =========================================================

ALL_EVENT = ('<D:acl xmlns:D="DAV:" xmlns:p="urn:x-personium:xmlns"><D:ace><D:principal><D:all/></D:principal>'
             "<D:grant><D:privilege><p:event/></D:privilege></D:grant></D:ace></D:acl>")


def log_of(client: Any, cell: str) -> list[list[str]]:
    response = client.get(f"/{cell}/__log/current/default.log", headers=MASTER_AUTH)
    assert response.status_code == 200, response.text
    return [fields(line)[2].split(",") for line in response.text.splitlines()]


def wait_for_lines(client: Any, cell: str, count: int, timeout: float = 10.0) -> list[list[str]]:
    deadline = time.monotonic() + timeout
    while True:
        lines = log_of(client, cell)
        if len(lines) >= count or time.monotonic() > deadline:
            return lines
        time.sleep(0.05)


def test_relay_event_hands_the_event_to_another_cell(client: Any, cell: Any) -> None:
    make_cells(client, "bob")
    assert client.request("ACL", "/bob/", content=ALL_EVENT.encode(), headers=MASTER_AUTH).status_code == 200
    bob = cell_url("bob")
    rule(client, Name="relay", EventExternal=True, EventType="app.", Action="relay.event",
         TargetUrl="personium-localunit:/bob/")
    response = client.post("/bob/__ctl/Rule", json={"Name": "logall", "EventExternal": True, "Action": "log"},
                           headers=MASTER_AUTH)
    assert response.status_code == 201
    account_token(client, CELL, "me", "event")
    token = mint(client, TokenKind.RESIDENT_ACCESS, URL, "me", scopes=("root",))
    event(client, {"Authorization": f"Bearer {token}", "X-Personium-RequestKey": "chain-1"}, Type="app.open",
          Object="o", Info="i")
    [received] = wait_for_lines(client, "bob", 1)
    # At bob: an external event of type relay.ext.app.open, from alice's "me" (a trans-cell token).
    assert received == ['"chain-1"', '"true"', "null", f'"{URL}#me"', '"relay.ext.app.open"', '"o"', '"i"']
    # At alice: the event, then the result of its relay (the target, bob's answer).
    original, result = wait_for_lines(client, CELL, 2)
    assert original[4] == '"app.open"'
    assert (result[4], result[5], result[6]) == ('"relay.event"', f'"{bob}#"', '"200"')


def test_rules_cannot_relay_without_end(client: Any, cell: Any) -> None:
    """Each relay adds one to X-Personium-RuleChain; past three, no rule acts (event.hop.maxnum)."""
    make_cells(client, "bob")
    for name, other in (("alice", "bob"), ("bob", "alice")):
        assert client.request("ACL", f"/{name}/", content=ALL_EVENT.encode(), headers=MASTER_AUTH).status_code == 200
        response = client.post(f"/{name}/__ctl/Rule", json={"Name": "back", "EventExternal": True,
                                                            "Action": "relay.event",
                                                            "TargetUrl": f"personium-localunit:/{other}/"},
                               headers=MASTER_AUTH)
        assert response.status_code == 201, response.text
    event(client, Type="ping")
    time.sleep(2)  # enough for far more hops than allowed
    results = [line for cell_name in ("alice", "bob") for line in log_of(client, cell_name)
               if line[4] == '"relay.event"']
    assert len(results) == 3, results


def test_exec_without_an_engine_is_logged_as_failed(client: Any, cell: Any) -> None:
    rule(client, Name="run", EventExternal=True, Action="exec", TargetUrl="personium-localcell:/box/svc/run")
    event(client, Type="go")
    original, result = wait_for_lines(client, CELL, 2)
    assert (result[4], result[5]) == ('"exec"', f'"{URL}box/svc/run#box/svc/run"')
    assert result[6] != '"200"'


def test_a_relay_to_a_unit_that_is_down_is_recorded(client: Any, cell: Any) -> None:
    rule(client, Name="away", EventExternal=True, Action="relay", TargetUrl="http://127.0.0.1:9/cell/box/svc")
    event(client, Type="go")
    _, result = wait_for_lines(client, CELL, 2)
    assert (result[4], result[6]) == ('"relay"', '"404"')


# === timers (TimerRuleManager, rules_facts §5.8) ===========================================================

def test_a_one_shot_timer_fires_once_and_its_rule_sees_it(client: Any, cell: Any) -> None:
    now = int(time.time() * 1000)
    rule(client, Name="soon", EventType="timer.oneshot", EventObject=str(now), EventInfo="wake",
         EventSubject=f"personium-localunit:/{CELL}/#me")
    listed = client.get(f"/{CELL}/__rule", headers=MASTER_AUTH).json()["timers"]
    expected = {"EventSubject": f"personium-localunit:/{CELL}/#me", "EventObject": str(now), "EventInfo": "wake",
                "boxId": None, "count": 1, "interval": 0, "nextTime": now - now % 60000}
    assert listed in ([], [expected])  # [] if it fired already
    [line] = wait_for_lines(client, CELL, 1)
    assert line[1:] == ['"false"', "null", f'"{URL}#me"', '"timer.oneshot"', f'"{now}"', '"wake"']
    time.sleep(0.6)
    assert len(log_of(client, CELL)) == 1  # once
    assert client.get(f"/{CELL}/__rule", headers=MASTER_AUTH).json()["timers"] == []


def test_timers_in_the_past_never_fire_and_periodic_ones_wait_an_interval(client: Any, cell: Any) -> None:
    rule(client, Name="past", EventType="timer.oneshot", EventObject="1000")
    rule(client, Name="every", EventType="timer.periodic", EventObject="5")
    rule(client, Name="every2", EventType="timer.periodic", EventObject="5")
    [timer] = client.get(f"/{CELL}/__rule", headers=MASTER_AUTH).json()["timers"]
    assert (timer["count"], timer["interval"], timer["EventObject"]) == (2, 300000, "5")
    assert timer["nextTime"] > int(time.time() * 1000) + 240_000
    time.sleep(0.5)
    assert log_of(client, CELL) == []
