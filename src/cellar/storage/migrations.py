"""Versioned schema migrations, applied at start-up by every process (idempotent, serialised).

Every step is frozen: one function that writes out, in its own ``_metadata(…)``, exactly the tables and
indexes it makes (or issues Core DDL: ``CreateIndex(…, if_not_exists=True)``, ``ALTER TABLE … ADD`` of a
``CreateColumn``), with the helpers below, never objects of ``cellar.storage.tables``: editing tables.py
cannot change what an old step does. Earlier tables it refers to are stand-ins, never created. A change to
tables.py goes with a new step; ``tests/storage/test_migrations.py`` fails until both schemas agree."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.schema import CreateColumn, CreateIndex

from cellar.storage.engine import Storage


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    apply: Callable[[Connection], None]


# --- frozen column helpers: what the steps below were written with; never change them ----------------------

def _text(name: str, length: int, **kwargs: Any) -> Column[str]:
    """A string column that compares bytewise ("C" collation on PostgreSQL, BINARY on SQLite)."""
    return Column(name, String(length).with_variant(String(length, collation="C"), "postgresql"), **kwargs)


def _entity_columns() -> list[Column[Any]]:
    return [
        Column("published", BigInteger, nullable=False),
        Column("updated", BigInteger, nullable=False),
        Column("version", Integer, nullable=False),
    ]


def _cell_id(primary_key: bool = False) -> Column[str]:
    return Column("cell_id", String(32), ForeignKey("cells.id", ondelete="CASCADE"), nullable=False,
                  primary_key=primary_key)


def _keyed(meta: MetaData, name: str, *columns: Column[Any]) -> Table:
    return Table(name, meta, Column("id", String(32), primary_key=True), _cell_id(), *columns,
                 *_entity_columns())


def _box_id() -> Column[str]:
    return Column("box_id", String(32), ForeignKey("boxes.id"), nullable=True)


def _existing(meta: MetaData, name: str, *columns: str) -> Table:
    """A stand-in for a table of an earlier step, naming only the columns this step refers to."""
    return Table(name, meta, *(Column(c) for c in columns or ("id",)), info={"existing": True})


def _metadata(*referred: str) -> MetaData:
    """A step's private ``MetaData``, with stand-ins for the earlier tables its foreign keys name."""
    meta = MetaData()
    for name in referred:
        _existing(meta, name)
    return meta


def _create(conn: Connection, meta: MetaData, *, checkfirst: bool = False) -> None:
    """Create the step's own tables and their indexes; a table that exists already fails the step
    unless ``checkfirst``."""
    own = [t for t in meta.sorted_tables if not t.info.get("existing")]
    meta.create_all(conn, tables=own, checkfirst=checkfirst)


# --- the steps ---------------------------------------------------------------------------------------------

def _unit_and_cells(conn: Connection) -> None:
    meta = _metadata()
    Table("unit_kv", meta, Column("key", String(64), primary_key=True), Column("value", Text, nullable=False))
    cells = Table(
        "cells", meta,
        Column("id", String(32), primary_key=True),
        _text("name", 128, nullable=False, unique=True),
        _text("owner", 1024, nullable=True),
        Column("status", String(16), nullable=False, server_default="normal"),
        *_entity_columns(),
    )
    Index("ix_cells_owner_name", cells.c.owner, cells.c.name)
    Index("ix_cells_published", cells.c.published)
    Index("ix_cells_updated", cells.c.updated)
    _create(conn, meta)


