"""File bodies of the WebDAV tree, stored in chunks beside their metadata.

A body is written *staged*, chunk by chunk in short transactions of its own, so that a slow upload holds
neither the SQLite writer lock nor a box lock; the request's one write transaction then links it to its
node. Until linked it is invisible (no node names it) and leased: a staged blob whose lease ran out
(killed process, lost client) is removed by :meth:`TableBlobStore.sweep`, which any process may run at
any time. A body is released (its header deleted) in the transaction that drops or replaces its node,
and its chunks are deleted after that transaction commits, by a background thread (a 1 GB body takes
seconds to delete; the request does not wait); chunks whose header is gone are swept too, so a process
that dies before it deleted them loses nothing.

The interface is small so that an S3-compatible object store can take over later.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Protocol

from sqlalchemy import and_, bindparam, delete, exists, insert, literal, select, update

from cellar import clock
from cellar.storage.engine import Storage
from cellar.storage.ids import new_id
from cellar.storage.prepared import Prepared, insert_of
from cellar.storage.tables import dav_blob_chunks, dav_blobs
from cellar.storage.uow import Transaction

#: Bytes per stored chunk (the last one of a body may be shorter). Recorded per blob, so changing
#: it leaves existing bodies readable.
CHUNK_SIZE = 1024 * 1024
_BATCH = 500
#: Chunks deleted per transaction when a body goes.
_PURGE_BATCH = 16


_NEW_HEADER = insert_of(dav_blobs, ("id", "cell_id", "size", "chunk_size", "lease_until"))
_CHUNK = Prepared(select(dav_blob_chunks.c.data).where(dav_blob_chunks.c.blob_id == bindparam("blob_id"),
                                                       dav_blob_chunks.c.seq == bindparam("seq")))
#: The header with the chunk a read most likely starts in (the one of ``seq`` at the usual chunk size):
#: a small body is read in one statement.
_HEADER_AND_CHUNK = Prepared(
    select(dav_blobs.c.size, dav_blobs.c.chunk_size, dav_blob_chunks.c.data)
    .select_from(dav_blobs.outerjoin(dav_blob_chunks, and_(dav_blob_chunks.c.blob_id == dav_blobs.c.id,
                                                           dav_blob_chunks.c.seq == bindparam("seq"))))
    .where(dav_blobs.c.id == bindparam("id")))
_NEW_CHUNK = insert_of(dav_blob_chunks, ("blob_id", "seq", "data"))


class UploadLost(Exception):
    """The staged blob was swept (its lease ran out) before the upload finished."""


class Upload(Protocol):
    blob_id: str
    size: int

    def write(self, data: bytes) -> None: ...

    def finish(self) -> None: ...


class BlobStore(Protocol):
    def stage(self, cell_id: str) -> Upload: ...

    def store(self, tx: Transaction, cell_id: str, data: bytes) -> str:
        """A body that arrived whole (at most one chunk), written (linked) in the caller's transaction."""
        ...

    def discard(self, blob_id: str) -> None: ...

    def link(self, tx: Transaction, blob_id: str) -> None: ...

    def copy(self, tx: Transaction, blob_id: str) -> str:
        """A new body with the same bytes, written (linked) in the caller's transaction."""
        ...

    def release(self, tx: Transaction, blob_ids: Iterable[str]) -> None: ...

    def release_cell(self, tx: Transaction, cell_id: str) -> None: ...

    def read(self, tx: Transaction, blob_id: str, start: int = 0, length: int | None = None) -> Iterator[bytes]: ...

    def sweep(self) -> int: ...

    def settle(self) -> None: ...

    def close(self) -> None: ...


class TableUpload:
    """Buffers what arrives and writes each full chunk in a transaction of its own, refreshing the lease."""

    def __init__(self, store: TableBlobStore, blob_id: str) -> None:
        self.blob_id = blob_id
        self.size = 0
        self._store = store
        self._pending = bytearray()
        self._seq = 0

    def write(self, data: bytes) -> None:
        self._pending += data
        while len(self._pending) >= CHUNK_SIZE:
            self._flush(bytes(self._pending[:CHUNK_SIZE]))
            del self._pending[:CHUNK_SIZE]

    def finish(self) -> None:
        """Write the remainder; the blob is complete (still staged until linked)."""
        if self._pending or self._seq == 0:
            self._flush(bytes(self._pending))
            self._pending.clear()

    def _flush(self, chunk: bytes) -> None:
        self._store.append(self.blob_id, self._seq, chunk, self.size + len(chunk))
        self._seq += 1
        self.size += len(chunk)


