"""The HTTP binding of the OData engine: a request becomes an :class:`ODataRequest`, runs in one
transaction with the service root its caller opens in it, and its reply becomes the response."""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import Response

from cellar.http.negotiation import query_params, read_body
from cellar.http.work import run_work
from cellar.odata.operations import ODataRequest, execute, is_write
from cellar.odata.replies import Reply, render
from cellar.odata.service import ServiceRoot
from cellar.storage import Storage, Transaction

#: Opens the service root inside the request's transaction (finding the cell and the caller there).
RootOpener = Callable[[Transaction], ServiceRoot]
BODY_METHODS = frozenset({"POST", "PUT", "MERGE"})


async def serve_odata(request: Request, storage: Storage, segments: list[str], open_root: RootOpener, *,
                      light: bool = True) -> Response:
    """``light``: the request's work does no slow CPU work (see :func:`run_work`)."""
    method = request.method
    odata_request = ODataRequest(
        method, segments, query_params(request), request.headers.get("accept"),
        await read_body(request) if method in BODY_METHODS else b"",
        request.headers.get("if-match"), request.headers.get("if-none-match"))

    def work() -> Reply:
        with storage.transaction(f"odata.{method.lower()}", write=is_write(method)) as tx:
            root = open_root(tx)
            result = execute(tx, root, odata_request)
        return render(root, result)

    return as_response(await run_work(storage, work, write=is_write(method), light=light))


def as_response(reply: Reply) -> Response:
    return Response(reply.body, reply.status, headers=reply.headers, media_type=reply.media_type)
