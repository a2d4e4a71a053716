"""Prepared statements (the hot path's queries) on SQLite and PostgreSQL: same rows as SQLAlchemy's own
execution, literal values kept, run inside the caller's transaction."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import bindparam, delete, func, insert, literal, select

from cellar.storage import Storage
from cellar.storage.prepared import Prepared
from cellar.storage.tables import cell_auth_versions, cells

BY_NAME = Prepared(
    select(cells.c.id, cells.c.name, func.coalesce(cell_auth_versions.c.version, 0).label("v"),
           literal("x").label("constant"))
    .select_from(cells.outerjoin(cell_auth_versions, cell_auth_versions.c.cell_id == cells.c.id))
    .where(cells.c.name == bindparam("name")))
RENAME = Prepared(cells.update().where(cells.c.name == bindparam("old")).values(name=bindparam("new")))


def _cell(storage: Storage, name: str) -> str:
    cell_id = uuid.uuid4().hex
    with storage.transaction("test.cell") as tx:
        tx.conn.execute(insert(cells).values(id=cell_id, name=name, published=1, updated=1, version=1))
    return cell_id


def test_rows_match_sqlalchemys_own_execution(storage: Storage) -> None:
    cell_id = _cell(storage, "p1")
    with storage.transaction("test", write=False) as tx:
        assert BY_NAME.first(tx, name="p1") == {"id": cell_id, "name": "p1", "v": 0, "constant": "x"}
        assert BY_NAME.rows(tx, name="p1") == [dict(r) for r in tx.conn.execute(BY_NAME.statement,
                                                                                 {"name": "p1"}).mappings()]
        assert BY_NAME.first(tx, name="missing") is None
        assert BY_NAME.rows(tx, name="missing") == []


def test_values_are_bound_never_spliced(storage: Storage) -> None:
    _cell(storage, "p2")
    with storage.transaction("test", write=False) as tx:
        assert BY_NAME.first(tx, name="p2' OR '1'='1") is None
        assert BY_NAME.first(tx, name="%") is None


def test_a_prepared_write_belongs_to_the_callers_transaction(storage: Storage) -> None:
    _cell(storage, "p3")
    with pytest.raises(RuntimeError), storage.transaction("test") as tx:
        assert RENAME.execute(tx, old="p3", new="p4") == 1
        assert BY_NAME.first(tx, name="p4") is not None
        raise RuntimeError("the request failed later")
    with storage.transaction("test", write=False) as tx:
        assert BY_NAME.first(tx, name="p4") is None and BY_NAME.first(tx, name="p3") is not None
    with storage.transaction("test") as tx:
        assert RENAME.execute(tx, old="p3", new="p4") == 1
        tx.conn.execute(delete(cells).where(cells.c.name == "p4"))
        assert RENAME.execute(tx, old="p4", new="p5") == 0