class TableBlobStore:
    """Bodies in ``dav_blobs`` (one header per body) and ``dav_blob_chunks``, on SQLite and PostgreSQL."""

    def __init__(self, storage: Storage, lease_seconds: int) -> None:
        self.storage = storage
        self.lease_ms = lease_seconds * 1000
        self._purger = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cellar-blob-purge")

    # --- writing ------------------------------------------------------------------------------------------

    def stage(self, cell_id: str) -> TableUpload:
        blob_id = new_id()
        with self.storage.transaction("blobs.stage") as tx:
            tx.conn.execute(insert(dav_blobs).values(id=blob_id, cell_id=cell_id, size=0, chunk_size=CHUNK_SIZE,
                                                     lease_until=clock.now_ms() + self.lease_ms))
        return TableUpload(self, blob_id)

    def store(self, tx: Transaction, cell_id: str, data: bytes) -> str:
        """One chunk at most, so no upload to stage: written, already linked, with the node naming it."""
        assert len(data) <= CHUNK_SIZE
        blob_id = new_id()
        _NEW_HEADER.execute(tx, id=blob_id, cell_id=cell_id, size=len(data), chunk_size=CHUNK_SIZE, lease_until=None)
        _NEW_CHUNK.execute(tx, blob_id=blob_id, seq=0, data=data)
        return blob_id

    def append(self, blob_id: str, seq: int, chunk: bytes, size: int) -> None:
        """One chunk and the new size, in one short transaction; refused once the blob was swept."""
        with self.storage.transaction("blobs.append") as tx:
            renewed = tx.conn.execute(update(dav_blobs).where(dav_blobs.c.id == blob_id,
                                                              dav_blobs.c.lease_until.is_not(None))
                                      .values(size=size, lease_until=clock.now_ms() + self.lease_ms)).rowcount
            if not renewed:
                raise UploadLost(blob_id)
            tx.conn.execute(insert(dav_blob_chunks).values(blob_id=blob_id, seq=seq, data=chunk))

    def discard(self, blob_id: str) -> None:
        """A staged blob that will never be linked (failed or aborted upload)."""
        with self.storage.transaction("blobs.discard") as tx:
            dropped = tx.conn.execute(delete(dav_blobs).where(dav_blobs.c.id == blob_id,
                                                              dav_blobs.c.lease_until.is_not(None))).rowcount
        if dropped:  # not if it was linked meanwhile (the request committed just as it was cancelled)
            self._purge([blob_id])

    def copy(self, tx: Transaction, blob_id: str) -> str:
        copied = new_id()
        header = select(literal(copied), dav_blobs.c.cell_id, dav_blobs.c.size, dav_blobs.c.chunk_size,
                        literal(None)).where(dav_blobs.c.id == blob_id)
        tx.conn.execute(insert(dav_blobs).from_select(["id", "cell_id", "size", "chunk_size", "lease_until"], header))
        chunks = select(literal(copied), dav_blob_chunks.c.seq, dav_blob_chunks.c.data).where(
            dav_blob_chunks.c.blob_id == blob_id)
        tx.conn.execute(insert(dav_blob_chunks).from_select(["blob_id", "seq", "data"], chunks))
        return copied

    def link(self, tx: Transaction, blob_id: str) -> None:
        """Make the staged blob permanent, in the transaction that points a node at it."""
        linked = tx.conn.execute(update(dav_blobs).where(dav_blobs.c.id == blob_id,
                                                         dav_blobs.c.lease_until.is_not(None))
                                 .values(lease_until=None)).rowcount
        if not linked:
            raise UploadLost(blob_id)

    def release(self, tx: Transaction, blob_ids: Iterable[str]) -> None:
        """The bodies are gone once ``tx`` commits; their chunks are deleted after that."""
        ids = list(blob_ids)
        for start in range(0, len(ids), _BATCH):
            tx.conn.execute(delete(dav_blobs).where(dav_blobs.c.id.in_(ids[start:start + _BATCH])))
        if ids:
            tx.after_commit(lambda: self._in_background(ids))

    def release_cell(self, tx: Transaction, cell_id: str) -> None:
        ids = [row.id for row in tx.conn.execute(select(dav_blobs.c.id).where(dav_blobs.c.cell_id == cell_id))]
        self.release(tx, ids)

    # --- reading ------------------------------------------------------------------------------------------

    def read(self, tx: Transaction, blob_id: str, start: int = 0, length: int | None = None) -> Iterator[bytes]:
        """The body, or ``length`` bytes from ``start``, chunk by chunk: only the chunks the span covers
        are read, one query each (the first with the header), so memory stays at one chunk or two."""
        first_seq = start // CHUNK_SIZE
        header = _HEADER_AND_CHUNK.first(tx, id=blob_id, seq=first_seq)
        assert header is not None, f"no body {blob_id}"
        size, step = header["size"], header["chunk_size"]
        first = header["data"] if step == CHUNK_SIZE else None
        del header
        end = size if length is None else min(size, start + length)
        if end <= start:
            return
        for seq in range(start // step, (end - 1) // step + 1):
            if seq == first_seq and first is not None:
                data, first = first, None
            else:
                chunk = _CHUNK.first(tx, blob_id=blob_id, seq=seq)
                assert chunk is not None, f"body {blob_id} lacks chunk {seq}"
                data = chunk["data"]
            offset = seq * step
            yield bytes(data[max(start - offset, 0):end - offset])

    # --- removal ------------------------------------------------------------------------------------------

    def _in_background(self, blob_ids: list[str]) -> None:
        self._purger.submit(self._purge, blob_ids).add_done_callback(_report_failure)

    def settle(self) -> None:
        """Wait until the chunks of every body released so far are deleted (the purger runs in order)."""
        self._purger.submit(lambda: None).result()

    def close(self) -> None:
        """Finish the deletion under way, drop the queued ones (the sweep of any process does them)."""
        self._purger.shutdown(wait=True, cancel_futures=True)

    def _purge(self, blob_ids: list[str]) -> None:
        """Delete the chunks of bodies already released, ``_PURGE_BATCH`` per write transaction: SQLite
        reads every page of a value it deletes, and a 1 GB body must not hold the writer lock meanwhile."""
        chunks = dav_blob_chunks.c
        for blob_id in blob_ids:
            deleted = _PURGE_BATCH
            while deleted == _PURGE_BATCH:
                with self.storage.transaction("blobs.purge") as tx:
                    batch = select(chunks.seq).where(chunks.blob_id == blob_id).order_by(chunks.seq).limit(_PURGE_BATCH)
                    seqs = [row.seq for row in tx.conn.execute(batch)]
                    tx.conn.execute(delete(dav_blob_chunks).where(chunks.blob_id == blob_id, chunks.seq.in_(seqs)))
                deleted = len(seqs)

    def sweep(self) -> int:
        """Remove staged blobs whose lease expired and chunks without a header (their release committed
        but the process died before deleting them). Idempotent, so any number of processes may run it."""
        with self.storage.transaction("blobs.sweep.expired") as tx:
            tx.conn.execute(delete(dav_blobs).where(dav_blobs.c.lease_until < clock.now_ms()))
        with self.storage.transaction("blobs.sweep.find", write=False) as tx:
            orphans = [row.blob_id for row in tx.conn.execute(
                select(dav_blob_chunks.c.blob_id).distinct()
                .where(~exists().where(dav_blobs.c.id == dav_blob_chunks.c.blob_id)))]
        self._purge(orphans)
        return len(orphans)


def _report_failure(done: Future[None]) -> None:
    if not done.cancelled() and done.exception() is not None:
        logging.getLogger(__name__).error("deleting released file bodies failed (the sweep retries)",
                                          exc_info=done.exception())
