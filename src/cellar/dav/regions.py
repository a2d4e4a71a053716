"""Which kind of collection serves a box path (notes §9.2): a plain WebDAV tree, or the OData,
service or stream collection the path falls in. A box request is resolved once, then handed to the
handler of its region's kind.
"""

from __future__ import annotations

from dataclasses import dataclass

from cellar.dav.tree import Kind, Located, Node

#: The collections whose insides are not WebDAV resources.
SPECIAL = frozenset({Kind.ODATA, Kind.SERVICE, Kind.STREAM})
#: What a special collection answers at its own URL, beyond the WebDAV methods on the collection
#: itself (PROPFIND, ACL, DELETE, MOVE…): an OData collection's service document.
OWN_METHODS: dict[Kind, frozenset[str]] = {Kind.ODATA: frozenset({"GET", "HEAD"}),
                                           Kind.SERVICE: frozenset(), Kind.STREAM: frozenset()}
#: The one WebDAV tree inside a service collection: its scripts' sources.
SOURCE = "__src"


@dataclass(frozen=True)
class Region:
    """``kind`` is WEBDAV or one of :data:`SPECIAL`; ``collection`` the special collection (None for
    WebDAV); ``below`` the path inside it."""

    kind: Kind
    collection: Node | None = None
    below: tuple[str, ...] = ()


WEBDAV = Region(Kind.WEBDAV)


def region_of(located: Located, method: str) -> Region:
    """The outermost special collection on the path decides; ``__src`` of a service is WebDAV."""
    names = tuple(n.name for n in located.chain[1:]) + located.missing
    for index, ancestor in enumerate(located.chain[1:], start=1):
        if ancestor.kind not in SPECIAL:
            continue
        below = names[index:]
        if ancestor.kind is Kind.SERVICE and below[:1] == (SOURCE,):
            return WEBDAV
        if below or method in OWN_METHODS[ancestor.kind]:
            return Region(ancestor.kind, ancestor, below)
        return WEBDAV
    return WEBDAV
