"""Scopes (notes §3.5): what a token may do at cell level, arbitrated when it is issued."""

from __future__ import annotations

from collections.abc import Callable

from cellar.auth.access.privileges import CELL
from cellar.auth.access.privileges import includes as _includes

CELL_PRIVILEGES = CELL
DEFAULT_SCOPE = ("root",)


def includes(granted: str, required: str) -> bool:
    """``granted`` is ``required`` or one of its ancestors in the cell privilege tree."""
    return _includes(CELL, granted, required)


def arbitrate(requested: str | None, is_role_url: Callable[[str], bool],
              default: tuple[str, ...] = DEFAULT_SCOPE) -> tuple[str, ...]:
    """Keep what may be granted, silently drop the rest; nothing requested means the default."""
    words = [word for word in (requested or "").split(" ") if word]
    if not words:
        return default
    kept = [word for word in words if _grantable(word, is_role_url, default)]
    return tuple(dict.fromkeys(kept))


def _grantable(word: str, is_role_url: Callable[[str], bool], default: tuple[str, ...]) -> bool:
    if word == "openid":
        return True
    if word.startswith(("http://", "https://", "personium-localunit:")):
        return is_role_url(word)
    return word in CELL_PRIVILEGES and any(includes(d, word) for d in default)


def scope_allows(scopes: tuple[str, ...], required: str) -> bool:
    return any(includes(scope, required) for scope in scopes if scope in CELL_PRIVILEGES)
