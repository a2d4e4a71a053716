"""The unit of work handed to domain code: a connection plus what to do once it committed (events to
publish, clean-ups such as deleting the chunks of released file bodies)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
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
    committed_hooks: list[Callable[[], None]] = field(default_factory=list)

    def emit(self, event: Event) -> None:
        """Queue an event; it is recorded with the transaction's changes, so only if it commits."""
        if not event.external and event.type not in TYPES:
            raise ValueError(f"event type {event.type!r} is not in cellar.events.catalog")
        self.events.append(event)

    def after_commit(self, hook: Callable[[], None]) -> None:
        """Run ``hook`` once the transaction committed, outside it; never if it rolled back."""
        self.committed_hooks.append(hook)

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """A part of the transaction that is undone alone if it raises: its changes, its events and its
        after-commit work (a ``$batch`` changeset)."""
        events, hooks = len(self.events), len(self.committed_hooks)
        nested = self.conn.begin_nested()
        try:
            yield
        except BaseException:
            nested.rollback()
            del self.events[events:], self.committed_hooks[hooks:]
            raise
        nested.commit()

    def execute(self, statement: Any, params: Any = None) -> Any:
        return self.conn.execute(statement, params) if params is not None else self.conn.execute(statement)
