"""What ``__message/send`` and ``__message/port`` accept: the real server's message EDM (the "Port"
entity types, whose sets are still named SentMessage and ReceivedMessage) and the request objects'
rules, which both ends check (ODataMessageResource, ODataSentMessageResource, ODataReceivedMessageResource)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from cellar.ctl.formats import MAX_URL
from cellar.ctl.rules import RULE_NAME, RuleFields, check_rule
from cellar.ctl.schema import CELL_CTL, RECEIVED_MESSAGE, SENT_MESSAGE
from cellar.errors import PersoniumError
from cellar.odata.body import validate_entity
from cellar.odata.checks import NAME, RELATION_NAME
from cellar.odata.model import EntityType, Property

#: Personium's ``Message.MAX_MESSAGE_BODY_LENGTH``, in bytes of UTF-8 (every string property is also
#: held to 51,200 bytes by the JSON parser, which comes first).
MAX_BODY_BYTES = 65536
CLASS_URL = {"relation": re.compile(rf"(.+)__relation/__/({RELATION_NAME})/?"),
             "role": re.compile(rf"(.+)__role/__/({NAME})/?")}
NAMES = {"relation": re.compile(RELATION_NAME), "role": re.compile(NAME)}
RULE_NAMES = re.compile(RULE_NAME)
REQUEST_TYPES = ("relation.add", "relation.remove", "role.add", "role.remove", "rule.add", "rule.remove")
#: The initial Status of a received message, by Type.
INITIAL_STATUS = {"message": "unread", "request": "none"}

#: ``_Box.Name`` and ``Result`` are taken and then replaced: the box is the one of the caller's schema.
SEND_FORM = EntityType(
    name="SentMessage", namespace="CellCtl", key=SENT_MESSAGE.key, parents=SENT_MESSAGE.parents,
    properties=(Property("BoxBound", "Edm.Boolean"), *SENT_MESSAGE.properties),
)
PORT_FORM = EntityType(
    name="ReceivedMessage", namespace="CellCtl", key=RECEIVED_MESSAGE.key, parents=RECEIVED_MESSAGE.parents,
    properties=(*RECEIVED_MESSAGE.properties, Property("Schema")),
)


def fail(field: str) -> PersoniumError:
    return PersoniumError("PR400-OD-0006", field)


def parse_form(form: EntityType, body: dict[str, Any]) -> dict[str, Any]:
    """Types, defaults and formats of every field, then the Body limit."""
    values = validate_entity(CELL_CTL, form, body, partial=False)
    if len(values["Body"].encode("utf-8", "surrogatepass")) > MAX_BODY_BYTES:
        raise fail("Body")
    return values


def check_request_objects(values: Mapping[str, Any], *, box_bound: bool, receiving: bool) -> None:
    """A request carries at least one request object, each valid for its RequestType. A rule.add
    names its rule when it arrives (the sender names it after the message)."""
    objects = values.get("RequestObjects")
    if not objects:
        raise fail("RequestObjects")
    for item in objects:
        kind, _, operation = item["RequestType"].partition(".")
        if item["RequestType"] not in REQUEST_TYPES:
            raise fail("RequestObjects.RequestType")
        if kind in CLASS_URL:
            _check_class_request(kind, item)
        elif operation == "add":
            _check_rule_add(item, box_bound, name_required=receiving)
        elif item["Name"] is None or not RULE_NAMES.fullmatch(item["Name"]):
            raise fail("RequestObjects.Name")


def _check_class_request(kind: str, item: Mapping[str, Any]) -> None:
    name, class_url = item["Name"], item["ClassUrl"]
    if (name is None) == (class_url is None):
        raise fail("RequestObjects.Name,RequestObjects.ClassUrl")
    if item["TargetUrl"] is None:
        raise fail("RequestObjects.TargetUrl")
    if name is not None and not NAMES[kind].fullmatch(name):
        raise fail("RequestObjects.Name")
    if class_url is not None and not _is_class_url(kind, class_url):
        raise fail("RequestObjects.ClassUrl")


def _is_class_url(kind: str, value: str) -> bool:
    scheme = value.split(":", 1)[0] if ":" in value else ""
    if len(value) > MAX_URL or any(c.isspace() for c in value) or scheme not in (
            "urn", "http", "https", "personium-localunit"):
        return False
    if scheme in ("http", "https") and not urlsplit(value).hostname:
        return False
    return CLASS_URL[kind].fullmatch(value) is not None


def _check_rule_add(item: Mapping[str, Any], box_bound: bool, *, name_required: bool) -> None:
    name = item["Name"]
    if (name is None and name_required) or (name is not None and not RULE_NAMES.fullmatch(name)):
        raise fail("RequestObjects.Name")
    if item["Action"] is None:
        raise fail("RequestObjects.Action")
    check_rule(RuleFields(False, item["EventType"], item["EventObject"], item["Action"], item["TargetUrl"],
                          box_bound), "RequestObjects.")


def class_name(kind: str, class_url: str) -> tuple[str, str]:
    """``https://app/__relation/__/friend`` → (``https://app/``, ``friend``): the schema and the name."""
    match = CLASS_URL[kind].fullmatch(class_url)
    assert match is not None, "validated when the message arrived"
    return match.group(1), match.group(2)
