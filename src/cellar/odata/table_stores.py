"""The store factory of table-backed models (control objects): a table per type, the links table."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cellar.odata.links import Links
from cellar.odata.model import EntityModel, EntityType
from cellar.odata.store import EntityStore, LinkStore, TableStore


class TableStores:
    def entity_store(self, model: EntityModel, etype: EntityType, scope: Mapping[str, Any]) -> EntityStore:
        return TableStore(model, etype, scope)

    def link_store(self, store: EntityStore) -> LinkStore:
        return Links(store)


TABLE_STORES = TableStores()
