"""Format keywords of the cell control objects (notes §5): ``uri``, ``cell-url``, ``schema-uri``,
the account ``Type`` set and ``IPAddressRange``."""

from __future__ import annotations

import ipaddress
import posixpath
import re
from typing import Any
from urllib.parse import urlsplit

from cellar.errors import PersoniumError

MAX_URL = 1024
ACCOUNT_TYPES = ("basic", "oidc:google")
_LOCALUNIT_CELL = re.compile(r"^personium-localunit:(/[^/]+/|[^/:]+:/.*)$")


def is_normalized(url: str) -> bool:
    """What Java's ``URI.normalize()`` would leave unchanged: no ``.``/``..`` segments, no ``//`` in the path."""
    path = urlsplit(url).path
    if not path:
        return True
    normal = posixpath.normpath(path)
    return normal == path.rstrip("/") or normal + "/" == path or (path == "/" and normal == "/")


def is_cell_url(value: str) -> bool:
    if not 1 <= len(value) <= MAX_URL or not value.endswith("/") or any(c.isspace() for c in value):
        return False
    if value.startswith("personium-localunit:"):
        return bool(_LOCALUNIT_CELL.match(value))
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        return False
    return (parts.scheme in ("http", "https") and bool(parts.hostname) and not parts.query
            and not parts.fragment and is_normalized(value))


def check_cell_url(name: str, value: Any) -> None:
    if not is_cell_url(value):
        raise PersoniumError("PR400-OD-0049", name)


def check_cell_url_list(name: str, value: Any) -> None:
    """Comma-separated cell URLs (``To``, ``MulticastTo``). Like Java's ``split(",")`` trailing empty
    pieces are dropped; a single bad URL is reported under its own text, as the real server does
    (ODataMessageResource.validateUriCsv)."""
    if "," not in value:
        if not is_cell_url(value):
            raise PersoniumError("PR400-OD-0006", value)
        return
    if not all(is_cell_url(piece) for piece in cell_url_pieces(value)):
        raise PersoniumError("PR400-OD-0006", name)


def cell_url_pieces(value: str) -> list[str]:
    pieces = value.split(",")
    while pieces and pieces[-1] == "":
        pieces.pop()
    return pieces


def check_schema_uri(name: str, value: Any) -> None:
    if value.startswith("urn:") and 4 < len(value) <= MAX_URL and not any(c.isspace() for c in value):
        return
    if not is_cell_url(value):
        raise PersoniumError("PR400-OD-0050", name)


def check_uri(name: str, value: Any) -> None:
    """``uri``: scheme http, https, urn or personium-localunit; at most 1024 characters."""
    ok = 1 <= len(value) <= MAX_URL and not any(c.isspace() for c in value)
    scheme = value.split(":", 1)[0] if ":" in value else ""
    if not ok or scheme not in ("http", "https", "urn", "personium-localunit"):
        raise PersoniumError("PR400-OD-0006", name)
    if scheme in ("http", "https") and not urlsplit(value).hostname:
        raise PersoniumError("PR400-OD-0006", name)


def check_account_type(name: str, value: Any) -> None:
    tokens = value.split(" ")
    if not tokens or any(t not in ACCOUNT_TYPES for t in tokens) or len(set(tokens)) != len(tokens):
        raise PersoniumError("PR400-OD-0006", name)


def check_ip_address_range(name: str, value: Any) -> None:
    """Comma-separated IPv4 addresses or CIDR blocks with a prefix of 1 to 32."""
    for item in value.split(","):
        address, slash, prefix = item.partition("/")
        try:
            ipaddress.IPv4Address(address)
        except ValueError:
            raise PersoniumError("PR400-OD-0006", name) from None
        if slash and not (prefix.isdigit() and 1 <= int(prefix) <= 32 and prefix == str(int(prefix))):
            raise PersoniumError("PR400-OD-0006", name)
