"""A request on a box resource (notes §4.3, §4.4): the cell request, the box, the path resolved as far
as it exists, and the access decision on it — for a resource that does not exist, on its ancestors —
so that a caller without privileges learns nothing about the tree.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from cellar.auth.access.authorize import BoxGuard, allowed, authorize
from cellar.auth.access.cell_request import CellRequest
from cellar.auth.access.endpoint_privileges import DAV_MISSING_WRITE
from cellar.dav import tree
from cellar.dav.tree import Kind, Located, Node
from cellar.errors import PersoniumError
from cellar.events import catalog
from cellar.events.bus import Event
from cellar.storage.uow import Transaction


@dataclass(frozen=True)
class BoxTarget:
    """A request on a box resource: the cell request, the box, and the path resolved in it."""

    cell_request: CellRequest
    located: Located

    @property
    def box(self) -> tree.Box:
        return self.located.box

    @property
    def box_url(self) -> str:
        return f"{self.cell_request.url}{self.box.name}"

    def url_of(self, names: tuple[str, ...] | list[str]) -> str:
        return "/".join((self.box_url, *names))

    @property
    def url(self) -> str:
        return self.url_of(self.path)

    def href_of(self, names: tuple[str, ...] | list[str]) -> str:
        """:meth:`url_of` as a URI (RFC 3986): each name percent-encoded as a path segment, for
        multistatus hrefs and Location headers (a name may hold ``%``, ``#`` or any letter)."""
        return "/".join((self.box_url, *map(segment, names)))

    @property
    def href(self) -> str:
        return self.href_of(self.path)

    @property
    def path(self) -> tuple[str, ...]:
        return tuple(n.name for n in self.located.chain[1:]) + self.located.missing

    @property
    def node(self) -> Node | None:
        return self.located.node

    def elsewhere(self, located: Located) -> BoxTarget:
        """Another path of the same box, for the same caller (MOVE's destination)."""
        return BoxTarget(self.cell_request, located)

    def guard(self, chain: tuple[Node, ...]) -> BoxGuard:
        return BoxGuard(self.cell_request.guard, self.box.schema, tuple(n.acl for n in reversed(chain)))

    def authorize(self, privilege: str, *, on_parent: bool = False) -> None:
        """On the resource (its ancestors if it does not exist) or, for bind/unbind, on its parent."""
        chain = self.located.parent_chain() if on_parent else self.located.chain
        authorize(self.cell_request.caller.access, self.guard(chain), privilege)

    def existing(self, privilege: str) -> Node:
        """The addressed resource, once the caller may ``privilege`` it (404 only after that)."""
        self.authorize(privilege)
        return self.found()

    def found(self) -> Node:
        """The addressed resource, or 404 ``PR404-DV-0001`` naming its URL."""
        if self.node is None:
            raise self.not_found()
        return self.node

    def detachable(self, privilege: str) -> Node:
        """DELETE and MOVE: the resource, once the caller may ``privilege`` its parent; a missing one
        is judged by ``write`` on its ancestors before the 404."""
        if self.node is None:
            self.authorize(DAV_MISSING_WRITE)
            raise self.not_found()
        self.authorize(privilege, on_parent=True)
        return self.node

    def creatable(self) -> str:
        """A resource to create here: its name is valid and its parent exists and may hold it;
        returns the name. PR409-DV-0001 names the parent that should exist; below a file there is
        nothing to create (404)."""
        located = self.located
        if len(located.missing) > 1 or not located.deepest.is_collection:
            if not located.deepest.is_collection:
                raise self.not_found()
            raise PersoniumError("PR409-DV-0001", self.url_of(self.path[:-1]))
        return located.missing[0]

    def may(self, privilege: str) -> bool:
        return allowed(self.cell_request.caller.access, self.guard(self.located.chain), privilege)

    def emit(self, tx: Transaction, kind: Kind, operation: str, url: str | None = None) -> None:
        """The event of a write to a resource of ``kind`` (a catalog operation)."""
        tx.emit(Event(catalog.dav(EVENT_CATEGORIES[kind], operation), url or self.url, cell_id=self.box.cell_id))

    def not_found(self) -> PersoniumError:
        return PersoniumError("PR404-DV-0001", self.url)


#: RFC 3986 pchar beside the unreserved characters: sub-delims, ":" and "@" stay as they are.
_PCHAR = "!$&'()*+,;=:@"


def segment(name: str) -> str:
    """A resource name as a URI path segment (UTF-8, percent-encoded)."""
    return quote(name, safe=_PCHAR)


#: Personium's event category of each kind of box resource (``__src`` is a plain collection).
EVENT_CATEGORIES = {Kind.BOX: catalog.BOX, Kind.WEBDAV: catalog.WEBDAVCOL, Kind.ODATA: catalog.ODATACOL,
                    Kind.SERVICE: catalog.SERVICECOL, Kind.SOURCE: catalog.WEBDAVCOL,
                    Kind.STREAM: catalog.STREAMCOL, Kind.FILE: catalog.DAVFILE}
