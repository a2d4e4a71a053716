"""Shared helpers for the box WebDAV tests (apiref 303–314, 295; notes §4, §8, §9.2; the WebDAV digest
``docs/webdav-behaviour.md`` — "digest §x" below).

Every test works in the path-based cell ``c1`` (``http://localhost:8080/c1/``) with the box ``box1``.
The box URL has **no** trailing slash (digest "Terminology"): ``http://localhost:8080/c1/box1``, and a
resource URL is ``{boxUrl}/{seg1}/{seg2}…``, never with a trailing slash.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
from lxml import etree

from tests.api._auth_support import make_box, make_cell
from tests.conftest import MASTER, UNIT

CELL = "c1"
BOX = "box1"
CELL_URL = f"{UNIT}{CELL}/"
BOX_URL = f"{CELL_URL}{BOX}"
BOX_PATH = f"/{CELL}/{BOX}"

DAV = "DAV:"
P = "urn:x-personium:xmlns"
NS = {"D": DAV, "p": P}

#: WebDAV requests carry only the token: no ``Accept`` (files are served whatever the client accepts).
AUTH = {"Authorization": f"Bearer {MASTER}"}
#: Sent with every request of these helpers: the app gzips large bodies for clients that accept it, which
#: would hide the real ``Content-Length`` of a file.
IDENTITY = {"Accept-Encoding": "identity"}

_STRONG_ETAG = re.compile(r'^"(\d+)-(\d+)"$')


def new_box(client: Any, schema: str | None = None) -> str:
    """Create ``c1`` and ``box1``; returns the box URL."""
    make_cell(client, CELL)
    make_box(client, CELL, BOX, schema)
    return BOX_URL


# --- URLs ---------------------------------------------------------------------------------------------------

def path(rel: str = "", box: str = BOX) -> str:
    """Request path of a resource in the box (``rel`` without a leading slash; empty = the box root)."""
    return f"/{CELL}/{box}" + (f"/{rel}" if rel else "")


def url(rel: str = "", box: str = BOX) -> str:
    """Absolute URL of a resource, as the server writes it (hrefs, error params, Location)."""
    return f"{CELL_URL}{box}" + (f"/{rel}" if rel else "")


# --- ETags --------------------------------------------------------------------------------------------------

def strong_etag(etag: str | None) -> tuple[int, int]:
    """``"3-1486456585171"`` → (3, 1486456585171); a WebDAV ETag is strong (digest §2)."""
    assert etag is not None, "no ETag header"
    match = _STRONG_ETAG.match(etag)
    assert match, f"not a strong WebDAV ETag: {etag!r}"
    return int(match.group(1)), int(match.group(2))


def weak(etag: str) -> str:
    return f"W/{etag}"


# --- requests -----------------------------------------------------------------------------------------------

def with_auth(headers: dict[str, str] | None = None, auth: dict[str, str] | None = None) -> dict[str, str]:
    return {**IDENTITY, **(AUTH if auth is None else auth), **(headers or {})}


def put_file(client: Any, rel: str, content: bytes | str = b"hello", content_type: str | None = "text/plain",
             headers: dict[str, str] | None = None, auth: dict[str, str] | None = None) -> httpx.Response:
    extra = dict(headers or {})
    if content_type is not None:
        extra["Content-Type"] = content_type
    return client.put(path(rel), content=content, headers=with_auth(extra, auth))


def must_put(client: Any, rel: str, content: bytes | str = b"hello", content_type: str | None = "text/plain"
             ) -> str:
    response = put_file(client, rel, content, content_type)
    assert response.status_code in (201, 204), response.text
    return response.headers["etag"]


def get(client: Any, rel: str = "", headers: dict[str, str] | None = None, auth: dict[str, str] | None = None,
        box: str = BOX) -> httpx.Response:
    return client.get(path(rel, box), headers=with_auth(headers, auth))


def delete(client: Any, rel: str = "", headers: dict[str, str] | None = None, auth: dict[str, str] | None = None
           ) -> httpx.Response:
    return client.delete(path(rel), headers=with_auth(headers, auth))


MKCOL_BODY = ('<?xml version="1.0" encoding="utf-8"?>'
              f'<D:mkcol xmlns:D="DAV:" xmlns:p="{P}"><D:set><D:prop><D:resourcetype>{{types}}'
              '</D:resourcetype></D:prop></D:set></D:mkcol>')


def mkcol_body(kind: str | None) -> str:
    """Extended MKCOL body (apiref/306): ``None``/``"webdav"`` → ``<D:collection/>`` only;
    ``"odata"``/``"service"``/``"stream"`` → ``<D:collection/><p:{kind}/>``."""
    types = "<D:collection/>" + ("" if kind in (None, "webdav") else f"<p:{kind}/>")
    return MKCOL_BODY.format(types=types)


def mkcol(client: Any, rel: str, kind: str | None = None, body: str | bytes | None = None,
          headers: dict[str, str] | None = None, auth: dict[str, str] | None = None) -> httpx.Response:
    """MKCOL without a body (plain collection) unless ``kind`` or ``body`` is given."""
    if body is None and kind is not None:
        body = mkcol_body(kind)
    extra = dict(headers or {})
    if body is not None:
        extra.setdefault("Content-Type", "application/xml")
    return client.request("MKCOL", path(rel), content=body, headers=with_auth(extra, auth))


def must_mkcol(client: Any, rel: str, kind: str | None = None) -> str:
    response = mkcol(client, rel, kind)
    assert response.status_code == 201, response.text
    return response.headers["etag"]


def propfind(client: Any, rel: str = "", depth: str | None = "0", body: str | bytes | None = None,
             headers: dict[str, str] | None = None, auth: dict[str, str] | None = None,
             box: str = BOX) -> httpx.Response:
    extra = dict(headers or {})
    if depth is not None:
        extra["Depth"] = depth
    if body is not None:
        extra.setdefault("Content-Type", "application/xml")
    return client.request("PROPFIND", path(rel, box), content=body, headers=with_auth(extra, auth))


def proppatch(client: Any, rel: str, body: str | bytes, headers: dict[str, str] | None = None,
              auth: dict[str, str] | None = None) -> httpx.Response:
    extra = {"Content-Type": "application/xml", **(headers or {})}
    return client.request("PROPPATCH", path(rel), content=body, headers=with_auth(extra, auth))


def move(client: Any, rel: str, destination: str | None, headers: dict[str, str] | None = None,
         auth: dict[str, str] | None = None) -> httpx.Response:
    """MOVE ``rel`` to ``destination`` (an absolute URL; ``None`` = no Destination header)."""
    extra = dict(headers or {})
    if destination is not None:
        extra["Destination"] = destination
    return client.request("MOVE", path(rel), headers=with_auth(extra, auth))


def options(client: Any, rel: str = "", auth: dict[str, str] | None = None, box: str = BOX) -> httpx.Response:
    return client.options(path(rel, box), headers=with_auth(None, auth))


# --- multistatus --------------------------------------------------------------------------------------------

def multistatus(response: httpx.Response) -> etree._Element:
    """A 207 with an XML ``D:multistatus`` body."""
    assert response.status_code == 207, response.text
    assert response.headers["content-type"].startswith("application/xml"), response.headers
    root = etree.fromstring(response.content)
    assert root.tag == f"{{{DAV}}}multistatus", root.tag
    return root


def responses(response: httpx.Response) -> dict[str, etree._Element]:
    """href → the ``D:prop`` of its single 200 ``propstat`` (digest §3.2: all props in one 200 propstat)."""
    out: dict[str, etree._Element] = {}
    for item in multistatus(response).findall("D:response", NS):
        href = item.findtext("D:href", namespaces=NS)
        assert href not in out, f"duplicate href {href}"
        propstats = item.findall("D:propstat", NS)
        assert len(propstats) == 1, etree.tostring(item)
        assert propstats[0].findtext("D:status", namespaces=NS) == "HTTP/1.1 200 OK", etree.tostring(item)
        prop = propstats[0].find("D:prop", NS)
        assert prop is not None, etree.tostring(item)
        out[href] = prop
    return out


def resource_types(prop: etree._Element) -> set[str]:
    """The Clark names of the children of ``D:resourcetype`` (empty set for a file)."""
    rt = prop.find("D:resourcetype", NS)
    assert rt is not None, etree.tostring(prop)
    return {child.tag for child in rt}


COLLECTION = f"{{{DAV}}}collection"
ODATA = f"{{{P}}}odata"
SERVICE = f"{{{P}}}service"


def only_prop(client: Any, rel: str = "") -> etree._Element:
    """The ``D:prop`` of a Depth 0 PROPFIND on ``rel``."""
    found = responses(propfind(client, rel, "0"))
    assert list(found) == [url(rel)], list(found)
    return found[url(rel)]


def propertyupdate(set_xml: str = "", remove_xml: str = "") -> str:
    """A PROPPATCH body: ``set_xml``/``remove_xml`` are the children of the respective ``D:prop``."""
    parts = []
    if set_xml:
        parts.append(f"<D:set><D:prop>{set_xml}</D:prop></D:set>")
    if remove_xml:
        parts.append(f"<D:remove><D:prop>{remove_xml}</D:prop></D:remove>")
    return (f'<?xml version="1.0" encoding="utf-8"?><D:propertyupdate xmlns:D="DAV:" xmlns:p="{P}">'
            f'{"".join(parts)}</D:propertyupdate>')


def allow_set(response: httpx.Response) -> list[str]:
    return [m.strip() for m in response.headers["allow"].split(",")]
