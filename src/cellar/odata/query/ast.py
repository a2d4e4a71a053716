"""The parsed form of ``$filter`` and ``$orderby``: small immutable values, compared by value in tests.

The shapes are deliberately narrow (a comparison always has a property on the left) because
Personium only supports ``Property op literal``; anything else is rejected while parsing, so the
compiler never has to guess.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal as TypingLiteral
from typing import NamedTuple, TypeAlias

CompareOp: TypeAlias = TypingLiteral["eq", "ne", "gt", "ge", "lt", "le"]


@dataclass(frozen=True, slots=True)
class Property:
    """A simple property of the entity type, e.g. ``Name`` or ``__published``."""

    name: str


@dataclass(frozen=True, slots=True)
class StringLit:
    """``'text'``: quotes doubled inside, then JavaScript backslash escapes resolved (as Personium does)."""

    value: str


@dataclass(frozen=True, slots=True)
class IntLit:
    """An integer (``12``, ``-3``, ``12L``) within Int64; narrower ranges are checked per property type."""

    value: int


@dataclass(frozen=True, slots=True)
class DecimalLit:
    """A decimal literal without suffix (``1.5``, ``1.5E+3``)."""

    value: float


@dataclass(frozen=True, slots=True)
class BoolLit:
    value: bool


@dataclass(frozen=True, slots=True)
class NullLit:
    """``null``: ``eq null`` / ``ne null`` test for a missing value."""


@dataclass(frozen=True, slots=True)
class DateTimeLit:
    """``datetime'...'`` (UTC) or ``datetimeoffset'...'``, as epoch milliseconds like stored DateTimes."""

    value: int


LiteralNode: TypeAlias = StringLit | IntLit | DecimalLit | BoolLit | NullLit | DateTimeLit
Operand: TypeAlias = Property | LiteralNode


@dataclass(frozen=True, slots=True)
class Comparison:
    """``prop op value``; ``value`` may be a Property only so that the compiler can report PR400-OD-0046."""

    op: CompareOp
    prop: Property
    value: Operand


@dataclass(frozen=True, slots=True)
class StartsWith:
    """``startswith(prop, value)``: case-sensitive prefix match."""

    prop: Property
    value: Operand


@dataclass(frozen=True, slots=True)
class SubstringOf:
    """``substringof(value, prop)``: case-insensitive containment."""

    value: Operand
    prop: Property


@dataclass(frozen=True, slots=True)
class And:
    """Two or more conditions, all required; n-ary so long chains do not nest deeply."""

    items: tuple[BoolExpr, ...]


@dataclass(frozen=True, slots=True)
class Or:
    """Two or more alternatives."""

    items: tuple[BoolExpr, ...]


BoolExpr: TypeAlias = Comparison | StartsWith | SubstringOf | And | Or


class OrderByItem(NamedTuple):
    """One ``$orderby`` key; a tuple so it also compares equal to ``(name, descending)``."""

    property: str
    descending: bool
