"""Tokens of a ``$filter`` expression.

Follows Personium's tokenizer (a modified odata4j one): words may start with ``_`` and contain
``-``; a ``-`` directly before a digit starts a number; strings double their quotes. Typed
literals (``datetime'...'``) and number suffixes are recognised here so the parser sees one token.
Every failure is PR400-OD-0003.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from enum import Enum

from cellar.errors import PersoniumError
from cellar.odata.query.ast import DateTimeLit, DecimalLit, IntLit, LiteralNode, StringLit

FILTER_PARSE_ERROR = "PR400-OD-0003"
UNESCAPE_ERROR = "PR400-OD-0048"

#: Java's ``Character.isWhitespace`` for the characters that matter; used by every option parser.
WHITESPACE = " \t\n\r\f\v"

_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1

_WORD = re.compile(r"[^\W\d][\w-]*")
_NUMBER = re.compile(r"-?\d+(?P<fraction>\.\d+)?(?P<exponent>E[+-]\d+)?", re.ASCII)
_SUFFIX = re.compile(r"[\w-]*")
_TYPED_PREFIXES = ("datetimeoffset", "datetime", "time", "guid", "binary", "decimal", "X")
_DATETIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(?P<zone>Z|[+-]\d{2}:\d{2})?",
    re.ASCII,
)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SIMPLE_ESCAPES = {"\\": "\\", "'": "'", '"': '"', "r": "\r", "f": "\f", "t": "\t", "n": "\n", "b": "\b"}


class Kind(Enum):
    WORD = "word"
    LITERAL = "literal"
    LPAREN = "("
    RPAREN = ")"
    COMMA = ","
    EOF = "eof"


@dataclass(frozen=True, slots=True)
class Token:
    kind: Kind
    text: str
    #: The value of a LITERAL token (strings, numbers, date-times; ``true``/``null`` are words).
    literal: LiteralNode | None = None


def tokenize(source: str) -> list[Token]:
    """Split ``source`` into tokens, ending with one EOF token."""
    tokens: list[Token] = []
    pos = 0
    while pos < len(source):
        char = source[pos]
        if char in WHITESPACE:
            pos += 1
        elif char in "(),":
            tokens.append(Token(Kind(char), char))
            pos += 1
        elif char == "'":
            value, end = _read_string(source, pos)
            tokens.append(Token(Kind.LITERAL, source[pos:end], StringLit(value)))
            pos = end
        elif char.isdigit() or (char == "-" and source[pos + 1 : pos + 2].isdigit()):
            token, pos = _read_number(source, pos)
            tokens.append(token)
        elif _WORD.match(source, pos):
            token, pos = _read_word(source, pos)
            tokens.append(token)
        else:
            raise PersoniumError(FILTER_PARSE_ERROR)
    tokens.append(Token(Kind.EOF, ""))
    return tokens


def _read_string(source: str, start: int) -> tuple[str, int]:
    """Read ``'...'`` from ``start`` (the quote); return the unquoted, unescaped text and the end index."""
    parts: list[str] = []
    pos = start + 1
    while True:
        end = source.find("'", pos)
        if end < 0:
            raise PersoniumError(FILTER_PARSE_ERROR)
        parts.append(source[pos:end])
        if source.startswith("''", end):
            parts.append("'")
            pos = end + 2
            continue
        value = unescape_javascript("".join(parts))
        if "\x00" in value:
            # PostgreSQL text cannot hold NUL, so no stored value could ever match: reject, do not 500.
            raise PersoniumError(FILTER_PARSE_ERROR)
        return value, end + 1


def _read_number(source: str, start: int) -> tuple[Token, int]:
    """Numbers as Personium reads them: ``12``, ``12L``, ``1.5``, ``1.5E+3``; other suffixes are errors."""
    match = _NUMBER.match(source, start)
    if match is None:  # a non-ASCII digit
        raise PersoniumError(FILTER_PARSE_ERROR)
    end = match.end()
    suffix = _SUFFIX.match(source, end)
    suffix_text = suffix.group(0) if suffix else ""
    text = match.group(0)
    is_decimal = match.group("fraction") is not None or match.group("exponent") is not None
    if suffix_text == "L" and not is_decimal:
        # Personium (odata4j) accepts the Int64 form ``12L`` and validates it like any integer.
        return Token(Kind.LITERAL, text + suffix_text, IntLit(_integer(text))), end + 1
    if suffix_text:
        # ``1.0f``, ``1.0m``, ``1d``, ``1E10``: SingleLiteral/DecimalLiteral or garbage -> parse error.
        raise PersoniumError(FILTER_PARSE_ERROR)
    if is_decimal:
        value = float(text)
        if not math.isfinite(value):
            raise PersoniumError(FILTER_PARSE_ERROR)
        return Token(Kind.LITERAL, text, DecimalLit(value)), end
    return Token(Kind.LITERAL, text, IntLit(_integer(text))), end


def _integer(text: str) -> int:
    value = int(text)
    if not _INT64_MIN <= value <= _INT64_MAX:
        raise PersoniumError(FILTER_PARSE_ERROR)
    return value


def _read_word(source: str, start: int) -> tuple[Token, int]:
    """A word, or a typed literal when the word is a known prefix directly followed by a quote."""
    match = _WORD.match(source, start)
    assert match is not None
    word, end = match.group(0), match.end()
    if not source.startswith("'", end):
        return Token(Kind.WORD, word), end
    if word not in ("datetime", "datetimeoffset"):
        # guid'..', time'..', X'..' etc. are OData literals Personium cannot compare with anything.
        raise PersoniumError(FILTER_PARSE_ERROR)
    text, stop = _read_string(source, end)
    millis = parse_datetime_literal(text, with_offset=word == "datetimeoffset")
    return Token(Kind.LITERAL, source[start:stop], DateTimeLit(millis)), stop


def parse_datetime_literal(text: str, *, with_offset: bool) -> int:
    """``2017-12-15T09:39:10[.123]`` (UTC) or, for datetimeoffset, with ``Z``/``+09:00`` -> epoch ms.

    Page 403: "datetime can not specify time zone offset"; datetimeoffset needs one.
    """
    match = _DATETIME.fullmatch(text)
    if match is None or (match.group("zone") is not None) != with_offset:
        raise PersoniumError(FILTER_PARSE_ERROR)
    year, month, day, hour, minute = (int(match.group(i)) for i in range(1, 6))
    second = int(match.group(6) or 0)
    millis = int((match.group(7) or "0").ljust(3, "0")[:3])
    try:
        moment = datetime(year, month, day, hour, minute, second, millis * 1000, tzinfo=_zone(match["zone"]))
    except ValueError as exc:
        raise PersoniumError(FILTER_PARSE_ERROR) from exc
    return (moment - _EPOCH) // timedelta(milliseconds=1)


def _zone(text: str | None) -> timezone:
    if text is None or text == "Z":
        return UTC
    sign = -1 if text[0] == "-" else 1
    hours, minutes = int(text[1:3]), int(text[4:6])
    if hours > 23 or minutes > 59:
        raise PersoniumError(FILTER_PARSE_ERROR)
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def unescape_javascript(text: str) -> str:
    """Resolve ``\\n``, ``\\'``, ``\\uXXXX``... like commons-lang ``unescapeJavaScript``.

    Personium applies it to every string operand of ``$filter`` (EsQueryHandler.getSearchValue),
    so ``'a\\\\b'`` searches for ``a\\b``; a broken ``\\u`` escape is PR400-OD-0048.
    """
    if "\\" not in text:
        return text
    out: list[str] = []
    pos = 0
    while pos < len(text):
        char = text[pos]
        if char != "\\" or pos + 1 == len(text):
            out.append(char)  # a trailing lone backslash is kept, as in commons-lang
            pos += 1
            continue
        escaped = text[pos + 1]
        if escaped == "u":
            out.append(_unicode_escape(text, pos))
            pos += 6
        else:
            out.append(_SIMPLE_ESCAPES.get(escaped, escaped))
            pos += 2
    return _join_surrogates("".join(out), text)


def _unicode_escape(text: str, pos: int) -> str:
    digits = text[pos + 2 : pos + 6]
    if len(digits) != 4 or not all(c in "0123456789abcdefABCDEF" for c in digits):
        raise PersoniumError(UNESCAPE_ERROR, text)
    return chr(int(digits, 16))


def _join_surrogates(value: str, original: str) -> str:
    """Java strings are UTF-16: ``\\uD83D\\uDE00`` is one character; a lone surrogate is unusable."""
    if not any("\ud800" <= c <= "\udfff" for c in value):
        return value
    try:
        return value.encode("utf-16-le", "surrogatepass").decode("utf-16-le")
    except UnicodeDecodeError as exc:
        raise PersoniumError(UNESCAPE_ERROR, original) from exc
