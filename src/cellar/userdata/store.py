"""User entities as JSON documents (``odata_entities``): one row per entity, its ``__id`` in a column
of its own and its properties, declared and dynamic, in ``doc``. Queries read typed JSON paths, which
both SQLite and PostgreSQL compile (``json_extract`` / ``->>``), so ``$filter`` and ``$orderby`` stay SQL."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import orjson
from sqlalchemy import ColumnElement, Table, and_, bindparam, delete, func, literal_column, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import True_

from cellar import clock
from cellar.errors import PersoniumError
from cellar.odata.compile import ColumnRef
from cellar.odata.links import Links
from cellar.odata.model import EntityModel, EntityType, NavigationProperty
from cellar.odata.store import Entity, EntityStore, LinkStore
from cellar.storage import tables
from cellar.storage.ids import new_id
from cellar.storage.prepared import Prepared, insert_of
from cellar.storage.uow import Transaction
from cellar.userdata import search
from cellar.userdata.paths import FIELD_TYPES, JsonField
from cellar.userdata.schema import MAX_PROPERTIES, datetime_value
from cellar.userdata.versions import bump_schema

KEY = "__id"
ID_TEXT = re.compile(r"[0-9a-f]{32}")


class DocumentStores:
    """The store factory of one collection's user data model; ``type_ids`` maps type names to rows."""

    def __init__(self, collection_id: str, type_ids: Mapping[str, str]) -> None:
        self.collection_id = collection_id
        self.type_ids = dict(type_ids)

    def entity_store(self, model: EntityModel, etype: EntityType, scope: Mapping[str, Any]) -> EntityStore:
        return DocumentStore(model, etype, scope, self.type_ids[etype.name])

    def link_store(self, store: EntityStore) -> LinkStore:
        return UserLinks(store)


class UserLinks(Links):
    """Links between user entities, all rows of the links table, bounded by the association's
    multiplicities: an end of ``0..1`` or ``1`` takes one entity at most (409 PR409-OD-0002 for a second).
    An entity with links is not deleted (409 PR409-OD-0001), as in the real server."""

    def add(self, tx: Transaction, source: Entity, nav: NavigationProperty, target: Entity) -> None:
        assoc = nav.association
        assert assoc is not None
        if assoc.to_multiplicity != "*" and self._linked(tx, source, nav.target):
            raise PersoniumError("PR409-OD-0002")
        if assoc.from_multiplicity != "*" and self._linked(tx, target, source.etype.name):
            raise PersoniumError("PR409-OD-0002")
        super().add(tx, source, nav, target)

    def _linked(self, tx: Transaction, entity: Entity, other_type: str) -> bool:
        return tx.conn.execute(select(self._many_ids(entity, other_type).subquery()).limit(1)).first() is not None

    def check_no_children(self, tx: Transaction, entity: Entity) -> None:
        for nav in entity.etype.navigation:
            if self._linked(tx, entity, nav.target):
                raise PersoniumError("PR409-OD-0001")


