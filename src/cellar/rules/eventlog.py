"""A cell's event log (apiref 283-288): ``default.log`` and its archives, kept in the database so
that every node reads and writes the same one.

Lines are LogAction's CSV: the event time, the level, then request key, external, schema, subject,
type, object and info, each quoted with inner quotes doubled, an absent value the bare word ``null``.
Before a line is written to a current file that has reached the size limit, the file is archived as
``default.log.{epoch ms}`` (logback's size trigger); the newest 12 archives are kept.
"""

from __future__ import annotations

import base64
import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, insert, select, update

from cellar import clock
from cellar.events.bus import Cause, Event
from cellar.storage.tables import event_log_files as files
from cellar.storage.tables import event_log_lines as lines
from cellar.storage.uow import Transaction

CURRENT = "default.log"
ARCHIVE_PREFIX = "default.log."
KEEP_ARCHIVES = 12
LEVELS = {"log": "[INFO ]", "log.info": "[INFO ]", "log.warn": "[WARN ]", "log.error": "[ERROR]"}


@dataclass(frozen=True)
class LogFile:
    name: str
    size: int
    created: int
    updated: int


def instant(millis: int) -> str:
    """Java's ``Instant.toString``: ISO 8601 in UTC, milliseconds only when there are some."""
    moment = dt.datetime.fromtimestamp(millis / 1000, dt.UTC)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    return f"{text}.{millis % 1000:03d}Z" if millis % 1000 else f"{text}Z"


def request_key() -> str:
    """A key for an event no request carried (timers): 4 characters, ``_``, 18 more, as the real server's."""
    text = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
    return f"{text[:4]}_{text[4:]}"


def _quoted(value: str | None) -> str:
    return "null" if value is None else '"' + value.replace('"', '""') + '"'


def line(event: Event, cause: Cause, level: str, at_ms: int, object_url: str | None) -> str:
    fields = (cause.request_key if cause.request_key is not None else request_key(),
              "true" if event.external else "false", cause.schema, cause.subject, event.type, object_url, event.info)
    return ",".join((instant(at_ms), level, *(_quoted(f) for f in fields)))


def append(tx: Transaction, cell_id: str, new_lines: Sequence[str], limit: int) -> None:
    for text in new_lines:
        current = find(tx, cell_id, CURRENT)
        now = clock.now_ms()
        if current is not None and current.size >= limit:
            _archive(tx, cell_id, current, now)
            current = None
        size = len(text.encode("utf-8")) + 1
        if current is None:
            tx.conn.execute(insert(files).values(cell_id=cell_id, name=CURRENT, size=size, created=now, updated=now))
        else:
            tx.conn.execute(update(files).where(files.c.cell_id == cell_id, files.c.name == CURRENT)
                            .values(size=files.c.size + size, updated=now))
        tx.conn.execute(insert(lines).values(cell_id=cell_id, file=CURRENT, line=text))


def _archive(tx: Transaction, cell_id: str, current: LogFile, now: int) -> None:
    stamp = max(now, *(int(f.name[len(ARCHIVE_PREFIX):]) + 1 for f in archives(tx, cell_id)), 0)
    name = f"{ARCHIVE_PREFIX}{stamp}"
    tx.conn.execute(update(lines).where(lines.c.cell_id == cell_id, lines.c.file == CURRENT).values(file=name))
    tx.conn.execute(update(files).where(files.c.cell_id == cell_id, files.c.name == CURRENT)
                    .values(name=name, updated=now))
    for old in archives(tx, cell_id)[KEEP_ARCHIVES:]:
        remove(tx, cell_id, old.name)


def find(tx: Transaction, cell_id: str, name: str) -> LogFile | None:
    row = tx.conn.execute(select(files).where(files.c.cell_id == cell_id, files.c.name == name)).first()
    return LogFile(row.name, row.size, row.created, row.updated) if row is not None else None


def archives(tx: Transaction, cell_id: str) -> list[LogFile]:
    """Newest first."""
    rows = tx.conn.execute(select(files).where(files.c.cell_id == cell_id, files.c.name != CURRENT))
    found = [LogFile(r.name, r.size, r.created, r.updated) for r in rows]
    return sorted(found, key=lambda f: int(f.name[len(ARCHIVE_PREFIX):]), reverse=True)


def content(tx: Transaction, cell_id: str, name: str) -> bytes:
    rows = tx.conn.execute(select(lines.c.line).where(lines.c.cell_id == cell_id, lines.c.file == name)
                           .order_by(lines.c.id))
    return b"".join(row.line.encode("utf-8") + b"\n" for row in rows)


def remove(tx: Transaction, cell_id: str, name: str) -> None:
    tx.conn.execute(delete(lines).where(lines.c.cell_id == cell_id, lines.c.file == name))
    tx.conn.execute(delete(files).where(files.c.cell_id == cell_id, files.c.name == name))
