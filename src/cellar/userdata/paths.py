"""A property of a user entity as an SQL expression over its JSON document, written literally (the path
is a property name, checked against Personium's name rules, never a parameter) so that the expression
indexes made for declared properties (:mod:`cellar.userdata.indexes`) are the very expressions queries
use: ``json_extract(doc, '$."name"')`` on SQLite, ``CAST(doc ->> 'name' AS …)`` on PostgreSQL."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import BigInteger, Boolean, Float, String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement
from sqlalchemy.types import TypeEngine

from cellar.storage import tables

#: Declared and dynamic property names (``Common.PATTERN_NAME``, apiref 364): safe inside a literal.
SAFE_NAME = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9_-]{0,127}")
_TYPES: dict[str, TypeEngine[Any]] = {
    "Edm.String": String(), "Edm.Boolean": Boolean(), "Edm.Int32": BigInteger(), "Edm.Int64": BigInteger(),
    "Edm.DateTime": BigInteger(), "Edm.Double": Float(), "Edm.Single": Float()}
#: The simple types a property can be read as (what queries compare and indexes hold).
FIELD_TYPES = frozenset(_TYPES)
_PG_CASTS = {"Edm.Boolean": "BOOLEAN", "Edm.Int32": "BIGINT", "Edm.Int64": "BIGINT", "Edm.DateTime": "BIGINT",
             "Edm.Double": "DOUBLE PRECISION", "Edm.Single": "DOUBLE PRECISION"}


class JsonField(ColumnElement[Any]):
    """``odata_entities.doc``'s member ``name``, read as a value of ``edm_type``."""

    inherit_cache = True

    def __init__(self, name: str, edm_type: str) -> None:
        if not SAFE_NAME.fullmatch(name) or edm_type not in _TYPES:
            raise ValueError(f"not a JSON field: {name!r} {edm_type!r}")
        self.name = name
        self.edm_type = edm_type
        self.type = _TYPES[edm_type]

    @property
    def _cache_key_parts(self) -> tuple[str, str]:
        return self.name, self.edm_type


def field_sql(dialect: str, document: str, name: str, edm_type: str) -> str:
    """The expression, over the document column written as ``document``."""
    if dialect == "sqlite":
        return f"json_extract({document}, '$.\"{name}\"')"
    text = f"({document} ->> '{name}')"
    cast = _PG_CASTS.get(edm_type)
    return f'({text} COLLATE "C")' if cast is None else f"CAST({text} AS {cast})"


def _compile(element: JsonField, compiler: Any, **kw: Any) -> str:
    document = str(compiler.process(tables.odata_entities.c.doc, **kw))
    return field_sql(compiler.dialect.name, document, element.name, element.edm_type)


compiles(JsonField, "sqlite")(_compile)
compiles(JsonField, "postgresql")(_compile)
