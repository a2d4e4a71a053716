"""Scopes (notes §3.5): what a token may do at cell level, arbitrated when it is issued."""

from __future__ import annotations

from collections.abc import Callable

#: Cell-level privileges and the privilege each is included in (notes §4.1).
CELL_PRIVILEGES: dict[str, str | None] = {
    "root": None,
    "auth": "root", "auth-read": "auth",
    "message": "root", "message-read": "message",
    "event": "root", "event-read": "event",
    "log": "root", "log-read": "log",
    "social": "root", "social-read": "social",
    "box": "root", "box-read": "box", "box-install": "box",
    "acl": "root", "acl-read": "acl",
    "propfind": "root",
    "rule": "root", "rule-read": "rule",
    "sign": "root",
}
DEFAULT_SCOPE = ("root",)


def includes(granted: str, required: str) -> bool:
    """``granted`` is ``required`` or one of its ancestors in the privilege tree."""
    current: str | None = required
    while current is not None:
        if current == granted:
            return True
        current = CELL_PRIVILEGES.get(current)
    return False


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
