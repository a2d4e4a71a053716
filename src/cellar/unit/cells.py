"""The Cell entity (apiref 100–105): definition, owner rules, emptiness and recursive delete."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, bindparam, delete, exists, func, select

from cellar.auth.context import Caller
from cellar.errors import PersoniumError
from cellar.events import catalog
from cellar.events.bus import Event
from cellar.odata.checks import CELL_NAME, pattern
from cellar.odata.model import EntityType, KeyPart, Property
from cellar.odata.service import EntityHooks
from cellar.odata.store import Entity, EntityStore
from cellar.storage import tables
from cellar.storage.blobs import BlobStore
from cellar.storage.prepared import Prepared
from cellar.storage.uow import Transaction

CELL = EntityType(
    name="Cell",
    namespace="UnitCtl",
    key=(KeyPart("Name"),),
    properties=(Property("Name", nullable=False, checks=(pattern(CELL_NAME),)),),
    table=tables.cells,
)


def owner_of(caller: Caller) -> str | None:
    """Cells made by the master token (or a unit admin) have no owner (notes §2.3)."""
    return None if caller.access.sees_all_cells else caller.access.subject


class CellHooks(EntityHooks):
    def visible(self, caller: Caller, store: EntityStore) -> ColumnElement[bool] | None:
        if caller.access.sees_all_cells:
            return None
        return store.column("owner") == caller.access.subject

    def check_access(self, caller: Caller, entity: Entity) -> None:
        check_owner(caller, entity.hidden.get("owner"))

    def before_create(self, tx: Transaction, caller: Caller, values: dict[str, Any]) -> dict[str, Any]:
        return {"owner": owner_of(caller), "status": "normal"}

    def before_delete(self, tx: Transaction, caller: Caller, entity: Entity) -> None:
        if not is_empty(tx, entity.id):
            raise PersoniumError("PR409-OD-0001")


def check_owner(caller: Caller, owner: str | None) -> None:
    if not caller.access.sees_all_cells and (owner is None or owner != caller.access.subject):
        raise PersoniumError("PR403-AU-0003")


def _content_tables() -> list[Any]:
    """Every table holding something of a cell has a ``cell_id`` column (see storage.tables)."""
    return [t for t in reversed(tables.metadata.sorted_tables)
            if "cell_id" in t.c and t.name not in tables.NOT_CELL_TABLES]


def is_empty(tx: Transaction, cell_id: str) -> bool:
    """No box, no control object, no content (notes §2.3); ACLs, properties and keys do not count."""
    for table in _content_tables():
        if table.name in tables.CELL_METADATA_TABLES:
            continue
        if tx.conn.execute(select(exists().where(table.c.cell_id == cell_id, tables.content_rows(table)))).scalar():
            return False
    return True


#: Every request inside a cell starts here: the cell and, in the same statement, the version its
#: authorization caches are keyed by (0 before the first write that raises it).
_CELL_BY_NAME = Prepared(
    select(tables.cells, func.coalesce(tables.cell_auth_versions.c.version, 0).label("auth_version"))
    .select_from(tables.cells.outerjoin(tables.cell_auth_versions,
                                        tables.cell_auth_versions.c.cell_id == tables.cells.c.id))
    .where(tables.cells.c.name == bindparam("name")))


def find_cell(tx: Transaction, name: str) -> dict[str, Any] | None:
    """The cell row by name, with its ``auth_version``."""
    if "\x00" in name:
        return None
    return _CELL_BY_NAME.first(tx, name=name)


def delete_recursive(tx: Transaction, blobs: BlobStore, cell: dict[str, Any], cell_url: str) -> None:
    """Remove the cell and everything it holds in this one transaction: never half (file bodies are
    released with it, their chunks deleted once it committed)."""
    blobs.release_cell(tx, cell["id"])
    for table in _content_tables():
        tx.conn.execute(delete(table).where(table.c.cell_id == cell["id"]))
    tx.conn.execute(delete(tables.cells).where(tables.cells.c.id == cell["id"]))
    tx.emit(Event(catalog.entity(catalog.UNITCTL, CELL.name, catalog.DELETE), cell_url, cell_id=cell["id"],
                  extra={"recursive": True}))


def find_cell_by_id(tx: Transaction, cell_id: str) -> dict[str, Any] | None:
    row = tx.conn.execute(select(tables.cells).where(tables.cells.c.id == cell_id)).mappings().first()
    return dict(row) if row else None
