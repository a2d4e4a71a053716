"""The store factory of table-backed models (control objects): a table per type, the links table."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cellar.odata.links import Links
from cellar.odata.model import EntityModel, EntityType
from cellar.odata.store import EntityStore, LinkStore, TableShape, TableStore

MAX_SHAPES = 1024


class TableStores:
    """Every request makes stores anew; what their SQL is made of is built once per type."""

    def __init__(self) -> None:
        self._shapes: dict[tuple[int, str], tuple[EntityType, TableShape]] = {}

    def entity_store(self, model: EntityModel, etype: EntityType, scope: Mapping[str, Any]) -> EntityStore:
        cached = self._shapes.get((id(model), etype.name))
        if cached is None or cached[0] is not etype:
            assert etype.table is not None, f"{etype.name} is not table-backed"
            if len(self._shapes) >= MAX_SHAPES:  # models made at run time come and go
                self._shapes.clear()
            cached = self._shapes[(id(model), etype.name)] = (etype, TableShape.of(model, etype, etype.table))
        return TableStore(model, etype, scope, cached[1])

    def link_store(self, store: EntityStore) -> LinkStore:
        return Links(store)


TABLE_STORES = TableStores()
