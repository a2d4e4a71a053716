"""Versioned schema migrations, applied at start-up by every process (idempotent, serialised)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Column, Integer, MetaData, Table, insert, select, text, update
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


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "unit and cells", _create("unit_kv", "cells")),
    Migration(2, "cell control objects",
              _create("boxes", "roles", "relations", "accounts", "ext_cells", "ext_roles", "links")),
    Migration(3, "authentication", _create("cell_keys", "auth_history", "cell_properties")),
    Migration(4, "access control", _create("acls")),
    Migration(5, "authorization cache versions", _create("cell_auth_versions")),
    Migration(6, "box webdav", _create("dav_nodes", "dav_blobs")),
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
