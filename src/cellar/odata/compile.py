"""Compile parsed OData queries into SQLAlchemy Core expressions (always bound parameters).

The caller supplies a :data:`Resolver` from property names to columns and their EDM types, so
the same code serves control objects (one column per property) and user data (JSON paths).
Type rules follow Personium's ``FilterConditionValidator`` (notes 7.2): a literal of the wrong
kind is PR400-OD-0046, a value outside the type's range PR400-OD-0047, both naming the property.
String columns are assumed to use a bytewise collation ("C" / BINARY), which makes range
comparisons and ``startswith`` case-sensitive and code-point ordered as in Elasticsearch.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, String, and_, cast, false, func, literal, or_, true

from cellar.errors import PersoniumError
from cellar.odata.query.ast import (
    And,
    BoolExpr,
    BoolLit,
    Comparison,
    DateTimeLit,
    DecimalLit,
    IntLit,
    NullLit,
    Operand,
    Or,
    OrderByItem,
    Property,
    StartsWith,
    StringLit,
    SubstringOf,
)

EDM_STRING = "Edm.String"
EDM_INT32 = "Edm.Int32"
EDM_INT64 = "Edm.Int64"
EDM_DOUBLE = "Edm.Double"
EDM_SINGLE = "Edm.Single"
EDM_BOOLEAN = "Edm.Boolean"
EDM_DATETIME = "Edm.DateTime"

#: ``ODataUtils.DATETIME_MIN`` / ``DATETIME_MAX``: 1753-01-01T00:00:00Z .. 9999-12-31T23:59:59.999Z.
DATETIME_MIN = -6_847_804_800_000
DATETIME_MAX = 253_402_300_799_999
INT32_RANGE = (-(2**31), 2**31 - 1)
INT64_RANGE = (-(2**63), 2**63 - 1)
#: Largest finite IEEE single.
SINGLE_MAX = 3.4028234663852886e38
#: ``substringof`` / ``q`` use LIKE with this escape character.
LIKE_ESCAPE = "\\"

FILTER_PARSE_ERROR = "PR400-OD-0003"
UNKNOWN_PROPERTY = "PR400-OD-0045"
TYPE_MISMATCH = "PR400-OD-0046"
OUT_OF_RANGE = "PR400-OD-0047"


@dataclass(frozen=True)
class ColumnRef:
    expr: ColumnElement[Any]
    # "Edm.String" "Edm.Int32" "Edm.Int64" "Edm.Double" "Edm.Single" "Edm.Boolean" "Edm.DateTime"
    edm_type: str


Resolver = Callable[[str], ColumnRef | None]  # None = no such property


# --- $filter ---------------------------------------------------------------------------------------
def compile_filter(node: BoolExpr, resolve: Resolver) -> ColumnElement[bool]:
    """The WHERE condition for a ``$filter`` tree; raises the Personium error for invalid operands."""
    match node:
        case And(items):
            return and_(*(compile_filter(item, resolve) for item in items))
        case Or(items):
            return or_(*(compile_filter(item, resolve) for item in items))
        case Comparison():
            return _comparison(node, resolve)
        case StartsWith(prop, value):
            column = _string_column(prop, value, resolve)
            return _starts_with(column, _string_value(prop, value))
        case SubstringOf(value, prop):
            column = _string_column(prop, value, resolve)
            return _contains_ignore_case(column, _string_value(prop, value))
    raise TypeError(f"not a filter node: {node!r}")  # pragma: no cover - the parser builds only the above


def _resolve(prop: Property, resolve: Resolver) -> ColumnRef:
    ref = resolve(prop.name)
    if ref is None:
        raise PersoniumError(UNKNOWN_PROPERTY, prop.name)
    return ref


def _comparison(node: Comparison, resolve: Resolver) -> ColumnElement[bool]:
    ref = _resolve(node.prop, resolve)
    ordering = node.op not in ("eq", "ne")
    if ordering and isinstance(node.value, BoolLit | NullLit):
        raise PersoniumError(FILTER_PARSE_ERROR)  # booleans and null have no order
    value = coerce_literal(ref.edm_type, node.prop.name, node.value)
    column = ref.expr
    if node.op == "eq":
        return column.is_(None) if value is None else column == value
    if node.op == "ne":
        # Personium's "not term" also matches documents without the field.
        return column.is_not(None) if value is None else or_(column != value, column.is_(None))
    return _ORDERING[node.op](column, value)


_ORDERING: dict[str, Callable[[ColumnElement[Any], Any], ColumnElement[bool]]] = {
    "gt": lambda column, value: column > value,
    "ge": lambda column, value: column >= value,
    "lt": lambda column, value: column < value,
    "le": lambda column, value: column <= value,
}


def coerce_literal(edm_type: str, name: str, value: Operand) -> Any:
    """The Python value to bind for ``value`` against a property of ``edm_type`` (None for null)."""
    if isinstance(value, Property):
        raise PersoniumError(TYPE_MISMATCH, name)  # Personium compares with literals only
    coerce = _COERCERS.get(edm_type)
    if coerce is None:
        raise PersoniumError(FILTER_PARSE_ERROR)  # e.g. a complex type: Personium has no validator
    if isinstance(value, NullLit):
        return None
    return coerce(name, value)


def _as_string(name: str, value: Operand) -> Any:
    if isinstance(value, StringLit):
        return value.value
    raise PersoniumError(TYPE_MISMATCH, name)


def _as_boolean(name: str, value: Operand) -> Any:
    if isinstance(value, BoolLit):
        return value.value
    raise PersoniumError(TYPE_MISMATCH, name)


def _integer_coercer(bounds: tuple[int, int]) -> Callable[[str, Operand], Any]:
    def coerce(name: str, value: Operand) -> Any:
        if not isinstance(value, IntLit):
            raise PersoniumError(TYPE_MISMATCH, name)
        if not bounds[0] <= value.value <= bounds[1]:
            raise PersoniumError(OUT_OF_RANGE, name)
        return value.value

    return coerce


def _float_coercer(limit: float) -> Callable[[str, Operand], Any]:
    def coerce(name: str, value: Operand) -> Any:
        if not isinstance(value, IntLit | DecimalLit):
            raise PersoniumError(TYPE_MISMATCH, name)
        number = float(value.value)
        if not (math.isfinite(number) and abs(number) <= limit):
            raise PersoniumError(OUT_OF_RANGE, name)
        return number

    return coerce


def _as_datetime(name: str, value: Operand) -> Any:
    """Integer milliseconds or a date-time literal; outside Personium's range is 0047 (as in its code)."""
    if not isinstance(value, IntLit | DateTimeLit):
        raise PersoniumError(TYPE_MISMATCH, name)
    if not DATETIME_MIN <= value.value <= DATETIME_MAX:
        raise PersoniumError(OUT_OF_RANGE, name)
    return value.value


