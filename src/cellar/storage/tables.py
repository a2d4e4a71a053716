"""The schema, as SQLAlchemy Core tables.

Conventions that the rest of the code relies on:
* every entity row has ``id`` (32 hex chars), ``published``/``updated`` (epoch ms) and ``version``
  (starts at 1, +1 per write: the ETag is ``W/"{version}-{updated}"``);
* every table holding something that belongs to a cell has a ``cell_id`` column, so that "is this
  cell empty" and the recursive cell delete find all of it without a list to keep up to date (the
  few tables that only mention a cell are listed in ``NOT_CELL_TABLES``);
* string columns compare bytewise ("C" collation on PostgreSQL, BINARY on SQLite), as Personium's
  untouched Elasticsearch fields do, which also makes prefix ranges usable by indexes.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    DDL,
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
    event,
    func,
    true,
)

metadata = MetaData()


def text_column(name: str, length: int, **kwargs: object) -> Column[str]:
    """A string column that sorts and compares bytewise on both dialects."""
    kind = String(length).with_variant(String(length, collation="C"), "postgresql")
    return Column(name, kind, **kwargs)  # type: ignore[arg-type]


def entity_columns() -> list[Column[object]]:
    return [
        Column("published", BigInteger, nullable=False),
        Column("updated", BigInteger, nullable=False),
        Column("version", Integer, nullable=False),
    ]


unit_kv = Table(
    "unit_kv",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

cells = Table(
    "cells",
    metadata,
    Column("id", String(32), primary_key=True),
    text_column("name", 128, nullable=False, unique=True),
    text_column("owner", 1024, nullable=True),
    Column("status", String(16), nullable=False, server_default="normal"),
    *entity_columns(),
)
Index("ix_cells_owner_name", cells.c.owner, cells.c.name)
Index("ix_cells_published", cells.c.published)
Index("ix_cells_updated", cells.c.updated)


def cell_column(primary_key: bool = False) -> Column[str]:
    """``cell_id``, going with its cell; part of the key of tables with one row set per cell."""
    return Column("cell_id", String(32), ForeignKey("cells.id", ondelete="CASCADE"), nullable=False,
                  primary_key=primary_key)


def _keyed(name: str, *columns: Column[Any]) -> Table:
    """An entity table of a cell: id, cell_id, the given columns, then published/updated/version."""
    return Table(name, metadata, Column("id", String(32), primary_key=True), cell_column(), *columns,
                 *entity_columns())


boxes = _keyed(
    "boxes",
    text_column("name", 128, nullable=False),
    text_column("schema", 1024, nullable=True),
)
Index("uq_boxes_key", boxes.c.cell_id, boxes.c.name, unique=True)
Index("uq_boxes_schema", boxes.c.cell_id, boxes.c.schema, unique=True)


def _box_column() -> Column[str]:
    return Column("box_id", String(32), ForeignKey("boxes.id"), nullable=True)


#: A parent that may be absent (the main box) still takes part in uniqueness: compare '' for NULL.
def _nullable_key(column: Column[str]) -> Any:
    return func.coalesce(column, "")


roles = _keyed("roles", text_column("name", 128, nullable=False), _box_column())
Index("uq_roles_key", roles.c.cell_id, roles.c.name, _nullable_key(roles.c.box_id), unique=True)

relations = _keyed("relations", text_column("name", 128, nullable=False), _box_column())
Index("uq_relations_key", relations.c.cell_id, relations.c.name, _nullable_key(relations.c.box_id), unique=True)

accounts = _keyed(
    "accounts",
    text_column("name", 128, nullable=False),
    text_column("type", 1024, nullable=False),
    text_column("cell", 1024, nullable=True),
    text_column("ip_address_range", 1024, nullable=True),
    text_column("status", 32, nullable=False),
    Column("hashed_credential", Text, nullable=True),
    Column("hash_algorithm", String(32), nullable=True),
)
Index("uq_accounts_key", accounts.c.cell_id, accounts.c.name, unique=True)

ext_cells = _keyed("ext_cells", text_column("url", 1024, nullable=False))
Index("uq_ext_cells_key", ext_cells.c.cell_id, ext_cells.c.url, unique=True)

ext_roles = _keyed(
    "ext_roles",
    text_column("ext_role", 1024, nullable=False),
    Column("relation_id", String(32), ForeignKey("relations.id"), nullable=False),
)
Index("uq_ext_roles_key", ext_roles.c.cell_id, ext_roles.c.ext_role, ext_roles.c.relation_id, unique=True)

def _message_columns() -> list[Column[Any]]:
    """What a sent and a received message have in common (notes §5.1, apiref 268-274)."""
    return [
        text_column("message_id", 128, nullable=False),
        _box_column(),
        text_column("in_reply_to", 128, nullable=True),
        text_column("type", 32, nullable=False),
        Column("title", Text, nullable=False),
        Column("body", Text, nullable=False),
        Column("priority", Integer, nullable=False),
        Column("request_objects", JSON, nullable=True),
    ]


#: Messages this cell received at ``__message/port``; ``message_id`` is the sender's ``__id``.
received_messages = _keyed(
    "received_messages",
    *_message_columns(),
    text_column("from_cell", 1024, nullable=False),
    Column("multicast_to", Text, nullable=True),
    text_column("status", 16, nullable=False),
)
Index("uq_received_messages_key", received_messages.c.cell_id, received_messages.c.message_id, unique=True)
Index("ix_received_messages_box", received_messages.c.box_id)

#: Messages this cell sent through ``__message/send``, with each recipient's delivery result.
sent_messages = _keyed(
    "sent_messages",
    *_message_columns(),
    Column("to_cells", Text, nullable=True),
    text_column("to_relation", 128, nullable=True),
    Column("result", JSON, nullable=False),
)
Index("uq_sent_messages_key", sent_messages.c.cell_id, sent_messages.c.message_id, unique=True)
Index("ix_sent_messages_box", sent_messages.c.box_id)

#: Rules of a cell (apiref 2A0-2A9), bound to a box or not; values are kept as written.
rules = _keyed(
    "rules",
    text_column("name", 200, nullable=False),
    _box_column(),
    Column("event_external", Boolean, nullable=False),
    text_column("event_subject", 1024, nullable=True),
    text_column("event_type", 128, nullable=True),
    Column("event_object", Text, nullable=True),
    Column("event_info", Text, nullable=True),
    text_column("action", 16, nullable=True),
    Column("target_url", Text, nullable=True),
    #: Events the rule has matched, for ``__rule``.
    Column("hit_count", BigInteger, nullable=False, server_default="0"),
    #: A timer rule's next firing (epoch ms), None once a one-shot fired or for other rules.
    Column("next_fire", BigInteger, nullable=True),
)
Index("ix_rules_next_fire", rules.c.next_fire)
Index("uq_rules_key", rules.c.cell_id, rules.c.name, _nullable_key(rules.c.box_id), unique=True)
Index("ix_rules_box", rules.c.box_id)

#: N:N links between entities; the two ends are ordered by type name, so each link has one row.
links = Table(
    "links",
    metadata,
    cell_column(),
    Column("type1", String(64), primary_key=True),
    Column("id1", String(32), primary_key=True),
    Column("type2", String(64), primary_key=True),
    Column("id2", String(32), primary_key=True),
    Column("published", BigInteger, nullable=False),
)
Index("ix_links_reverse", links.c.type2, links.c.id2, links.c.type1)

#: Per-cell RSA keys for id_token and ``__certs`` (notes §9.2); created on first use.
cell_keys = Table(
    "cell_keys",
    metadata,
    cell_column(primary_key=True),
    Column("kid", String(64), nullable=False),
    Column("private_key", Text, nullable=False),
    Column("created", BigInteger, nullable=False),
)

#: Password-login history per account (notes §3.3): failures drive the interval lock and lockout.
auth_history = Table(
    "auth_history",
    metadata,
    Column("account_id", String(32), ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
    cell_column(),
    Column("last_authenticated", BigInteger, nullable=True),
    Column("failed_count", Integer, nullable=False, server_default="0"),
    Column("last_failed", BigInteger, nullable=True),
)

#: Cell properties set by PROPPATCH on the cell root (notes §2.3, apiref 291), as raw XML elements.
cell_properties = Table(
    "cell_properties",
    metadata,
    cell_column(primary_key=True),
    Column("name", String(255), primary_key=True),
    Column("namespace", String(1024), primary_key=True),
    Column("xml", Text, nullable=False),
)

#: The cell's ACL (RFC 3744 as Personium uses it), ``resource`` "" (the cell root); box resources keep
#: theirs on their ``dav_nodes`` row. ``body`` is JSON: {"schema_authz": …, "aces": [{"role": id|None, …}]}.
acls = Table(
    "acls",
    metadata,
    cell_column(primary_key=True),
    Column("resource", String(1024), primary_key=True),
    Column("body", Text, nullable=False),
    *entity_columns(),
)

#: A counter per cell, raised by every write that can change who holds which role or what the ACL
#: grants. Processes cache role lookups and parsed ACLs under it, so a cache never outlives a change
#: made by any process sharing the database.
cell_auth_versions = Table(
    "cell_auth_versions",
    metadata,
    cell_column(primary_key=True),
    Column("version", BigInteger, nullable=False),
)


#: The WebDAV tree of every box (notes §9.2: what Personium keeps in ``.pmeta`` files). A box root is a
#: row with ``parent_id`` '' and ``id`` = the box id (the cell id for the main box ``__``), written on
#: first need; every other node hangs off its parent. ``acl`` and ``props`` are JSON; a file's bytes
#: live in ``dav_blobs`` so that listing a collection never reads them.
dav_nodes = Table(
    "dav_nodes",
    metadata,
    Column("id", String(32), primary_key=True),
    cell_column(),
    Column("box_id", String(32), nullable=False),
    Column("parent_id", String(32), nullable=False),
    text_column("name", 256, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("content_type", String(1024), nullable=True),
    Column("content_length", BigInteger, nullable=True),
    Column("blob_id", String(32), nullable=True),
    Column("acl", Text, nullable=True),
    Column("props", Text, nullable=True),
    *entity_columns(),
)
Index("uq_dav_nodes_child", dav_nodes.c.box_id, dav_nodes.c.parent_id, dav_nodes.c.name, unique=True)
Index("ix_dav_nodes_cell", dav_nodes.c.cell_id)
Index("ix_dav_nodes_name", dav_nodes.c.box_id, dav_nodes.c.name)

#: User OData (apiref 316-378): the schema of each OData collection (``collection_id``, its node),
#: as the rows of the ``ODataSvcSchema`` entity sets, and its entities. Everything goes with its
#: collection, and the collection's ``odata_schemas`` row counts schema changes (the model cache key).
def _collection_column() -> Column[str]:
    return Column("collection_id", String(32), ForeignKey("dav_nodes.id", ondelete="CASCADE"), nullable=False)


def _schema_table(name: str, *columns: Column[Any]) -> Table:
    return _keyed(name, _collection_column(), text_column("name", 128, nullable=False), *columns)


def _owner_column(table: str) -> Column[str]:
    return Column(f"{table.removeprefix('odata_')[:-1]}_id", String(32), ForeignKey(f"{table}.id"), nullable=False)


odata_schemas = Table(
    "odata_schemas",
    metadata,
    Column("collection_id", String(32), ForeignKey("dav_nodes.id", ondelete="CASCADE"), primary_key=True),
    cell_column(),
    Column("version", Integer, nullable=False),
)
odata_entity_types = _schema_table("odata_entity_types")
Index("uq_odata_entity_types", odata_entity_types.c.collection_id, odata_entity_types.c.name, unique=True)
odata_complex_types = _schema_table("odata_complex_types")
Index("uq_odata_complex_types", odata_complex_types.c.collection_id, odata_complex_types.c.name, unique=True)


def _property_columns() -> list[Column[Any]]:
    return [Column("type", String(128), nullable=False), Column("nullable", Boolean, nullable=False),
            Column("default_value", Text, nullable=True), Column("collection_kind", String(8), nullable=True)]


odata_properties = _schema_table(
    "odata_properties", _owner_column("odata_entity_types"), *_property_columns(),
    Column("is_key", Boolean, nullable=False), text_column("unique_key", 128, nullable=True),
    Column("is_declared", Boolean, nullable=False))
Index("uq_odata_properties", odata_properties.c.entity_type_id, odata_properties.c.name, unique=True)
odata_complex_type_properties = _schema_table(
    "odata_complex_type_properties", _owner_column("odata_complex_types"), *_property_columns())
Index("uq_odata_complex_type_properties", odata_complex_type_properties.c.complex_type_id,
      odata_complex_type_properties.c.name, unique=True)
odata_association_ends = _schema_table(
    "odata_association_ends", _owner_column("odata_entity_types"), Column("multiplicity", String(4), nullable=False))
Index("uq_odata_association_ends", odata_association_ends.c.entity_type_id, odata_association_ends.c.name,
      unique=True)
#: One row per user entity: its ``__id`` and its properties, declared and dynamic, as one JSON object.
odata_entities = _keyed(
    "odata_entities", _collection_column(),
    Column("entity_type_id", String(32), ForeignKey("odata_entity_types.id"), nullable=False),
    text_column("key", 200, nullable=False), Column("doc", JSON, nullable=False))
Index("uq_odata_entities", odata_entities.c.entity_type_id, odata_entities.c.key, unique=True)
#: What ``q`` searches of each user entity (``cellar.userdata.search``), its words indexed for
#: full-text search on PostgreSQL.
odata_search = Table(
    "odata_search",
    metadata,
    Column("entity_id", String(32), ForeignKey("odata_entities.id", ondelete="CASCADE"), primary_key=True),
    cell_column(),
    Column("text", Text, nullable=False),
)
event.listen(odata_search, "after_create", DDL(
    "CREATE INDEX ix_odata_search_words ON odata_search USING gin (to_tsvector('simple'::regconfig, text))",
).execute_if(dialect="postgresql"))


#: File bodies, behind ``cellar.storage.blobs`` so that an object store can replace these tables: one
#: header per body and its bytes in ``dav_blob_chunks`` of ``chunk_size`` bytes (the last one shorter).
#: ``lease_until`` (epoch ms) is set while the body is staged (being uploaded, not yet linked to a node)
#: and NULL once linked; a staged body whose lease ran out is swept.
dav_blobs = Table(
    "dav_blobs",
    metadata,
    Column("id", String(32), primary_key=True),
    cell_column(),
    Column("size", BigInteger, nullable=False),
    Column("chunk_size", Integer, nullable=False),
    Column("lease_until", BigInteger, nullable=True),
)
Index("ix_dav_blobs_cell", dav_blobs.c.cell_id)
Index("ix_dav_blobs_lease", dav_blobs.c.lease_until)

#: No foreign key to the header: a body is released by deleting its header, and its chunks after commit.
dav_blob_chunks = Table(
    "dav_blob_chunks",
    metadata,
    Column("blob_id", String(32), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("data", LargeBinary, nullable=False),
)


#: Committed events, one row each, written by the transaction that caused them so that every process
#: sharing the database delivers them (``cellar.storage.outbox``). ``cell_id`` has no foreign key: an
#: event outlives its cell (the recursive delete is itself an event), and rows go by age instead.
#: ``origin`` names the writing process, which delivers its own events without reading them back.
event_outbox = Table(
    "event_outbox",
    metadata,
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
    sqlite_autoincrement=True,  # ids never reused, so a process's cursor survives deletions
)
Index("ix_event_outbox_created", event_outbox.c.created)

#: Each cell's event log (apiref 283-288): the current file ``default.log`` and its archives
#: ``default.log.{epoch ms}``, whose lines are rows of ``event_log_lines``.
event_log_files = Table(
    "event_log_files",
    metadata,
    cell_column(primary_key=True),
    Column("name", String(64), primary_key=True),
    Column("size", BigInteger, nullable=False),
    Column("created", BigInteger, nullable=False),
    Column("updated", BigInteger, nullable=False),
)

event_log_lines = Table(
    "event_log_lines",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    cell_column(),
    Column("file", String(64), nullable=False),
    Column("line", Text, nullable=False),
)
Index("ix_event_log_lines_file", event_log_lines.c.cell_id, event_log_lines.c.file, event_log_lines.c.id)

#: The HTTP actions of matched rules (exec, relay, relay.event), waiting for a process to claim and run
#: them once: ``claimed_by`` names the process (its outbox origin), ``claimed_at`` when its lease began.
rule_actions = Table(
    "rule_actions",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    cell_column(),
    Column("created", BigInteger, nullable=False),
    Column("claimed_by", String(32), nullable=True),
    Column("claimed_at", BigInteger, nullable=True),
    Column("job", Text, nullable=False),
)

#: Tables with a ``cell_id`` that are not the cell's: they neither make it non-empty nor go with it.
NOT_CELL_TABLES = frozenset({event_outbox.name})

#: Tables that describe a cell rather than hold its contents: they do not make a cell "not empty"
#: (a cell with an ACL, properties or keys but no objects may be deleted), and go with the cell.
CELL_METADATA_TABLES = frozenset({acls.name, cell_properties.name, cell_keys.name, cell_auth_versions.name,
                                  auth_history.name, dav_blobs.name, event_log_files.name,
                                  event_log_lines.name, rule_actions.name})


def content_rows(table: Table) -> Any:
    """Which rows of a content table make its cell non-empty: a box root alone (the main box's ACL or
    properties) does not; its bodies are counted through their nodes."""
    return dav_nodes.c.parent_id != "" if table is dav_nodes else true()
