"""Parsers for ``$filter``, ``$orderby``, ``$select`` and ``$expand``.

``$filter`` is a recursive-descent parser over :mod:`lexer` tokens. It only accepts what
Personium can evaluate (``Property op literal``, ``and``/``or``, parentheses, ``startswith``,
``substringof``) and reports the same codes Personium does (notes 7.2): unsupported operators
PR400-OD-0043, unsupported functions PR400-OD-0044, everything else PR400-OD-0003. Length and
nesting are bounded so hostile input costs little and can never raise RecursionError.
"""

from __future__ import annotations

import re

from cellar.errors import PersoniumError
from cellar.odata.query.ast import (
    And,
    BoolExpr,
    BoolLit,
    CompareOp,
    Comparison,
    NullLit,
    Operand,
    Or,
    OrderByItem,
    Property,
    StartsWith,
    SubstringOf,
)
from cellar.odata.query.lexer import FILTER_PARSE_ERROR, WHITESPACE, Kind, Token, tokenize

UNSUPPORTED_OPERATOR = "PR400-OD-0043"
UNSUPPORTED_FUNCTION = "PR400-OD-0044"
ORDERBY_PARSE_ERROR = "PR400-OD-0015"
SELECT_PARSE_ERROR = "PR400-OD-0017"
EXPAND_PARSE_ERROR = "PR400-OD-0026"

#: Longest ``$filter`` accepted (characters); Personium has no such limit, but URLs rarely exceed it.
MAX_FILTER_LENGTH = 10_000
#: Deepest parenthesis nesting accepted in ``$filter`` (function-call parentheses count too).
MAX_FILTER_DEPTH = 100

COMPARISON_OPERATORS: frozenset[str] = frozenset({"eq", "ne", "gt", "ge", "lt", "le"})
UNSUPPORTED_OPERATORS: frozenset[str] = frozenset({"not", "add", "sub", "mul", "div", "mod"})
SUPPORTED_FUNCTIONS: frozenset[str] = frozenset({"startswith", "substringof"})
UNSUPPORTED_FUNCTIONS: frozenset[str] = frozenset({
    "endswith", "indexof", "length", "replace", "substring", "tolower", "toupper", "trim", "concat",
    "year", "month", "day", "hour", "minute", "second", "round", "floor", "ceiling", "isof", "cast",
})
_ALL_OPERATORS = COMPARISON_OPERATORS | UNSUPPORTED_OPERATORS
_KEYWORD_LITERALS: dict[str, BoolLit | NullLit] = {
    "true": BoolLit(True), "false": BoolLit(False), "null": NullLit(),
}

_WS = re.escape(WHITESPACE)
_NAME = r"[^\W\d][\w-]*"
_ORDERBY_ITEM = re.compile(rf"[{_WS}]*(?P<name>{_NAME})(?:[{_WS}]+(?P<dir>asc|desc))?[{_WS}]*")
_SELECT_ITEM = re.compile(rf"[{_WS}]*(?P<name>{_NAME})[{_WS}]*")
_EXPAND_ITEM = re.compile(r"_[\w-]*")


def parse_filter(text: str) -> BoolExpr:
    """Parse a ``$filter`` value into a boolean expression tree."""
    if len(text) > MAX_FILTER_LENGTH:
        raise PersoniumError(FILTER_PARSE_ERROR)
    return _FilterParser(tokenize(text)).parse()


