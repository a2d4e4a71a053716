"""JSON or Atom for an OData read (notes §7.1)."""

from __future__ import annotations

from cellar.errors import PersoniumError


def response_format(format_option: str | None, accept: str | None) -> str:
    """``$format`` wins; else ``Accept`` compared exactly, as the real server does: XML/Atom → atom,
    JSON → json, ``*/*`` or no header → atom, anything else → 406."""
    if format_option is not None:
        return format_option
    if not accept:
        return "atom"
    if not accept.isascii():
        raise PersoniumError("PR400-OD-0041", "Accept", accept)
    types = {part.split(";", 1)[0].strip() for part in accept.split(",")}
    if types & {"application/atom+xml", "application/xml"}:
        return "atom"
    if "application/json" in types:
        return "json"
    if "*/*" in types:
        return "atom"
    raise PersoniumError("PR406-OD-0001", accept)
