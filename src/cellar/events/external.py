"""External events (apiref/278): what a client posts to ``{CellURL}__event`` for the cell's rules.

As EventResource takes them: a JSON object whose ``Type``, ``Object`` and ``Info`` are each absent,
null or a string of at most 51,200 characters; none is required and other members are ignored.
"""

from __future__ import annotations

from typing import Any

import orjson

from cellar.errors import PersoniumError
from cellar.events.bus import Event

#: PersoniumEvent.MAX_EVENT_VALUE_LENGTH, in characters.
MAX_VALUE = 51200
FIELDS = ("Type", "Object", "Info")


def parse(raw: bytes, cell_id: str) -> Event:
    try:
        body: Any = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise PersoniumError("PR400-CM-0004", str(exc)) from None
    if not isinstance(body, dict):
        raise PersoniumError("PR400-CM-0004", "not a JSON object")
    values: list[str | None] = []
    for name in FIELDS:
        value = body.get(name)
        if value is not None and (not isinstance(value, str) or len(value) > MAX_VALUE):
            raise PersoniumError("PR400-EV-0004", name)
        values.append(value)
    return Event(values[0], values[1], values[2], cell_id=cell_id, external=True)
