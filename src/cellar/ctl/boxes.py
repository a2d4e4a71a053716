"""Box lifecycle beyond the generic entity set: a box with WebDAV content cannot be deleted plainly
(notes §5.4), and the recursive box delete (apiref/295) removes everything that belongs to it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, delete, or_, select

from cellar.auth.cache import BoundedCache, bump_auth_version
from cellar.auth.context import Caller
from cellar.dav import tree
from cellar.errors import PersoniumError
from cellar.odata.service import EntityHooks
from cellar.odata.store import Entity
from cellar.storage import tables
from cellar.storage.blobs import BlobStore
from cellar.storage.prepared import Prepared
from cellar.storage.uow import Transaction
from cellar.urls import UnitUrls


class BoxHooks(EntityHooks):
    def __init__(self, blobs: BlobStore) -> None:
        self.blobs = blobs

    def before_delete(self, tx: Transaction, caller: Caller, entity: Entity) -> None:
        tree.lock_box(tx, entity.id)
        if not tree.box_is_empty(tx, entity.id):
            raise PersoniumError("PR409-OD-0001")
        tree.remove_box(tx, self.blobs, entity.id)


_BOX_BY_NAME = Prepared(select(tables.boxes).where(tables.boxes.c.cell_id == bindparam("cell"),
                                                   tables.boxes.c.name == bindparam("name")))


#: Boxes by (cell id, authorization version, name): every write to a box goes through ``__ctl``, whose
#: writes raise the version (``cellar.auth.cache``), so an entry is never stale.
_BOXES: BoundedCache[tuple[str, int, str], tree.Box | None] = BoundedCache(4096)


def find_box(tx: Transaction, cell: dict[str, Any], name: str) -> tree.Box | None:
    """A box of the cell by name; ``__`` is the main box, which every cell has."""
    if "\x00" in name:
        return None
    if name == tree.MAIN_BOX:
        return tree.Box(cell["id"], cell["id"], name, None, cell["published"], cell["updated"])
    version = cell.get("auth_version")
    if version is None:
        return _load_box(tx, cell, name)
    return _BOXES.get_or_make((cell["id"], version, name), lambda: _load_box(tx, cell, name))


def _load_box(tx: Transaction, cell: dict[str, Any], name: str) -> tree.Box | None:
    row = _BOX_BY_NAME.first(tx, cell=cell["id"], name=name)
    if row is None:
        return None
    return tree.Box(row["id"], cell["id"], row["name"], row["schema"], row["published"], row["updated"])


def find_box_by_schema(tx: Transaction, cell: dict[str, Any], schema: str) -> tree.Box | None:
    b = tables.boxes
    row = tx.conn.execute(select(b.c.name).where(b.c.cell_id == cell["id"], b.c.schema == schema)).first()
    return find_box(tx, cell, row.name) if row is not None else None


def box_for_schema(tx: Transaction, cell: dict[str, Any], schema: str, urls: UnitUrls) -> tree.Box | None:
    """The box whose Schema is ``schema`` however either is spelt (http or ``personium-localunit:``, with
    or without the trailing slash), as Cell.getBoxForSchema tries them."""
    forms = {form for spelling in urls.spellings(schema) for form in (spelling.rstrip("/"), spelling.rstrip("/") + "/")}
    b = tables.boxes
    row = tx.conn.execute(select(b.c.name).where(b.c.cell_id == cell["id"], b.c.schema.in_(sorted(forms)))
                          .order_by(b.c.name).limit(1)).first()
    return find_box(tx, cell, row.name) if row is not None else None


#: What is bound to a box and goes with it in a recursive delete (besides its relations' external roles).
BOUND = (tables.roles, tables.relations, tables.rules, tables.received_messages, tables.sent_messages)


def delete_recursive(tx: Transaction, blobs: BlobStore, box: tree.Box) -> None:
    """The box, its WebDAV tree, and the roles, relations, external roles, rules and messages bound to it,
    with every link touching them — in the caller's one transaction."""
    er, links = tables.ext_roles, tables.links
    bound_ids = [row.id for table in BOUND
                 for row in tx.conn.execute(select(table.c.id).where(table.c.box_id == box.id))]
    relation_ids = select(tables.relations.c.id).where(tables.relations.c.box_id == box.id)
    ext_role_ids = [row.id for row in tx.conn.execute(select(er.c.id).where(er.c.relation_id.in_(relation_ids)))]
    doomed = [*bound_ids, *ext_role_ids, box.id]
    for chunk in range(0, len(doomed), 500):
        ids = doomed[chunk:chunk + 500]
        tx.conn.execute(delete(links).where(links.c.cell_id == box.cell_id,
                                            or_(links.c.id1.in_(ids), links.c.id2.in_(ids))))
    tx.conn.execute(delete(er).where(er.c.id.in_(ext_role_ids)))
    for table in BOUND:
        tx.conn.execute(delete(table).where(table.c.box_id == box.id))
    tree.remove_box(tx, blobs, box.id)
    tx.conn.execute(delete(tables.boxes).where(tables.boxes.c.id == box.id))
    bump_auth_version(tx, box.cell_id)
