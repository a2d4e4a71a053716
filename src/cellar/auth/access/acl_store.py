"""Reading and writing stored ACLs (the ``acls`` table)."""

from __future__ import annotations

from sqlalchemy import insert, select, update

from cellar import clock
from cellar.auth.access.acl import Acl, RoleResolver
from cellar.auth.cache import bump_auth_version
from cellar.errors import PersoniumError
from cellar.storage import tables
from cellar.storage.tables import acls
from cellar.storage.uow import Transaction

CELL_ROOT = ""


def load_acl(tx: Transaction, cell_id: str, resource: str = CELL_ROOT) -> Acl:
    body = tx.conn.execute(select(acls.c.body).where(acls.c.cell_id == cell_id, acls.c.resource == resource)).scalar()
    return Acl.from_json(body) if body else Acl()


def save_acl(tx: Transaction, cell_id: str, acl: Acl, resource: str = CELL_ROOT) -> str:
    """Replace the ACL; return the resource's new WebDAV ETag ``"{version}-{updated}"``."""
    bump_auth_version(tx, cell_id)
    stamp = clock.now_ms()
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


def role_resolver(tx: Transaction, cell_id: str, cell_url: str) -> RoleResolver:
    """ACL principals → role ids: the box must exist (PR400-DV-0005) and hold the role (PR400-DV-0004)."""
    r, b = tables.roles, tables.boxes

    def resolve(box: str | None, name: str) -> str:
        box_id = None
        if box is not None:
            box_id = tx.conn.execute(select(b.c.id).where(b.c.cell_id == cell_id, b.c.name == box)).scalar()
            if box_id is None:
                raise PersoniumError("PR400-DV-0005", f"{cell_url}{box}")
        where = (r.c.cell_id == cell_id) & (r.c.name == name) & (r.c.box_id.is_(None) if box_id is None
                                                                 else r.c.box_id == box_id)
        role_id = tx.conn.execute(select(r.c.id).where(where)).scalar()
        if role_id is None:
            raise PersoniumError("PR400-DV-0004")
        return str(role_id)

    return resolve
