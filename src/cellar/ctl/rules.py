"""The cross-field rules of a Rule's fields (notes §5.1, CellCtlResource.validateRule): what an event
type, object and action allow of each other. Each violation is 400 ``PR400-OD-0006`` naming the field."""

from __future__ import annotations

from dataclasses import dataclass

from cellar.ctl.formats import is_cell_url
from cellar.errors import PersoniumError

ACTIONS = ("exec", "relay", "relay.data", "relay.event", "log", "log.info", "log.warn", "log.error")
TIMERS = ("timer.periodic", "timer.oneshot")
#: ``relay.data`` relays user data; Personium's MERGE operation is named ``patch``.
RELAY_DATA_EVENTS = ("odata.create", "odata.update", "odata.patch")
NEEDS_TARGET = ("exec", "relay", "relay.data", "relay.event")
LOCALCELL, LOCALBOX, LOCALUNIT = "personium-localcell:", "personium-localbox:", "personium-localunit:"


@dataclass(frozen=True)
class RuleFields:
    external: bool
    event_type: str | None
    event_object: str | None
    action: str | None
    target_url: str | None
    box_bound: bool


def check_rule(rule: RuleFields, prefix: str = "") -> None:
    """``prefix``: how the fields are named in the error (``RequestObjects.`` inside a message)."""
    def fail(field: str) -> PersoniumError:
        return PersoniumError("PR400-OD-0006", f"{prefix}{field}")

    if rule.event_type in TIMERS:
        if rule.external:
            raise fail("EventExternal")
        if not (rule.event_object or "").isdigit() or int(rule.event_object or "0") <= 0:
            raise fail("EventObject")
    if rule.action == "relay.data" and rule.event_type not in RELAY_DATA_EVENTS:
        raise fail("EventType")
    if not rule.external and rule.event_type not in TIMERS and not _local_object(rule):
        raise fail("EventObject")
    if rule.action in NEEDS_TARGET and not _target_ok(rule):
        raise fail("TargetUrl")


def _local_object(rule: RuleFields) -> bool:
    value = rule.event_object
    if value is None:
        return True
    if rule.box_bound:
        return value.startswith(f"{LOCALBOX}/") or value.startswith(f"{LOCALCELL}/__")
    return value.startswith(f"{LOCALCELL}/")


def _target_ok(rule: RuleFields) -> bool:
    url = rule.target_url
    if not url:
        return False
    local = (LOCALCELL, LOCALBOX) if rule.box_bound else (LOCALCELL,)
    if rule.action == "exec":
        return url.startswith(LOCALBOX if rule.box_bound else LOCALCELL)
    if rule.action == "relay.event":
        return is_cell_url(url) or url == f"{LOCALCELL}/"
    return url.startswith(("http://", "https://", LOCALUNIT, *local))
