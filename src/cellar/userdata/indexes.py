"""Expression indexes for declared properties: one partial index per (entity type, scalar property),
over the very expression queries use (:mod:`cellar.userdata.paths`), so ``$filter`` and ``$orderby`` on
a declared property read an index at any size. Each index is named after its entity type's id, so the
indexes of types that went with their collection, box or cell are found and dropped by :func:`sweep`."""

from __future__ import annotations

import hashlib
import re

from sqlalchemy import select, text
from sqlalchemy.engine import Connection

from cellar.storage import tables
from cellar.storage.uow import Transaction
from cellar.userdata.paths import FIELD_TYPES, SAFE_NAME, field_sql

PREFIX = "ix_ud_"
_NAME = re.compile(rf"{PREFIX}([0-9a-f]{{32}})_[0-9a-f]{{8}}")


def index_name(type_id: str, name: str) -> str:
    return f"{PREFIX}{type_id}_{hashlib.sha256(name.encode()).hexdigest()[:8]}"


def indexable(edm_type: str, collection_kind: str | None) -> bool:
    return edm_type in FIELD_TYPES and collection_kind != "List"


def create(tx: Transaction, type_id: str, name: str, edm_type: str) -> None:
    assert re.fullmatch(r"[0-9a-f]{32}", type_id) and SAFE_NAME.fullmatch(name)
    dialect = tx.conn.dialect.name
    expression = field_sql(dialect, "doc", name, edm_type)
    if dialect == "postgresql":  # NULL is the smallest value (notes §7.2): ascending scans meet it first
        expression += " NULLS FIRST"
    # The type leads although the index holds only its rows: then the planners see an equality and a
    # range (or an order) in it, which beats the equality alone of the key index.
    tx.conn.execute(text(f"CREATE INDEX IF NOT EXISTS {index_name(type_id, name)} ON odata_entities "
                         f"(entity_type_id, {expression}) WHERE entity_type_id = '{type_id}'"))


def drop(tx: Transaction, type_id: str, name: str) -> None:
    tx.conn.execute(text(f"DROP INDEX IF EXISTS {index_name(type_id, name)}"))


def sweep(conn: Connection) -> int:
    """Drop the indexes of entity types that no longer exist; returns how many."""
    if conn.dialect.name == "sqlite":
        names = conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'ix_ud_%'"))
    else:
        names = conn.execute(text("SELECT indexname FROM pg_indexes WHERE indexname LIKE 'ix_ud_%'"))
    found = [(match[1], name) for (name,) in names if (match := _NAME.fullmatch(name))]
    if not found:
        return 0
    et = tables.odata_entity_types
    alive = set(conn.execute(select(et.c.id).where(et.c.id.in_({type_id for type_id, _ in found}))).scalars())
    gone = [name for type_id, name in found if type_id not in alive]
    for name in gone:
        conn.execute(text(f"DROP INDEX IF EXISTS {name}"))
    return len(gone)
