"""Entities, the store seam the engine reads and writes them through, and the table-backed store.

:class:`EntityStore` and :class:`LinkStore` are what the generic operations need of storage; a model's
:class:`~cellar.odata.model.StoreFactory` supplies them. :class:`TableStore` keeps statically-typed
entity sets (control objects): one table per entity type, one column per property. Key parts that
name a parent (``_Box.Name``, ``_Relation._Box.Name``) are read through outer joins to the parent
tables and written as the parent's id, so renaming a box keeps every link intact.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson
from sqlalchemy import JSON, ColumnElement, FromClause, Table, and_, bindparam, delete, func, select, update
from sqlalchemy.exc import IntegrityError

from cellar import clock
from cellar.errors import PersoniumError
from cellar.odata.compile import ColumnRef, compile_search
from cellar.odata.model import EntityModel, EntityType, NavigationProperty, ParentLink
from cellar.storage.ids import new_id
from cellar.storage.prepared import Prepared, insert_of
from cellar.storage.uow import Transaction

META_COLUMNS = ("id", "published", "updated", "version")




@dataclass
class Entity:
    etype: EntityType
    id: str
    #: Property values and parent key parts (``_Box.Name``), by name.
    values: dict[str, Any]
    published: int
    updated: int
    version: int
    #: Columns that are not properties (hidden fields, scope, foreign keys).
    hidden: dict[str, Any] = field(default_factory=dict)

    @property
    def etag(self) -> str:
        return f'W/"{self.version}-{self.updated}"'

    @property
    def key_values(self) -> dict[str, Any]:
        return {part.name: self.values.get(part.name) for part in self.etype.key}


class EntityStore(Protocol):
    """The entities of one type within one scope (e.g. one cell), as the generic operations use them.

    Queries are SQL conditions over the store's own columns, so ``$filter`` and ``$orderby`` compile
    to SQL whatever keeps the entities (``resolve`` maps property names to columns)."""

    model: EntityModel
    etype: EntityType
    scope: dict[str, Any]

    def resolve(self, name: str) -> ColumnRef | None: ...

    def column(self, name: str) -> ColumnElement[Any]:
        """A stored column by name, hidden ones included (``id``, ``owner``), for hook conditions."""
        ...

    def newest_first(self) -> list[ColumnElement[Any]]: ...

    def find(self, tx: Transaction, key: Mapping[str, Any]) -> Entity | None: ...

    def find_by_id(self, tx: Transaction, entity_id: str) -> Entity | None: ...

    def select(self, tx: Transaction, where: ColumnElement[bool], order: list[ColumnElement[Any]],
               top: int, skip: int, words: Sequence[str] = ()) -> list[Entity]:
        """``words``: those of ``q``, which each store searches its own way (every one must occur)."""
        ...

    def count(self, tx: Transaction, where: ColumnElement[bool], words: Sequence[str] = ()) -> int: ...

    def exists(self, tx: Transaction, where: ColumnElement[bool]) -> bool: ...

    def insert(self, tx: Transaction, values: Mapping[str, Any], hidden: Mapping[str, Any]) -> Entity: ...

    def update(self, tx: Transaction, entity: Entity, values: Mapping[str, Any],
               hidden: Mapping[str, Any] | None = None, *, replace: bool = False) -> Entity:
        """``replace``: the values are the whole entity (PUT), not a change to it (MERGE)."""
        ...

    def delete(self, tx: Transaction, entity: Entity) -> None: ...


class LinkStore(Protocol):
    """Links from the entities of one store, reached through navigation properties."""

    def related(self, source: Entity, nav: NavigationProperty, target: EntityStore) -> ColumnElement[bool]:
        """A condition on ``target`` selecting the entities related to ``source``."""
        ...

    def add(self, tx: Transaction, source: Entity, nav: NavigationProperty, target: Entity) -> None: ...

    def remove(self, tx: Transaction, source: Entity, nav: NavigationProperty, target: Entity) -> None: ...

    def check_no_children(self, tx: Transaction, entity: Entity) -> None:
        """Raise PR409-OD-0001 while entities hang on this one (notes §5.4)."""
        ...

    def drop_many(self, tx: Transaction, entity: Entity) -> None:
        """Forget the entity's N:N links (they go silently with it)."""
        ...


