"""URLs of the unit and its cells, built from the configured unit URL (never from the request)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True)
class UnitUrls:
    unit_url: str  # "https://unit.example/"
    path_based: bool

    @property
    def authority(self) -> str:
        return urlsplit(self.unit_url).netloc

    def cell_url(self, cell_name: str) -> str:
        if self.path_based:
            return f"{self.unit_url}{cell_name}/"
        parts = urlsplit(self.unit_url)
        return f"{parts.scheme}://{cell_name}.{parts.netloc}/"

    def canonical(self, url: str) -> str:
        """The http(s) form of a ``personium-localunit:`` URL (notes §1.4); other URLs are unchanged.

        ``personium-localunit:/path`` is relative to the unit; ``personium-localunit:cell:/path`` to a cell.
        """
        prefix = "personium-localunit:"
        if not url.startswith(prefix):
            return url
        rest = url[len(prefix):]
        if rest.startswith("/"):
            return self.unit_url + rest[1:]
        cell, sep, path = rest.partition(":/")
        if sep and cell and "/" not in cell:
            return self.cell_url(cell) + path
        return url

    def cell_from_host(self, host: str | None) -> str | None:
        """FQDN mode: ``cell1.unit.example`` names cell1; the unit's own authority names no cell."""
        if self.path_based or not host:
            return None
        host = host.lower()
        suffix = "." + self.authority
        if host.endswith(suffix) and "." not in host[: -len(suffix)]:
            return host[: -len(suffix)] or None
        return None
