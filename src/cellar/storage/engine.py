"""Engine creation, SQLite pragmas and the per-request transaction."""

from __future__ import annotations

import logging
import sqlite3
import threading
import uuid
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import DBAPIError, OperationalError

from cellar.errors import PersoniumError
from cellar.events.bus import NO_CAUSE, Cause, Event, EventBus
from cellar.events.dispatcher import Dispatcher
from cellar.storage import outbox
from cellar.storage.dialect import Capabilities, capabilities
from cellar.storage.uow import Transaction

T = TypeVar("T")
_BUSY_TIMEOUT_MS = 30_000
#: WAL pages (4 KiB each) after which a commit checkpoints itself: the background checkpoint fell behind.
_WAL_FAR_BEHIND = 16_000
#: Bytes of write-ahead log file kept for reuse once it has been checkpointed.
_WAL_KEPT = 16 * 1024 * 1024
#: At most this many SQLite connections wait, open, for the next transaction.
_IDLE = 8


class WriterBusy(Exception):  # noqa: N818 - a signal to try elsewhere, not a failure
    """:meth:`Storage.write_now` could not write at once."""


class Storage:
    """One database shared by every ``cellar serve`` process of a unit."""

    def __init__(self, engine: Engine, bus: EventBus) -> None:
        self.engine = engine
        self.caps: Capabilities = capabilities(engine)
        self._write_lock = threading.Lock() if self.caps.single_writer else None
        self._local = threading.local()
        #: SQLite connections kept open between transactions: taking one from the pool and wrapping
        #: it anew costs more than a short read. (PostgreSQL keeps its pool, which pings them first.)
        self._idle: list[Connection] = []
        #: Names this process's rows in the outbox (a fresh one per start).
        self.origin = uuid.uuid4().hex
        self.events = Dispatcher(bus, outbox.DatabaseOutbox(self, self.origin))
        #: Called, by name, with every write transaction that has events, just before they are recorded,
        #: in it (the rules judge them there, so what they log commits with the change or not at all).
        #: By name: apps made anew on one storage (tests) replace their predecessors' hooks.
        self.before_record: dict[str, Callable[[Transaction], None]] = {}

    @property
    def bus(self) -> EventBus:
        return self.events.bus

    def write_now(self, work: Callable[[], T]) -> T:
        """SQLite: run ``work``, whose transaction writes, only if this process's writer lock and the
        database's can be had at once (so that the event loop may run it without ever waiting for
        another writer); :class:`WriterBusy` if either is taken, and nothing was done."""
        assert self.caps.single_writer
        self._local.now_or_never = True
        try:
            return work()
        finally:
            self._local.now_or_never = False

    @property
    def _now_or_never(self) -> bool:
        return getattr(self._local, "now_or_never", False)

    @contextmanager
    def transaction(self, name: str, *, write: bool = True, cause: Cause | None = None) -> Iterator[Transaction]:
        """Run one request's work in one transaction; its events are recorded in it and delivered, and
        its after-commit hooks run, once it has committed and the writer lock is released (hooks may
        open transactions of their own).

        A transaction inside another on the same thread would wait for itself (SQLite has one
        writer), so it is a programming error, reported at once.
        """
        if getattr(self._local, "active", None):
            raise RuntimeError(f"transaction {name!r} started inside {self._local.active!r}")
        self._local.active = name
        committed: list[Event] = []
        try:
            if self._write_lock is not None and write:
                if not self._write_lock.acquire(blocking=not self._now_or_never):
                    raise WriterBusy(name)
                try:
                    tx = yield from self._run(name, write, cause, committed)
                finally:
                    self._write_lock.release()
            else:
                tx = yield from self._run(name, write, cause, committed)
        finally:
            self._local.active = None
        self.events.committed(committed)
        for hook in tx.committed_hooks:
            try:
                hook()
            except Exception:  # the work committed; what a hook leaves undone, a sweep finishes
                logging.getLogger(__name__).exception("after-commit hook of %r failed", name)

    @contextmanager
    def snapshot(self, name: str) -> Iterator[Transaction]:
        """A read transaction that may outlive the call that opened it and be used from any thread, one at
        a time (a streamed body is read on whichever worker thread is free), so it is not the thread's
        transaction. It reads one snapshot throughout, so a body replaced meanwhile still reads whole."""
        yield from self._run(name, False, None, [], isolation=self.caps.snapshot_isolation)

    def _run(self, name: str, write: bool, cause: Cause | None, committed: list[Event],
             isolation: str | None = None) -> Generator[Transaction, None, Transaction]:
        try:
            with self._connection() as conn:
                if self.caps.single_writer:
                    conn.execution_options(sqlite_begin=("IMMEDIATE NOW" if self._now_or_never else "IMMEDIATE")
                                           if write else "DEFERRED")
                if isolation is not None:
                    conn.execution_options(isolation_level=isolation)
                with conn.begin():
                    tx = Transaction(name, conn, self.caps, cause=cause or NO_CAUSE)
                    yield tx
                    if tx.events:
                        for judge in self.before_record.values():
                            judge(tx)
                    recorded = outbox.record(tx, self.origin)
        except PersoniumError:
            raise
        except OperationalError as exc:
            if self.caps.single_writer and "locked" in str(exc.orig):
                raise PersoniumError("PR503-SV-0001", headers={"Retry-After": "1"}) from exc
            if self.caps.single_writer:
                raise
            raise PersoniumError("PR503-SV-0006", headers={"Retry-After": "1"}) from exc
        except DBAPIError as exc:
            if exc.connection_invalidated:
                raise PersoniumError("PR503-SV-0006") from exc
            raise
        committed.extend(recorded)
        return tx

    @contextmanager
    def _connection(self) -> Iterator[Connection]:
        """An idle SQLite connection, or one from the pool; given back if it is still sound."""
        if not self.caps.single_writer:
            with self.engine.connect() as conn:
                yield conn
            return
        try:
            conn = self._idle.pop()
        except IndexError:
            conn = self.engine.connect()
        sound = False
        try:
            yield conn
            sound = True
        except PersoniumError:
            sound = True
            raise
        finally:
            if sound and not conn.invalidated and not conn.in_transaction() and len(self._idle) < _IDLE:
                self._idle.append(conn)
            else:
                conn.close()

    def checkpoint(self) -> None:
        """SQLite: copy what the write-ahead log holds into the database, without waiting for readers
        or writers. Run off the request path (``cellar.app``), so that no commit pays for it; a commit
        checkpoints itself only once the log is far behind (``wal_autocheckpoint``)."""
        if not self.caps.single_writer:
            return
        raw = self.engine.raw_connection()
        try:
            cursor = raw.cursor()
            cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
            cursor.close()
        finally:
            raw.close()

    def dispose(self) -> None:
        while self._idle:
            self._idle.pop().close()
        self.engine.dispose()


