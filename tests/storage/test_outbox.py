"""The transactional outbox and its dispatcher, on SQLite and PostgreSQL: an event exists exactly when
its transaction commits; every process sharing the database (here: separate ``Storage`` objects,
each with its own dispatcher) gets each event once, outside any writer lock; PostgreSQL rows that
commit out of id order are not lost; old rows are pruned."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import func, insert, select, text

from cellar.events import catalog
from cellar.events.bus import Cause, Event
from cellar.events.dispatcher import Timing
from cellar.storage import Storage, open_storage
from cellar.storage.tables import event_outbox

ACL = Event(catalog.CELL_ACL, "http://localhost:8080/c1/", cell_id="c" * 32)
PROPPATCH = Event(catalog.CELL_PROPPATCH, "http://localhost:8080/c1/", extra={"note": "é"})


class Process:
    """One ``cellar serve`` process as far as events go: its storage, dispatcher and deliveries."""

    def __init__(self, database_url: str, *, started: bool = True) -> None:
        self.storage = open_storage(database_url)
        self.received: list[Event] = []
        self.threads: list[str] = []
        self.storage.bus.subscribe(self._receive)
        self.started = started
        if started:
            self.storage.events.start(Timing(0.05, 3_600_000, self.storage.caps.notify))

    def _receive(self, event: Event) -> None:
        self.received.append(event)
        self.threads.append(threading.current_thread().name)

    def emit(self, *events: Event, cause: Cause | None = None) -> None:
        with self.storage.transaction("test.emit", cause=cause) as tx:
            for event in events:
                tx.emit(event)

    def close(self) -> None:
        if self.started:
            self.storage.events.stop()
        self.storage.dispose()


@pytest.fixture
def processes(database_url: str) -> Iterator[Callable[..., Process]]:
    made: list[Process] = []

    def make(**kwargs: Any) -> Process:
        made.append(Process(database_url, **kwargs))
        return made[-1]

    yield make
    for process in made:
        process.close()


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def settle() -> None:
    """Long enough for several polls and notifications: a duplicate would have arrived by now."""
    time.sleep(0.4)


def outbox_rows(storage: Storage) -> list[Any]:
    with storage.transaction("test.rows", write=False) as tx:
        return list(tx.conn.execute(select(event_outbox).order_by(event_outbox.c.id)))


def test_an_event_is_recorded_with_its_transaction_and_carries_its_cause(processes: Any) -> None:
    process = processes(started=False)
    cause = Cause("abc", "http://localhost:8080/c1/#alice", "http://localhost:8080/app/")
    process.emit(ACL, PROPPATCH, cause=cause)
    rows = outbox_rows(process.storage)
    assert [(r.type, r.object, r.cell_id, r.request_key, r.subject, r.schema, r.origin) for r in rows] == [
        (catalog.CELL_ACL, ACL.object, ACL.cell_id, "abc", cause.subject, cause.schema, process.storage.origin),
        (catalog.CELL_PROPPATCH, PROPPATCH.object, None, "abc", cause.subject, cause.schema, process.storage.origin)]
    assert rows[0].id < rows[1].id and rows[0].created == rows[1].created > 0
    assert [(e.type, e.id, e.created, e.cause, e.extra) for e in process.received] == [
        (catalog.CELL_ACL, rows[0].id, rows[0].created, cause, {}),
        (catalog.CELL_PROPPATCH, rows[1].id, rows[1].created, cause, {"note": "é"})]


def test_a_rolled_back_transaction_records_and_delivers_nothing(processes: Any) -> None:
    writer, reader = processes(started=False), processes()
    with pytest.raises(RuntimeError), writer.storage.transaction("test.fail") as tx:
        tx.emit(ACL)
        raise RuntimeError("the request failed")
    assert outbox_rows(writer.storage) == []
    settle()
    assert writer.received == [] and reader.received == []


def test_a_type_outside_the_catalog_is_refused(processes: Any) -> None:
    process = processes(started=False)
    with pytest.raises(ValueError, match="catalog"), process.storage.transaction("test.bad") as tx:
        tx.emit(Event("cellctl.Nothing.create", "http://localhost:8080/c1/"))
    assert outbox_rows(process.storage) == []


def test_every_process_receives_every_event_exactly_once(processes: Any) -> None:
    first, second = processes(), processes()
    first.emit(ACL)
    second.emit(PROPPATCH, ACL)
    first.emit(PROPPATCH)
    wait_until(lambda: len(first.received) >= 4 and len(second.received) >= 4)
    settle()
    ids = [row.id for row in outbox_rows(first.storage)]
    assert len(ids) == 4
    assert sorted(e.id for e in first.received) == ids
    assert sorted(e.id for e in second.received) == ids
    assert [e.type for e in second.received if e.id in ids[1:3]] == [catalog.CELL_PROPPATCH, catalog.CELL_ACL]


def test_delivery_happens_after_commit_outside_the_writer_lock(processes: Any) -> None:
    """A subscriber may write itself: inside the writer lock (or the transaction) it could not."""
    process = processes(started=False)
    wrote: list[bool] = []

    def write_back(event: Event) -> None:
        with process.storage.transaction("test.subscriber") as tx:
            tx.conn.execute(text("SELECT 1"))
        wrote.append(True)

    process.storage.bus.subscribe(write_back)
    process.emit(ACL)
    assert wrote == [True]
    assert process.threads == [threading.current_thread().name]


def test_a_running_dispatcher_delivers_on_its_own_thread_with_no_lock_held(processes: Any) -> None:
    process = processes()
    held: list[bool] = []
    lock = process.storage._write_lock
    process.storage.bus.subscribe(lambda event: held.append(lock is not None and lock.locked()))
    process.emit(ACL)
    wait_until(lambda: len(process.received) == 1)
    assert process.threads == ["cellar-events"]
    assert held == [False]


@pytest.mark.postgres_only
def test_a_row_committed_after_a_larger_id_is_not_lost(processes: Any, storage: Storage) -> None:
    """PostgreSQL hands out ids at insert and rows appear at commit: id N may appear after N+1 (SQLite,
    with one writer, commits ids in order: the case does not arise there)."""
    writer, reader = processes(), processes()
    with writer.storage.engine.connect() as slow:
        with slow.begin():
            early = slow.execute(insert(event_outbox).returning(event_outbox.c.id), {
                "created": int(time.time() * 1000), "origin": "elsewhere", "type": catalog.CELL_ACL,
                "object": "http://localhost:8080/slow/", "info": ""}).scalar_one()
            writer.emit(PROPPATCH)
            wait_until(lambda: len(reader.received) == 1)
            assert reader.received[0].id > early
            slow.execute(text("SELECT pg_notify('cellar_events', 'elsewhere')"))
    wait_until(lambda: len(reader.received) == 2)
    settle()
    assert [e.id for e in reader.received] == [reader.received[0].id, early]
    assert reader.received[1].object == "http://localhost:8080/slow/"
    assert [e.type for e in writer.received] == [catalog.CELL_PROPPATCH, catalog.CELL_ACL]


def test_old_rows_are_pruned_by_any_process_idempotently(processes: Any) -> None:
    first, second = processes(started=False), processes(started=False)
    first.emit(ACL)
    with first.storage.transaction("test.age") as tx:
        tx.conn.execute(event_outbox.update().values(created=1))
    second.emit(PROPPATCH)
    cutoff = int(time.time() * 1000) - 60_000
    first.storage.events._outbox.prune(cutoff)
    second.storage.events._outbox.prune(cutoff)
    assert [row.type for row in outbox_rows(first.storage)] == [catalog.CELL_PROPPATCH]


def test_a_process_starts_from_the_newest_row(processes: Any) -> None:
    """Events committed before a process started are not replayed to it."""
    processes(started=False).emit(ACL)
    late = processes()
    settle()
    assert late.received == []
    with late.storage.transaction("test.count", write=False) as tx:
        assert tx.conn.execute(select(func.count()).select_from(event_outbox)).scalar_one() == 1


def test_a_storage_shared_by_several_apps_dispatches_until_the_last_stops(processes: Any) -> None:
    process = processes()
    timing = Timing(0.05, 3_600_000, process.storage.caps.notify)
    process.storage.events.start(timing)
    process.storage.events.stop()
    process.emit(ACL)
    wait_until(lambda: len(process.received) == 1)
    assert process.threads == ["cellar-events"]
    process.storage.events.stop()
    process.started = False
    process.emit(PROPPATCH)
    assert [e.type for e in process.received] == [catalog.CELL_ACL, catalog.CELL_PROPPATCH]
    assert process.threads == ["cellar-events", threading.current_thread().name]


def test_many_events_of_one_transaction_keep_their_order_and_ids(processes: Any) -> None:
    writer, reader = processes(started=False), processes()
    created = catalog.dav(catalog.DAVFILE, catalog.CREATE)
    events = [Event(created, f"http://localhost:8080/c1/box/{n}") for n in range(1200)]
    writer.emit(*events)
    ids = [row.id for row in outbox_rows(writer.storage)]
    assert [(e.id, e.object) for e in writer.received] == list(zip(ids, (e.object for e in events), strict=True))
    wait_until(lambda: len(reader.received) == 1200)
    assert [(e.id, e.object) for e in reader.received] == [(e.id, e.object) for e in writer.received]


def test_an_external_event_reaches_other_processes_whole(processes: Any) -> None:
    """Its type, object and info are the sender's (any length, or none): they travel beside the row."""
    writer, reader = processes(started=False), processes()
    event = Event("x" * 51200, None, "info", cell_id=None, external=True)
    writer.emit(event, Event(None, "o", None, external=True))
    wait_until(lambda: len(reader.received) >= 2)
    assert [(e.type, e.object, e.info, e.external) for e in reader.received] == [
        ("x" * 51200, None, "info", True), (None, "o", None, True)]
    assert [r.type for r in outbox_rows(writer.storage)] == ["external", "external"]
