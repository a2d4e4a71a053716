"""Generic entity-set operations: create, read, list, replace, merge, delete.

Everything an entity type needs beyond its definition (owner columns, passwords, emptiness
checks, access filters) comes through :class:`EntityHooks`, so there is no per-type CRUD code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, true

from cellar.auth.context import Caller
from cellar.errors import PersoniumError
from cellar.events.bus import Event
from cellar.odata.body import validate_entity
from cellar.odata.compile import compile_filter, compile_orderby, compile_search
from cellar.odata.keys import format_key
from cellar.odata.model import EntityType
from cellar.odata.query.options import QueryOptions
from cellar.odata.store import Entity, TableStore
from cellar.storage.uow import Transaction


class EntityHooks:
    """Per-type behaviour around the generic operations; every method is optional."""

    def visible(self, caller: Caller, store: TableStore) -> ColumnElement[bool] | None:
        """An extra condition on lists (e.g. only the unit user's own cells)."""
        return None

    def check_access(self, caller: Caller, entity: Entity) -> None:
        """Raise if the caller may not touch this existing entity."""

    def before_create(self, tx: Transaction, caller: Caller, values: dict[str, Any]) -> dict[str, Any]:
        """Return hidden column values for the new row."""
        return {}

    def before_update(self, tx: Transaction, caller: Caller, entity: Entity,
                      values: dict[str, Any]) -> dict[str, Any]:
        return {}

    def before_delete(self, tx: Transaction, caller: Caller, entity: Entity) -> None:
        """Raise (typically PR409-OD-0001) if the entity still has related data."""


@dataclass(frozen=True)
class ListResult:
    entities: list[Entity]
    count: int | None


class EntitySetService:
    """One entity set as seen from one service root (``{unit}__ctl/`` or ``{cell}__ctl/``)."""

    def __init__(self, etype: EntityType, scope: Mapping[str, Any], root_url: str,
                 hooks: EntityHooks | None = None, event_prefix: str | None = None) -> None:
        self.etype = etype
        self.store = TableStore(etype, scope)
        self.root_url = root_url
        self.hooks = hooks or EntityHooks()
        self.event_prefix = event_prefix

    def uri(self, entity: Entity) -> str:
        return f"{self.root_url}{self.etype.name}{format_key(self.etype, entity.key_values)}"

    # --- reads ----------------------------------------------------------------------------------
    def get(self, tx: Transaction, caller: Caller, key: Mapping[str, Any]) -> Entity:
        entity = self.store.find(tx, key)
        if entity is None:
            raise PersoniumError("PR404-OD-0002")
        self.hooks.check_access(caller, entity)
        return entity

    def list(self, tx: Transaction, caller: Caller, options: QueryOptions) -> ListResult:
        where = self._where(caller, options)
        order = compile_orderby(options.orderby, self.store.resolve) if options.orderby else []
        entities = self.store.select(tx, where, order, options.top, options.skip)
        count = self.store.count(tx, where) if options.inlinecount else None
        return ListResult(entities, count)

    def _where(self, caller: Caller, options: QueryOptions) -> ColumnElement[bool]:
        conditions: list[ColumnElement[bool]] = []
        if options.filter is not None:
            conditions.append(compile_filter(options.filter, self.store.resolve))
        if options.q:
            conditions.append(compile_search(options.q, self.store.string_columns()))
        visible = self.hooks.visible(caller, self.store)
        if visible is not None:
            conditions.append(visible)
        where: ColumnElement[bool] = true()
        for condition in conditions:
            where = where & condition
        return where

    # --- writes ---------------------------------------------------------------------------------
    def create(self, tx: Transaction, caller: Caller, body: dict[str, Any]) -> Entity:
        values = validate_entity(self.etype, body, partial=False)
        self._check_key_not_null(values)
        if self.store.find(tx, {p.name: values.get(p.name) for p in self.etype.key}) is not None:
            raise PersoniumError("PR409-OD-0003")
        hidden = self.hooks.before_create(tx, caller, values)
        entity = self.store.insert(tx, values, hidden)
        self._emit(tx, "create", entity)
        return entity

    def replace(self, tx: Transaction, caller: Caller, key: Mapping[str, Any], body: dict[str, Any],
                if_match: str | None) -> Entity:
        return self._update(tx, caller, key, validate_entity(self.etype, body, partial=False), if_match, "update")

    def merge(self, tx: Transaction, caller: Caller, key: Mapping[str, Any], body: dict[str, Any],
              if_match: str | None) -> Entity:
        return self._update(tx, caller, key, validate_entity(self.etype, body, partial=True), if_match, "merge")

    def _update(self, tx: Transaction, caller: Caller, key: Mapping[str, Any], values: dict[str, Any],
                if_match: str | None, op: str) -> Entity:
        entity = self.get(tx, caller, key)
        check_if_match(if_match, entity)
        self._check_key_not_null({**entity.values, **values})
        new_key = {p.name: values.get(p.name, entity.values.get(p.name)) for p in self.etype.key}
        if new_key != entity.key_values and self.store.find(tx, new_key) is not None:
            raise PersoniumError("PR409-OD-0003")
        hidden = self.hooks.before_update(tx, caller, entity, values)
        updated = self.store.update(tx, entity, values, hidden)
        self._emit(tx, op, updated)
        return updated

    def delete(self, tx: Transaction, caller: Caller, key: Mapping[str, Any], if_match: str | None) -> None:
        entity = self.get(tx, caller, key)
        check_if_match(if_match, entity)
        self.hooks.before_delete(tx, caller, entity)
        self.store.delete(tx, entity)
        self._emit(tx, "delete", entity)

    def _check_key_not_null(self, values: Mapping[str, Any]) -> None:
        for part in self.etype.key:
            if not part.nullable and values.get(part.name) is None:
                raise PersoniumError("PR400-OD-0009", part.name)

    def _emit(self, tx: Transaction, op: str, entity: Entity) -> None:
        if self.event_prefix:
            tx.emit(Event(f"{self.event_prefix}.{self.etype.name}.{op}", self.uri(entity),
                          cell_id=self.store.scope.get("cell_id")))


def check_if_match(if_match: str | None, entity: Entity) -> None:
    """Absent or ``*``: unconditional. Otherwise the whole weak ETag must match (notes 8.3)."""
    if if_match is None or if_match.strip() == "*":
        return
    candidates = [value.strip() for value in if_match.split(",")]
    if entity.etag not in candidates:
        raise PersoniumError("PR412-OD-0002")