class _FilterParser:
    """Grammar: or := and ('or' and)* ; and := term ('and' term)* ;
    term := '(' or ')' | func '(' args ')' | Property op operand."""

    def __init__(self, tokens: list[Token]) -> None:
        self._tokens = tokens
        self._index = 0

    # --- token helpers ---------------------------------------------------------------------------
    def _peek(self, offset: int = 0) -> Token:
        return self._tokens[min(self._index + offset, len(self._tokens) - 1)]

    def _next(self) -> Token:
        token = self._peek()
        self._index += 1
        return token

    def _at_word(self, *words: str) -> bool:
        token = self._peek()
        return token.kind is Kind.WORD and token.text in words

    def _expect(self, kind: Kind) -> Token:
        if self._peek().kind is not kind:
            raise self._unexpected()
        return self._next()

    def _unexpected(self) -> PersoniumError:
        """The error for the current token: arithmetic/``not`` get their own code, the rest 0003."""
        token = self._peek()
        if token.kind is Kind.WORD and token.text in UNSUPPORTED_OPERATORS:
            return PersoniumError(UNSUPPORTED_OPERATOR)
        return PersoniumError(FILTER_PARSE_ERROR)

    # --- grammar -----------------------------------------------------------------------------------
    def parse(self) -> BoolExpr:
        expr = self._or(0)
        if self._peek().kind is not Kind.EOF:
            raise self._unexpected()
        return expr

    def _or(self, depth: int) -> BoolExpr:
        items = [self._and(depth)]
        while self._at_word("or"):
            self._next()
            items.append(self._and(depth))
        return items[0] if len(items) == 1 else Or(tuple(items))

    def _and(self, depth: int) -> BoolExpr:
        items = [self._term(depth)]
        while self._at_word("and"):
            self._next()
            items.append(self._term(depth))
        return items[0] if len(items) == 1 else And(tuple(items))

    def _term(self, depth: int) -> BoolExpr:
        token = self._peek()
        if token.kind is Kind.LPAREN:
            self._next()
            expr = self._or(_deeper(depth))
            self._expect(Kind.RPAREN)
            return expr
        if token.kind is Kind.WORD and token.text == "not" and not _is_operator(self._peek(1)):
            raise PersoniumError(UNSUPPORTED_OPERATOR)  # "not x", "not(x)"; a property named "not" is fine
        if token.kind is Kind.WORD and self._peek(1).kind is Kind.LPAREN:
            return self._function(depth)
        return self._comparison()

    def _comparison(self) -> Comparison:
        left = self._operand()
        op_token = self._peek()
        if not (op_token.kind is Kind.WORD and op_token.text in COMPARISON_OPERATORS):
            raise self._unexpected()
        self._next()
        right = self._operand()
        if self._at_word(*UNSUPPORTED_OPERATORS):
            raise PersoniumError(UNSUPPORTED_OPERATOR)  # "A eq 1 add 2"
        if not isinstance(left, Property):
            raise PersoniumError(FILTER_PARSE_ERROR)  # Personium needs the property on the left
        op: CompareOp = op_token.text  # type: ignore[assignment]
        return Comparison(op, left, right)

    def _operand(self) -> Operand:
        """A property, a keyword literal or a literal token; a function call here is never valid."""
        token = self._peek()
        if token.kind is Kind.LITERAL and token.literal is not None:
            self._next()
            return token.literal
        if token.kind is not Kind.WORD:
            raise self._unexpected()
        if self._peek(1).kind is Kind.LPAREN:
            raise PersoniumError(_function_error(token.text))
        self._next()
        if token.text in _KEYWORD_LITERALS:
            return _KEYWORD_LITERALS[token.text]
        return Property(token.text)

    def _function(self, depth: int) -> BoolExpr:
        name = self._next().text
        if name not in SUPPORTED_FUNCTIONS:
            raise PersoniumError(_function_error(name))
        self._expect(Kind.LPAREN)
        _deeper(depth)
        args = [self._operand()]
        while self._peek().kind is Kind.COMMA:
            self._next()
            args.append(self._operand())
        self._expect(Kind.RPAREN)
        return _build_function(name, args)


def _is_operator(token: Token) -> bool:
    return token.kind is Kind.WORD and token.text in _ALL_OPERATORS


def _deeper(depth: int) -> int:
    if depth + 1 > MAX_FILTER_DEPTH:
        raise PersoniumError(FILTER_PARSE_ERROR)
    return depth + 1


def _function_error(name: str) -> str:
    return UNSUPPORTED_FUNCTION if name in UNSUPPORTED_FUNCTIONS else FILTER_PARSE_ERROR


def _build_function(name: str, args: list[Operand]) -> BoolExpr:
    """Arity and the property position are parse errors in Personium; a wrong value type is 0046 later."""
    if len(args) != 2:
        raise PersoniumError(FILTER_PARSE_ERROR)
    if name == "startswith":
        target, value = args
        if isinstance(target, Property):
            return StartsWith(target, value)
    else:
        value, target = args
        if isinstance(target, Property):
            return SubstringOf(value, target)
    raise PersoniumError(FILTER_PARSE_ERROR)


def parse_orderby(text: str) -> list[OrderByItem]:
    """``Name desc, Age`` -> [("Name", True), ("Age", False)]; only simple property names (else 0015)."""
    items: list[OrderByItem] = []
    for part in text.split(","):
        match = _ORDERBY_ITEM.fullmatch(part)
        if match is None:
            raise PersoniumError(ORDERBY_PARSE_ERROR)
        items.append(OrderByItem(match["name"], match["dir"] == "desc"))
    return items


def parse_select(text: str) -> list[str] | None:
    """``*`` -> None (everything); otherwise property names. Empty or malformed -> PR400-OD-0017."""
    if text == "*":
        return None
    names: list[str] = []
    for part in text.split(","):
        match = _SELECT_ITEM.fullmatch(part)
        if match is None:
            raise PersoniumError(SELECT_PARSE_ERROR)
        names.append(match["name"])
    return names


def parse_expand(text: str) -> list[str]:
    """Navigation property names, comma-separated with no spaces, each starting with ``_`` (else 0026).

    Empty gives an empty list, as in Personium (it tokenises to nothing and is not an error).
    """
    if text == "":
        return []
    names = text.split(",")
    if not all(_EXPAND_ITEM.fullmatch(name) for name in names):
        raise PersoniumError(EXPAND_PARSE_ERROR)
    return names
