"""Privileges and how they include one another (notes §4.1, apiref/006).

Cell privileges live in the Personium namespace (``p:``), box privileges in ``DAV:`` (except
``exec`` and the stream ones). ``root`` on a role principal satisfies any requirement, cell or box.
"""

from __future__ import annotations

from cellar.xml import DAV, PERSONIUM

#: Cell-level privilege → the privilege that includes it.
CELL: dict[str, str | None] = {
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

#: Box-level privilege → the privilege that includes it (``read-acl``/``write-acl`` hang off ``all``).
BOX: dict[str, str | None] = {
    "all": None,
    "read": "all", "read-properties": "read", "read-acl": "all",
    "write": "all", "write-properties": "write", "write-content": "write", "bind": "write", "unbind": "write",
    "write-acl": "all", "exec": "all", "alter-schema": "all", "stream-send": "all", "stream-receive": "all",
}
#: Box privileges in the Personium namespace; all others are in ``DAV:``.
BOX_PERSONIUM = frozenset({"exec", "stream-send", "stream-receive", "alter-schema"})


def includes(tree: dict[str, str | None], granted: str, required: str) -> bool:
    current: str | None = required
    while current is not None:
        if current == granted:
            return True
        current = tree.get(current)
    return False


def family(privilege: str) -> dict[str, str | None]:
    return CELL if privilege in CELL else BOX


def namespace_of(privilege: str) -> str:
    if privilege in CELL:
        return PERSONIUM
    return PERSONIUM if privilege in BOX_PERSONIUM else DAV


def grants(granted: str, required: str) -> bool:
    """Does a granted privilege satisfy the required one? Families do not mix (notes §4.3)."""
    tree = family(required)
    return granted in tree and includes(tree, granted, required)
