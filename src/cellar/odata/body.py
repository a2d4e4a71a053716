"""Request bodies: JSON parsing and validation of entity properties against the model."""

from __future__ import annotations

from typing import Any

import orjson

from cellar.errors import PersoniumError
from cellar.odata.model import JSON_TYPES, EntityType, KeyPart, Property

#: Personium's limit on one string property, in bytes of UTF-8.
MAX_STRING_BYTES = 51200
MANAGEMENT_FIELDS = ("__metadata", "__published", "__updated")


def parse_json_object(raw: bytes) -> dict[str, Any]:
    try:
        value = orjson.loads(raw) if raw.strip() else None
    except orjson.JSONDecodeError:
        raise PersoniumError("PR400-OD-0001") from None
    if not isinstance(value, dict):
        raise PersoniumError("PR400-OD-0001")
    return value


def validate_entity(etype: EntityType, body: dict[str, Any], *, partial: bool) -> dict[str, Any]:
    """Check a create/replace (``partial=False``) or merge body; return values by property name.

    For a full body every property is present in the result, missing optional ones set to their
    defaults; a merge body yields only the properties it names.
    """
    _reject_unknown(etype, body)
    values: dict[str, Any] = {}
    for prop in etype.properties:
        if prop.name in body:
            values[prop.name] = check_value(prop, body[prop.name])
        elif not partial:
            values[prop.name] = prop.default_value()
        if not partial and values[prop.name] is None and not prop.nullable:
            raise PersoniumError("PR400-OD-0009", prop.name)
    for part in etype.key:
        if "." in part.name and (part.name in body or not partial):
            values[part.name] = _check_link_key(part, body.get(part.name))
    return values


def _reject_unknown(etype: EntityType, body: dict[str, Any]) -> None:
    known = {p.name for p in etype.properties} | {k.name for k in etype.key}
    for name in body:
        if name in MANAGEMENT_FIELDS:
            raise PersoniumError("PR400-OD-0007", f"{name} is management information name. Cannot request.")
        if name not in known:
            raise PersoniumError("PR400-OD-0007", f"unknown property {name} for {etype.name}")


def check_value(prop: Property, value: Any) -> Any:
    if value is None:
        if not prop.nullable:
            raise PersoniumError("PR400-OD-0009", prop.name)
        return None
    expected = JSON_TYPES[prop.edm_type]
    if not isinstance(value, expected) or (isinstance(value, bool) and bool not in expected):
        raise PersoniumError("PR400-OD-0006", prop.name)
    if isinstance(value, str) and ("\x00" in value or len(value.encode("utf-8", "surrogatepass")) > MAX_STRING_BYTES):
        raise PersoniumError("PR400-OD-0006", prop.name)
    for check in prop.checks:
        check(prop.name, value)
    return value


def _check_link_key(part: KeyPart, value: Any) -> Any:
    if value is None:
        return None
    if not isinstance(value, str):
        raise PersoniumError("PR400-OD-0006", part.name)
    for check in part.checks:
        check(part.name, value)
    return value