@dataclass(frozen=True)
class TableShape:
    """What SQL for a table-backed type is made of; the same for every scope, so built once per type."""

    source: FromClause
    key_columns: dict[str, ColumnElement[Any]]
    #: Parent key parts (``_Box.Name``), in the key or not, as columns of the parent tables.
    link_columns: dict[str, ColumnElement[Any]]
    #: Key parts read from parent tables (``_Box.Name``), selected under their own names.
    link_parts: list[str]
    selectable: Any
    #: Columns of a row that are neither properties nor bookkeeping (scope, foreign keys, secrets).
    plain_columns: frozenset[str]
    #: The ``Edm.Boolean`` properties.
    booleans: tuple[str, ...]
    #: Properties kept in JSON columns (collections, complex values): prepared statements, which
    #: skip SQLAlchemy's type processing, write and may read them as JSON text.
    json_properties: tuple[tuple[str, str], ...]

    table: Table
    #: Lookups by key, one per (scope columns, key parts that are null), prepared once.
    by_key: dict[tuple[tuple[str, ...], tuple[bool, ...]], Prepared] = field(default_factory=dict)

    @classmethod
    def of(cls, model: EntityModel, etype: EntityType, table: Table) -> TableShape:
        source, columns = _joined_keys(model, etype, table, table)
        key_columns = {part.name: columns[part.name] for part in etype.key}
        link_parts = [name for name in columns if etype.property(name) is None]
        labelled = [columns[name].label(name) for name in link_parts]
        plain = frozenset({p.column_name for p in etype.properties} | set(META_COLUMNS) | set(link_parts))
        booleans = tuple(p.name for p in etype.properties if p.edm_type == "Edm.Boolean")
        json_properties = tuple((p.name, p.column_name) for p in etype.properties
                                if isinstance(table.c[p.column_name].type, JSON))
        return cls(source, key_columns, {name: columns[name] for name in link_parts}, link_parts,
                   select(table, *labelled).select_from(source), plain, booleans, json_properties, table)

    def key_lookup(self, scope: tuple[str, ...], nulls: tuple[bool, ...]) -> Prepared:
        """``WHERE scope = :s_n AND key part = :k_n`` (``IS NULL`` where the part is null)."""
        prepared = self.by_key.get((scope, nulls))
        if prepared is None:
            conditions = [self.table.c[col] == bindparam(f"s_{i}") for i, col in enumerate(scope)]
            conditions += [column.is_(None) if null else column == bindparam(f"k_{i}")
                           for i, (column, null) in enumerate(zip(self.key_columns.values(), nulls, strict=True))]
            prepared = self.by_key[(scope, nulls)] = Prepared(self.selectable.where(*conditions))
        return prepared


