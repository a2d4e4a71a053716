"""What a box request's handler is given besides its target: the method, the headers, and the body as
far as it was read before the transaction began."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from starlette.datastructures import Headers
from starlette.responses import Response

from cellar.auth.context import AccessContext
from cellar.dav.regions import Region
from cellar.dav.target import BoxTarget
from cellar.http.context import RequestContext
from cellar.storage.blobs import Upload
from cellar.storage.uow import Transaction


@dataclass(frozen=True)
class Exchange:
    """``body`` is None while it has not been read: a handler that needs it answers
    :class:`BodyWanted`, and runs again, in a new transaction, once it has arrived."""

    ctx: RequestContext
    method: str
    headers: Headers
    region: Region
    body: bytes | Upload | None
    #: The verdict on Basic credentials whose password had to be hashed first (``auth.authn.basic``).
    basic: AccessContext | None = None
    #: Query parameters, the first of repeated names winning (OData query options).
    query: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class BodyWanted:
    """The request may go on: receive its body (into the cell ``cell_id``), then run the handler again."""

    cell_id: str


Answer = Response | BodyWanted
#: The handler of one method in one kind of region, run inside the request's transaction.
Handler = Callable[[Exchange, BoxTarget, Transaction], Answer]
