"""Indexing for ``q`` the entities that a database had before it had the full-text index: its
migration leaves a flag, and every process's sweep works through them in batches until none is left."""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import delete, exists, select

from cellar.storage import tables
from cellar.storage.migrations import SEARCH_BACKFILL
from cellar.storage.uow import Transaction
from cellar.userdata import search
from cellar.userdata.model import user_model
from cellar.userdata.store import DocumentStores

BATCH = 1_000


def backfill(tx: Transaction) -> int:
    """Index one batch; returns how many entities, 0 once all are (and the flag is gone)."""
    kv = tables.unit_kv
    if tx.conn.execute(select(kv.c.key).where(kv.c.key == SEARCH_BACKFILL)).first() is None:
        return 0
    entities, searched = tables.odata_entities, tables.odata_search
    rows = tx.conn.execute(select(entities).where(~exists().where(searched.c.entity_id == entities.c.id))
                           .limit(BATCH)).mappings().all()
    if not rows:
        tx.conn.execute(delete(kv).where(kv.c.key == SEARCH_BACKFILL))
    for row in rows:
        _index(tx, row)
    return len(rows)


def _index(tx: Transaction, row: Any) -> None:
    model = user_model(tx, row["collection_id"])
    assert isinstance(model.stores, DocumentStores)
    name = next(name for name, type_id in model.stores.type_ids.items() if type_id == row["entity_type_id"])
    doc = row["doc"] if isinstance(row["doc"], dict) else orjson.loads(row["doc"])
    text = search.entity_text(model, model.type(name), row["key"], doc, row["published"], row["updated"])
    search.write_text(tx, row["id"], row["cell_id"], text)