class TableStore:
    """SQL for one table-backed entity type within one scope (e.g. one cell)."""

    def __init__(self, model: EntityModel, etype: EntityType, scope: Mapping[str, Any],
                 shape: TableShape | None = None) -> None:
        assert etype.table is not None, f"{etype.name} is not table-backed"
        self.model = model
        self.etype = etype
        self.table: Table = etype.table
        self.scope = dict(scope)
        self.shape = shape or TableShape.of(model, etype, self.table)
        self.source, self.key_columns, self.link_parts = self.shape.source, self.shape.key_columns, \
            self.shape.link_parts

    def column(self, name: str) -> ColumnElement[Any]:
        return self.table.c[name]

    def newest_first(self) -> list[ColumnElement[Any]]:
        return [self.table.c.published.desc()]

    # --- query building -------------------------------------------------------------------------
    def resolve(self, name: str) -> ColumnRef | None:
        if name in ("__published", "__updated"):
            return ColumnRef(self.table.c[name[2:]], "Edm.DateTime")
        prop = self.etype.property(name)
        if prop is not None:
            return ColumnRef(self.table.c[prop.column_name], prop.edm_type)
        if name in self.shape.link_columns:
            return ColumnRef(self.shape.link_columns[name], "Edm.String")
        return None

    def _search(self, words: Sequence[str]) -> ColumnElement[bool]:
        """``q`` on control objects, few per cell: each word, ignoring case, anywhere in a string property."""
        return compile_search(list(words), [self.table.c[p.column_name] for p in self.etype.properties
                                            if p.edm_type == "Edm.String"])

    def scope_condition(self) -> ColumnElement[bool]:
        return and_(True, *(self.table.c[col] == value for col, value in self.scope.items()))

    def _select(self) -> Any:
        return self.shape.selectable

    # --- reads ----------------------------------------------------------------------------------
    def find(self, tx: Transaction, key: Mapping[str, Any]) -> Entity | None:
        if any(isinstance(value, str) and "\x00" in value for value in key.values()):
            return None  # no stored key holds NUL, and PostgreSQL text cannot even compare with one
        values = [key.get(name) for name in self.key_columns]
        lookup = self.shape.key_lookup(tuple(self.scope), tuple(value is None for value in values))
        params = {f"s_{i}": value for i, value in enumerate(self.scope.values())}
        params.update((f"k_{i}", value) for i, value in enumerate(values) if value is not None)
        row = lookup.first(tx, **params)
        return self.to_entity(row) if row else None

    def find_by_id(self, tx: Transaction, entity_id: str) -> Entity | None:
        row = tx.conn.execute(self._select().where(self.table.c.id == entity_id)).mappings().first()
        return self.to_entity(row) if row else None

    def select(self, tx: Transaction, where: ColumnElement[bool], order: list[ColumnElement[Any]],
               top: int, skip: int, words: Sequence[str] = ()) -> list[Entity]:
        stmt = self._select().where(self.scope_condition(), where, self._search(words))
        stmt = stmt.order_by(*order, *self.default_order()).limit(top).offset(skip)
        return [self.to_entity(row) for row in tx.conn.execute(stmt).mappings()]

    def count(self, tx: Transaction, where: ColumnElement[bool], words: Sequence[str] = ()) -> int:
        stmt = select(func.count()).select_from(self.source).where(self.scope_condition(), where,
                                                                   self._search(words))
        return int(tx.conn.execute(stmt).scalar_one())

    def exists(self, tx: Transaction, where: ColumnElement[bool]) -> bool:
        stmt = select(self.table.c.id).where(self.scope_condition(), where).limit(1)
        return tx.conn.execute(stmt).first() is not None

    def default_order(self) -> list[ColumnElement[Any]]:
        """Without $orderby Personium's order is unspecified; ours is the key, then the id (stable paging)."""
        return [*self.key_columns.values(), self.table.c.id]

    def to_entity(self, row: Mapping[Any, Any]) -> Entity:
        values = {p.name: row[p.column_name] for p in self.etype.properties}
        for name in self.shape.booleans:  # prepared lookups return SQLite's 0 and 1 unconverted
            if values[name] is not None:
                values[name] = bool(values[name])
        for name, _ in self.shape.json_properties:
            if isinstance(values[name], str):
                values[name] = orjson.loads(values[name])
        for name in self.link_parts:
            values[name] = row[name]
        hidden = {k: v for k, v in row.items() if k not in self.shape.plain_columns}
        return Entity(self.etype, row["id"], values, row["published"], row["updated"], row["version"], hidden)

    # --- writes ---------------------------------------------------------------------------------
    def insert(self, tx: Transaction, values: Mapping[str, Any], hidden: Mapping[str, Any]) -> Entity:
        stamp = clock.now_ms()
        row = {**self.columns(tx, values), **hidden, **self.scope, "id": new_id(),
               "published": stamp, "updated": stamp, "version": 1}
        written = {**row, **{column: orjson.dumps(row[column]).decode() for _, column in self.shape.json_properties
                             if row.get(column) is not None}}
        try:
            insert_of(self.table, tuple(written)).execute(tx, **written)
        except IntegrityError as exc:
            raise PersoniumError("PR409-OD-0003") from exc
        return self._reload(tx, row)

    def update(self, tx: Transaction, entity: Entity, values: Mapping[str, Any],
               hidden: Mapping[str, Any] | None = None, *, replace: bool = False) -> Entity:
        """Write the new values (a column per property: a PUT names them all); the version check makes
        a concurrent writer lose with 412."""
        changes = {**self.columns(tx, values), **(hidden or {}),
                   "updated": max(clock.now_ms(), entity.updated), "version": entity.version + 1}
        stmt = (update(self.table)
                .where(self.table.c.id == entity.id, self.table.c.version == entity.version)
                .values(changes))
        if self._write(tx, stmt).rowcount != 1:
            raise PersoniumError("PR412-OD-0002")
        row = {**{p.column_name: entity.values[p.name] for p in self.etype.properties}, **entity.hidden,
               "id": entity.id, "published": entity.published, **changes}
        return self._reload(tx, row)

    def delete(self, tx: Transaction, entity: Entity) -> None:
        stmt = delete(self.table).where(self.table.c.id == entity.id, self.table.c.version == entity.version)
        if tx.conn.execute(stmt).rowcount != 1:
            raise PersoniumError("PR412-OD-0002")

    def columns(self, tx: Transaction, values: Mapping[str, Any]) -> dict[str, Any]:
        """Property values as columns; parent key parts resolved to the parent's id."""
        props = {p.name: p for p in self.etype.properties}
        out = {props[name].column_name: value for name, value in values.items() if name in props}
        for link in self.etype.parents:
            mine = [part for part, _ in link.keys]
            if any(part in values for part in mine):
                out[link.column] = self.parent_id(tx, link, values)
        return out

    def parent_id(self, tx: Transaction, link: ParentLink, values: Mapping[str, Any]) -> str | None:
        key = {theirs: values.get(mine) for mine, theirs in link.keys}
        first = link.keys[0][0]
        if key[link.keys[0][1]] is None:
            if link.required:
                raise PersoniumError("PR400-OD-0009", first)
            return None
        parent = self.model.store(self.model.type(link.target), self.scope).find(tx, key)
        if parent is None:
            raise PersoniumError("PR400-OD-0024", values.get(first))
        return parent.id

    def _reload(self, tx: Transaction, row: Mapping[str, Any]) -> Entity:
        """The written row as an entity; parent key parts (``_Box.Name``) need a read through the joins."""
        if self.link_parts:
            entity = self.find_by_id(tx, row["id"])
            assert entity is not None
            return entity
        return self.to_entity(row)

    @staticmethod
    def _write(tx: Transaction, stmt: Any) -> Any:
        try:
            return tx.conn.execute(stmt)
        except IntegrityError as exc:
            raise PersoniumError("PR409-OD-0003") from exc


def _joined_keys(model: EntityModel, etype: EntityType, table: Any,
                 source: FromClause) -> tuple[FromClause, dict[str, ColumnElement[Any]]]:
    """Key part and parent link part name → column, joining parent tables (recursively) for the parent
    parts."""
    columns: dict[str, ColumnElement[Any]] = {}
    for part in etype.key:
        prop = etype.property(part.name)
        if prop is not None:
            columns[part.name] = table.c[prop.column_name]
    for link in etype.parents:
        target = model.type(link.target)
        assert target.table is not None
        alias = target.table.alias(f"{table.name}__{link.nav.strip('_').lower()}")
        source = source.join(alias, table.c[link.column] == alias.c.id, isouter=True)
        source, target_columns = _joined_keys(model, target, alias, source)
        for mine, theirs in link.keys:
            columns[mine] = target_columns[theirs]
    return source, columns
