"""The transactional outbox: a write's events are rows of ``event_outbox`` inserted by the same
transaction, so they exist exactly when the change does, and every process sharing the database
can read them (:mod:`cellar.events.dispatcher` decides who delivers what).

PostgreSQL: the writing transaction also NOTIFYs; the notification reaches listeners at commit.
SQLite: other processes poll.
"""

from __future__ import annotations

import logging
import select
import socket
import threading
from collections.abc import Collection
from dataclasses import replace
from typing import Any

import orjson
import psycopg
from sqlalchemy import delete, func, insert, or_
from sqlalchemy import select as select_rows

from cellar import clock
from cellar.events.bus import Cause, Event
from cellar.storage.prepared import Prepared, binds
from cellar.storage.tables import event_outbox as outbox
from cellar.storage.uow import Transaction

log = logging.getLogger(__name__)
CHANNEL = "cellar_events"
_INSERT = insert(outbox).returning(outbox.c.id)
_INSERT_NOTIFYING = insert(outbox).returning(outbox.c.id, func.pg_notify(CHANNEL, outbox.c.origin))
_COLUMNS = ("created", "origin", "cell_id", "type", "object", "info", "request_key", "subject", "schema", "extra")
_ONE = Prepared(insert(outbox).values(binds(_COLUMNS)).returning(outbox.c.id))
_ONE_NOTIFYING = Prepared(insert(outbox).values(binds(_COLUMNS))
                          .returning(outbox.c.id, func.pg_notify(CHANNEL, outbox.c.origin)))


def record(tx: Transaction, origin: str) -> list[Event]:
    """Insert the transaction's events just before it commits; returns them as recorded (id, time,
    cause)."""
    if not tx.events:
        return []
    created = clock.now_ms()
    rows = [_row(event, tx.cause, created, origin) for event in tx.events]
    # One INSERT (SQLAlchemy sends several rows as one multi-row statement); both databases number
    # the rows in VALUES order, in whatever order RETURNING lists them. On PostgreSQL it also
    # NOTIFYs (identical notifications of one transaction are delivered once, at commit).
    if len(rows) == 1:  # most writes: one event, through a prepared statement
        recorded = (_ONE_NOTIFYING if tx.caps.notify else _ONE).first(tx, **rows[0])
        assert recorded is not None
        ids = [recorded["id"]]
    else:
        statement = _INSERT_NOTIFYING if tx.caps.notify else _INSERT
        ids = sorted(tx.conn.execute(statement, rows).scalars())
    return [replace(event, id=event_id, created=created, cause=tx.cause)
            for event, event_id in zip(tx.events, ids, strict=True)]


#: The ``type`` column of an external event, whose own type, object and info (any strings of up to
#: 51,200 characters, or none) travel in ``extra``.
EXTERNAL = "external"


def _row(event: Event, cause: Cause, created: int, origin: str) -> dict[str, Any]:
    extra = {**event.extra, EXTERNAL: [event.type, event.object, event.info]} if event.external else event.extra
    return {"created": created, "origin": origin, "cell_id": event.cell_id,
            "type": EXTERNAL if event.external else event.type,
            "object": "" if event.external else event.object or "",
            "info": "" if event.external else event.info or "",
            "request_key": cause.request_key, "subject": cause.subject, "schema": cause.schema,
            "extra": orjson.dumps(extra).decode() if extra else None}


def _event(row: Any) -> Event:
    extra = orjson.loads(row.extra) if row.extra else {}
    external = extra.pop(EXTERNAL, None)
    kind, object_, info = external if external is not None else (row.type, row.object, row.info)
    return Event(kind, object_, info, row.cell_id, extra, row.id, row.created,
                 Cause(row.request_key, row.subject, row.schema), external=external is not None)


class DatabaseOutbox:
    """What the dispatcher needs of the database: news of commits, reading and pruning."""

    def __init__(self, storage: Any, origin: str) -> None:  # a Storage (which builds this one)
        self._storage = storage
        self.origin = origin

    def listen(self) -> _Signal | _Listener:
        """Wake-ups for one dispatcher run: PostgreSQL notifications from other processes, or
        (SQLite) this process's own only."""
        return _Listener(self._storage, self.origin) if self._storage.caps.notify else _Signal()

    def latest_id(self) -> int:
        with self._storage.transaction("events.latest", write=False) as tx:
            return int(tx.conn.execute(select_rows(func.coalesce(func.max(outbox.c.id), 0))).scalar_one())

    def read(self, after: int, also: Collection[int], limit: int) -> list[tuple[Event, str]]:
        """Rows above ``after`` and the ids in ``also``, by id, with the process that wrote each."""
        where = outbox.c.id > after if not also else or_(outbox.c.id > after, outbox.c.id.in_(list(also)))
        with self._storage.transaction("events.read", write=False) as tx:
            rows = tx.conn.execute(select_rows(outbox).where(where).order_by(outbox.c.id).limit(limit)).all()
        return [(_event(row), row.origin) for row in rows]

    def prune(self, before_ms: int) -> None:
        """Idempotent: any process may prune, in any order."""
        with self._storage.transaction("events.prune") as tx:
            tx.conn.execute(delete(outbox).where(outbox.c.created < before_ms))


class _Signal:
    """Wake-ups from this process only (SQLite: other processes are found by polling)."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def wait(self, timeout: float) -> bool:
        if self._event.wait(timeout):
            self._event.clear()
        return False

    def wake(self) -> None:
        self._event.set()

    def close(self) -> None:
        pass


class _Listener:
    """LISTEN on a connection of its own; a socket pair lets this process interrupt the wait.
    Notifications carry the writer's origin, so a process is not woken by its own commits."""

    def __init__(self, storage: Any, origin: str) -> None:
        self._conninfo = storage.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._origin = origin
        self._conn: psycopg.Connection[Any] | None = None
        self._wake_in, self._wake_out = socket.socketpair()
        self._wake_in.setblocking(False)
        self._wake_out.setblocking(False)
        self._connected()

    def wait(self, timeout: float) -> bool:
        conn = self._connected()
        readers: list[Any] = [self._wake_in] if conn is None else [self._wake_in, conn.fileno()]
        select.select(readers, [], [], timeout)
        self._drain_wakes()
        if conn is None:
            return True  # no listener: poll every time
        try:
            return any(note.payload != self._origin for note in conn.notifies(timeout=0))
        except psycopg.Error:
            log.warning("event listener connection lost; reconnecting", exc_info=True)
            self._disconnect()
            return True

    def _connected(self) -> psycopg.Connection[Any] | None:
        if self._conn is None:
            try:
                self._conn = psycopg.connect(self._conninfo, autocommit=True)
                self._conn.execute(f"LISTEN {CHANNEL}")
            except psycopg.Error:
                log.warning("cannot LISTEN for events; polling only", exc_info=True)
                self._conn = None
        return self._conn

    def _drain_wakes(self) -> None:
        try:
            while self._wake_in.recv(4096):
                pass
        except BlockingIOError:
            pass

    def wake(self) -> None:
        try:
            self._wake_out.send(b"\0")
        except OSError:
            pass  # full (the dispatcher is awake anyway) or closed (it has stopped)

    def _disconnect(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            conn.close()

    def close(self) -> None:
        self._disconnect()
        self._wake_in.close()
        self._wake_out.close()
