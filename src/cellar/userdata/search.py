"""Full-text search of user entities (``q``, apiref 408): each entity's values as one text in
``odata_search``, which the database indexes (FTS5 on SQLite, a GIN index of ``to_tsvector('simple')``
on PostgreSQL). A word of ``q`` matches as a phrase of words, ignoring case, as the real server's
Elasticsearch phrase match over all of an entity's fields does; the words are AND-ed."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Select, bindparam, delete, false, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement

from cellar.storage import tables
from cellar.storage.prepared import insert_of
from cellar.storage.uow import Transaction

#: Anything but letters and digits separates words, in the text and in ``q`` alike, so that both
#: databases' parsers see the same plain words (PostgreSQL would keep ``the-park`` whole).
_SEPARATORS = re.compile(r"[\W_]+")


def words_of(value: str) -> str:
    return _SEPARATORS.sub(" ", value).strip()


def _leaves(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for member in value.values():
            yield from _leaves(member)
    elif isinstance(value, list):
        for item in value:
            yield from _leaves(item)
    elif isinstance(value, bool):
        yield "true" if value else "false"
    elif value is not None:
        yield str(value)


def index_text(tx: Transaction, entity_id: str, cell_id: str, doc: dict[str, Any], *, replace: bool = False) -> None:
    """Make (or remake) what ``q`` searches of one entity, in the entity's transaction."""
    search = tables.odata_search
    if replace:
        tx.conn.execute(delete(search).where(search.c.entity_id == entity_id))
    words = words_of(" ".join(_leaves(doc)))
    if words:
        insert_of(search, ("entity_id", "cell_id", "text")).execute(tx, entity_id=entity_id, cell_id=cell_id,
                                                                     text=words)


def search_query(words: list[str]) -> Select[Any]:
    """The ids of the entities in which every word occurs (none, for a word with no letter or digit)."""
    entity_id = tables.odata_search.c.entity_id
    phrases = tuple(words_of(word) for word in words)
    if not phrases or not all(phrases):
        return select(entity_id).where(false())
    return select(entity_id).where(_Phrases(phrases))


class _Phrases(ColumnElement[bool]):
    """``odata_search`` rows holding every phrase, in each dialect's full-text syntax (values bound)."""

    inherit_cache = False

    def __init__(self, phrases: tuple[str, ...]) -> None:
        self.phrases = phrases


@compiles(_Phrases, "sqlite")
def _sqlite(element: _Phrases, compiler: Any, **kw: Any) -> str:
    query = " ".join('"' + phrase.replace('"', '""') + '"' for phrase in element.phrases)
    bound = compiler.process(bindparam(None, query, unique=True), **kw)
    return f"odata_search.rowid IN (SELECT rowid FROM odata_search_fts WHERE odata_search_fts MATCH {bound})"


@compiles(_Phrases, "postgresql")
def _postgresql(element: _Phrases, compiler: Any, **kw: Any) -> str:
    queries = " && ".join(
        f"phraseto_tsquery('simple'::regconfig, {compiler.process(bindparam(None, phrase, unique=True), **kw)})"
        for phrase in element.phrases)
    return f"to_tsvector('simple'::regconfig, odata_search.text) @@ ({queries})"
