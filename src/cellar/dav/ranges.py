"""The ``Range`` header of a file GET (apiref/311): one byte range; malformed headers are ignored, as
Personium does, and several ranges are not implemented."""

from __future__ import annotations

import re

from cellar.errors import PersoniumError

_RANGE = re.compile(r"bytes=(\d*)-(\d*)")


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """One ``bytes=`` range → (first, last); malformed headers are ignored, as Personium does."""
    if header is None:
        return None
    value = header.strip()
    if value.startswith("bytes=") and "," in value:
        raise PersoniumError("PR501-MC-0002", "Range-MultiPart")
    match = _RANGE.fullmatch(value)
    if match is None or match.group(1) == match.group(2) == "":
        return None
    first, last = match.group(1), match.group(2)
    if first == "":
        length = int(last)
        if length == 0 or size == 0:
            raise PersoniumError("PR416-DV-0001")
        return max(size - length, 0), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if last and int(last) < start:
        return None
    if start >= size:
        raise PersoniumError("PR416-DV-0001")
    return start, end
