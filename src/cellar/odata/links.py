"""Links between table-backed entities: N:1 as a foreign key on the child row, N:N as rows of the
links table — the :class:`~cellar.odata.store.LinkStore` of control objects.

Both kinds are reached the same way from a navigation property, so ``$links``, navigation reads
and creates, ``$expand`` and delete semantics need no per-pair code.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, delete, func, insert, or_, select

from cellar import clock
from cellar.errors import PersoniumError
from cellar.odata.model import EntityType, NavigationProperty, NavKind, ParentLink
from cellar.odata.store import Entity, EntityStore
from cellar.storage import tables
from cellar.storage.uow import Transaction

#: Personium's ``odata.links.NtoN.maxnum``: links of one entity to one target type.
MAX_MANY_LINKS = 150_000


def child_link(child: EntityType, parent: EntityType) -> ParentLink:
    """The foreign key on ``child`` that points at ``parent``."""
    return next(link for link in child.parents if link.target == parent.name)


def _ends(a: Entity, b: Entity) -> tuple[str, str, str, str]:
    """The link row's (type1, id1, type2, id2): ends ordered by type name (then id, for a link between
    two entities of one type, such as two AssociationEnds), so a link has one row."""
    if (a.etype.name, a.id) <= (b.etype.name, b.id):
        return a.etype.name, a.id, b.etype.name, b.id
    return b.etype.name, b.id, a.etype.name, a.id


class Links:
    def __init__(self, source_store: EntityStore) -> None:
        self.store = source_store
        self.model = source_store.model

    def target_store(self, nav: NavigationProperty) -> EntityStore:
        return self.model.store(self.model.type(nav.target), self.store.scope)

    def related(self, source: Entity, nav: NavigationProperty, target: EntityStore) -> ColumnElement[bool]:
        """A condition on the target table selecting the entities related to ``source``."""
        if nav.kind is NavKind.PARENT:
            link = source.etype.parent_link(nav.name)
            assert link is not None
            return target.column("id") == source.hidden.get(link.column)
        if nav.kind is NavKind.CHILDREN:
            return target.column(child_link(target.etype, source.etype).column) == source.id
        return target.column("id").in_(self._many_ids(source, target.etype.name))

    def _many_ids(self, source: Entity, target_type: str) -> Any:
        L = tables.links
        if source.etype.name == target_type:  # either end may be the source's
            return select(L.c.id2).where(L.c.type1 == target_type, L.c.id1 == source.id, L.c.type2 == target_type) \
                .union_all(select(L.c.id1).where(L.c.type2 == target_type, L.c.id2 == source.id,
                                                 L.c.type1 == target_type))
        if source.etype.name <= target_type:
            return select(L.c.id2).where(L.c.type1 == source.etype.name, L.c.id1 == source.id, L.c.type2 == target_type)
        return select(L.c.id1).where(L.c.type2 == source.etype.name, L.c.id2 == source.id, L.c.type1 == target_type)

    # --- changing links -------------------------------------------------------------------------
    def add(self, tx: Transaction, source: Entity, nav: NavigationProperty, target: Entity) -> None:
        if nav.kind is NavKind.MANY:
            self._add_many(tx, source, target)
        elif nav.kind is NavKind.PARENT:
            self._set_parent(tx, source, target)
        else:
            self._set_parent(tx, target, source)

    def remove(self, tx: Transaction, source: Entity, nav: NavigationProperty, target: Entity) -> None:
        if nav.kind is NavKind.MANY:
            t1, i1, t2, i2 = _ends(source, target)
            L = tables.links
            stmt = delete(L).where(L.c.type1 == t1, L.c.id1 == i1, L.c.type2 == t2, L.c.id2 == i2)
            if tx.conn.execute(stmt).rowcount == 0:
                raise PersoniumError("PR404-OD-0000")
            return
        child, parent = (source, target) if nav.kind is NavKind.PARENT else (target, source)
        link = child_link(child.etype, parent.etype)
        if child.hidden.get(link.column) != parent.id:
            raise PersoniumError("PR404-OD-0000")
        if link.required:
            raise PersoniumError("PR400-OD-0009", link.keys[0][0])
        self._write_parent(tx, child, link, None)

    def _add_many(self, tx: Transaction, a: Entity, b: Entity) -> None:
        t1, i1, t2, i2 = _ends(a, b)
        L = tables.links
        exists = select(L.c.id1).where(L.c.type1 == t1, L.c.id1 == i1, L.c.type2 == t2, L.c.id2 == i2)
        if tx.conn.execute(exists).first() is not None:
            raise PersoniumError("PR409-OD-0002")
        for entity, other in ((a, b.etype.name), (b, a.etype.name)):
            count = select(func.count()).select_from(self._many_ids(entity, other).subquery())
            if tx.conn.execute(count).scalar_one() >= MAX_MANY_LINKS:
                raise PersoniumError("PR400-OD-0038")
        tx.conn.execute(insert(L).values(cell_id=self.store.scope["cell_id"], type1=t1, id1=i1, type2=t2, id2=i2,
                                         published=clock.now_ms()))

    def _set_parent(self, tx: Transaction, child: Entity, parent: Entity) -> None:
        link = child_link(child.etype, parent.etype)
        if child.hidden.get(link.column) is not None:
            raise PersoniumError("PR409-OD-0002")
        self._write_parent(tx, child, link, parent)

    def _write_parent(self, tx: Transaction, child: Entity, link: ParentLink, parent: Entity | None) -> None:
        """Re-parent a child; its key changes with the parent, so it must stay unique (PR409-OD-0005)."""
        store = self.model.store(child.etype, self.store.scope)
        new_key = dict(child.key_values)
        for mine, theirs in link.keys:
            new_key[mine] = None if parent is None else parent.values.get(theirs)
        if store.find(tx, new_key) is not None:
            raise PersoniumError("PR409-OD-0005", child.etype.name)
        store.update(tx, child, {}, {link.column: None if parent is None else parent.id})

    # --- delete semantics (notes §5.4) ----------------------------------------------------------
    def check_no_children(self, tx: Transaction, entity: Entity) -> None:
        for nav in entity.etype.navigation:
            if nav.kind is NavKind.CHILDREN:
                target = self.target_store(nav)
                if target.exists(tx, self.related(entity, nav, target)):
                    raise PersoniumError("PR409-OD-0001")

    def drop_many(self, tx: Transaction, entity: Entity) -> None:
        L = tables.links
        tx.conn.execute(delete(L).where(or_(and_(L.c.type1 == entity.etype.name, L.c.id1 == entity.id),
                                            and_(L.c.type2 == entity.etype.name, L.c.id2 == entity.id))))
