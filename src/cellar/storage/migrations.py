"""Versioned schema migrations, applied at start-up by every process (idempotent, serialised)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import BigInteger, Column, Index, Integer, MetaData, String, Table, Text, insert, select, text, update
from sqlalchemy.engine import Connection

from cellar.storage import tables
from cellar.storage.engine import Storage


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    apply: Callable[[Connection], None]


def _create(*names: str) -> Callable[[Connection], None]:
    def apply(conn: Connection) -> None:
        for name in names:
            tables.metadata.tables[name].create(conn)

    return apply


def _v9_event_outbox(conn: Connection) -> None:
    """The transactional outbox, frozen as this step made it (``tables.event_outbox`` may move on)."""
    meta = MetaData()
    outbox = Table(
        "event_outbox", meta,
        Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
        Column("created", BigInteger, nullable=False),
        Column("origin", String(32), nullable=False),
        Column("cell_id", String(32), nullable=True),
        Column("type", String(256), nullable=False),
        Column("object", Text, nullable=False),
        Column("info", Text, nullable=False),
        Column("request_key", String(128), nullable=True),
        Column("subject", Text, nullable=True),
        Column("schema", Text, nullable=True),
        Column("extra", Text, nullable=True),
        sqlite_autoincrement=True,
    )
    Index("ix_event_outbox_created", outbox.c.created)
    meta.create_all(conn)


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "unit and cells", _create("unit_kv", "cells")),
    Migration(2, "cell control objects",
              _create("boxes", "roles", "relations", "accounts", "ext_cells", "ext_roles", "links")),
    Migration(3, "authentication", _create("cell_keys", "auth_history", "cell_properties")),
    Migration(4, "access control", _create("acls")),
    Migration(5, "authorization cache versions", _create("cell_auth_versions")),
    Migration(6, "box webdav", _create("dav_nodes", "dav_blobs")),
    Migration(9, "event outbox", _v9_event_outbox),
)

_version_meta = MetaData()
schema_version = Table("cellar_schema_version", _version_meta, Column("version", Integer, nullable=False))

#: An arbitrary constant: the PostgreSQL advisory lock key that serialises migrations.
_MIGRATION_LOCK = 7_311_952_001


def migrate(storage: Storage) -> int:
    """Bring the database to the newest version; returns it."""
    with storage.transaction("storage.migrate", write=True) as tx:
        conn = tx.conn
        if storage.caps.advisory_locks:
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
        _version_meta.create_all(conn, checkfirst=True)
        current = conn.execute(select(schema_version.c.version)).scalar()
        if current is None:
            conn.execute(insert(schema_version).values(version=0))
            current = 0
        for migration in MIGRATIONS:
            if migration.version > current:
                migration.apply(conn)
                current = migration.version
        conn.execute(update(schema_version).values(version=current))
    return current
