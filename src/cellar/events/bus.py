"""In-process publish/subscribe for Personium events, fed by the dispatcher after commit.

Events are recorded in the outbox by the transaction that caused them
(:mod:`cellar.storage.outbox`); :mod:`cellar.events.dispatcher` hands every committed event to each
process's bus once, whichever process wrote it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Cause:
    """The request behind a write, as Personium's events carry it: its ``X-Personium-RequestKey``, the
    caller's subject URL and the token's schema (client app) URL."""

    request_key: str | None = None
    subject: str | None = None
    schema: str | None = None
    #: Role instance URLs the caller held in the cell, for the tokens of the rules' actions.
    roles: tuple[str, ...] = ()
    #: ``X-Personium-RuleChain``, ``-Via`` and ``-EventId``: set by a rule's action on the requests it
    #: makes, so that rules cannot call each other without end (RuleManager.judge).
    rule_chain: str | None = None
    via: str | None = None
    event_id: str | None = None


NO_CAUSE = Cause()


@dataclass(frozen=True)
class Event:
    #: One of cellar.events.catalog.TYPES, e.g. "cellctl.Account.create"; an external event's is its
    #: sender's (any string, or none).
    type: str | None
    object: str | None  # URL of the affected object
    info: str | None = ""
    cell_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    #: Set when the event is recorded: its outbox id, the time (epoch ms) and the request's cause.
    id: int | None = None
    created: int | None = None
    cause: Cause = NO_CAUSE
    #: Posted by a client to ``{CellURL}__event`` (apiref/278), not caused by a change.
    external: bool = False


Subscriber = Callable[[Event], None]


class EventBus:
    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []

    def subscribe(self, subscriber: Subscriber) -> None:
        self._subscribers.append(subscriber)

    def unsubscribe(self, subscriber: Subscriber) -> None:
        self._subscribers.remove(subscriber)

    def publish_all(self, events: Iterable[Event]) -> None:
        for event in events:
            for subscriber in self._subscribers:
                try:
                    subscriber(event)
                except Exception:  # a broken subscriber must not fail a committed request
                    log.exception("event subscriber failed for %s", event.type)
