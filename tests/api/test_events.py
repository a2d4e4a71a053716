"""Events of API writes (PersoniumEventType names, cellar.events.catalog): every write emits, the cell
root's ACL and PROPPATCH and ``__mypassword`` included, and each event carries the request key, the
caller's subject URL and the token's schema (client app) URL; failed writes emit nothing; events
outlive their cell."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import select

from cellar.auth.authn.tokens import LocalToken, TokenKind
from cellar.events.bus import Cause, Event
from cellar.storage.tables import event_outbox
from tests.api._auth_support import make_account
from tests.conftest import UNIT
from tests.helpers import MASTER_AUTH, as_unit_user, make_cell

CELL = "evcell"
CELL_URL = f"{UNIT}{CELL}/"
APP = "https://app.example/"
OWNER = "https://owner.example/#admin"
ACL_ALL_ROOT = ('<D:acl xmlns:D="DAV:" xmlns:p="urn:x-personium:xmlns"><D:ace><D:principal><D:all/>'
                '</D:principal><D:grant><D:privilege><p:root/></D:privilege></D:grant></D:ace></D:acl>')
PROPPATCH = ('<D:propertyupdate xmlns:D="DAV:" xmlns:p="urn:x-personium:xmlns"><D:set><D:prop>'
             '<p:note>hello</p:note></D:prop></D:set></D:propertyupdate>')


class Received:
    def __init__(self) -> None:
        self.events: list[Event] = []

    def __call__(self, event: Event) -> None:
        self.events.append(event)

    def quiet(self) -> int:
        """How many have arrived once no more arrive (earlier requests' events may still be on their way)."""
        count = -1
        while count != len(self.events):
            count = len(self.events)
            time.sleep(0.15)
        return count

    def wait(self, count: int, timeout: float = 10.0) -> list[Event]:
        """The session app's dispatcher delivers on its own thread: wait for ``count`` events."""
        deadline = time.monotonic() + timeout
        while len(self.events) < count:
            assert time.monotonic() < deadline, [e.type for e in self.events]
            time.sleep(0.01)
        time.sleep(0.05)
        return list(self.events)

    def types(self) -> list[str]:
        return [e.type for e in self.events]


@pytest.fixture
def received(client: Any) -> Iterator[Received]:
    bus = client.app.state.services.storage.bus
    sink = Received()
    bus.subscribe(sink)
    yield sink
    bus.unsubscribe(sink)


def alice_token(client: Any) -> str:
    codec = client.app.state.services.keyring.codec
    return codec.encode(LocalToken(TokenKind.RESIDENT_ACCESS, CELL_URL, "alice", int(time.time() * 1000),
                                   3_600_000, schema=APP, scopes=("root",)))


def keyed(key: str, token: str | None = None, **headers: str) -> dict[str, str]:
    auth = {"Authorization": f"Bearer {token}"} if token else dict(MASTER_AUTH)
    return {**auth, "Accept": "application/json", "X-Personium-RequestKey": key, **headers}


def only(received: Received, after: Callable[[], Any]) -> Event:
    start = received.quiet()
    after()
    events = received.wait(start + 1)[start:]
    assert len(events) == 1, [e.type for e in events]
    return events[0]


def test_a_write_with_a_token_carries_request_key_subject_and_schema(client: Any, received: Received) -> None:
    make_cell(client, CELL)
    make_account(client, CELL, "alice")
    assert client.request("ACL", f"/{CELL}/", content=ACL_ALL_ROOT, headers=MASTER_AUTH).status_code == 200

    def create_role() -> None:
        response = client.post(f"/{CELL}/__ctl/Role", json={"Name": "reader"},
                               headers=keyed("abc", alice_token(client)))
        assert response.status_code == 201, response.text
        assert response.headers["X-Personium-RequestKey"] == "abc"

    event = only(received, create_role)
    assert event.type == "cellctl.Role.create"
    assert event.object == f"{CELL_URL}__ctl/Role(Name='reader',_Box.Name=null)"
    assert event.cell_id is not None
    assert event.cause == Cause("abc", f"{CELL_URL}#alice", APP)
    assert event.id is not None and event.created is not None
    with client.app.state.services.storage.transaction("test.row", write=False) as tx:
        row = tx.conn.execute(select(event_outbox).where(event_outbox.c.id == event.id)).one()
    assert (row.type, row.request_key, row.subject, row.schema) == ("cellctl.Role.create", "abc",
                                                                    f"{CELL_URL}#alice", APP)


def test_unit_level_writes_carry_the_unit_user(client: Any, received: Received) -> None:
    def create_cell() -> None:
        response = client.post("/__ctl/Cell", json={"Name": CELL}, headers=keyed("k-1", **as_unit_user(OWNER)))
        assert response.status_code == 201, response.text

    event = only(received, create_cell)
    assert (event.type, event.object, event.cause) == ("unitctl.Cell.create", f"{UNIT}__ctl/Cell('{CELL}')",
                                                       Cause("k-1", OWNER, None))

    def rename() -> None:
        response = client.request("MERGE", f"/__ctl/Cell('{CELL}')", json={"Name": "evcell2"}, headers=keyed("k-2"))
        assert response.status_code == 204, response.text

    event = only(received, rename)
    assert (event.type, event.cause) == ("unitctl.Cell.patch", Cause("k-2", None, None))


def test_a_request_without_a_key_gets_the_generated_one(client: Any, received: Received) -> None:
    def create_cell() -> None:
        response = client.post("/__ctl/Cell", json={"Name": CELL}, headers=MASTER_AUTH)
        assert response.status_code == 201
        generated.append(response.headers["X-Personium-RequestKey"])

    generated: list[str] = []
    assert only(received, create_cell).cause.request_key == generated[0]


def test_cell_acl_and_proppatch_emit(client: Any, received: Received) -> None:
    make_cell(client, CELL, headers=as_unit_user(OWNER))
    cell_id = received.wait(1)[0].cell_id

    def acl() -> None:
        response = client.request("ACL", f"/{CELL}/", content=ACL_ALL_ROOT, headers=keyed("acl-1"))
        assert response.status_code == 200, response.text

    def proppatch() -> None:
        response = client.request("PROPPATCH", f"/{CELL}/", content=PROPPATCH,
                                  headers=keyed("pp-1", **as_unit_user(OWNER)))
        assert response.status_code == 207, response.text

    event = only(received, acl)
    assert (event.type, event.object, event.cell_id, event.cause) == ("cell.acl", CELL_URL, cell_id,
                                                                      Cause("acl-1", None, None))
    event = only(received, proppatch)
    assert (event.type, event.object, event.cell_id, event.cause) == ("cell.proppatch", CELL_URL, cell_id,
                                                                      Cause("pp-1", OWNER, None))


def test_mypassword_emits(client: Any, received: Received) -> None:
    make_cell(client, CELL)
    make_account(client, CELL, "alice")

    def change() -> None:
        response = client.put(f"/{CELL}/__mypassword", headers=keyed("pw-1", alice_token(client),
                                                                     **{"X-Personium-Credential": "new-Pass_2"}))
        assert response.status_code == 204, response.text

    event = only(received, change)
    assert (event.type, event.object, event.cause) == ("cell.mypassword", f"{CELL_URL}__mypassword",
                                                       Cause("pw-1", f"{CELL_URL}#alice", APP))


def test_webdav_writes_emit_with_personium_names(client: Any, received: Received) -> None:
    make_cell(client, CELL)
    response = client.post(f"/{CELL}/__ctl/Box", json={"Name": "box1"}, headers=MASTER_AUTH)
    assert response.status_code == 201
    start = received.quiet()
    box = f"/{CELL}/box1"
    assert client.request("MKCOL", f"{box}/col", headers=MASTER_AUTH).status_code == 201
    assert client.put(f"{box}/col/a.txt", content=b"1", headers=MASTER_AUTH).status_code == 201
    assert client.put(f"{box}/col/a.txt", content=b"2", headers=MASTER_AUTH).status_code == 204
    assert client.request("MOVE", f"{box}/col/a.txt", headers={**MASTER_AUTH, "Destination": f"{UNIT}{CELL}/box1/b.txt"}
                          ).status_code == 201
    assert client.delete(f"{box}/b.txt", headers=MASTER_AUTH).status_code == 204
    assert client.delete(box, headers={**MASTER_AUTH, "X-Personium-Recursive": "true"}).status_code == 204
    events = received.wait(start + 6)[start:]
    assert [(e.type, e.object) for e in events] == [
        ("webdavcol.mkcol", f"{CELL_URL}box1/col"), ("davfile.create", f"{CELL_URL}box1/col/a.txt"),
        ("davfile.update", f"{CELL_URL}box1/col/a.txt"), ("davfile.move", f"{CELL_URL}box1/col/a.txt"),
        ("davfile.delete", f"{CELL_URL}box1/b.txt"), ("box.delete", f"{CELL_URL}box1")]


def test_a_failed_write_emits_nothing(client: Any, received: Received) -> None:
    make_cell(client, CELL)
    start = received.quiet()
    response = client.post("/__ctl/Cell", json={"Name": CELL}, headers=MASTER_AUTH)
    assert response.status_code == 409
    assert received.quiet() == start == 1


def test_events_outlive_their_cell_and_do_not_keep_it_alive(client: Any, received: Received) -> None:
    """The outbox is not cell content: a cell whose only trace is its events may be deleted, and the
    recursive delete leaves the cell's events to be delivered."""
    for recursive in (False, True):
        start = received.quiet()
        make_cell(client, CELL)
        assert client.request("ACL", f"/{CELL}/", content=ACL_ALL_ROOT, headers=MASTER_AUTH).status_code == 200
        cell_id = received.wait(start + 2)[start + 1].cell_id
        if recursive:
            response = client.delete(f"/{CELL}/", headers={**MASTER_AUTH, "X-Personium-Recursive": "true"})
        else:
            response = client.delete(f"/__ctl/Cell('{CELL}')", headers=MASTER_AUTH)
        assert response.status_code == 204, response.text
        received.quiet()
        with client.app.state.services.storage.transaction("test.rows", write=False) as tx:
            kept = tx.conn.execute(select(event_outbox.c.type).where(event_outbox.c.cell_id == cell_id)
                                   .order_by(event_outbox.c.id)).scalars().all()
        assert kept == ["unitctl.Cell.create", "cell.acl", "unitctl.Cell.delete"]
    assert received.types() == ["unitctl.Cell.create", "cell.acl", "unitctl.Cell.delete"] * 2
    assert [e.extra for e in received.events if e.type == "unitctl.Cell.delete"] == [{}, {"recursive": True}]
