"""System query options of one request, validated the way Personium's ``QueryParser`` does.

Checks run in Personium's order ($top, $skip, $filter, $select, $expand, $inlinecount,
$skiptoken, $orderby, q, then $top against $expand) so the first error reported is the same.
A single-entity GET reads only $select, $expand and $format, like ``ODataEntityResource``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from cellar.errors import PersoniumError
from cellar.odata.query.ast import BoolExpr, OrderByItem
from cellar.odata.query.parser import parse_expand, parse_filter, parse_orderby, parse_select

#: ``odata.query.top.default``: page size when ``$top`` is absent.
DEFAULT_TOP = 25
#: ``odata.query.top.maxnum``.
MAX_TOP = 10_000
#: ``odata.query.skip.maxnum``.
MAX_SKIP = 100_000
#: ``odata.query.expand.top.maxnum``: largest ``$top`` together with ``$expand``.
MAX_TOP_WITH_EXPAND = 100
#: ``odata.query.expand.property.maxnum.list`` / ``.retrieve``.
MAX_EXPAND_LIST = 2
MAX_EXPAND_SINGLE = 10
#: ``Common.MAX_Q_VALUE_LENGTH``: ``q`` is 1..255 bytes of UTF-8.
MAX_Q_BYTES = 255
#: Accepted ``$format`` values (compared lower-cased) and the format each selects. Personium itself
#: accepts exactly ``json`` and ``atom``; page 404 also lists ``xml`` and shows ``JSON``, so those are
#: tolerated too (``xml`` is Atom, like an ``application/xml`` Accept header).
#: The real server compares ``$format`` exactly (ODataCtlResource): ``JSON`` or ``xml`` are errors,
#: although page 404 lists them.
FORMATS: Mapping[str, str] = {"json": "json", "atom": "atom"}

QUERY_INVALID = "PR400-OD-0029"
QUERY_PARSE_ERROR_WITH_PARAM = "PR400-OD-0036"
INLINECOUNT_INVALID = "PR400-OD-0013"
FORMAT_INVALID = "PR400-OD-0005"
EXPAND_COUNT_EXCEEDED = "PR400-OD-0039"

_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1
_JAVA_INT = re.compile(r"[+-]?[0-9]+")


@dataclass(frozen=True)
class QueryOptions:
    """Parsed options; absent ones hold their defaults."""

    filter: BoolExpr | None = None
    orderby: list[OrderByItem] = field(default_factory=list)
    top: int = DEFAULT_TOP
    skip: int = 0
    #: None means every property (``*`` or absent).
    select: list[str] | None = None
    #: None when absent; ``$expand=`` gives an empty list (Personium does not reject it).
    expand: list[str] | None = None
    #: True for ``$inlinecount=allpages``.
    inlinecount: bool = False
    #: ``json``, ``atom`` or None (then the Accept header decides).
    format: str | None = None
    #: The words of ``q``; every word must match somewhere.
    q: list[str] = field(default_factory=list)
    skiptoken: str | None = None


def parse_query_options(params: Mapping[str, str], *, single: bool) -> QueryOptions:
    """Validate and parse the system query options; unknown ``$xxx`` options are ignored."""
    if single:
        return _parse_single(params)
    top = _bounded_int(params, "$top", MAX_TOP)
    skip = _bounded_int(params, "$skip", MAX_SKIP)
    raw_filter = params.get("$filter")
    filter_expr = parse_filter(raw_filter) if raw_filter is not None else None
    select = _select(params)
    expand = _expand(params, MAX_EXPAND_LIST)
    inlinecount = _inlinecount(params.get("$inlinecount"))
    skiptoken = params.get("$skiptoken")
    raw_orderby = params.get("$orderby")
    orderby = parse_orderby(raw_orderby) if raw_orderby is not None else []
    words = _search_words(params.get("q"))
    if expand is not None and top is not None and top > MAX_TOP_WITH_EXPAND:
        raise PersoniumError(QUERY_INVALID, "$top", str(top))
    return QueryOptions(
        filter=filter_expr,
        orderby=orderby,
        top=DEFAULT_TOP if top is None else top,
        skip=skip or 0,
        select=select,
        expand=expand,
        inlinecount=inlinecount,
        format=_format(params.get("$format")),
        q=words,
        skiptoken=skiptoken,
    )


def _parse_single(params: Mapping[str, str]) -> QueryOptions:
    select = _select(params)
    expand = _expand(params, MAX_EXPAND_SINGLE)
    return QueryOptions(select=select, expand=expand, format=_format(params.get("$format")))


def _bounded_int(params: Mapping[str, str], name: str, maximum: int) -> int | None:
    """Java ``Integer.parseInt`` then a range check: not an int32 -> 0036, outside 0..max -> 0029."""
    raw = params.get(name)
    if raw is None:
        return None
    if not _JAVA_INT.fullmatch(raw) or not _INT32_MIN <= int(raw) <= _INT32_MAX:
        raise PersoniumError(QUERY_PARSE_ERROR_WITH_PARAM, name)
    value = int(raw)
    if not 0 <= value <= maximum:
        raise PersoniumError(QUERY_INVALID, name, str(value))
    return value


def _select(params: Mapping[str, str]) -> list[str] | None:
    raw = params.get("$select")
    return None if raw is None else parse_select(raw)


def _expand(params: Mapping[str, str], maximum: int) -> list[str] | None:
    raw = params.get("$expand")
    if raw is None:
        return None
    names = parse_expand(raw)
    if len(names) > maximum:
        raise PersoniumError(EXPAND_COUNT_EXCEEDED)
    return names


def _inlinecount(raw: str | None) -> bool:
    """Exactly ``allpages`` or ``none`` (odata4j compares case-sensitively)."""
    if raw is None or raw == "none":
        return False
    if raw == "allpages":
        return True
    raise PersoniumError(INLINECOUNT_INVALID, raw)


def _format(raw: str | None) -> str | None:
    if raw is None:
        return None
    selected = FORMATS.get(raw)
    if selected is None:
        raise PersoniumError(FORMAT_INVALID, raw)
    return selected


def _search_words(raw: str | None) -> list[str]:
    """``q``: 1..255 UTF-8 bytes, split on half-width spaces (empty pieces dropped)."""
    if raw is None:
        return []
    size = len(raw.encode("utf-8", "surrogatepass"))
    if not 1 <= size <= MAX_Q_BYTES or "\x00" in raw:
        # NUL cannot be stored in PostgreSQL text, so it could never match; reject instead of a 500.
        raise PersoniumError(QUERY_INVALID, "q", raw)
    return [word for word in raw.split(" ") if word]
