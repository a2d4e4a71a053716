"""Whether a rule matches an event (RuleManager.isMatched), with both in http form: a rule's
``personium-localcell:/…`` object names a path of its cell, ``personium-localbox:/…`` one of its box."""

from __future__ import annotations

from dataclasses import dataclass

from cellar.events.bus import Cause, Event

LOCALCELL, LOCALBOX = "personium-localcell:/", "personium-localbox:/"


@dataclass(frozen=True)
class CellRule:
    """A rule of one cell as the engine judges with it."""

    id: str
    name: str
    box: str | None
    #: The box's schema (http form): a bound rule only matches events of that app.
    schema: str | None
    external: bool
    subject: str | None
    type: str | None
    object: str | None
    info: str | None
    action: str | None
    target: str | None


def http_object(value: str, cell_url: str, box: str | None = None) -> str:
    """``personium-localcell:/x`` → ``{cell}x``; ``personium-localbox:/x`` → ``{cell}{box}/x`` for a bound rule."""
    if value.startswith(LOCALCELL):
        return cell_url + value[len(LOCALCELL):]
    if value.startswith(LOCALBOX) and box is not None:
        return f"{cell_url}{box}/{value[len(LOCALBOX):]}"
    return value


def matches(rule: CellRule, event: Event, cause: Cause, cell_url: str) -> bool:
    if rule.external != event.external:
        return False
    if rule.type is not None and not _type_matches(rule.type, event.type):
        return False
    if rule.box is not None and rule.schema is not None and cause.schema != rule.schema:
        return False
    if rule.subject is not None and cause.subject != rule.subject:
        return False
    if rule.object is not None:
        wanted = http_object(rule.object, cell_url, rule.box)
        if event.object is None or not http_object(event.object, cell_url).startswith(wanted):
            return False
    return rule.info is None or (event.info is not None and event.info.startswith(rule.info))


def _type_matches(wanted: str, actual: str | None) -> bool:
    """A prefix (``cellctl.Rule``), or with a leading dot a suffix (``.create``)."""
    if actual is None:
        return False
    return actual.endswith(wanted) if wanted.startswith(".") else actual.startswith(wanted)
