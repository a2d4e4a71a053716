"""What a client of the event bus (apiref/279, a WebSocket at ``{CellURL}__event``) subscribed to, and
what it is sent, as WebSocketService does it: prefixes (or ``*``) of Type and Object, both needed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cellar.events.bus import Event

LOCALCELL = "personium-localcell:/"
#: Subscriptions one session may hold (the real server sets none; this keeps a session's cost bounded).
MAX_SUBSCRIPTIONS = 1000


@dataclass(frozen=True)
class Subscription:
    type: str
    object: str

    def matches(self, event_type: str, event_object: str) -> bool:
        return (self.type == "*" or event_type.startswith(self.type)) and \
            (self.object == "*" or event_object.startswith(self.object))


@dataclass
class Subscriptions:
    items: list[Subscription] = field(default_factory=list)

    def add(self, subscription: Subscription) -> bool:
        if len(self.items) >= MAX_SUBSCRIPTIONS:
            return False
        self.items.append(subscription)
        return True

    def remove(self, subscription: Subscription) -> bool:
        """The first one equal to it (duplicates may be held)."""
        if subscription in self.items:
            self.items.remove(subscription)
            return True
        return False

    def wants(self, event: Event, cell_url: str) -> bool:
        if event.type is None or event.object is None:
            return False
        object_url = http_object(event.object, cell_url)
        return any(s.matches(event.type, object_url) for s in self.items)

    def listed(self) -> list[dict[str, str]]:
        return [{"Type": s.type, "Object": s.object} for s in self.items]


def http_object(value: str, cell_url: str) -> str:
    return cell_url + value[len(LOCALCELL):] if value.startswith(LOCALCELL) else value


def event_message(event: Event, cell_url: str) -> dict[str, Any]:
    cause = event.cause
    return {"RequestKey": cause.request_key, "External": event.external, "Schema": cause.schema or None,
            "Subject": cause.subject, "Type": event.type,
            "Object": http_object(event.object, cell_url) if event.object else event.object, "Info": event.info,
            "Timestamp": event.created}
