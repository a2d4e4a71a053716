"""The event log — apiref 283-286: ``{CellURL}__log/current`` and ``__log/archive``, their files
(GET, PROPFIND), and the deletion of archives. Reads need ``log-read``, deletion ``log``.

As LogResource and LogCollectionResource answer: the access check comes first; a name that is not a
log file is 404 ``PR404-DV-0001`` naming it; the current file reads empty before anything was logged
and cannot be deleted (``PR400-EV-0005``).
"""

from __future__ import annotations

from lxml import etree
from starlette.requests import Request
from starlette.responses import Response

from cellar.auth.access.endpoint_privileges import CELL_ENDPOINTS
from cellar.dav import xml as davxml
from cellar.errors import PersoniumError
from cellar.http.context import RequestContext
from cellar.http.ctl import cell_request_in
from cellar.http.negotiation import MAX_XML_BODY, read_body
from cellar.http.work import run_work
from cellar.rules import eventlog
from cellar.storage.uow import Transaction
from cellar.xml import DAV, parse_body

PRIVILEGES = CELL_ENDPOINTS["__log"]
COLLECTIONS = ("current", "archive")
CSV = "text/csv"


async def log_resource(request: Request, ctx: RequestContext, cell_name: str, segments: list[str]) -> Response:
    """``segments``: below ``__log``: a collection, or a collection and a file name."""
    if not segments or segments[0] not in COLLECTIONS or len(segments) > 2 or (len(segments) == 2 and not segments[1]):
        await run_work(ctx.services.storage, lambda: _cell(ctx, cell_name), write=False)
        raise PersoniumError("PR404-MC-0001")
    method = request.method
    allowed = ("PROPFIND",) if len(segments) == 1 else ("GET", "HEAD", "PROPFIND", "DELETE")
    if method not in allowed:
        raise PersoniumError("PR405-MC-0001")
    body = await read_body(request, MAX_XML_BODY) if method == "PROPFIND" else b""
    collection, name = segments[0], segments[1] if len(segments) == 2 else None
    url = f"{ctx.services.urls.cell_url(cell_name)}__log/{collection}"

    def work() -> Response:
        with ctx.services.storage.transaction(f"log.{method.lower()}", write=method == "DELETE") as tx:
            cell_request = cell_request_in(tx, ctx, cell_name)
            cell_request.authorize(PRIVILEGES["DELETE" if method == "DELETE" else "GET"])
            cell_id = cell_request.cell["id"]
            if method == "PROPFIND":
                return _propfind(tx, request, cell_id, cell_request.cell["published"], url, collection, name, body)
            stored = _stored_name(collection, name or "")
            if method == "DELETE":
                if collection == "current":
                    raise PersoniumError("PR400-EV-0005")
                _existing(tx, cell_id, collection, stored)
                eventlog.remove(tx, cell_id, stored)
                return Response(status_code=204)
            if collection == "archive":
                _existing(tx, cell_id, collection, stored)
            return Response(eventlog.content(tx, cell_id, stored), headers={"Content-Type": CSV})

    return await run_work(ctx.services.storage, work, write=method == "DELETE")


def _cell(ctx: RequestContext, cell_name: str) -> None:
    with ctx.services.storage.transaction("log.cell", write=False) as tx:
        cell_request_in(tx, ctx, cell_name)


def _stored_name(collection: str, name: str) -> str:
    """The file a name stands for: ``default.log`` in current, ``default.log.{ms}`` in archive."""
    if collection == "current" and name != eventlog.CURRENT:
        raise PersoniumError("PR404-DV-0001", name)
    if collection == "archive" and not name.startswith(eventlog.ARCHIVE_PREFIX):
        raise PersoniumError("PR404-DV-0001", name)
    return name


def _existing(tx: Transaction, cell_id: str, collection: str, name: str) -> eventlog.LogFile:
    found = eventlog.find(tx, cell_id, name)
    if found is None:
        # The real server names the archive's zip file, which it looked for on disk.
        raise PersoniumError("PR404-DV-0001", f"{name}.zip" if collection == "archive" else name)
    return found


def _propfind(tx: Transaction, request: Request, cell_id: str, published: int, url: str, collection: str,
              name: str | None, body: bytes) -> Response:
    if name is None:
        depth = davxml.depth(request.headers.get("depth"), None)
        _check_allprop(body)
    else:
        _check_allprop(body)
        depth = davxml.depth(request.headers.get("depth"), None)
    if name is None:
        responses = [davxml.response(url, [
            davxml.text_element(f"{{{DAV}}}creationdate", davxml.creation_date(published)),
            davxml.text_element(f"{{{DAV}}}getlastmodified", davxml.last_modified(published)),
            davxml.collection_type()])]
        if depth == 1:
            responses += [_file_response(url, f) for f in _files(tx, cell_id, collection)]
    else:
        stored = _stored_name(collection, name)
        found = eventlog.find(tx, cell_id, stored)
        if found is None:
            raise PersoniumError("PR404-DV-0001", f"{url}/{name}")
        responses = [_file_response(url, found)]
    return Response(davxml.multistatus(responses), status_code=207, media_type=davxml.MULTISTATUS_TYPE)


def _files(tx: Transaction, cell_id: str, collection: str) -> list[eventlog.LogFile]:
    if collection == "archive":
        return eventlog.archives(tx, cell_id)
    current = eventlog.find(tx, cell_id, eventlog.CURRENT)
    return [current] if current is not None else []


def _file_response(url: str, log_file: eventlog.LogFile) -> etree._Element:
    return davxml.response(f"{url}/{log_file.name}", [
        davxml.text_element(f"{{{DAV}}}creationdate", davxml.creation_date(log_file.created)),
        davxml.text_element(f"{{{DAV}}}getlastmodified", davxml.last_modified(log_file.updated)),
        davxml.text_element(f"{{{DAV}}}getcontentlength", str(log_file.size)),
        davxml.text_element(f"{{{DAV}}}getcontenttype", CSV),
        davxml.text_element(f"{{{DAV}}}resourcetype", "")])


def _check_allprop(body: bytes) -> None:
    """No body, or a ``propfind`` asking for ``allprop`` (PR400-DV-0001 unparsable, PR400-DV-0002 else)."""
    if not body.strip():
        return
    root = parse_body(body, "PR400-DV-0001")
    if root.tag != f"{{{DAV}}}propfind" or root.find(f"{{{DAV}}}allprop") is None:
        raise PersoniumError("PR400-DV-0002")
