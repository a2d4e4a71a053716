"""Schema versions: ``odata_schemas`` counts the changes of each collection's schema, in the
transaction that makes them, so that a model built for one version is never used for another."""

from __future__ import annotations

from sqlalchemy import bindparam, select, update

from cellar.storage import tables
from cellar.storage.prepared import Prepared
from cellar.storage.uow import Transaction

_VERSION = Prepared(select(tables.odata_schemas.c.version)
                    .where(tables.odata_schemas.c.collection_id == bindparam("collection_id")))


def schema_version(tx: Transaction, collection_id: str) -> int:
    """Asked by every request inside an OData collection: a prepared statement."""
    row = _VERSION.first(tx, collection_id=collection_id)
    return int(row["version"]) if row else 0


def bump_schema(tx: Transaction, cell_id: str, collection_id: str) -> None:
    """Count a schema change; the first one of a collection makes its row."""
    s = tables.odata_schemas
    if tx.conn.execute(update(s).where(s.c.collection_id == collection_id).values(version=s.c.version + 1)).rowcount:
        return
    tx.conn.execute(s.insert().values(collection_id=collection_id, cell_id=cell_id, version=1))


def has_schema(tx: Transaction, collection_id: str) -> bool:
    """Whether the collection defines anything (an entity type or a complex type): then it is not empty."""
    et, ct = tables.odata_entity_types, tables.odata_complex_types
    query = select(et.c.id).where(et.c.collection_id == collection_id).union_all(
        select(ct.c.id).where(ct.c.collection_id == collection_id)).limit(1)
    return tx.conn.execute(query).first() is not None
