"""The unit of work handed to domain code: a connection plus the events to record with it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Connection

from cellar.events.bus import NO_CAUSE, Cause, Event
from cellar.events.catalog import TYPES
from cellar.storage.dialect import Capabilities


@dataclass
class Transaction:
    name: str
    conn: Connection
    caps: Capabilities
    events: list[Event] = field(default_factory=list)
    #: The request behind the work, stamped on its events; the HTTP layer sets it once it knows
    #: the caller (often inside this transaction).
    cause: Cause = NO_CAUSE

    def emit(self, event: Event) -> None:
        """Queue an event; it is recorded with the transaction's changes, so only if it commits."""
        if event.type not in TYPES:
            raise ValueError(f"event type {event.type!r} is not in cellar.events.catalog")
        self.events.append(event)

    def execute(self, statement: Any, params: Any = None) -> Any:
        return self.conn.execute(statement, params) if params is not None else self.conn.execute(statement)
