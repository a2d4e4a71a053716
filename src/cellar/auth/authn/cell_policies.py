"""Cell properties that steer authentication (notes §2.4): which accounts act for the cell's owner,
and which accounts' logins are not recorded. Read from the cell's PROPPATCH properties (apiref 291)."""

from __future__ import annotations

from sqlalchemy import select

from cellar.storage.tables import cell_properties
from cellar.storage.uow import Transaction
from cellar.xml import PERSONIUM, parse


def _property_xml(tx: Transaction, cell_id: str, name: str) -> str | None:
    t = cell_properties
    stmt = select(t.c.xml).where(t.c.cell_id == cell_id, t.c.name == name, t.c.namespace == PERSONIUM)
    return tx.conn.execute(stmt).scalar()


def owner_representative_accounts(tx: Transaction, cell_id: str) -> set[str]:
    """``<p:ownerRepresentativeAccounts><p:account>name</p:account>…``."""
    xml = _property_xml(tx, cell_id, "ownerRepresentativeAccounts")
    if not xml:
        return set()
    root = parse(xml.encode())
    return {(e.text or "").strip() for e in root.iter(f"{{{PERSONIUM}}}account")}


def accounts_not_recording_history(tx: Transaction, cell_id: str) -> set[str]:
    """``<p:accountsnotrecordingauthhistory>a,b</p:accountsnotrecordingauthhistory>``."""
    xml = _property_xml(tx, cell_id, "accountsnotrecordingauthhistory")
    if not xml:
        return set()
    text = "".join(parse(xml.encode()).itertext())
    return {name.strip() for name in text.split(",") if name.strip()}
