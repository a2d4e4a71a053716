"""Helpers of the storage tests."""

from __future__ import annotations

import uuid

from sqlalchemy import insert

from cellar.storage import Storage
from cellar.storage.tables import cells


def insert_cell(storage: Storage) -> str:
    """A bare cell row (storage tests need its id, not the API's cell)."""
    cell_id = uuid.uuid4().hex
    with storage.transaction("test.cell") as tx:
        tx.conn.execute(insert(cells).values(id=cell_id, name=f"c{cell_id[:8]}", published=1, updated=1, version=1))
    return cell_id
