"""The Personium error catalog and the one exception type that carries an entry of it.

The catalog is data (``data/error_catalog.tsv``), checked against ``apiref/004_Error_Messages.md``
by ``tests/test_error_catalog.py``. Code raises ``PersoniumError("PR400-OD-0009", "Name")``; the
HTTP layer renders it once (``cellar.http.errors``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources


@dataclass(frozen=True, slots=True)
class ErrorSpec:
    code: str
    template: str
    oauth_error: str | None = None

    @property
    def status(self) -> int:
        return int(self.code[2:5])


def _load_catalog() -> dict[str, ErrorSpec]:
    text = resources.files("cellar").joinpath("data/error_catalog.tsv").read_text("utf-8")
    catalog: dict[str, ErrorSpec] = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        code, oauth, template = line.split("\t", 2)
        catalog[code] = ErrorSpec(code, template, oauth or None)
    return catalog


CATALOG: Mapping[str, ErrorSpec] = _load_catalog()

_PLACEHOLDER = re.compile(r"''|'[^']*'|\{(\d+)\}")


def format_message(template: str, params: tuple[object, ...]) -> str:
    """Java ``MessageFormat``: ``{n}`` is replaced, ``''`` is a quote, ``'text'`` is literal."""

    def substitute(match: re.Match[str]) -> str:
        token = match.group(0)
        if token == "''":
            return "'"
        if token.startswith("'"):
            return token[1:-1]
        index = int(match.group(1))
        return _escape_controls(str(params[index])) if index < len(params) else token

    return _PLACEHOLDER.sub(substitute, template)


def _escape_controls(text: str) -> str:
    return "".join(ch if ch >= " " or ch == "\t" else f"\\u{ord(ch):04x}" for ch in text)


class PersoniumError(Exception):
    """An error of the catalog, with its message parameters and any extra response headers."""

    def __init__(self, code: str, *params: object, headers: Mapping[str, str | tuple[str, ...]] | None = None,
                 extra: Mapping[str, object] | None = None) -> None:
        self.spec = CATALOG[code]
        self.params = params
        self.headers = dict(headers or {})
        #: More members of an OAuth error body (the password-change token of PR401-AN-0023).
        self.extra = dict(extra or {})
        super().__init__(f"{code} {self.message}")

    @property
    def code(self) -> str:
        return self.spec.code

    @property
    def status(self) -> int:
        return self.spec.status

    @property
    def message(self) -> str:
        return format_message(self.spec.template, self.params)

    def document(self) -> dict[str, object]:
        """Personium's error body (an HTTP answer, or a ``$batch`` part)."""
        return {"code": self.code, "message": {"lang": "en", "value": self.message}}
