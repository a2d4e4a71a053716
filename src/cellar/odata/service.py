"""Generic entity-set operations: create, read, list, replace, merge, delete.

Everything an entity type needs beyond its definition (owner columns, passwords, emptiness
checks, access filters) comes through :class:`EntityHooks`, so there is no per-type CRUD code.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, true

from cellar.auth.context import Caller
from cellar.errors import PersoniumError
from cellar.events import catalog
from cellar.events.bus import Event
from cellar.odata.body import validate_entity
from cellar.odata.compile import compile_filter, compile_orderby
from cellar.odata.keys import format_key
from cellar.odata.links import child_link
from cellar.odata.model import EntityModel, EntityType, NavigationProperty, NavKind
from cellar.odata.query.options import QueryOptions
from cellar.odata.store import Entity, EntityStore
from cellar.storage.uow import Transaction

#: Related entities per entity id and navigation property (``$expand``); an alias because the
#: service's ``list`` method hides the builtin inside its class.
Expansion = dict[str, dict[str, list[Entity]]]


class EntityHooks:
    """Per-type behaviour around the generic operations; every method is optional."""

    def visible(self, caller: Caller, store: EntityStore) -> ColumnElement[bool] | None:
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

    def before_link(self, tx: Transaction, source: Entity, nav: NavigationProperty, target: Entity) -> None:
        """Raise if the two entities may not be linked (beyond what the link store checks)."""

    def check_links(self, nav: NavigationProperty) -> None:
        """Raise if ``$links`` may not create or delete links through ``nav`` at all."""


@dataclass(frozen=True)
class ListResult:
    entities: list[Entity]
    count: int | None


#: Raises unless the caller may do ``kind`` ("read", "write", "options-links"; "options-root" with no
#: entity type) on the entity type.
Authorizer = Callable[[EntityType | None, str], None]


@dataclass(frozen=True)
class ServiceRoot:
    """One OData service root as one request sees it: the model, the scope columns (e.g.
    ``cell_id``), the root URL, who calls and how their access is decided."""

    model: EntityModel
    scope: Mapping[str, Any]
    url: str
    caller: Caller
    authorize: Authorizer
    hooks: Mapping[str, EntityHooks]
    #: How its writes' events are named; None: they emit none.
    events: catalog.Naming | None = None
    #: Called in the transaction of every write (entities and links), e.g. to invalidate caches.
    on_write: Callable[[Transaction], None] | None = None
    #: Types whose privilege alone decides links and navigation touching them.
    link_owners: frozenset[str] = frozenset()

    def service(self, etype: EntityType) -> EntitySetService:
        return EntitySetService(self, etype)


class EntitySetService:
    """One entity set as seen from one service root (``{unit}__ctl/`` or ``{cell}__ctl/``)."""

    def __init__(self, root: ServiceRoot, etype: EntityType) -> None:
        self.root = root
        self.etype = etype
        self.store = root.model.store(etype, root.scope)
        self.links = root.model.stores.link_store(self.store)
        self.hooks = root.hooks.get(etype.name) or EntityHooks()

    def uri(self, entity: Entity) -> str:
        return f"{self.root.url}{entity.etype.name}{format_key(entity.etype, entity.key_values)}"

    # --- reads ----------------------------------------------------------------------------------
    def get(self, tx: Transaction, key: Mapping[str, Any]) -> Entity:
        entity = self.store.find(tx, key)
        if entity is None:
            raise PersoniumError("PR404-OD-0002")
        self.hooks.check_access(self.root.caller, entity)
        return entity

    def list(self, tx: Transaction, options: QueryOptions) -> ListResult:
        where = self._where(options)
        order = compile_orderby(options.orderby, self.store.resolve) if options.orderby else []
        entities = self.store.select(tx, where, order, options.top, options.skip, options.q)
        count = self.store.count(tx, where, options.q) if options.inlinecount else None
        return ListResult(entities, count)

    def _where(self, options: QueryOptions) -> ColumnElement[bool]:
        conditions: list[ColumnElement[bool]] = []
        if options.filter is not None:
            conditions.append(compile_filter(options.filter, self.store.resolve))
        visible = self.hooks.visible(self.root.caller, self.store)
        if visible is not None:
            conditions.append(visible)
        where: ColumnElement[bool] = true()
        for condition in conditions:
            where = where & condition
        return where

    # --- writes ---------------------------------------------------------------------------------
    def create(self, tx: Transaction, body: dict[str, Any]) -> Entity:
        values = self._validated(body, partial=False)
        self._check_key_not_null(values)
        if self.store.find(tx, {p.name: values.get(p.name) for p in self.etype.key}) is not None:
            raise PersoniumError("PR409-OD-0003")
        hidden = self.hooks.before_create(tx, self.root.caller, values)
        entity = self.store.insert(tx, values, hidden)
        self._emit(tx, "create", entity)
        return entity

    def replace(self, tx: Transaction, key: Mapping[str, Any], body: dict[str, Any],
                if_match: str | None) -> Entity:
        return self._update(tx, key, self._validated(body, partial=False), if_match, "update")

    def merge(self, tx: Transaction, key: Mapping[str, Any], body: dict[str, Any],
              if_match: str | None) -> Entity:
        return self._update(tx, key, self._validated(body, partial=True), if_match, catalog.PATCH)

    def _validated(self, body: dict[str, Any], *, partial: bool) -> dict[str, Any]:
        return validate_entity(self.root.model, self.etype, body, partial=partial)

    def _update(self, tx: Transaction, key: Mapping[str, Any], values: dict[str, Any],
                if_match: str | None, op: str) -> Entity:
        entity = self.get(tx, key)
        check_if_match(if_match, entity)
        self._check_key_not_null({**entity.values, **values})
        new_key = {p.name: values.get(p.name, entity.values.get(p.name)) for p in self.etype.key}
        if new_key != entity.key_values and self.store.find(tx, new_key) is not None:
            raise PersoniumError("PR409-OD-0003")
        hidden = self.hooks.before_update(tx, self.root.caller, entity, values)
        updated = self.store.update(tx, entity, values, hidden, replace=op == "update")
        self._emit(tx, op, updated)
        return updated

    def delete(self, tx: Transaction, key: Mapping[str, Any], if_match: str | None) -> None:
        """Refused while children hang on the entity (409); its N:N links go silently (notes §5.4)."""
        entity = self.get(tx, key)
        check_if_match(if_match, entity)
        self.hooks.before_delete(tx, self.root.caller, entity)  # may take what goes with it (one transaction)
        self.links.check_no_children(tx, entity)
        self.links.drop_many(tx, entity)
        self.store.delete(tx, entity)
        self._emit(tx, "delete", entity)

    # --- navigation properties and $links -------------------------------------------------------
    def navigation(self, name: str) -> NavigationProperty:
        nav = self.etype.navigation_property(name)
        if nav is None:
            raise PersoniumError("PR404-OD-0003")
        return nav

    def list_related(self, tx: Transaction, source: Entity, nav: NavigationProperty,
                     options: QueryOptions) -> tuple[EntitySetService, ListResult]:
        target = self.root.service(self.root.model.type(nav.target))
        where = self._where_related(target, source, nav, options)
        order = compile_orderby(options.orderby, target.store.resolve) if options.orderby else []
        entities = target.store.select(tx, where, order, options.top, options.skip, options.q)
        count = target.store.count(tx, where, options.q) if options.inlinecount else None
        return target, ListResult(entities, count)

    def _where_related(self, target: EntitySetService, source: Entity, nav: NavigationProperty,
                       options: QueryOptions) -> ColumnElement[bool]:
        return target._where(options) & self.links.related(source, nav, target.store)

    def create_related(self, tx: Transaction, source: Entity, nav: NavigationProperty,
                       body: dict[str, Any]) -> tuple[EntitySetService, Entity]:
        """POST to a navigation property: create the target, then link it to the source."""
        target = self.root.service(self.root.model.type(nav.target))
        if nav.kind is NavKind.CHILDREN:
            link = child_link(target.etype, self.etype)
            body = {**body, **{mine: source.values.get(theirs) for mine, theirs in link.keys}}
            return target, target.create(tx, body)
        created = target.create(tx, body)
        self.add_link(tx, source, nav, created)
        return target, target.store.find_by_id(tx, created.id) or created

    def add_link(self, tx: Transaction, source: Entity, nav: NavigationProperty, target: Entity) -> None:
        self.hooks.check_links(nav)
        self.hooks.before_link(tx, source, nav, target)
        self.links.add(tx, source, nav, target)
        self._emit_link(tx, "create", source, target)

    def remove_link(self, tx: Transaction, source: Entity, nav: NavigationProperty, target: Entity) -> None:
        self.hooks.check_links(nav)
        self.links.remove(tx, source, nav, target)
        self._emit_link(tx, "delete", source, target)

    def find_related(self, tx: Transaction, source: Entity, nav: NavigationProperty,
                     key: Mapping[str, Any]) -> Entity | None:
        return self.root.model.store(self.root.model.type(nav.target), self.root.scope).find(tx, key)

    def expand(self, tx: Transaction, entities: Sequence[Entity], names: Sequence[str],
               limit: int) -> Expansion:
        """Related entities per entity id and navigation property, at most ``limit`` each."""
        navs = [self._expandable(name) for name in names]
        expanded: dict[str, dict[str, list[Entity]]] = {e.id: {} for e in entities}
        for entity in entities:
            for nav in navs:
                target = self.root.model.store(self.root.model.type(nav.target), self.root.scope)
                related = self.links.related(entity, nav, target)
                expanded[entity.id][nav.name] = target.select(tx, related, target.newest_first(), limit, 0)
        return expanded

    def _expandable(self, name: str) -> NavigationProperty:
        nav = self.etype.navigation_property(name.strip())
        if nav is None:
            raise PersoniumError("PR400-OD-0026")
        return nav

    def _emit_link(self, tx: Transaction, op: str, source: Entity, target: Entity) -> None:
        if self.root.on_write is not None:
            self.root.on_write(tx)
        if self.root.events is not None:
            tx.emit(Event(self.root.events.link(source.etype.name, target.etype.name, op),
                          f"{self.uri(source)}/$links/_{target.etype.name}", cell_id=self.store.scope.get("cell_id")))

    def _check_key_not_null(self, values: Mapping[str, Any]) -> None:
        for part in self.etype.key:
            if not part.nullable and values.get(part.name) is None:
                raise PersoniumError("PR400-OD-0009", part.name)

    def _emit(self, tx: Transaction, op: str, entity: Entity) -> None:
        if self.root.on_write is not None:
            self.root.on_write(tx)
        if self.root.events is not None:
            # Outside a cell (the unit's Cell set) the entity is the cell.
            tx.emit(Event(self.root.events.entity(self.etype.name, op), self.uri(entity),
                          cell_id=self.store.scope.get("cell_id", entity.id)))


def check_if_match(if_match: str | None, entity: Entity) -> None:
    """Absent or ``*``: unconditional. Otherwise the whole weak ETag must match (notes 8.3)."""
    if if_match is None or if_match.strip() == "*":
        return
    candidates = [value.strip() for value in if_match.split(",")]
    if entity.etag not in candidates:
        raise PersoniumError("PR412-OD-0002")
