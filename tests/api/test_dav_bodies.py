"""File bodies spanning several storage chunks (apiref 311/312): PUT, GET, HEAD and Range behave as for a
small file; a refused or failed PUT leaves no body behind and the old one in place; the size limit holds
while the body streams in."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from cellar.storage.blobs import CHUNK_SIZE
from cellar.storage.tables import dav_blob_chunks, dav_blobs
from tests.api._dav_support import AUTH, get, must_put, new_box, path, put_file
from tests.helpers import assert_error

#: 3 chunks and a bit, each byte depending on its offset.
BIG = hashlib.sha256(b"big").digest() * ((3 * CHUNK_SIZE + 4096) // 32)


@pytest.fixture
def box(client):
    return new_box(client)


def _rows(client, table) -> int:
    """Rows once the app deleted the chunks of released bodies (in the background)."""
    services = client.app.state.services
    services.blobs.settle()
    with services.storage.transaction("test.count", write=False) as tx:
        return tx.conn.execute(select(func.count()).select_from(table)).scalar_one()


def _pieces(data: bytes, size: int = 200_000) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start:start + size]


def test_put_and_get_of_a_body_of_several_chunks(client, box):
    must_put(client, "big.bin", BIG, "application/octet-stream")
    assert _rows(client, dav_blob_chunks) == 4
    response = get(client, "big.bin", headers={"Accept-Encoding": "identity"})
    assert response.status_code == 200
    assert response.headers["content-length"] == str(len(BIG))
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.headers["accept-ranges"] == "bytes"
    assert response.content == BIG


def test_a_chunked_request_body_is_stored_whole(client, box):
    """No Content-Length (chunked transfer): the body streams in all the same."""
    assert put_file(client, "big.bin", _pieces(BIG), "application/octet-stream").status_code == 201
    assert get(client, "big.bin").content == BIG


def test_head_gives_the_headers_of_get_without_a_body(client, box):
    etag = must_put(client, "big.bin", BIG, "application/octet-stream")
    response = client.head(path("big.bin"), headers={**AUTH, "Range": "bytes=5-"})
    assert response.status_code == 206
    assert response.headers["etag"] == etag
    assert response.headers["content-length"] == str(len(BIG) - 5)
    assert response.headers["content-range"] == f"bytes 5-{len(BIG) - 1}/{len(BIG)}"
    assert response.content == b""
    response = client.head(path("big.bin"), headers=AUTH)
    assert response.status_code == 200
    assert response.headers["content-length"] == str(len(BIG))


@pytest.mark.parametrize(("start", "end"), [
    (CHUNK_SIZE - 2, CHUNK_SIZE + 1), (1, 3 * CHUNK_SIZE + 10), (2 * CHUNK_SIZE, 2 * CHUNK_SIZE),
    (3 * CHUNK_SIZE + 100, len(BIG) - 1), (0, CHUNK_SIZE * 2 + 7),
])
def test_ranges_across_chunk_edges(client, box, start, end):
    must_put(client, "big.bin", BIG, "application/octet-stream")
    response = get(client, "big.bin", headers={"Range": f"bytes={start}-{end}"})
    assert response.status_code == 206
    assert response.headers["content-range"] == f"bytes {start}-{end}/{len(BIG)}"
    assert response.headers["content-length"] == str(end - start + 1)
    assert response.content == BIG[start:end + 1]


def test_suffix_range_of_a_big_body(client, box):
    must_put(client, "big.bin", BIG, "application/octet-stream")
    response = get(client, "big.bin", headers={"Range": f"bytes=-{CHUNK_SIZE + 3}"})
    assert response.status_code == 206
    assert response.content == BIG[-(CHUNK_SIZE + 3):]


def test_replacing_a_big_body_deletes_the_old_chunks(client, box):
    must_put(client, "big.bin", BIG, "application/octet-stream")
    assert put_file(client, "big.bin", b"small", "text/plain").status_code == 204
    assert _rows(client, dav_blobs) == _rows(client, dav_blob_chunks) == 1
    assert get(client, "big.bin").content == b"small"
    assert client.delete(path("big.bin"), headers=AUTH).status_code == 204
    assert _rows(client, dav_blobs) == _rows(client, dav_blob_chunks) == 0


def test_a_body_over_the_limit_is_refused_while_it_streams(client, box, settings):
    must_put(client, "f.bin", b"old")
    client.app.state.services.settings = dataclasses.replace(settings, max_file_size=2 * CHUNK_SIZE)
    # no Content-Length to check up front: refused once the third chunk's first bytes arrive
    assert_error(put_file(client, "f.bin", _pieces(BIG)), 413, "PR413-MC-0001")
    assert_error(put_file(client, "g.bin", BIG), 413, "PR413-MC-0001")
    assert _rows(client, dav_blobs) == _rows(client, dav_blob_chunks) == 1
    assert get(client, "f.bin").content == b"old"


def test_a_put_refused_after_the_upload_leaves_no_body(client, box):
    """If-Match is judged in the write transaction, after the body was staged: the staged blob goes."""
    must_put(client, "f.bin", b"old")
    response = put_file(client, "f.bin", BIG, headers={"If-Match": '"999-1"'})
    assert_error(response, 412, "PR412-DV-0001")
    assert _rows(client, dav_blobs) == _rows(client, dav_blob_chunks) == 1
    assert get(client, "f.bin").content == b"old"


@pytest.mark.parametrize(("size", "staged"), [(0, False), (1024, False), (CHUNK_SIZE, False), (CHUNK_SIZE + 1, True)])
def test_a_body_of_one_chunk_is_written_with_its_node(client, box, monkeypatch, size, staged):
    """No upload to stage for a body that arrived whole: one write transaction takes node and body."""
    blobs = client.app.state.services.blobs
    stages: list[str] = []
    original = blobs.stage
    monkeypatch.setattr(blobs, "stage", lambda cell_id: stages.append(cell_id) or original(cell_id))
    data = BIG[:size]
    must_put(client, "f.bin", data, "application/octet-stream")
    assert (len(stages) == 1) is staged
    assert get(client, "f.bin").content == data
    assert _rows(client, dav_blobs) == 1
    assert _rows(client, dav_blob_chunks) == (2 if staged else 1)
    must_put(client, "f.bin", data[::-1], "application/octet-stream")
    assert get(client, "f.bin").content == data[::-1]
    assert _rows(client, dav_blobs) == 1
