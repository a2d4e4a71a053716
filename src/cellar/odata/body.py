"""Request bodies: JSON parsing and validation of entity properties against the model."""

from __future__ import annotations

import re
from typing import Any

import orjson

from cellar.errors import PersoniumError
from cellar.odata.model import JSON_TYPES, EntityModel, EntityType, KeyPart, Property

#: Personium's limit on one string property, in bytes of UTF-8.
MAX_STRING_BYTES = 51200
MANAGEMENT_FIELDS = ("__metadata", "__published", "__updated")
#: apiref/364: a dynamic property's name is 1-128 letters, digits, ``-`` and ``_``, not starting with
#: ``-`` or ``_``; its value is a scalar like a declared property's, never an array or an object.
DYNAMIC_NAME = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9_-]{0,127}")


def parse_json_object(raw: bytes) -> dict[str, Any]:
    try:
        value = orjson.loads(raw) if raw.strip() else None
    except orjson.JSONDecodeError:
        raise PersoniumError("PR400-OD-0001") from None
    if not isinstance(value, dict):
        raise PersoniumError("PR400-OD-0001")
    return value


def validate_entity(model: EntityModel, etype: EntityType, body: dict[str, Any], *,
                    partial: bool) -> dict[str, Any]:
    """Check a create/replace (``partial=False``) or merge body; return values by property name.

    For a full body every property is present in the result, missing optional ones set to their
    defaults; a merge body yields only the properties it names. An open type's undeclared
    properties come back too, under their own names.
    """
    values = _dynamic_values(etype, body)
    for prop in etype.properties:
        if prop.name in body:
            values[prop.name] = check_value(model, prop, body[prop.name])
        elif partial or not prop.declared:
            continue
        else:
            values[prop.name] = prop.default_value()
        if not partial and values[prop.name] is None and not prop.nullable:
            raise PersoniumError("PR400-OD-0009", prop.name)
    for part in etype.link_parts:
        if part.name in body or not partial:
            values[part.name] = _check_link_key(part, body.get(part.name))
    return values


def _dynamic_values(etype: EntityType, body: dict[str, Any]) -> dict[str, Any]:
    """Undeclared properties: refused by a closed type, checked as dynamic ones by an open type."""
    known = {p.name for p in etype.properties} | {k.name for k in etype.key} | {k.name for k in etype.link_parts}
    dynamic: dict[str, Any] = {}
    for name, value in body.items():
        if name in MANAGEMENT_FIELDS:
            raise PersoniumError("PR400-OD-0007", f"{name} is management information name. Cannot request.")
        if name in known:
            continue
        if not etype.open:
            raise PersoniumError("PR400-OD-0007", f"unknown property {name} for {etype.name}")
        if not DYNAMIC_NAME.fullmatch(name):
            raise PersoniumError("PR400-OD-0006", name)
        if value is not None and (not isinstance(value, str | int | float | bool) or not _scalar_ok(value)):
            raise PersoniumError("PR400-OD-0006", name)
        dynamic[name] = value
    return dynamic


def check_value(model: EntityModel, prop: Property, value: Any) -> Any:
    """A declared property's value: its EDM or complex type, each element of a collection."""
    if value is None:
        if not prop.nullable:
            raise PersoniumError("PR400-OD-0009", prop.name)
        return None
    if prop.collection:
        if not isinstance(value, list):
            raise PersoniumError("PR400-OD-0006", prop.name)
        return [_check_single(model, prop, item) for item in value]
    return _check_single(model, prop, value)


def _check_single(model: EntityModel, prop: Property, value: Any) -> Any:
    if prop.edm_type not in JSON_TYPES:
        return _check_complex(model, prop, value)
    expected = JSON_TYPES[prop.edm_type]
    if not isinstance(value, expected) or (isinstance(value, bool) and bool not in expected) or not _scalar_ok(value):
        raise PersoniumError("PR400-OD-0006", prop.name)
    for check in prop.checks:
        check(prop.name, value)
    return value


def _check_complex(model: EntityModel, prop: Property, value: Any) -> dict[str, Any]:
    """An object with the complex type's properties (missing ones null), nothing else."""
    complex_type = model.complex_type(prop.edm_type)
    assert complex_type is not None, f"{prop.name}: unknown type {prop.edm_type}"
    if not isinstance(value, dict):
        raise PersoniumError("PR400-OD-0006", prop.name)
    unknown = next((name for name in value if complex_type.property(name) is None), None)
    if unknown is not None:
        raise PersoniumError("PR400-OD-0007", f"unknown property {unknown} for {complex_type.name}")
    return {p.name: check_value(model, p, value.get(p.name)) for p in complex_type.properties}


def _scalar_ok(value: Any) -> bool:
    """Strings hold no NUL and at most 51,200 bytes; numbers are finite (JSON has no NaN anyway)."""
    if isinstance(value, str):
        return "\x00" not in value and len(value.encode("utf-8", "surrogatepass")) <= MAX_STRING_BYTES
    return True


def _check_link_key(part: KeyPart, value: Any) -> Any:
    if value is None:
        return None
    if not isinstance(value, str):
        raise PersoniumError("PR400-OD-0006", part.name)
    for check in part.checks:
        check(part.name, value)
    return value
