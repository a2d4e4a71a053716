"""Chunked file bodies (cellar.storage.blobs) on SQLite and PostgreSQL: chunk layout, ranges across chunk
edges, staged blobs invisible and swept once their lease expired, released bodies' chunks deleted only
after commit (and swept if that never happened), a snapshot read keeps a replaced body whole."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from sqlalchemy import func, select, update

from cellar.storage import Storage
from cellar.storage.blobs import CHUNK_SIZE, TableBlobStore, UploadLost
from cellar.storage.tables import cells, dav_blob_chunks, dav_blobs
from tests.storage._support import insert_cell

#: 2.5 chunks, every byte depending on its offset, so a misplaced slice shows.
BODY = hashlib.sha256(b"seed").digest() * (CHUNK_SIZE * 5 // 2 // 32)


@pytest.fixture
def blobs(storage: Storage) -> TableBlobStore:
    return TableBlobStore(storage, 300)


@pytest.fixture
def cell_id(storage: Storage) -> str:
    return insert_cell(storage)


def _stage(blobs: TableBlobStore, cell_id: str, body: bytes, piece: int = 100_000) -> str:
    upload = blobs.stage(cell_id)
    for start in range(0, len(body), piece):
        upload.write(body[start:start + piece])
    upload.finish()
    assert upload.size == len(body)
    return upload.blob_id


def _linked(storage: Storage, blobs: TableBlobStore, cell_id: str, body: bytes) -> str:
    blob_id = _stage(blobs, cell_id, body)
    with storage.transaction("test.link") as tx:
        blobs.link(tx, blob_id)
    return blob_id


def _read(storage: Storage, blobs: TableBlobStore, blob_id: str, start: int = 0, length: int | None = None) -> bytes:
    with storage.transaction("test.read", write=False) as tx:
        return b"".join(blobs.read(tx, blob_id, start, length))


def _chunks(storage: Storage, blob_id: str | None = None) -> list[tuple[str, int, int]]:
    """The chunks stored (what ``_gone`` says after deletions in the background finished)."""
    c = dav_blob_chunks.c
    query = select(c.blob_id, c.seq, func.length(c.data)).order_by(c.blob_id, c.seq)
    with storage.transaction("test.chunks", write=False) as tx:
        return [tuple(row) for row in tx.conn.execute(query if blob_id is None else query.where(c.blob_id == blob_id))]


def _gone(storage: Storage, blobs: TableBlobStore) -> list[tuple[str, int, int]]:
    blobs.settle()
    return _chunks(storage)


def _headers(storage: Storage) -> list[Any]:
    with storage.transaction("test.headers", write=False) as tx:
        return list(tx.conn.execute(select(dav_blobs.c.id, dav_blobs.c.size, dav_blobs.c.lease_until)))


def test_a_body_is_stored_in_full_chunks_and_a_shorter_last_one(storage, blobs, cell_id) -> None:
    blob_id = _linked(storage, blobs, cell_id, BODY)
    assert _chunks(storage) == [(blob_id, 0, CHUNK_SIZE), (blob_id, 1, CHUNK_SIZE), (blob_id, 2, CHUNK_SIZE // 2)]
    assert [(h.id, h.size, h.lease_until) for h in _headers(storage)] == [(blob_id, len(BODY), None)]
    assert _read(storage, blobs, blob_id) == BODY


def test_an_empty_body_reads_empty(storage, blobs, cell_id) -> None:
    blob_id = _linked(storage, blobs, cell_id, b"")
    assert _read(storage, blobs, blob_id) == b""
    assert _read(storage, blobs, blob_id, 0, 10) == b""


@pytest.mark.parametrize(("start", "length"), [
    (0, 1), (CHUNK_SIZE - 1, 2), (CHUNK_SIZE, CHUNK_SIZE), (CHUNK_SIZE - 3, CHUNK_SIZE + 6),
    (10, 2 * CHUNK_SIZE), (2 * CHUNK_SIZE + 5, None), (len(BODY) - 1, 1), (len(BODY) - 4, 100),
])
def test_ranges_across_chunk_edges(storage, blobs, cell_id, start, length) -> None:
    blob_id = _linked(storage, blobs, cell_id, BODY)
    expected = BODY[start:] if length is None else BODY[start:start + length]
    assert _read(storage, blobs, blob_id, start, length) == expected


def test_a_range_reads_only_the_chunks_it_covers(storage, blobs, cell_id) -> None:
    blob_id = _linked(storage, blobs, cell_id, BODY)
    with storage.transaction("test.break", write=True) as tx:  # chunk 0 unreadable: a range past it still works
        tx.conn.execute(update(dav_blob_chunks).where(dav_blob_chunks.c.blob_id == blob_id,
                                                      dav_blob_chunks.c.seq == 0).values(data=b""))
    assert _read(storage, blobs, blob_id, CHUNK_SIZE + 7, 9) == BODY[CHUNK_SIZE + 7:CHUNK_SIZE + 16]


def test_staging_writes_chunks_in_transactions_of_their_own(storage, blobs, cell_id) -> None:
    """What a slow upload sent so far is committed (no lock held meanwhile) but staged: leased, unlinked."""
    upload = blobs.stage(cell_id)
    upload.write(BODY[:CHUNK_SIZE + 10])
    assert _chunks(storage, upload.blob_id) == [(upload.blob_id, 0, CHUNK_SIZE)]
    [header] = _headers(storage)
    assert header.size == CHUNK_SIZE and header.lease_until is not None
    with storage.transaction("test.other.writer") as tx:  # another writer is not blocked
        tx.conn.execute(update(cells).where(cells.c.id == cell_id).values(version=2))


def test_sweep_removes_expired_staged_blobs_only(storage, cell_id) -> None:
    expired, fresh = TableBlobStore(storage, 300), TableBlobStore(storage, 300)
    gone = _stage(expired, cell_id, BODY)
    kept = _stage(fresh, cell_id, b"in progress")
    linked = _linked(storage, fresh, cell_id, b"linked")
    with storage.transaction("test.expire") as tx:
        tx.conn.execute(update(dav_blobs).where(dav_blobs.c.id == gone).values(lease_until=1))
    assert fresh.sweep() == 1
    assert {h.id for h in _headers(storage)} == {kept, linked}
    assert {row[0] for row in _chunks(storage)} == {kept, linked}
    assert fresh.sweep() == 0  # idempotent


def test_an_upload_whose_blob_was_swept_cannot_go_on_nor_be_linked(storage, blobs, cell_id) -> None:
    upload = blobs.stage(cell_id)
    upload.write(b"x" * CHUNK_SIZE)
    with storage.transaction("test.expire") as tx:
        tx.conn.execute(update(dav_blobs).values(lease_until=1))
    blobs.sweep()
    with pytest.raises(UploadLost):
        upload.write(b"y" * CHUNK_SIZE)
    with pytest.raises(UploadLost), storage.transaction("test.link") as tx:
        blobs.link(tx, upload.blob_id)
    assert _chunks(storage) == [] and _headers(storage) == []


def test_released_chunks_go_only_after_commit(storage, blobs, cell_id) -> None:
    blob_id = _linked(storage, blobs, cell_id, BODY)
    seen_inside: list[int] = []
    with storage.transaction("test.release") as tx:
        blobs.release(tx, [blob_id])
        seen_inside.append(len(tx.conn.execute(select(dav_blob_chunks.c.seq)).all()))
    assert seen_inside == [3]
    assert _gone(storage, blobs) == [] and _headers(storage) == []


def test_a_rolled_back_release_leaves_the_body(storage, blobs, cell_id) -> None:
    blob_id = _linked(storage, blobs, cell_id, BODY)
    with pytest.raises(RuntimeError), storage.transaction("test.release") as tx:
        blobs.release(tx, [blob_id])
        raise RuntimeError("a later step failed")
    assert _read(storage, blobs, blob_id) == BODY
    assert len(_chunks(storage)) == 3


def test_chunks_of_a_release_that_committed_without_its_clean_up_are_swept(storage, blobs, cell_id) -> None:
    """The process died between commit and the chunk deletion: the header is gone, the chunks are orphans."""
    blob_id = _linked(storage, blobs, cell_id, BODY)
    with storage.transaction("test.release") as tx:
        blobs.release(tx, [blob_id])
        tx.committed_hooks.clear()
    assert len(_chunks(storage)) == 3
    assert blobs.sweep() == 1
    assert _chunks(storage) == []


def test_release_cell_releases_every_body_of_the_cell(storage, blobs, cell_id) -> None:
    for body in (b"a", BODY):
        _linked(storage, blobs, cell_id, body)
    with storage.transaction("test.release") as tx:
        blobs.release_cell(tx, cell_id)
    assert _gone(storage, blobs) == [] and _headers(storage) == []


def test_discard_of_a_linked_blob_does_nothing(storage, blobs, cell_id) -> None:
    """A cancelled request whose write transaction committed anyway keeps its body."""
    blob_id = _linked(storage, blobs, cell_id, BODY)
    blobs.discard(blob_id)
    assert _read(storage, blobs, blob_id) == BODY


def test_a_snapshot_reads_a_body_whole_while_it_is_released_and_deleted(storage, blobs, cell_id) -> None:
    blob_id = _linked(storage, blobs, cell_id, BODY)
    with storage.snapshot("test.stream") as reader:
        pieces = blobs.read(reader, blob_id)
        first = next(pieces)
        with storage.transaction("test.replace") as tx:
            blobs.release(tx, [blob_id])
        assert _gone(storage, blobs) == []
        assert first + b"".join(pieces) == BODY


def test_a_body_of_more_chunks_than_a_purge_batch_goes_whole(storage, blobs, cell_id, monkeypatch) -> None:
    monkeypatch.setattr("cellar.storage.blobs._PURGE_BATCH", 2)
    blob_id = _linked(storage, blobs, cell_id, BODY + BODY)
    assert len(_chunks(storage, blob_id)) == 5
    with storage.transaction("test.release") as tx:
        blobs.release(tx, [blob_id])
    assert _gone(storage, blobs) == []
