"""Rows of statically-typed entity sets: one table per entity type, one column per property."""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from cellar.errors import PersoniumError
from cellar.odata.compile import ColumnRef
from cellar.odata.model import EntityType
from cellar.storage.uow import Transaction


def now_ms() -> int:
    return int(time.time() * 1000)


def new_id() -> str:
    return uuid.uuid4().hex


@dataclass
class Entity:
    etype: EntityType
    id: str
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


class TableStore:
    """SQL for one entity type within one scope (e.g. one cell)."""

    def __init__(self, etype: EntityType, scope: Mapping[str, Any]) -> None:
        self.etype = etype
        self.table = etype.table
        self.scope = dict(scope)

    # --- query building -------------------------------------------------------------------------
    def resolve(self, name: str) -> ColumnRef | None:
        if name in ("__published", "__updated"):
            return ColumnRef(self.table.c[name[2:]], "Edm.DateTime")
        prop = self.etype.property(name)
        if prop is None:
            return None
        return ColumnRef(self.table.c[prop.column_name], prop.edm_type)

    def string_columns(self) -> list[ColumnElement[Any]]:
        return [self.table.c[p.column_name] for p in self.etype.properties if p.edm_type == "Edm.String"]

    def scope_condition(self) -> ColumnElement[bool]:
        return and_(True, *(self.table.c[col] == value for col, value in self.scope.items()))

    def key_condition(self, key: Mapping[str, Any]) -> ColumnElement[bool]:
        conditions = []
        for name, value in key.items():
            column = self.table.c[self.etype.property(name).column_name]  # type: ignore[union-attr]
            conditions.append(column.is_(None) if value is None else column == value)
        return and_(self.scope_condition(), *conditions)

    # --- reads ----------------------------------------------------------------------------------
    def find(self, tx: Transaction, key: Mapping[str, Any]) -> Entity | None:
        row = tx.conn.execute(select(self.table).where(self.key_condition(key))).mappings().first()
        return self.to_entity(row) if row else None

    def find_by_id(self, tx: Transaction, entity_id: str) -> Entity | None:
        stmt = select(self.table).where(self.table.c.id == entity_id)
        row = tx.conn.execute(stmt).mappings().first()
        return self.to_entity(row) if row else None

    def select(
        self, tx: Transaction, where: ColumnElement[bool], order: list[ColumnElement[Any]], top: int, skip: int
    ) -> list[Entity]:
        stmt = select(self.table).where(self.scope_condition(), where)
        stmt = stmt.order_by(*order, *self.default_order()).limit(top).offset(skip)
        return [self.to_entity(row) for row in tx.conn.execute(stmt).mappings()]

    def count(self, tx: Transaction, where: ColumnElement[bool]) -> int:
        stmt = select(func.count()).select_from(self.table).where(self.scope_condition(), where)
        return int(tx.conn.execute(stmt).scalar_one())

    def default_order(self) -> list[ColumnElement[Any]]:
        """Without $orderby Personium's order is unspecified; ours is the key, then the id, so paging is stable."""
        columns = [self.table.c[p.column_name] for p in self._key_properties()]
        return [*columns, self.table.c.id]

    def _key_properties(self) -> list[Any]:
        return [p for part in self.etype.key if (p := self.etype.property(part.name)) is not None]

    def to_entity(self, row: Mapping[str, Any]) -> Entity:
        values = {p.name: row[p.column_name] for p in self.etype.properties}
        names = {p.column_name for p in self.etype.properties} | {"id", "published", "updated", "version"}
        hidden = {k: v for k, v in row.items() if k not in names}
        return Entity(self.etype, row["id"], values, row["published"], row["updated"], row["version"], hidden)

    # --- writes ---------------------------------------------------------------------------------
    def insert(self, tx: Transaction, values: Mapping[str, Any], hidden: Mapping[str, Any]) -> Entity:
        stamp = now_ms()
        row = {**self._columns(values), **hidden, **self.scope, "id": new_id(),
               "published": stamp, "updated": stamp, "version": 1}
        self._write(tx, insert(self.table).values(row))
        return self.to_entity(row)

    def update(self, tx: Transaction, entity: Entity, values: Mapping[str, Any],
               hidden: Mapping[str, Any] | None = None) -> Entity:
        """Write the new values; the version check makes a concurrent writer lose with 412."""
        changes = {**self._columns(values), **(hidden or {}),
                   "updated": max(now_ms(), entity.updated), "version": entity.version + 1}
        stmt = (update(self.table)
                .where(self.table.c.id == entity.id, self.table.c.version == entity.version)
                .values(changes))
        if self._write(tx, stmt).rowcount != 1:
            raise PersoniumError("PR412-OD-0002")
        merged = {**{p.column_name: entity.values[p.name] for p in self.etype.properties},
                  **entity.hidden, "id": entity.id, "published": entity.published, **changes}
        return self.to_entity(merged)

    def delete(self, tx: Transaction, entity: Entity) -> None:
        stmt = delete(self.table).where(self.table.c.id == entity.id, self.table.c.version == entity.version)
        if tx.conn.execute(stmt).rowcount != 1:
            raise PersoniumError("PR412-OD-0002")

    def _columns(self, values: Mapping[str, Any]) -> dict[str, Any]:
        props = {p.name: p for p in self.etype.properties}
        return {props[name].column_name: value for name, value in values.items() if name in props}

    @staticmethod
    def _write(tx: Transaction, stmt: Any) -> Any:
        try:
            return tx.conn.execute(stmt)
        except IntegrityError as exc:
            raise PersoniumError("PR409-OD-0003") from exc
