"""The queue of rules' HTTP actions (cellar.rules.actions) on SQLite and PostgreSQL: each action is
claimed by one process, lost claims come back after the lease, a finished action leaves the queue and
logs the event and its result."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

import pytest
from sqlalchemy import insert, select

from cellar.events.bus import Cause
from cellar.rules import actions, eventlog, timers
from cellar.storage import Storage, open_storage
from cellar.storage.migrations import migrate
from cellar.storage.tables import rule_actions, rules
from cellar.urls import UnitUrls
from tests.conftest import Backend, new_postgres_database
from tests.storage._support import insert_cell


@pytest.fixture
def storage(backend: Backend, tmp_path: Path) -> Iterator[Storage]:
    """A database of its own: no app's worker (the session app polls the shared one) claims its actions."""
    url = new_postgres_database("_actions") if backend.storage.caps.name == "postgresql" else \
        f"sqlite:///{tmp_path / 'actions.db'}"
    own = open_storage(url)
    migrate(own)
    yield own
    own.dispose()


@pytest.fixture
def cell_id(storage: Storage) -> str:
    return insert_cell(storage)


def job(cell_id: str, n: int) -> actions.Job:
    return actions.Job(cell_id, "http://localhost:8080/c/", "relay", "https://x.example/c/svc", True, f"t{n}",
                       None, "i", Cause("key", None, None), 1)


def test_every_action_is_claimed_once_by_concurrent_processes(storage: Storage, cell_id: str) -> None:
    with storage.transaction("test.enqueue") as tx:
        for n in range(40):
            actions.enqueue(tx, job(cell_id, n))
    claimed: dict[str, list[int]] = {"a": [], "b": [], "c": []}

    def worker(origin: str) -> None:
        while True:
            with storage.transaction("test.claim") as tx:
                got = actions.claim(tx, origin)
            if not got:
                return
            claimed[origin] += [action_id for action_id, _ in got]

    threads = [threading.Thread(target=worker, args=(origin,)) for origin in claimed]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ids = [i for got in claimed.values() for i in got]
    assert len(ids) == len(set(ids)) == 40


def test_a_lost_claim_comes_back_after_the_lease(storage: Storage, cell_id: str) -> None:
    with storage.transaction("test.enqueue") as tx:
        actions.enqueue(tx, job(cell_id, 1))
    with storage.transaction("test.claim") as tx:
        [(action_id, claimed)] = actions.claim(tx, "dead")
    assert claimed == job(cell_id, 1)  # what was queued comes back whole
    with storage.transaction("test.claim") as tx:
        assert actions.claim(tx, "other") == []
        assert not actions.pending(tx)
    later = actions.clock.now_ms() + actions.LEASE_MS + 1
    with mock.patch.object(actions.clock, "now_ms", return_value=later), storage.transaction("test.claim") as tx:
        assert [i for i, _ in actions.claim(tx, "other")] == [action_id]


def test_finishing_logs_the_event_and_its_result(storage: Storage, cell_id: str) -> None:
    with storage.transaction("test.enqueue") as tx:
        actions.enqueue(tx, job(cell_id, 7))
        [(action_id, claimed)] = actions.claim(tx, "me")
        actions.finish(tx, action_id, claimed, "204", 1 << 20)
    with storage.transaction("test.read", write=False) as tx:
        assert tx.conn.execute(select(rule_actions)).first() is None
        lines = eventlog.content(tx, cell_id, eventlog.CURRENT).decode().splitlines()
    assert [line.split(",", 2)[2] for line in lines] == [
        '"key","true",null,null,"t7",null,"i"', '"key","true",null,null,"relay","https://x.example/c/svc","204"']


def test_a_periodic_timer_fires_once_per_interval_whoever_looks(storage: Storage, cell_id: str) -> None:
    urls = UnitUrls("http://localhost:8080/", True)
    start = 1_700_000_040_000  # a whole minute
    with storage.transaction("test.rule") as tx:
        tx.conn.execute(insert(rules).values(
            id=uuid.uuid4().hex, cell_id=cell_id, name="tick", event_external=False, event_type="timer.periodic",
            event_object="2", action="log", next_fire=timers.first_fire("timer.periodic", "2", start + 5_000),
            published=1, updated=1, version=1))
    fired = []
    for at in (start + 60_000, start + 120_000, start + 120_001, start + 300_000, start + 300_000):
        with mock.patch.object(timers.clock, "now_ms", return_value=at), storage.transaction("test.fire") as tx:
            for rule_id in timers.due(tx, at):
                if timers.fire(tx, rule_id, urls):
                    fired.append((at, [e.type for e in tx.events]))
    # Due two minutes after it was written; a second look finds it moved on; missed firings are not repeated.
    assert fired == [(start + 120_000, ["timer.periodic"]), (start + 300_000, ["timer.periodic"])]
    with storage.transaction("test.read", write=False) as tx:
        assert tx.conn.execute(select(rules.c.next_fire)).scalar_one() == start + 360_000
