"""What differs between SQLite and PostgreSQL. The only module that branches on the dialect."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Engine


@dataclass(frozen=True)
class Capabilities:
    name: str
    #: SQLite allows one writer at a time: take the write lock at BEGIN and serialise in-process.
    single_writer: bool
    #: PostgreSQL advisory locks serialise migrations across processes.
    advisory_locks: bool
    #: PostgreSQL LISTEN/NOTIFY tells other processes of committed events (SQLite: they poll).
    notify: bool
    #: The isolation level at which one transaction reads one snapshot throughout (None: every SQLite
    #: read transaction does in WAL mode; PostgreSQL's default READ COMMITTED does not).
    snapshot_isolation: str | None


def capabilities(engine: Engine) -> Capabilities:
    if engine.dialect.name == "sqlite":
        return Capabilities("sqlite", single_writer=True, advisory_locks=False, notify=False, snapshot_isolation=None)
    return Capabilities(engine.dialect.name, single_writer=False, advisory_locks=True, notify=True,
                        snapshot_isolation="REPEATABLE READ")
