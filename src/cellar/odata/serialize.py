"""OData v2 JSON: ``{"d":{"results":…}}`` envelopes, ``__metadata`` and ``/Date(ms)/`` values."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cellar.odata.store import Entity


def odata_date(millis: int | None) -> str | None:
    return None if millis is None else f"/Date({millis})/"


def entity_json(entity: Entity, uri: str, select: Sequence[str] | None = None) -> dict[str, Any]:
    """One entity: ``__metadata``, the (selected) properties, the timestamps, deferred navigation."""
    etype = entity.etype
    out: dict[str, Any] = {"__metadata": {"uri": uri, "etag": entity.etag, "type": etype.qualified_name}}
    # __metadata, __published and __updated escape $select (page 406), and so does the key: the real
    # server's OEntityDocHandler always adds key properties (for user data the key is __id).
    wanted = None if select is None else set(select) | {part.name for part in etype.key}
    for prop in etype.properties:
        if (wanted is None or prop.name in wanted) and (prop.declared or prop.name in entity.values):
            value = entity.values[prop.name]
            out[prop.name] = odata_date(value) if prop.edm_type == "Edm.DateTime" else value
    for part in etype.link_parts:
        if wanted is None or part.name in wanted:
            out[part.name] = entity.values.get(part.name)
    for name, value in dynamic_values(entity).items():
        if wanted is None or name in wanted:
            out[name] = value
    out["__published"] = odata_date(entity.published)
    out["__updated"] = odata_date(entity.updated)
    for nav in etype.navigation:
        if wanted is None or nav.name in wanted:
            out[nav.name] = {"__deferred": {"uri": f"{uri}/{nav.name}"}}
    return out


def dynamic_values(entity: Entity) -> dict[str, Any]:
    """An open type's undeclared properties: values that name neither a property nor a key part."""
    etype = entity.etype
    if not etype.open:
        return {}
    declared = {p.name for p in etype.properties} | {k.name for k in etype.key} | {k.name for k in etype.link_parts}
    return {name: value for name, value in entity.values.items() if name not in declared}


def single(entity_dict: dict[str, Any]) -> dict[str, Any]:
    return {"d": {"results": entity_dict}}


def collection(entity_dicts: list[dict[str, Any]], count: int | None) -> dict[str, Any]:
    body: dict[str, Any] = {"results": entity_dicts}
    if count is not None:
        body["__count"] = str(count)
    return {"d": body}