_COERCERS: dict[str, Callable[[str, Operand], Any]] = {
    EDM_STRING: _as_string,
    EDM_BOOLEAN: _as_boolean,
    EDM_INT32: _integer_coercer(INT32_RANGE),
    EDM_INT64: _integer_coercer(INT64_RANGE),
    EDM_DOUBLE: _float_coercer(math.inf),
    EDM_SINGLE: _float_coercer(SINGLE_MAX),
    EDM_DATETIME: _as_datetime,
}


def _string_column(prop: Property, value: Operand, resolve: Resolver) -> ColumnElement[Any]:
    """startswith/substringof need an Edm.String property (else 0046 naming it)."""
    ref = _resolve(prop, resolve)
    if ref.edm_type != EDM_STRING:
        raise PersoniumError(TYPE_MISMATCH, prop.name)
    return ref.expr


def _string_value(prop: Property, value: Operand) -> str:
    if not isinstance(value, StringLit):
        raise PersoniumError(TYPE_MISMATCH, prop.name)
    return value.value


def _starts_with(column: ColumnElement[Any], prefix: str) -> ColumnElement[bool]:
    """Case-sensitive prefix: an index-usable range plus an exact ``substr`` check.

    The range alone is exact under code-point order, the check keeps it exact whatever the collation.
    """
    if prefix == "":
        return column.is_not(None)
    conditions = [column >= prefix]
    upper = prefix_upper_bound(prefix)
    if upper is not None:
        conditions.append(column < upper)
    conditions.append(func.substr(column, 1, len(prefix)) == prefix)
    return and_(*conditions)


def prefix_upper_bound(prefix: str) -> str | None:
    """The smallest string greater than every string starting with ``prefix`` (None: no bound).

    Increments the last code point that can be incremented, skipping the surrogate block that
    UTF-8 cannot encode.
    """
    stem = prefix.rstrip("\U0010ffff")
    if not stem:
        return None
    successor = ord(stem[-1]) + 1
    if 0xD800 <= successor <= 0xDFFF:
        successor = 0xE000
    return stem[:-1] + chr(successor)


def escape_like(text: str) -> str:
    """Make ``%``, ``_`` and the escape character literal inside a LIKE pattern."""
    for special in (LIKE_ESCAPE, "%", "_"):
        text = text.replace(special, LIKE_ESCAPE + special)
    return text


def _contains_ignore_case(column: ColumnElement[Any], text: str) -> ColumnElement[bool]:
    """``lower(col) LIKE lower('%text%')``: both sides lowered by the database so they agree."""
    pattern = literal(f"%{escape_like(text)}%", String)
    return func.lower(column).like(func.lower(pattern), escape=LIKE_ESCAPE)


# --- $orderby --------------------------------------------------------------------------------------
def compile_orderby(items: Sequence[OrderByItem], resolve: Resolver) -> list[ColumnElement[Any]]:
    """ORDER BY terms; unknown properties are skipped (page 400). NULL sorts as the smallest value."""
    terms: list[ColumnElement[Any]] = []
    for name, descending in items:
        ref = resolve(name)
        if ref is None:
            continue
        terms.append(ref.expr.desc().nulls_last() if descending else ref.expr.asc().nulls_first())
    return terms


# --- q ---------------------------------------------------------------------------------------------
def compile_search(words: list[str], columns: list[ColumnElement[Any]]) -> ColumnElement[bool]:
    """``q``: every word must occur, ignoring case, in at least one of ``columns``."""
    if not words:
        return true()
    if not columns:
        return false()
    searchable = [_as_text(column) for column in columns]
    return and_(*(or_(*(_contains_ignore_case(column, word) for column in searchable)) for word in words))


def _as_text(column: ColumnElement[Any]) -> ColumnElement[Any]:
    return column if isinstance(column.type, String) else cast(column, String)
