"""Reading and writing stored ACLs (the ``acls`` table)."""

from __future__ import annotations

from sqlalchemy import insert, select, update

from cellar.auth.acl import Acl
from cellar.auth.cache import bump_auth_version
from cellar.auth.tokens import now as now_ms
from cellar.storage.tables import acls
from cellar.storage.uow import Transaction

CELL_ROOT = ""


def load_acl(tx: Transaction, cell_id: str, resource: str = CELL_ROOT) -> Acl:
    body = tx.conn.execute(select(acls.c.body).where(acls.c.cell_id == cell_id, acls.c.resource == resource)).scalar()
    return Acl.from_json(body) if body else Acl()


def save_acl(tx: Transaction, cell_id: str, acl: Acl, resource: str = CELL_ROOT) -> str:
    """Replace the ACL; return the resource's new WebDAV ETag ``"{version}-{updated}"``."""
    bump_auth_version(tx, cell_id)
    stamp = now_ms()
    where = (acls.c.cell_id == cell_id) & (acls.c.resource == resource)
    version = tx.conn.execute(select(acls.c.version).where(where)).scalar()
    if version is None:
        version = 1
        tx.conn.execute(insert(acls).values(cell_id=cell_id, resource=resource, body=acl.to_json(),
                                            published=stamp, updated=stamp, version=version))
    else:
        version += 1
        tx.conn.execute(update(acls).where(where).values(body=acl.to_json(), updated=stamp, version=version))
    return f'"{version}-{stamp}"'
