"""Box WebDAV through a real ``cellar serve`` over real HTTP (apiref 306, 311, 312, 315): a 5 MB
file streamed up and read back whole and by range, HEAD without a body, the curl of apiref/315, and
an anonymous read opened by that ACL — what a WebDAV client or ``curl`` sees on the wire."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.live.test_serve import serve

MASTER = "live-master"
AUTH = {"Authorization": f"Bearer {MASTER}"}


@pytest.fixture
def box(tmp_path: Path) -> Iterator[str]:
    process, base = serve(tmp_path, CELLAR_MASTER_TOKEN=MASTER, CELLAR_MAX_FILE_SIZE=str(8 * 1024 * 1024))
    try:
        assert httpx.post(f"{base}__ctl/Cell", headers=AUTH, json={"Name": "cell1"}).status_code == 201
        assert httpx.post(f"{base}cell1/__ctl/Box", headers=AUTH, json={"Name": "box1"}).status_code == 201
        assert httpx.request("MKCOL", f"{base}cell1/box1/collection1", headers=AUTH).status_code == 201
        yield f"{base}cell1/box1/"
    finally:
        process.terminate()
        process.wait(timeout=10)


def _chunks(data: bytes, size: int = 64 * 1024) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start:start + size]


def test_large_file_round_trip_by_chunks_and_ranges(box: str) -> None:
    data = os.urandom(5 * 1024 * 1024)
    url = f"{box}collection1/big.bin"
    put = httpx.put(url, headers={**AUTH, "Content-Type": "application/octet-stream"}, content=_chunks(data))
    assert put.status_code == 201, put.text
    got = httpx.get(url, headers=AUTH)
    assert got.status_code == 200
    assert hashlib.sha256(got.content).digest() == hashlib.sha256(data).digest()
    assert got.headers["ETag"] == put.headers["ETag"]
    part = httpx.get(url, headers={**AUTH, "Range": "bytes=1048576-1048675"})
    assert part.status_code == 206
    assert part.headers["Content-Range"] == f"bytes 1048576-1048675/{len(data)}"
    assert part.content == data[1048576:1048676]


def test_too_large_a_body_is_refused_and_nothing_is_written(box: str) -> None:
    url = f"{box}collection1/huge.bin"
    response = httpx.put(url, headers=AUTH, content=_chunks(b"x" * (9 * 1024 * 1024)))
    assert response.status_code == 413
    assert response.json()["code"] == "PR413-MC-0001"
    assert httpx.get(url, headers=AUTH).status_code == 404


def test_head_has_the_headers_of_get_and_no_body(box: str) -> None:
    url = f"{box}collection1/a.txt"
    assert httpx.put(url, headers={**AUTH, "Content-Type": "text/plain"}, content=b"hello").status_code == 201
    head = httpx.head(url, headers=AUTH)
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["Content-Type"] == "text/plain"
    assert head.headers["ETag"] == httpx.get(url, headers=AUTH).headers["ETag"]


def test_acl_curl_of_apiref_315_opens_a_collection_to_everyone(box: str) -> None:
    url = f"{box}collection1/a.txt"
    assert httpx.put(url, headers=AUTH, content=b"hello").status_code == 201
    assert httpx.get(url).status_code == 401
    cell_url = box.removesuffix("box1/")
    body = (f'<?xml version="1.0" encoding="utf-8" ?><D:acl xmlns:D="DAV:" xml:base="{cell_url}__role/box1/" '
            'xmlns:p="urn:x-personium:xmlns" p:requireSchemaAuthz="none"><D:ace><D:principal><D:all/>'
            '</D:principal><D:grant><D:privilege><D:read/></D:privilege></D:grant></D:ace></D:acl>')
    response = httpx.request("ACL", f"{box}collection1", headers={**AUTH, "Accept": "application/json"},
                             content=body.encode())
    assert response.status_code == 200, response.text
    assert httpx.get(url).content == b"hello"
    assert httpx.put(url, content=b"changed").status_code == 401


def test_the_unit_manager_finds_collections_in_a_box_listing(box: str) -> None:
    """personium/app-uc-unit-manager reads a child's kind as ``resourcetype.childNodes[1]`` of the
    PROPFIND answer in the browser's DOM, which keeps whitespace: only the real server's indentation puts
    an element there (issue "WebDAV for real clients": its box view hung on a compact answer)."""
    from xml.dom import minidom

    odata = ('<D:mkcol xmlns:D="DAV:" xmlns:p="urn:x-personium:xmlns"><D:set><D:prop><D:resourcetype>'
             '<D:collection/><p:odata/></D:resourcetype></D:prop></D:set></D:mkcol>')
    assert httpx.request("MKCOL", f"{box}data", headers=AUTH, content=odata).status_code == 201
    assert httpx.put(f"{box}note.txt", headers=AUTH, content=b"n").status_code == 201
    answer = httpx.request("PROPFIND", box, headers={**AUTH, "Depth": "1"})
    assert answer.status_code == 207
    kinds = {}
    for response in minidom.parseString(answer.content).getElementsByTagNameNS("DAV:", "response"):
        href = response.getElementsByTagNameNS("DAV:", "href")[0].firstChild.data
        resourcetype = response.getElementsByTagNameNS("DAV:", "resourcetype")[0]
        kinds[href.rsplit("/", 1)[-1]] = resourcetype.childNodes[1].localName if resourcetype.childNodes else None
    assert kinds == {"box1": "collection", "collection1": "collection", "data": "collection",
                     "note.txt": None}
