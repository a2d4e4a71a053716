"""The cross-field rules of a Rule (notes §5.1; CellCtlResource.validate and validateRule): what an event
type, object, action and target allow of each other. Each violation is 400 ``PR400-OD-0006`` naming the
field; the per-field formats are the entity type's (``cellar.ctl.schema.RULE``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from cellar import clock
from cellar.auth.context import Caller
from cellar.ctl.formats import MAX_URL, is_cell_url, is_normalized
from cellar.errors import PersoniumError
from cellar.odata.service import EntityHooks
from cellar.odata.store import Entity
from cellar.rules.timers import first_fire
from cellar.storage.uow import Transaction
from cellar.urls import UnitUrls

RULE_NAME = r"[a-zA-Z0-9][a-zA-Z0-9-_:]{0,199}"
ACTIONS = ("exec", "relay", "relay.data", "relay.event", "log", "log.info", "log.warn", "log.error")
TIMERS = ("timer.periodic", "timer.oneshot")
#: ``relay.data`` relays user data; Personium's MERGE operation is named ``patch``.
RELAY_DATA_EVENTS = ("odata.create", "odata.update", "odata.patch")
NEEDS_TARGET = ("exec", "relay", "relay.data", "relay.event")
LOCALCELL, LOCALBOX, LOCALUNIT = "personium-localcell:", "personium-localbox:", "personium-localunit:"
#: ``ODataUtils.validateTime``: a time after the epoch and before year 10000.
MAX_TIME = 253402300799999


@dataclass(frozen=True)
class RuleFields:
    external: bool
    event_type: str | None
    event_object: str | None
    action: str | None
    target_url: str | None
    box_bound: bool
    subject: str | None = None


def check_rule(rule: RuleFields, prefix: str = "", urls: UnitUrls | None = None) -> None:
    """In the real server's order. ``prefix``: how fields are named in the error (``RequestObjects.``
    inside a message, which skips the this-unit checks: ``urls`` None)."""
    def fail(field: str) -> PersoniumError:
        return PersoniumError("PR400-OD-0006", f"{prefix}{field}")

    if urls is not None:
        if rule.subject is not None and _of_this_unit(urls, rule.subject):
            raise fail("EventSubject")
        if rule.target_url is not None and _of_this_unit(urls, rule.target_url):
            raise fail("TargetUrl")
    if rule.event_type in TIMERS and rule.external:
        raise fail("EventExternal")
    if rule.action == "relay.data" and rule.event_type not in RELAY_DATA_EVENTS:
        raise fail("EventType")
    if not _object_ok(rule):
        raise fail("EventObject")
    if not _target_ok(rule):
        raise fail("TargetUrl")


def _of_this_unit(urls: UnitUrls, value: str) -> bool:
    """An http(s) URL of this unit, which a rule must write as ``personium-localunit:``."""
    return value.startswith(("http://", "https://")) and urls.is_local(value)


def _local(value: str, scheme: str) -> bool:
    return value.startswith(f"{scheme}/") and len(value) <= MAX_URL and is_normalized(value)


def _object_ok(rule: RuleFields) -> bool:
    value = rule.event_object
    if rule.event_type in TIMERS:
        return value is not None and value.isascii() and value.isdigit() and 0 < int(value) <= MAX_TIME
    if rule.external or value is None:
        return True
    if rule.box_bound:
        return _local(value, LOCALBOX) or (_local(value, LOCALCELL) and value.startswith(f"{LOCALCELL}/__"))
    return _local(value, LOCALCELL)


def _target_ok(rule: RuleFields) -> bool:
    url = rule.target_url
    if rule.action not in NEEDS_TARGET:
        return True
    if url is None:
        return False
    if rule.action == "exec":
        return _local(url, LOCALBOX if rule.box_bound else LOCALCELL)
    if rule.action == "relay.event":
        return is_cell_url(url) or url == f"{LOCALCELL}/"
    return (_is_http_url(url) or _local(url, LOCALUNIT) or _local(url, LOCALCELL)
            or (rule.box_bound and _local(url, LOCALBOX)))


def _is_http_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname) and len(url) <= MAX_URL and is_normalized(url)


def fields_of(values: dict[str, Any]) -> RuleFields:
    return RuleFields(bool(values.get("EventExternal")), values.get("EventType"), values.get("EventObject"),
                      values.get("Action"), values.get("TargetUrl"), values.get("_Box.Name") is not None,
                      values.get("EventSubject"))


class RuleHooks(EntityHooks):
    """Create and replace (MERGE is refused) check the whole rule: ``Action`` is required."""

    def __init__(self, urls: UnitUrls) -> None:
        self.urls = urls

    def before_create(self, tx: Transaction, caller: Caller, values: dict[str, Any]) -> dict[str, Any]:
        return self._checked(values)

    def before_update(self, tx: Transaction, caller: Caller, entity: Entity,
                      values: dict[str, Any]) -> dict[str, Any]:
        """A replaced timer starts over, as a re-registered one does."""
        return self._checked(values)

    def _checked(self, values: dict[str, Any]) -> dict[str, Any]:
        if values.get("Action") is None:
            raise PersoniumError("PR400-OD-0006", "Action")
        check_rule(fields_of(values), urls=self.urls)
        return {"next_fire": first_fire(values.get("EventType"), values.get("EventObject"), clock.now_ms())}
