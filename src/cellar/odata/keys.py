"""Entity keys in URLs: ``Set('x')``, ``Set(Name='x',_Box.Name=null)``; parsing and formatting."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote_plus

from cellar.errors import PersoniumError
from cellar.odata.model import EntityType

KeyValues = dict[str, Any]

_SEGMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\((.*)\)$", re.DOTALL)
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")
_NUMBER = re.compile(r"-?\d+(\.\d+)?[LlMmDdFf]?")


def split_segment(segment: str) -> tuple[str, str | None]:
    """``Cell('x')`` → ("Cell", "'x'"); ``Cell`` → ("Cell", None)."""
    if "(" not in segment:
        return segment, None
    match = _SEGMENT.match(segment)
    if match is None:
        raise PersoniumError("PR400-OD-0004")
    return match.group(1), match.group(2)


def parse_predicate(text: str) -> list[tuple[str | None, Any]]:
    """Parse the inside of the parentheses into (name or None, value) pairs."""
    pairs: list[tuple[str | None, Any]] = []
    pos = 0
    while True:
        name = None
        match = _NAME.match(text, pos)
        if match and text.startswith("=", match.end()):
            name, pos = match.group(0), match.end() + 1
        value, pos = _literal(text, pos)
        pairs.append((name, value))
        if pos == len(text):
            return pairs
        if text[pos] != ",":
            raise PersoniumError("PR400-OD-0004")
        pos += 1


def _literal(text: str, pos: int) -> tuple[Any, int]:
    if text.startswith("'", pos):
        chars: list[str] = []
        i = pos + 1
        while i < len(text):
            if text[i] == "'":
                if text.startswith("''", i):
                    chars.append("'")
                    i += 2
                    continue
                return "".join(chars), i + 1
            chars.append(text[i])
            i += 1
        raise PersoniumError("PR400-OD-0004")
    if text.startswith("null", pos):
        return None, pos + 4
    match = _NUMBER.match(text, pos)
    if match:
        return _NotAString(match.group(0)), match.end()
    if text.startswith(("true", "false"), pos):
        word = "true" if text.startswith("true", pos) else "false"
        return _NotAString(word), pos + len(word)
    raise PersoniumError("PR400-OD-0004")


class _NotAString(str):
    """A non-string literal: every key part of the control objects is a string, so this is an error."""


def resolve_key(etype: EntityType, predicate: str) -> KeyValues:
    """Map a key predicate onto the type's key parts; nullable parts left out are null."""
    pairs = parse_predicate(predicate)
    parts = {part.name: part for part in etype.key}
    values: KeyValues = {}
    if len(pairs) == 1 and pairs[0][0] is None:
        values[etype.key[0].name] = pairs[0][1]
    else:
        for name, value in pairs:
            if name is None or name not in parts or name in values:
                raise PersoniumError("PR400-OD-0004")
            values[name] = value
    for name, part in parts.items():
        value = values.setdefault(name, None)
        if isinstance(value, _NotAString):
            raise PersoniumError("PR400-OD-0004")
        if value is None and not part.nullable:
            raise PersoniumError("PR400-OD-0004")
    return values


def format_key(etype: EntityType, values: KeyValues) -> str:
    """The key as Personium writes it in ``__metadata.uri`` and ``Location`` (form-encoded values)."""
    if len(etype.key) == 1:
        return f"('{_encode(values[etype.key[0].name])}')"
    inner = ",".join(f"{part.name}={_format_value(values.get(part.name))}" for part in etype.key)
    return f"({inner})"


def _format_value(value: Any) -> str:
    return "null" if value is None else f"'{_encode(value)}'"


def _encode(value: Any) -> str:
    """Java's ``URLEncoder``: ``*`` stays, ``~`` is encoded (Python leaves ``~`` and encodes ``*``)."""
    return quote_plus(str(value).replace("'", "''"), safe="*").replace("~", "%7E")
