"""Full-text search of user entities (``q``, apiref 408).

Each entity's searchable values are one text in ``odata_search``. PostgreSQL answers from a GIN index
of ``to_tsvector('simple')``; SQLite reads the texts in turn (its FTS5 virtual
tables fail statements now and then while another connection changes the schema, as the expression
indexes of user types do: "vtable constructor failed", "no such table", seen in this suite).
Text and query go through the same normalisation here, so that both databases see plain words: NFKC,
lower case, anything but letters and digits a separator, and each CJK character a word of its own,
which makes a run of them match anywhere inside a longer one (the page's partial match of double-byte
text). A word of ``q`` matches as a phrase of those words; the words are AND-ed.

What is searched follows the page: ``Edm.String``, ``Edm.Boolean``, ``Edm.Single``, ``Edm.Int32``
values (complex members included), ``Edm.Double`` only of dynamic properties, never ``Edm.DateTime``;
``__published`` and ``__updated`` as their milliseconds."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    bindparam,
    false,
    func,
    literal_column,
    update,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.selectable import Join

from cellar.odata.model import ComplexType, EntityModel, EntityType, Property
from cellar.storage import tables
from cellar.storage.prepared import insert_of
from cellar.storage.uow import Transaction

#: The CJK scripts whose characters are words of their own (NFKC has made half-width kana full-width).
_CJK = re.compile("([\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af])")
_SEPARATORS = re.compile(r"[\W_]+")
#: What of an entity is indexed at most: PostgreSQL keeps a word's position only up to 16,383 and
#: a ``tsvector`` only up to 1 MB, so the text of a huge entity is cut rather than refused.
MAX_TEXT = 262_144
_UNSEARCHED = frozenset({"Edm.DateTime", "Edm.Double"})
_CONFIG: ColumnElement[Any] = literal_column("'simple'::regconfig")


def words_of(value: str) -> str:
    """The words of ``value`` as the index holds them, one space between each."""
    spaced = _CJK.sub(r" \1 ", unicodedata.normalize("NFKC", value).lower())
    return _SEPARATORS.sub(" ", spaced).strip()


def entity_text(model: EntityModel, etype: EntityType, key: str, doc: Mapping[str, Any],
                published: int, updated: int) -> str:
    declared = {p.name: p for p in etype.properties}
    values = [key, str(published), str(updated)]
    for name, value in doc.items():
        prop = declared.get(name)
        if prop is None or not prop.declared:
            values.extend(_leaves(value))
        elif prop.edm_type not in _UNSEARCHED:
            values.extend(_typed_leaves(model, prop, value))
    text = words_of(" ".join(values))
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT + 1].rsplit(" ", 1)[0]


def _typed_leaves(model: EntityModel, prop: Property, value: Any) -> Iterator[str]:
    complex_type = model.complex_type(prop.edm_type)
    if complex_type is None:
        yield from _leaves(value)
        return
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, dict):
            yield from _members(model, complex_type, item)


def _members(model: EntityModel, complex_type: ComplexType, value: Mapping[str, Any]) -> Iterator[str]:
    for name, member in value.items():
        prop = complex_type.property(name)
        if prop is not None and prop.edm_type not in _UNSEARCHED:
            yield from _typed_leaves(model, prop, member)


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


def write_text(tx: Transaction, entity_id: str, cell_id: str, text: str, *, replace: bool = False) -> None:
    """Make (or remake) what ``q`` searches of one entity, in the entity's transaction."""
    if replace:
        search = tables.odata_search
        tx.conn.execute(update(search).where(search.c.entity_id == entity_id).values(text=text))
    else:
        _INSERT.execute(tx, entity_id=entity_id, cell_id=cell_id, text=text)


_INSERT = insert_of(tables.odata_search, ("entity_id", "cell_id", "text"))


def searched(stmt: Select[Any], words: Sequence[str]) -> Select[Any]:
    """``stmt`` over ``odata_entities`` narrowed to the entities in which every word occurs (none, for a
    word with neither letter nor digit); as it is without words."""
    if not words:
        return stmt
    phrases = [words_of(word) for word in words]
    if not all(phrases):
        return stmt.where(false())
    entities, search = tables.odata_entities, tables.odata_search
    return stmt.select_from(_SearchFirst(search, entities, search.c.entity_id == entities.c.id)).where(
        _Matches(tuple(phrases)))


class _SearchFirst(Join):
    """An inner join that SQLite takes in the order written (``CROSS JOIN``): reading the texts in turn
    and looking up the entities that match is several times faster than looking up the text of each
    entity of the type, which its planner would choose."""

    inherit_cache = True


@compiles(_SearchFirst, "sqlite")
def _cross_join(element: _SearchFirst, compiler: Any, **kw: Any) -> str:
    kw["asfrom"] = True
    return (f"{compiler.process(element.left, **kw)} CROSS JOIN {compiler.process(element.right, **kw)} "
            f"ON {compiler.process(element.onclause, **kw)}")


class _Matches(ColumnElement[bool]):
    """The ``odata_search`` rows whose text holds every phrase, in each dialect's syntax (bound)."""

    inherit_cache = False

    def __init__(self, phrases: tuple[str, ...]) -> None:
        self.phrases = phrases


@compiles(_Matches, "sqlite")
def _like(element: _Matches, compiler: Any, **kw: Any) -> str:
    """Whole words in a row: the text, spaced at both ends, holds the phrase spaced at both ends (words
    are letters and digits only, so nothing in a phrase is a LIKE wildcard)."""
    patterns = (compiler.process(bindparam(None, f"% {phrase} %", unique=True), **kw) for phrase in element.phrases)
    return " AND ".join(f"(' ' || odata_search.text || ' ') LIKE {pattern}" for pattern in patterns)


@compiles(_Matches, "postgresql")
def _tsquery(element: _Matches, compiler: Any, **kw: Any) -> str:
    vector = compiler.process(func.to_tsvector(_CONFIG, tables.odata_search.c.text), **kw)
    queries = " && ".join(compiler.process(func.phraseto_tsquery(_CONFIG, bindparam(None, phrase, unique=True)),
                                           **kw) for phrase in element.phrases)
    return f"{vector} @@ ({queries})"