def _cell_control_objects(conn: Connection) -> None:
    meta = _metadata("cells")
    boxes = _keyed(meta, "boxes", _text("name", 128, nullable=False), _text("schema", 1024, nullable=True))
    Index("uq_boxes_key", boxes.c.cell_id, boxes.c.name, unique=True)
    Index("uq_boxes_schema", boxes.c.cell_id, boxes.c.schema, unique=True)
    for name in ("roles", "relations"):
        table = _keyed(meta, name, _text("name", 128, nullable=False), _box_id())
        Index(f"uq_{name}_key", table.c.cell_id, table.c.name, func.coalesce(table.c.box_id, ""), unique=True)
    accounts = _keyed(
        meta, "accounts",
        _text("name", 128, nullable=False),
        _text("type", 1024, nullable=False),
        _text("cell", 1024, nullable=True),
        _text("ip_address_range", 1024, nullable=True),
        _text("status", 32, nullable=False),
        Column("hashed_credential", Text, nullable=True),
        Column("hash_algorithm", String(32), nullable=True),
    )
    Index("uq_accounts_key", accounts.c.cell_id, accounts.c.name, unique=True)
    ext_cells = _keyed(meta, "ext_cells", _text("url", 1024, nullable=False))
    Index("uq_ext_cells_key", ext_cells.c.cell_id, ext_cells.c.url, unique=True)
    ext_roles = _keyed(
        meta, "ext_roles",
        _text("ext_role", 1024, nullable=False),
        Column("relation_id", String(32), ForeignKey("relations.id"), nullable=False),
    )
    Index("uq_ext_roles_key", ext_roles.c.cell_id, ext_roles.c.ext_role, ext_roles.c.relation_id, unique=True)
    links = Table(
        "links", meta,
        _cell_id(),
        Column("type1", String(64), primary_key=True),
        Column("id1", String(32), primary_key=True),
        Column("type2", String(64), primary_key=True),
        Column("id2", String(32), primary_key=True),
        Column("published", BigInteger, nullable=False),
    )
    Index("ix_links_reverse", links.c.type2, links.c.id2, links.c.type1)
    _create(conn, meta)


