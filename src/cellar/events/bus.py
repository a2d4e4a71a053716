"""In-process publish/subscribe for Personium events, fed after commit.

Subscribers (rules, event logs, the WebSocket bus) arrive with the events issue; every write path
already queues its events on the transaction so nothing needs rework then.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Event:
    type: str  # e.g. "cellctl.Account.create", "unitctl.Cell.create"
    object: str  # URL of the affected object
    info: str = ""
    cell_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


Subscriber = Callable[[Event], None]


class EventBus:
    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []

    def subscribe(self, subscriber: Subscriber) -> None:
        self._subscribers.append(subscriber)

    def publish_all(self, events: Iterable[Event]) -> None:
        for event in events:
            for subscriber in self._subscribers:
                try:
                    subscriber(event)
                except Exception:  # a broken subscriber must not fail a committed request
                    log.exception("event subscriber failed for %s", event.type)
