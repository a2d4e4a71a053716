"""The unit of work handed to domain code: a connection plus the events to publish after commit."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Connection

from cellar.events.bus import Event
from cellar.storage.dialect import Capabilities


@dataclass
class Transaction:
    name: str
    conn: Connection
    caps: Capabilities
    events: list[Event] = field(default_factory=list)

    def emit(self, event: Event) -> None:
        """Queue an event; it reaches subscribers only if the transaction commits."""
        self.events.append(event)

    def execute(self, statement: Any, params: Any = None) -> Any:
        return self.conn.execute(statement, params) if params is not None else self.conn.execute(statement)