def _authentication(conn: Connection) -> None:
    """As shipped: ``cell_properties`` was added to this step afterwards, so step 7 makes it."""
    meta = _metadata("cells", "accounts")
    Table(
        "cell_keys", meta,
        _cell_id(primary_key=True),
        Column("kid", String(64), nullable=False),
        Column("private_key", Text, nullable=False),
        Column("created", BigInteger, nullable=False),
    )
    Table(
        "auth_history", meta,
        Column("account_id", String(32), ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
        _cell_id(),
        Column("last_authenticated", BigInteger, nullable=True),
        Column("failed_count", Integer, nullable=False, server_default="0"),
        Column("last_failed", BigInteger, nullable=True),
    )
    _create(conn, meta)


def _access_control(conn: Connection) -> None:
    meta = _metadata("cells")
    Table(
        "acls", meta,
        _cell_id(primary_key=True),
        Column("resource", String(1024), primary_key=True),
        Column("body", Text, nullable=False),
        *_entity_columns(),
    )
    _create(conn, meta)


def _authorization_cache_versions(conn: Connection) -> None:
    meta = _metadata("cells")
    Table("cell_auth_versions", meta, _cell_id(primary_key=True), Column("version", BigInteger, nullable=False))
    _create(conn, meta)


def _box_webdav(conn: Connection) -> None:
    """As shipped: the per-cell indexes came later, with step 7."""
    meta = _metadata("cells")
    nodes = Table(
        "dav_nodes", meta,
        Column("id", String(32), primary_key=True),
        _cell_id(),
        Column("box_id", String(32), nullable=False),
        Column("parent_id", String(32), nullable=False),
        _text("name", 256, nullable=False),
        Column("kind", String(16), nullable=False),
        Column("content_type", String(1024), nullable=True),
        Column("content_length", BigInteger, nullable=True),
        Column("blob_id", String(32), nullable=True),
        Column("acl", Text, nullable=True),
        Column("props", Text, nullable=True),
        *_entity_columns(),
    )
    Index("uq_dav_nodes_child", nodes.c.box_id, nodes.c.parent_id, nodes.c.name, unique=True)
    Table(
        "dav_blobs", meta,
        Column("id", String(32), primary_key=True),
        _cell_id(),
        Column("data", LargeBinary, nullable=False),
    )
    _create(conn, meta)


def _unmigrated_additions(conn: Connection) -> None:
    """What reached the schema without a step of its own: ``cell_properties`` (put into step 3 after it
    had shipped) and the per-cell indexes of the WebDAV tables. A database whose steps 3 and 6 already
    made them (code before this step existed) keeps them as they are."""
    meta = _metadata("cells")
    Table(
        "cell_properties", meta,
        _cell_id(primary_key=True),
        Column("name", String(255), primary_key=True),
        Column("namespace", String(1024), primary_key=True),
        Column("xml", Text, nullable=False),
    )
    _create(conn, meta, checkfirst=True)
    for table in ("dav_nodes", "dav_blobs"):
        index = Index(f"ix_{table}_cell", _existing(meta, table, "cell_id").c.cell_id)
        conn.execute(CreateIndex(index, if_not_exists=True))


def _v8_event_outbox(conn: Connection) -> None:
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
    _create(conn, meta)


def _v9_chunked_bodies(conn: Connection) -> None:
    """Bodies move from one ``dav_blobs.data`` value each into 1 MiB chunks; ``dav_blobs`` becomes their
    header (size, chunk size, upload lease). The database slices each body: one chunk at a time is in
    memory."""
    chunk_size = 1024 * 1024
    meta = _metadata("cells")
    old = _existing(meta, "dav_blobs", "id", "cell_id", "data")
    chunks = Table(
        "dav_blob_chunks", meta,
        Column("blob_id", String(32), primary_key=True),
        Column("seq", Integer, primary_key=True),
        Column("data", LargeBinary, nullable=False),
    )
    _create(conn, meta)
    headers = []
    for row in conn.execute(select(old.c.id, old.c.cell_id, func.length(old.c.data).label("size"))).all():
        for seq, start in enumerate(range(0, max(row.size, 1), chunk_size)):
            piece = conn.execute(select(func.substr(old.c.data, start + 1, chunk_size)).where(old.c.id == row.id))
            conn.execute(insert(chunks).values(blob_id=row.id, seq=seq, data=bytes(piece.scalar_one() or b"")))
        headers.append({"id": row.id, "cell_id": row.cell_id, "size": row.size, "chunk_size": chunk_size})
    conn.execute(text("DROP TABLE dav_blobs"))
    meta = _metadata("cells")
    blobs = Table(
        "dav_blobs", meta,
        Column("id", String(32), primary_key=True),
        _cell_id(),
        Column("size", BigInteger, nullable=False),
        Column("chunk_size", Integer, nullable=False),
        Column("lease_until", BigInteger, nullable=True),
    )
    Index("ix_dav_blobs_cell", blobs.c.cell_id)
    Index("ix_dav_blobs_lease", blobs.c.lease_until)
    _create(conn, meta)
    if headers:
        conn.execute(insert(blobs), headers)


def _v10_node_names(conn: Connection) -> None:
    """Nodes by name within their box: resolving a path looks up the nodes bearing its names, which
    the child index (box, parent, name) could only answer by scanning the whole box."""
    meta = _metadata()
    nodes = _existing(meta, "dav_nodes", "box_id", "name")
    conn.execute(CreateIndex(Index("ix_dav_nodes_name", nodes.c.box_id, nodes.c.name)))


def _v11_user_odata(conn: Connection) -> None:
    """User OData: each OData collection's schema (the ODataSvcSchema sets) and its entities."""
    meta = _metadata("cells", "dav_nodes")

    def collection() -> Column[str]:
        return Column("collection_id", String(32), ForeignKey("dav_nodes.id", ondelete="CASCADE"), nullable=False)

    def schema_table(name: str, *columns: Column[Any]) -> Table:
        return _keyed(meta, name, collection(), _text("name", 128, nullable=False), *columns)

    def owner(table: str, column: str) -> Column[str]:
        return Column(column, String(32), ForeignKey(f"{table}.id"), nullable=False)

    def property_columns() -> list[Column[Any]]:
        return [Column("type", String(128), nullable=False), Column("nullable", Boolean, nullable=False),
                Column("default_value", Text, nullable=True), Column("collection_kind", String(8), nullable=True)]

    Table("odata_schemas", meta,
          Column("collection_id", String(32), ForeignKey("dav_nodes.id", ondelete="CASCADE"), primary_key=True),
          _cell_id(), Column("version", Integer, nullable=False))
    entity_types = schema_table("odata_entity_types")
    Index("uq_odata_entity_types", entity_types.c.collection_id, entity_types.c.name, unique=True)
    complex_types = schema_table("odata_complex_types")
    Index("uq_odata_complex_types", complex_types.c.collection_id, complex_types.c.name, unique=True)
    properties = schema_table("odata_properties", owner("odata_entity_types", "entity_type_id"),
                              *property_columns(), Column("is_key", Boolean, nullable=False),
                              _text("unique_key", 128, nullable=True), Column("is_declared", Boolean, nullable=False))
    Index("uq_odata_properties", properties.c.entity_type_id, properties.c.name, unique=True)
    complex_properties = schema_table("odata_complex_type_properties",
                                      owner("odata_complex_types", "complex_type_id"), *property_columns())
    Index("uq_odata_complex_type_properties", complex_properties.c.complex_type_id, complex_properties.c.name,
          unique=True)
    ends = schema_table("odata_association_ends", owner("odata_entity_types", "entity_type_id"),
                        Column("multiplicity", String(4), nullable=False))
    Index("uq_odata_association_ends", ends.c.entity_type_id, ends.c.name, unique=True)
    entities = _keyed(meta, "odata_entities", collection(), owner("odata_entity_types", "entity_type_id"),
                      _text("key", 200, nullable=False), Column("doc", JSON, nullable=False))
    Index("uq_odata_entities", entities.c.entity_type_id, entities.c.key, unique=True)
    _create(conn, meta)


#: Set by step 12 when entities exist: the application indexes them for ``q`` (storage knows no schema).
SEARCH_BACKFILL = "odata_search.backfill"


def _v12_user_odata_search(conn: Connection) -> None:
    """What ``q`` searches of each user entity, and PostgreSQL's full-text index of it."""
    meta = _metadata("cells", "odata_entities")
    Table("odata_search", meta,
          Column("entity_id", String(32), ForeignKey("odata_entities.id", ondelete="CASCADE"), primary_key=True),
          _cell_id(), Column("text", Text, nullable=False))
    _create(conn, meta)
    if conn.dialect.name == "postgresql":
        conn.execute(text("CREATE INDEX ix_odata_search_words ON odata_search "
                          "USING gin (to_tsvector('simple'::regconfig, text))"))
    entities = meta.tables["odata_entities"]
    if conn.execute(select(entities.c.id).limit(1)).first() is not None:
        conn.execute(insert(_existing(meta, "unit_kv", "key", "value")).values(key=SEARCH_BACKFILL, value="1"))


def _v13_messages(conn: Connection) -> None:
    """Messages between cells: the ReceivedMessage and SentMessage sets of each cell."""
    meta = _metadata("cells", "boxes")

    def common() -> list[Column[Any]]:
        return [_text("message_id", 128, nullable=False), _box_id(), _text("in_reply_to", 128, nullable=True),
                _text("type", 32, nullable=False), Column("title", Text, nullable=False),
                Column("body", Text, nullable=False), Column("priority", Integer, nullable=False),
                Column("request_objects", JSON, nullable=True)]

    received = _keyed(meta, "received_messages", *common(), _text("from_cell", 1024, nullable=False),
                      Column("multicast_to", Text, nullable=True), _text("status", 16, nullable=False))
    Index("uq_received_messages_key", received.c.cell_id, received.c.message_id, unique=True)
    Index("ix_received_messages_box", received.c.box_id)
    sent = _keyed(meta, "sent_messages", *common(), Column("to_cells", Text, nullable=True),
                  _text("to_relation", 128, nullable=True), Column("result", JSON, nullable=False))
    Index("uq_sent_messages_key", sent.c.cell_id, sent.c.message_id, unique=True)
    Index("ix_sent_messages_box", sent.c.box_id)
    _create(conn, meta)


def _v14_rules(conn: Connection) -> None:
    """Rules of each cell, as control objects."""
    meta = _metadata("cells", "boxes")
    rules = _keyed(meta, "rules", _text("name", 200, nullable=False), _box_id(),
                   Column("event_external", Boolean, nullable=False), _text("event_subject", 1024, nullable=True),
                   _text("event_type", 128, nullable=True), Column("event_object", Text, nullable=True),
                   Column("event_info", Text, nullable=True), _text("action", 16, nullable=True),
                   Column("target_url", Text, nullable=True))
    Index("uq_rules_key", rules.c.cell_id, rules.c.name, func.coalesce(rules.c.box_id, ""), unique=True)
    Index("ix_rules_box", rules.c.box_id)
    _create(conn, meta)


def _v15_event_logs(conn: Connection) -> None:
    """Each cell's event log: its files (current and archives) and their lines."""
    meta = _metadata("cells")
    Table("event_log_files", meta, _cell_id(primary_key=True), Column("name", String(64), primary_key=True),
          Column("size", BigInteger, nullable=False), Column("created", BigInteger, nullable=False),
          Column("updated", BigInteger, nullable=False))
    lines = Table("event_log_lines", meta,
                  Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
                  _cell_id(), Column("file", String(64), nullable=False), Column("line", Text, nullable=False))
    Index("ix_event_log_lines_file", lines.c.cell_id, lines.c.file, lines.c.id)
    _create(conn, meta)


def _v16_rule_hits(conn: Connection) -> None:
    """How many events each rule has matched (``HitCount`` of ``__rule``)."""
    column = Column("hit_count", BigInteger, nullable=False, server_default="0")
    conn.execute(text(f"ALTER TABLE rules ADD {CreateColumn(column).compile(dialect=conn.dialect)}"))


def _v17_rule_actions(conn: Connection) -> None:
    """The queue of rules' HTTP actions, claimed by one process each."""
    meta = _metadata("cells")
    Table("rule_actions", meta,
          Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
          _cell_id(), Column("created", BigInteger, nullable=False), Column("claimed_by", String(32), nullable=True),
          Column("claimed_at", BigInteger, nullable=True), Column("job", Text, nullable=False))
    _create(conn, meta)


def _v18_rule_timers(conn: Connection) -> None:
    """When a timer rule fires next (epoch ms); any process that finds it due moves it on and fires."""
    column = Column("next_fire", BigInteger, nullable=True)
    conn.execute(text(f"ALTER TABLE rules ADD {CreateColumn(column).compile(dialect=conn.dialect)}"))
    conn.execute(text("CREATE INDEX ix_rules_next_fire ON rules (next_fire)"))


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "unit and cells", _unit_and_cells),
    Migration(2, "cell control objects", _cell_control_objects),
    Migration(3, "authentication", _authentication),
    Migration(4, "access control", _access_control),
    Migration(5, "authorization cache versions", _authorization_cache_versions),
    Migration(6, "box webdav", _box_webdav),
    Migration(7, "cell properties and per-cell webdav indexes", _unmigrated_additions),
    Migration(8, "event outbox", _v8_event_outbox),
    Migration(9, "chunked file bodies", _v9_chunked_bodies),
    Migration(10, "node names", _v10_node_names),
    Migration(11, "user odata", _v11_user_odata),
    Migration(12, "user odata search", _v12_user_odata_search),
    Migration(13, "messages", _v13_messages),
    Migration(14, "rules", _v14_rules),
    Migration(15, "event logs", _v15_event_logs),
    Migration(16, "rule hits", _v16_rule_hits),
    Migration(17, "rule actions", _v17_rule_actions),
    Migration(18, "rule timers", _v18_rule_timers),
)

_version_meta = MetaData()
schema_version = Table("cellar_schema_version", _version_meta, Column("version", Integer, nullable=False))

#: An arbitrary constant: the PostgreSQL advisory lock key that serialises migrations.
_MIGRATION_LOCK = 7_311_952_001


def migrate(storage: Storage, target: int | None = None) -> int:
    """Bring the database to version ``target`` (the newest by default; never down); returns the version."""
    with storage.transaction("storage.migrate", write=True) as tx:
        conn = tx.conn
        if storage.caps.advisory_locks:
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
        _version_meta.create_all(conn, checkfirst=True)
        current = conn.execute(select(schema_version.c.version)).scalar()
        if current is None:
            conn.execute(insert(schema_version).values(version=0))
            current = 0
        last = MIGRATIONS[-1].version if target is None else target
        for migration in MIGRATIONS:
            if current < migration.version <= last:
                migration.apply(conn)
                current = migration.version
        conn.execute(update(schema_version).values(version=current))
    return current
