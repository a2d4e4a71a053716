"""Engine creation, SQLite pragmas and the per-request transaction."""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import DBAPIError, OperationalError

from cellar.errors import PersoniumError
from cellar.events.bus import NO_CAUSE, Cause, Event, EventBus
from cellar.events.dispatcher import Dispatcher
from cellar.storage import outbox
from cellar.storage.dialect import Capabilities, capabilities
from cellar.storage.uow import Transaction

#: At most this many SQLite connections wait, open, for the next transaction.
_IDLE = 8


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

    @property
    def bus(self) -> EventBus:
        return self.events.bus

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
                with self._write_lock:
                    tx = yield from self._run(name, write, cause, committed)
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
                    conn.execution_options(sqlite_begin="IMMEDIATE" if write else "DEFERRED")
                if isolation is not None:
                    conn.execution_options(isolation_level=isolation)
                with conn.begin():
                    tx = Transaction(name, conn, self.caps, cause=cause or NO_CAUSE)
                    yield tx
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
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "busy_timeout=30000"):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Straight to the driver: this runs once per request, and SQLAlchemy's statement path costs more.
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.connection.driver_connection.execute(f"BEGIN {mode}")

    return engine
