"""File bodies of the WebDAV tree, kept beside their metadata.

The store is an interface so that an S3-compatible object store can take over later; this
implementation keeps bodies in the ``dav_blobs`` table, inside the request's transaction, so a body
and its node commit or roll back together on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import uuid
from typing import Protocol

from sqlalchemy import delete, func, insert, select

from cellar.storage.tables import dav_blobs
from cellar.storage.uow import Transaction


class BlobStore(Protocol):
    def put(self, tx: Transaction, cell_id: str, data: bytes) -> str: ...

    def read(self, tx: Transaction, blob_id: str, start: int = 0, length: int | None = None) -> bytes: ...

    def delete(self, tx: Transaction, blob_ids: list[str]) -> None: ...


class TableBlobStore:
    def put(self, tx: Transaction, cell_id: str, data: bytes) -> str:
        blob_id = uuid.uuid4().hex
        tx.conn.execute(insert(dav_blobs).values(id=blob_id, cell_id=cell_id, data=data))
        return blob_id

    def read(self, tx: Transaction, blob_id: str, start: int = 0, length: int | None = None) -> bytes:
        """The whole body, or ``length`` bytes from ``start`` (sliced by the database, not here)."""
        column = dav_blobs.c.data if start == 0 and length is None else \
            func.substr(dav_blobs.c.data, start + 1, length if length is not None else 2**31 - 1)
        data = tx.conn.execute(select(column).where(dav_blobs.c.id == blob_id)).scalar()
        return bytes(data) if data is not None else b""

    def delete(self, tx: Transaction, blob_ids: list[str]) -> None:
        for chunk in range(0, len(blob_ids), 500):
            tx.conn.execute(delete(dav_blobs).where(dav_blobs.c.id.in_(blob_ids[chunk:chunk + 500])))


BLOBS: BlobStore = TableBlobStore()
