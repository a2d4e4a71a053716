"""Cell properties (apiref 291): WebDAV dead properties of the cell root, some of which steer
authentication (``ownerRepresentativeAccounts``, ``accountsnotrecordingauthhistory``)."""

from __future__ import annotations

from sqlalchemy import delete, insert, select

from cellar.dav.properties import PropertyChange
from cellar.storage.tables import cell_properties
from cellar.storage.uow import Transaction
from cellar.xml import PERSONIUM, parse


def property_xml(tx: Transaction, cell_id: str, name: str, namespace: str = PERSONIUM) -> str | None:
    t = cell_properties
    stmt = select(t.c.xml).where(t.c.cell_id == cell_id, t.c.name == name, t.c.namespace == namespace)
    return tx.conn.execute(stmt).scalar()


def owner_representative_accounts(tx: Transaction, cell_id: str) -> set[str]:
    """``<p:ownerRepresentativeAccounts><p:account>name</p:account>…`` (notes §2.4)."""
    xml = property_xml(tx, cell_id, "ownerRepresentativeAccounts")
    if not xml:
        return set()
    root = parse(xml.encode())
    return {(e.text or "").strip() for e in root.iter(f"{{{PERSONIUM}}}account")}


def accounts_not_recording_history(tx: Transaction, cell_id: str) -> set[str]:
    """``<p:accountsnotrecordingauthhistory>a,b</p:accountsnotrecordingauthhistory>``."""
    xml = property_xml(tx, cell_id, "accountsnotrecordingauthhistory")
    if not xml:
        return set()
    text = "".join(parse(xml.encode()).itertext())
    return {name.strip() for name in text.split(",") if name.strip()}


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
