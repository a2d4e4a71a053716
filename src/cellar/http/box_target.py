"""A request on a box resource (notes §4.3, §4.4): the cell, the box (404 before any authorization),
the path resolved as far as it exists, and the access decision on it — for a resource that does not
exist, on its ancestors — so that a caller without privileges learns nothing about the tree.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, replace
from typing import Any

import anyio
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from cellar.auth.access.authorize import BoxGuard, allowed, authorize
from cellar.auth.access.endpoint_privileges import DAV_MISSING_WRITE
from cellar.auth.authn import basic
from cellar.ctl import boxes
from cellar.dav import tree
from cellar.dav.tree import Kind, Located, Node
from cellar.errors import PersoniumError
from cellar.events import catalog
from cellar.events.bus import Event
from cellar.http.context import RequestContext
from cellar.http.ctl import CellRequest, cell_request_in
from cellar.http.work import run_work
from cellar.storage.uow import Transaction

MAX_XML_BODY = 256 * 1024


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

    @property
    def path(self) -> tuple[str, ...]:
        return tuple(n.name for n in self.located.chain[1:]) + self.located.missing

    @property
    def node(self) -> Node | None:
        return self.located.node

    def guard(self, chain: tuple[Node, ...]) -> BoxGuard:
        return BoxGuard(self.cell_request.guard, self.box.schema, tuple(n.acl for n in reversed(chain)))

    def authorize(self, privilege: str, *, on_parent: bool = False) -> None:
        """On the resource (its ancestors if it does not exist) or, for bind/unbind, on its parent;
        then refuse paths that belong to features still to come (:func:`beyond_webdav`)."""
        chain = self.located.parent_chain() if on_parent else self.located.chain
        authorize(self.cell_request.caller.access, self.guard(chain), privilege)
        beyond_webdav(self)

    def existing(self, privilege: str) -> Node:
        """The addressed resource, once the caller may ``privilege`` it (404 only after that)."""
        self.authorize(privilege)
        return self.found()

    def found(self) -> Node:
        """The addressed resource, or 404 ``PR404-DV-0001`` naming its URL."""
        if self.node is None:
            raise not_found(self)
        return self.node

    def detachable(self, privilege: str) -> Node:
        """DELETE and MOVE: the resource, once the caller may ``privilege`` its parent; a missing one
        is judged by ``write`` on its ancestors before the 404."""
        if self.node is None:
            self.authorize(DAV_MISSING_WRITE)
            raise not_found(self)
        self.authorize(privilege, on_parent=True)
        return self.node

    def may(self, privilege: str) -> bool:
        return allowed(self.cell_request.caller.access, self.guard(self.located.chain), privilege)

    def emit(self, tx: Transaction, kind: Kind, operation: str, url: str | None = None) -> None:
        """The event of a write to a resource of ``kind`` (a catalog operation)."""
        tx.emit(Event(catalog.dav(EVENT_CATEGORIES[kind], operation), url or self.url, cell_id=self.box.cell_id))


#: Personium's event category of each kind of box resource (``__src`` is a plain collection).
EVENT_CATEGORIES = {Kind.BOX: catalog.BOX, Kind.WEBDAV: catalog.WEBDAVCOL, Kind.ODATA: catalog.ODATACOL,
                    Kind.SERVICE: catalog.SERVICECOL, Kind.SOURCE: catalog.WEBDAVCOL,
                    Kind.STREAM: catalog.STREAMCOL, Kind.FILE: catalog.DAVFILE}


def basic_caller(ctx: RequestContext, cell_request: CellRequest, box_name: str, authorization: str) -> CellRequest:
    """Basic credentials count in the main box and in boxes without a Schema (notes §3.2)."""
    with ctx.services.storage.transaction("dav.basic", write=False) as tx:
        box = boxes.find_box(tx, cell_request.cell, box_name)
    if box is None or (box.schema and not box.is_main):
        return cell_request
    access = basic.authenticate(ctx.services.storage, ctx.services.settings, cell_request.cell, cell_request.url,
                                authorization)
    return replace(cell_request, caller=replace(cell_request.caller, access=access))


Work = Callable[[BoxTarget, Transaction], Any]
#: The cell and caller already judged (Basic credentials need that first), or the cell's name, in
#: which case they are judged in the box request's own transaction.
CellSource = CellRequest | str


async def in_box(ctx: RequestContext, cell: CellSource, box_name: str, path: tuple[str, ...],
                 name: str, work: Work, write: bool = True) -> Any:
    """In one transaction: the cell and caller, the box (404 before any authorization), the path,
    then ``work``."""

    def run() -> Any:
        with ctx.services.storage.transaction(f"dav.{name}", write=write) as tx:
            return _target_work(tx, ctx, cell, box_name, path, work, write)

    return await run_work(ctx.services.storage, run, write=write)


def _target_work(tx: Transaction, ctx: RequestContext, cell: CellSource, box_name: str, path: tuple[str, ...],
                 work: Work, write: bool) -> Any:
    cell_request = cell if isinstance(cell, CellRequest) else cell_request_in(tx, ctx, cell)
    tx.cause = ctx.cause(cell_request.caller)
    box = boxes.find_box(tx, cell_request.cell, box_name)
    if box is None:
        raise PersoniumError("PR404-DV-0002", f"{cell_request.url}{box_name}")
    if write:
        tree.lock_box(tx, box.id)
    return work(BoxTarget(cell_request, tree.locate(tx, box, path)), tx)


async def streamed_in_box(ctx: RequestContext, cell: CellSource, box_name: str, path: tuple[str, ...],
                          name: str, work: Work) -> Response:
    """:func:`in_box` for a read whose response body comes from the database as it is sent: when ``work``
    returns a :class:`StreamingResponse`, its read transaction (one snapshot) stays open until the body
    has been sent or the client went away, so the body reads whole even if it is replaced meanwhile."""
    held = ExitStack()

    def run() -> Response:
        with ExitStack() as opened:
            tx = opened.enter_context(ctx.services.storage.snapshot(f"dav.{name}"))
            response: Response = _target_work(tx, ctx, cell, box_name, path, work, False)
            if isinstance(response, StreamingResponse):
                held.push(opened.pop_all())
            return response

    response = await run_work(ctx.services.storage, run, write=False)
    if isinstance(response, StreamingResponse):
        return _HeldStream(response, held)
    return response


class _HeldStream(StreamingResponse):
    """A streamed body whose transaction is closed once the response is over, however it ended."""

    def __init__(self, inner: StreamingResponse, held: ExitStack) -> None:
        super().__init__(inner.body_iterator, status_code=inner.status_code)
        self.raw_headers = inner.raw_headers
        self._held = held

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            with anyio.CancelScope(shield=True):
                await run_in_threadpool(self._held.close)


def not_found(target: BoxTarget) -> PersoniumError:
    return PersoniumError("PR404-DV-0001", target.url)


def beyond_webdav(target: BoxTarget) -> None:
    """Paths inside OData and stream collections, and inside a service collection other than its
    ``__src``, belong to features still to come (user OData, the script engine, streams)."""
    names = target.path
    for index, ancestor in enumerate(target.located.chain[1:], start=1):
        below = names[index:]
        if not below:
            return
        if ancestor.kind in (Kind.ODATA, Kind.STREAM) or (ancestor.kind is Kind.SERVICE and below[0] != "__src"):
            raise PersoniumError("PR501-MC-0002", ancestor.kind.value)


def missing_parent(target: BoxTarget) -> PersoniumError:
    """PR409-DV-0001 names the parent that should exist; below a file there is nothing to create."""
    if not target.located.deepest.is_collection:
        return not_found(target)
    return PersoniumError("PR409-DV-0001", target.url_of(target.path[:-1]))
