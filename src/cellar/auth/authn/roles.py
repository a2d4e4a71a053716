"""Which roles a token carries (notes §3.1 role URL forms, §4.6 visitor role mapping)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import and_, select

from cellar.storage import tables
from cellar.storage.uow import Transaction
from cellar.urls import UnitUrls

R, B, L = tables.roles, tables.boxes, tables.links


@dataclass(frozen=True)
class RoleRef:
    id: str
    name: str
    box: str | None  # None: the main box
    box_schema: str | None

    def instance_url(self, cell_url: str) -> str:
        return f"{cell_url}__role/{self.box or '__'}/{self.name}"

    def class_url(self, cell_url: str) -> str:
        """Trans-cell tokens carry class URLs: the box's schema stands for the app (box name lost)."""
        return f"{self.box_schema or cell_url}__role/__/{self.name}"


def _roles_linked(tx: Transaction, other_type: str, other_ids: Iterable[str]) -> list[RoleRef]:
    ids = list(other_ids)
    if not ids:
        return []
    # The link row orders its ends by type name: Account/ExtCell/ExtRole/Relation all sort before Role.
    linked = select(L.c.id2).where(L.c.type1 == other_type, L.c.id1.in_(ids), L.c.type2 == "Role")
    stmt = (select(R.c.id, R.c.name, B.c.name.label("box"), B.c.schema)
            .select_from(R.outerjoin(B, R.c.box_id == B.c.id)).where(R.c.id.in_(linked)))
    return [RoleRef(row.id, row.name, row.box, row.schema) for row in tx.conn.execute(stmt)]


def account_roles(tx: Transaction, account_id: str) -> list[RoleRef]:
    return _roles_linked(tx, "Account", [account_id])


def normalise_role_url(url: str) -> str:
    """``{base}__role/{box}/{name}`` → ``{base}__role/__/{name}``, the form ExtRole values hold."""
    base, sep, rest = url.partition("__role/")
    if not sep or "/" not in rest:
        return url
    return f"{base}__role/__/{rest.rsplit('/', 1)[1]}"


def url_variants(urls: UnitUrls, url: str) -> list[str]:
    """A cell URL as ExtCell may hold it: the http form and the localunit forms (notes §1.4)."""
    canonical = urls.canonical(url)
    variants = [canonical]
    if canonical.startswith(urls.unit_url) and urls.path_based:
        cell = canonical[len(urls.unit_url):].strip("/")
        if cell and "/" not in cell:
            variants += [f"personium-localunit:/{cell}/", f"personium-localunit:{cell}:/"]
    return variants


def visitor_roles(tx: Transaction, urls: UnitUrls, cell_id: str, subject: str, issuer: str,
                  token_roles: Iterable[str]) -> list[RoleRef]:
    """Roles granted here to a visitor: via its ExtCell, the Relations of the issuer's ExtCell, and
    the ExtRoles of those Relations that match a role of the token."""
    ext = tables.ext_cells
    subject_cell = subject.split("#", 1)[0]
    found: list[RoleRef] = []
    if urls.canonical(subject_cell) == urls.canonical(issuer):
        ids = tx.conn.execute(select(ext.c.id).where(
            ext.c.cell_id == cell_id, ext.c.url.in_(url_variants(urls, subject_cell)))).scalars().all()
        found += _roles_linked(tx, "ExtCell", ids)
    issuer_cells = select(ext.c.id).where(ext.c.cell_id == cell_id, ext.c.url.in_(url_variants(urls, issuer)))
    relation_ids = tx.conn.execute(select(L.c.id2).where(
        L.c.type1 == "ExtCell", L.c.id1.in_(issuer_cells), L.c.type2 == "Relation")).scalars().all()
    found += _roles_linked(tx, "Relation", relation_ids)
    wanted = {normalise_role_url(role) for role in token_roles}
    if relation_ids and wanted:
        er = tables.ext_roles
        ext_role_ids = tx.conn.execute(select(er.c.id).where(
            and_(er.c.relation_id.in_(relation_ids), er.c.ext_role.in_(wanted)))).scalars().all()
        found += _roles_linked(tx, "ExtRole", ext_role_ids)
    return list(dict.fromkeys(found))


def roles_by_id(tx: Transaction, cell_id: str, ids: Iterable[str]) -> dict[str, RoleRef]:
    wanted = list(ids)
    if not wanted:
        return {}
    stmt = (select(R.c.id, R.c.name, B.c.name.label("box"), B.c.schema)
            .select_from(R.outerjoin(B, R.c.box_id == B.c.id)).where(R.c.cell_id == cell_id, R.c.id.in_(wanted)))
    return {row.id: RoleRef(row.id, row.name, row.box, row.schema) for row in tx.conn.execute(stmt)}


def role_ids_for_urls(tx: Transaction, cell_id: str, cell_url: str, urls: Iterable[str]) -> tuple[str, ...]:
    """Role instance URLs of this cell (as an AV~ token carries them) → the roles' ids."""
    prefix = f"{cell_url}__role/"
    wanted = set()
    for url in urls:
        if url.startswith(prefix) and url.count("/") == prefix.count("/") + 1:
            box, name = url[len(prefix):].split("/")
            wanted.add((None if box == "__" else box, name))
    if not wanted:
        return ()
    stmt = (select(R.c.id, R.c.name, B.c.name.label("box"))
            .select_from(R.outerjoin(B, R.c.box_id == B.c.id))
            .where(R.c.cell_id == cell_id, R.c.name.in_({name for _, name in wanted})))
    return tuple(row.id for row in tx.conn.execute(stmt) if (row.box, row.name) in wanted)
