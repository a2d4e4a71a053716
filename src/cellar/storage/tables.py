"""The schema, as SQLAlchemy Core tables.

Conventions that the rest of the code relies on:
* every entity row has ``id`` (32 hex chars), ``published``/``updated`` (epoch ms) and ``version``
  (starts at 1, +1 per write: the ETag is ``W/"{version}-{updated}"``);
* every table holding something that belongs to a cell has a ``cell_id`` column, so that "is this
  cell empty" and the recursive cell delete find all of it without a list to keep up to date;
* string columns compare bytewise ("C" collation on PostgreSQL, BINARY on SQLite), as Personium's
  untouched Elasticsearch fields do, which also makes prefix ranges usable by indexes.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer, MetaData, String, Table, Text

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
