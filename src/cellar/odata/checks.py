"""Reusable property checks for entity definitions; each raises PR400-OD-0006 naming the field."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from cellar.errors import PersoniumError
from cellar.odata.model import Check


def pattern(regex: str) -> Check:
    compiled = re.compile(regex)

    def check(name: str, value: Any) -> None:
        if not compiled.fullmatch(value):
            raise PersoniumError("PR400-OD-0006", name)

    return check


def one_of(values: Iterable[str]) -> Check:
    allowed = frozenset(values)

    def check(name: str, value: Any) -> None:
        if value not in allowed:
            raise PersoniumError("PR400-OD-0006", name)

    return check


def between(low: int, high: int) -> Check:
    def check(name: str, value: Any) -> None:
        if not low <= value <= high:
            raise PersoniumError("PR400-OD-0006", name)

    return check


CELL_NAME = r"[a-z0-9][a-z0-9-]{0,127}"
NAME = r"[a-zA-Z0-9][a-zA-Z0-9-_]{0,127}"
NAME_WITH_SIGN = r"[a-zA-Z0-9][a-zA-Z0-9-_!$*=^`{|}~.@]{0,127}"
RELATION_NAME = r"[a-zA-Z0-9-+][a-zA-Z0-9-_+:]{0,127}"
