"""Schema migrations on SQLite and PostgreSQL: every path to the newest version ends at the schema of
``tables.metadata`` (tables, columns, keys, foreign keys, indexes: all that the catalogue says), so a
change to tables.py without a migration fails here; rows survive each step; a second run does nothing."""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import Column, LargeBinary, MetaData, String, Table, event, func, insert, inspect, select, text, update
from sqlalchemy.engine import Connection, Inspector

from cellar.settings import normalize_database_url
from cellar.storage import Storage, open_storage, tables
from cellar.storage.migrations import MIGRATIONS, migrate, schema_version
from tests.conftest import BACKENDS, new_postgres_database

NEWEST = MIGRATIONS[-1].version

NewStorage = Callable[[], Storage]


@pytest.fixture(params=BACKENDS)
def new_storage(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[NewStorage]:
    """Makes empty databases of the backend, each its own."""
    made: list[Storage] = []

    def make() -> Storage:
        n = len(made)
        url = new_postgres_database(f"_migrations_{n}") if request.param == "postgres" \
            else f"sqlite:///{tmp_path / f'db{n}.sqlite'}"
        made.append(open_storage(normalize_database_url(url)))
        return made[-1]

    yield make
    for storage in made:
        storage.dispose()


# --- what the catalogue says ------------------------------------------------------------------------------

def _indexes(conn: Connection, table: str) -> dict[str, Any]:
    """Every index of the table, those behind keys and unique constraints too, as the database itself
    describes it: PostgreSQL's canonical ``pg_get_indexdef``; on SQLite the key columns (expressions,
    collation, order) and the CREATE text, which holds the expressions, with its spacing folded."""
    if conn.dialect.name == "postgresql":
        rows = conn.execute(text("SELECT indexname, indexdef FROM pg_indexes "
                                 "WHERE schemaname = current_schema() AND tablename = :t"), {"t": table})
        return dict(rows.all())
    found = {}
    for _, name, unique, origin, partial in conn.exec_driver_sql(f"PRAGMA index_list('{table}')"):
        # A key column by name (its number follows the column order); -2 an expression, -1 the rowid.
        keys = [(seqno, column if cid >= 0 else cid, desc, collation, key)
                for seqno, cid, column, desc, collation, key
                in conn.exec_driver_sql(f"PRAGMA index_xinfo('{name}')")]
        sql = conn.execute(text("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = :n"),
                           {"n": name}).scalar()
        found[name] = (unique, origin, partial, keys, sql and _fold(sql))
    return found


def _fold(sql: str) -> str:
    """SQLite keeps a CREATE statement as it was written (less IF NOT EXISTS): fold its spacing."""
    return re.sub(r"\s+", " ", sql).strip()


def _unique_constraints(catalog: Inspector, table: str) -> list[Any]:
    """SQLite's finds them among the indexes, where it warns of the expression ones it cannot read
    (``_indexes`` describes those)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based index")
        return catalog.get_unique_constraints(table)


def _schema(storage: Storage) -> dict[str, Any]:
    """The schema apart from the version table. Columns are keyed by name: ADD COLUMN appends, and no
    code depends on the order."""
    with storage.engine.connect() as conn:
        catalog = inspect(conn)
        return {
            name: {
                "columns": {c["name"]: {**c, "type": str(c["type"].compile(conn.dialect))}
                            for c in catalog.get_columns(name)},
                "primary key": catalog.get_pk_constraint(name),
                "foreign keys": sorted(catalog.get_foreign_keys(name), key=repr),
                "unique constraints": sorted(_unique_constraints(catalog, name), key=repr),
                "check constraints": sorted(catalog.get_check_constraints(name), key=repr),
                "indexes": _indexes(conn, name),
            }
            for name in catalog.get_table_names() if name != schema_version.name
        }


def _created_by_metadata(new_storage: NewStorage) -> dict[str, Any]:
    storage = new_storage()
    with storage.transaction("test.create_all") as tx:
        tables.metadata.create_all(tx.conn)
    return _schema(storage)


def _version(storage: Storage) -> int:
    with storage.transaction("test.version", write=False) as tx:
        return tx.conn.execute(select(schema_version.c.version)).scalar_one()


# --- rows written at old versions ---------------------------------------------------------------------------

CELL = {"id": "c" * 32, "name": "cell1", "owner": None, "status": "normal", "published": 1, "updated": 2,
        "version": 3}
#: What each version's tables can hold, written as soon as the version has them.
ROWS: dict[int, list[tuple[Any, dict[str, Any]]]] = {
    1: [(tables.unit_kv, {"key": "k", "value": "v"}), (tables.cells, CELL)],
    2: [(tables.boxes, {"id": "b" * 32, "cell_id": CELL["id"], "name": "box1", "schema": None, "published": 4,
                        "updated": 4, "version": 1})],
    6: [(tables.dav_nodes, {"id": "n" * 32, "cell_id": CELL["id"], "box_id": CELL["id"], "parent_id": "",
                            "name": "", "kind": "col", "content_type": None, "content_length": None,
                            "blob_id": None, "acl": None, "props": None, "published": 5, "updated": 5,
                            "version": 1})],
    9: [(tables.dav_blobs, {"id": "d" * 32, "cell_id": CELL["id"], "size": 5, "chunk_size": 1024 * 1024,
                            "lease_until": None}),
        (tables.dav_blob_chunks, {"blob_id": "d" * 32, "seq": 0, "data": b"\x00body"})],
}

#: ``dav_blobs`` as steps 6 and 7 made it: one value per body.
_OLD_BLOBS = Table("dav_blobs", MetaData(), Column("id", String(32)), Column("cell_id", String(32)),
                   Column("data", LargeBinary))


def _write(storage: Storage, version: int) -> None:
    with storage.transaction("test.rows") as tx:
        for table, row in ROWS.get(version, []):
            tx.conn.execute(insert(table).values(row))


def _written(versions: list[int]) -> list[tuple[str, dict[str, Any]]]:
    return [(table.name, row) for version in versions for table, row in ROWS[version]]


def _read(storage: Storage, versions: list[int]) -> list[tuple[str, dict[str, Any]]]:
    """The rows of those versions' tables, in the columns they were written with."""
    with storage.transaction("test.read", write=False) as tx:
        return [(table.name, dict(row._mapping)) for version in versions for table, written in ROWS[version]
                for row in tx.conn.execute(select(*(table.c[name] for name in written)))]


# --- the tests ---------------------------------------------------------------------------------------------

def test_step_by_step_from_version_1_ends_at_the_metadata_schema_and_keeps_rows(new_storage: NewStorage) -> None:
    storage = new_storage()
    for version in range(1, NEWEST + 1):
        assert migrate(storage, target=version) == version
        assert _version(storage) == version
        _write(storage, version)
    assert _schema(storage) == _created_by_metadata(new_storage)
    assert _read(storage, sorted(ROWS)) == _written(sorted(ROWS))


def test_step_7_brings_what_steps_1_to_6_as_shipped_lack(new_storage: NewStorage) -> None:
    """cell_properties (put into step 3 after it shipped) and the per-cell WebDAV indexes; and the
    comparison sees a missing index."""
    at_6, at_7 = new_storage(), new_storage()
    migrate(at_6, target=6)
    migrate(at_7, target=7)
    before, after = _schema(at_6), _schema(at_7)
    assert set(after) - set(before) == {"cell_properties"}
    assert {name: set(after[name]["indexes"]) - set(before[name]["indexes"]) for name in before} == {
        name: {f"ix_{name}_cell"} if name in ("dav_nodes", "dav_blobs") else set() for name in before}
    assert {name: {**after[name], "indexes": None} for name in before} == {
        name: {**before[name], "indexes": None} for name in before}


def test_a_new_database_gets_the_metadata_schema(new_storage: NewStorage) -> None:
    storage = new_storage()
    assert migrate(storage) == NEWEST
    assert _version(storage) == NEWEST
    assert _schema(storage) == _created_by_metadata(new_storage)


def test_step_7_leaves_a_database_of_the_code_before_it_as_it_is(new_storage: NewStorage) -> None:
    """That code's steps 3 and 6 made cell_properties and the per-cell indexes already: what step 7
    makes, at version 6."""
    storage = new_storage()
    migrate(storage, target=7)
    with storage.transaction("test.released") as tx:
        tx.conn.execute(update(schema_version).values(version=6))
    _write(storage, 1)
    assert migrate(storage) == NEWEST
    assert _schema(storage) == _created_by_metadata(new_storage)
    assert _read(storage, [1]) == _written([1])


def test_a_second_run_changes_nothing(new_storage: NewStorage) -> None:
    storage = new_storage()
    migrate(storage)
    before = _schema(storage)
    statements: list[str] = []
    event.listen(storage.engine, "before_cursor_execute",
                 lambda _conn, _cursor, statement, *_: statements.append(statement))
    assert migrate(storage) == NEWEST
    assert statements, "the listener saw the second run"
    assert [s for s in statements if re.match(r"\s*(CREATE|ALTER|DROP)\b", s, re.IGNORECASE)] == []
    assert _version(storage) == NEWEST
    assert _schema(storage) == before


def test_step_9_moves_every_body_into_chunks(new_storage: NewStorage) -> None:
    """An old database keeps its files: each body split into 1 MiB chunks, its header giving the size."""
    storage = new_storage()
    migrate(storage, target=8)
    _write(storage, 1)
    bodies = {"a" * 32: b"", "b" * 32: b"\x00small", "e" * 32: bytes(range(256)) * (3 * 4096 + 1)}
    with storage.transaction("test.old.bodies") as tx:
        for blob_id, data in bodies.items():
            tx.conn.execute(insert(_OLD_BLOBS).values(id=blob_id, cell_id=CELL["id"], data=data))
    assert migrate(storage) == NEWEST
    chunks = tables.dav_blob_chunks.c
    with storage.transaction("test.read", write=False) as tx:
        headers = {row.id: (row.size, row.chunk_size, row.lease_until) for row in tx.conn.execute(
            select(tables.dav_blobs))}
        layout = {blob_id: [row.length for row in tx.conn.execute(
            select(func.length(chunks.data).label("length")).where(chunks.blob_id == blob_id).order_by(chunks.seq))]
            for blob_id in bodies}
        joined = {blob_id: b"".join(bytes(row.data) for row in tx.conn.execute(
            select(chunks.data).where(chunks.blob_id == blob_id).order_by(chunks.seq))) for blob_id in bodies}
    assert headers == {blob_id: (len(data), 1024 * 1024, None) for blob_id, data in bodies.items()}
    assert layout == {"a" * 32: [0], "b" * 32: [6], "e" * 32: [1024 * 1024] * 3 + [256]}
    assert joined == bodies
    assert _schema(storage) == _created_by_metadata(new_storage)