class DocumentStore:
    """The entities of one user entity type."""

    def __init__(self, model: EntityModel, etype: EntityType, scope: Mapping[str, Any], type_id: str) -> None:
        self.model = model
        self.etype = etype
        self.scope = dict(scope)
        self.type_id = type_id
        self.table: Table = tables.odata_entities

    # --- query building -------------------------------------------------------------------------
    def resolve(self, name: str) -> ColumnRef | None:
        if name in ("__published", "__updated"):
            return ColumnRef(self.table.c[name[2:]], "Edm.DateTime")
        if name == KEY:
            return ColumnRef(self.table.c.key, "Edm.String")
        prop = self.etype.property(name)
        if prop is None or prop.collection or prop.edm_type not in FIELD_TYPES:
            return None
        return ColumnRef(JsonField(name, prop.edm_type), prop.edm_type)

    def column(self, name: str) -> ColumnElement[Any]:
        return self.table.c[name]

    def newest_first(self) -> list[ColumnElement[Any]]:
        return [self.table.c.published.desc()]

    def _mine(self) -> ColumnElement[bool]:
        """A literal, so that the planners match the partial indexes of the type (our own hex id)."""
        assert ID_TEXT.fullmatch(self.type_id)
        return self.table.c.entity_type_id == literal_column(f"'{self.type_id}'")

    # --- reads ----------------------------------------------------------------------------------
    def find(self, tx: Transaction, key: Mapping[str, Any]) -> Entity | None:
        value = key.get(KEY)
        if not isinstance(value, str) or "\x00" in value:
            return None
        row = _BY_KEY.first(tx, type_id=self.type_id, key=value)
        return self.to_entity(row) if row else None

    def find_by_id(self, tx: Transaction, entity_id: str) -> Entity | None:
        row = tx.conn.execute(select(self.table).where(self._mine(), self.table.c.id == entity_id)).mappings().first()
        return self.to_entity(row) if row else None

    def select(self, tx: Transaction, where: ColumnElement[bool], order: list[ColumnElement[Any]],
               top: int, skip: int, words: Sequence[str] = ()) -> list[Entity]:
        stmt = search.searched(select(self.table).where(self._mine(), where), words)
        stmt = stmt.order_by(*order, *self._default_order(where, order, words)).limit(top).offset(skip)
        return [self.to_entity(row) for row in tx.conn.execute(stmt).mappings()]

    def _default_order(self, where: ColumnElement[bool], order: list[ColumnElement[Any]],
                       words: Sequence[str]) -> list[ColumnElement[Any]]:
        """Ties, and a list without ``$orderby``, go by ``__id``; but a filtered or searched list without
        ``$orderby`` comes in no order (Personium's order is unspecified): ordering it by the key would make
        the planners walk the key index through every entity of the type instead of the filter's index."""
        return [self.table.c.key] if order or (isinstance(where, True_) and not words) else []

    def count(self, tx: Transaction, where: ColumnElement[bool], words: Sequence[str] = ()) -> int:
        stmt = search.searched(select(func.count()).select_from(self.table).where(self._mine(), where), words)
        return int(tx.conn.execute(stmt).scalar_one())

    def exists(self, tx: Transaction, where: ColumnElement[bool]) -> bool:
        return tx.conn.execute(select(self.table.c.id).where(self._mine(), where).limit(1)).first() is not None

    def to_entity(self, row: Mapping[Any, Any]) -> Entity:
        declared = {p.name: None for p in self.etype.properties if p.declared and p.name != KEY}
        doc = row["doc"]  # a prepared read returns the JSON text (SQLite), or what the driver made of it
        values = {KEY: row["key"], **declared, **(orjson.loads(doc) if isinstance(doc, str | bytes) else doc)}
        return Entity(self.etype, row["id"], values, row["published"], row["updated"], row["version"])

    # --- writes ---------------------------------------------------------------------------------
    def register_dynamic(self, tx: Transaction, values: Mapping[str, Any]) -> None:
        """A dynamic property is typed by its first value (the real server's ``IsDeclared: false``
        Property): a number makes it ``Edm.Double``, a boolean ``Edm.Boolean``, anything else
        ``Edm.String``; later values must be of that type."""
        known = {p.name for p in self.etype.properties}
        new = [(name, value) for name, value in values.items() if name not in known]
        if not new:
            return
        p = tables.odata_properties
        # registered earlier in this request (a $batch works with the model it started with)
        registered = set(tx.conn.execute(select(p.c.name).where(p.c.entity_type_id == self.type_id,
                                                                p.c.name.in_([name for name, _ in new]))).scalars())
        new = [(name, value) for name, value in new if name not in registered]
        if not new:
            return
        count = tx.conn.execute(select(func.count()).where(p.c.entity_type_id == self.type_id)).scalar_one()
        if count + len(new) > MAX_PROPERTIES:
            raise PersoniumError("PR400-OD-0032")
        stamp = clock.now_ms()
        rows = [{"id": new_id(), "cell_id": self.scope["cell_id"], "collection_id": self.scope["collection_id"],
                 "entity_type_id": self.type_id, "name": name, "type": _dynamic_type(value), "nullable": True,
                 "default_value": None, "collection_kind": "None", "is_key": False, "unique_key": None,
                 "is_declared": False, "published": stamp, "updated": stamp, "version": 1} for name, value in new]
        try:
            tx.conn.execute(p.insert(), rows)
        except IntegrityError as exc:  # another request registered it meanwhile
            raise PersoniumError("PR503-SV-0001") from exc
        bump_schema(tx, self.scope["cell_id"], self.scope["collection_id"])

    def insert(self, tx: Transaction, values: Mapping[str, Any], hidden: Mapping[str, Any]) -> Entity:
        self.register_dynamic(tx, values)
        stamp = clock.now_ms()
        row = {"id": new_id(), "cell_id": self.scope["cell_id"], "collection_id": self.scope["collection_id"],
               "entity_type_id": self.type_id, "key": values[KEY], "doc": self._document(values),
               "published": stamp, "updated": stamp, "version": 1}
        try:
            insert_of(self.table, tuple(row)).execute(tx, **{**row, "doc": orjson.dumps(row["doc"]).decode()})
        except IntegrityError as exc:
            raise PersoniumError("PR409-OD-0003") from exc
        self._index(tx, row, values[KEY])
        return self.to_entity(row)

    def update(self, tx: Transaction, entity: Entity, values: Mapping[str, Any],
               hidden: Mapping[str, Any] | None = None, *, replace: bool = False) -> Entity:
        """PUT (``replace``) writes the body's document; MERGE lays the body over the stored one. The
        ``__id`` is the URL's: an entity is never renamed."""
        self.register_dynamic(tx, values)
        merged = dict(values) if replace else {**entity.values, **values}
        changes = {"key": entity.values[KEY], "doc": self._document(merged),
                   "updated": max(clock.now_ms(), entity.updated), "version": entity.version + 1}
        stmt = (update(self.table).where(self.table.c.id == entity.id, self.table.c.version == entity.version)
                .values(changes))
        try:
            written = tx.conn.execute(stmt).rowcount
        except IntegrityError as exc:
            raise PersoniumError("PR409-OD-0003") from exc
        if written != 1:
            raise PersoniumError("PR412-OD-0002")
        row = {"id": entity.id, "published": entity.published, **changes}
        self._index(tx, row, entity.values[KEY], replace=True)
        return self.to_entity(row)

    def delete(self, tx: Transaction, entity: Entity) -> None:
        stmt = delete(self.table).where(and_(self.table.c.id == entity.id, self.table.c.version == entity.version))
        if tx.conn.execute(stmt).rowcount != 1:
            raise PersoniumError("PR412-OD-0002")

    def _index(self, tx: Transaction, row: Mapping[str, Any], key: str, *, replace: bool = False) -> None:
        text = search.entity_text(self.model, self.etype, key, row["doc"], row["published"], row["updated"])
        search.write_text(tx, row["id"], self.scope["cell_id"], text, replace=replace)

    def _document(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """The stored JSON: every value but the key, dates as milliseconds."""
        doc = {name: value for name, value in values.items() if name != KEY}
        for prop in self.etype.properties:
            if prop.edm_type == "Edm.DateTime" and doc.get(prop.name) is not None and not prop.collection:
                doc[prop.name] = datetime_value(doc[prop.name])
        return doc


_BY_KEY = Prepared(select(tables.odata_entities).where(tables.odata_entities.c.entity_type_id == bindparam("type_id"),
                                                      tables.odata_entities.c.key == bindparam("key")))


def _dynamic_type(value: Any) -> str:
    if isinstance(value, bool):
        return "Edm.Boolean"
    return "Edm.Double" if isinstance(value, int | float) else "Edm.String"