def open_storage(database_url: str, bus: EventBus | None = None) -> Storage:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        engine = _sqlite_engine(database_url, url.database)
    else:
        engine = create_engine(database_url, pool_size=10, max_overflow=20, pool_pre_ping=True)
    return Storage(engine, bus or EventBus())


def _sqlite_engine(database_url: str, path: str | None) -> Engine:
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        database_url, connect_args={"check_same_thread": False, "timeout": 30}, pool_size=8, max_overflow=16
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # pysqlite's implicit BEGIN is off: we issue BEGIN (IMMEDIATE) ourselves, so writes take the
        # database lock up front instead of failing on upgrade from a read lock.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", f"busy_timeout={_BUSY_TIMEOUT_MS}",
                       f"wal_autocheckpoint={_WAL_FAR_BEHIND}", f"journal_size_limit={_WAL_KEPT}"):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Straight to the driver: this runs once per request, and SQLAlchemy's statement path costs more.
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        driver = conn.connection.driver_connection
        if mode != "IMMEDIATE NOW":
            driver.execute(f"BEGIN {mode}")
            return
        driver.execute("PRAGMA busy_timeout=0")
        try:
            driver.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:  # another process writes: let a thread wait for it
            raise WriterBusy("BEGIN IMMEDIATE") from exc
        finally:
            driver.execute(f"PRAGMA busy_timeout={_BUSY_TIMEOUT_MS}")

    return engine
