"""Cell properties (apiref 291): WebDAV dead properties of the cell root, stored as XML elements
(those that steer authentication are read by ``cellar.auth.authn.cell_policies``)."""

from __future__ import annotations

from sqlalchemy import delete, insert, select

from cellar.dav.properties import PropertyChange
from cellar.storage.tables import cell_properties
from cellar.storage.uow import Transaction


def all_properties(tx: Transaction, cell_id: str) -> list[str]:
    """Every stored property element, as XML, in a stable order."""
    t = cell_properties
    stmt = select(t.c.xml).where(t.c.cell_id == cell_id).order_by(t.c.namespace, t.c.name)
    return list(tx.conn.execute(stmt).scalars())


def apply_changes(tx: Transaction, cell_id: str, changes: list[PropertyChange]) -> None:
    t = cell_properties
    for change in changes:
        where = (t.c.cell_id == cell_id) & (t.c.name == change.name) & (t.c.namespace == change.namespace)
        tx.conn.execute(delete(t).where(where))
        if change.xml is not None:
            tx.conn.execute(insert(t).values(cell_id=cell_id, name=change.name, namespace=change.namespace,
                                             xml=change.xml))
