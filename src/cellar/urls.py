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

    def spellings(self, url: str) -> set[str]:
        """Every way to write ``url``: its http(s) form and, for a URL of this unit, the
        ``personium-localunit:`` forms (relative to the unit, and ``cell:/`` relative to a cell)."""
        http = self.canonical(url)
        forms = {url, http}
        if http.startswith(self.unit_url):
            forms.add("personium-localunit:/" + http[len(self.unit_url):])
        cell = self.cell_of(http)
        if cell is not None:
            forms.add(f"personium-localunit:{cell}:/" + http[len(self.cell_url(cell)):])
        return forms

    def cell_of(self, http_url: str) -> str | None:
        """The cell of this unit an http URL is in, if any."""
        if self.path_based:
            if not http_url.startswith(self.unit_url):
                return None
            name = http_url[len(self.unit_url):].split("/", 1)[0]
            return name if name and http_url.startswith(self.cell_url(name)) else None
        parts = urlsplit(http_url)
        return self.cell_from_host(parts.netloc) if parts.scheme == urlsplit(self.unit_url).scheme else None

    def is_local(self, url: str) -> bool:
        """Whether ``url`` (http(s) or ``personium-localunit:``) is served by this unit."""
        parts, unit = urlsplit(self.canonical(url)), urlsplit(self.unit_url)
        if parts.scheme != unit.scheme:
            return False
        netloc = parts.netloc.lower()
        if self.path_based:
            return netloc == unit.netloc.lower() and parts.path.startswith(unit.path)
        return netloc == unit.netloc.lower() or netloc.endswith("." + unit.netloc.lower())

    def cell_from_host(self, host: str | None) -> str | None:
        """FQDN mode: ``cell1.unit.example`` names cell1; the unit's own authority names no cell."""
        if self.path_based or not host:
            return None
        host = host.lower()
        suffix = "." + self.authority
        if host.endswith(suffix) and "." not in host[: -len(suffix)]:
            return host[: -len(suffix)] or None
        return None
