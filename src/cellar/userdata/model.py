"""The entity model of one OData collection's user data, built from its schema rows and kept per
schema version (``odata_schemas``, bumped in the transaction of every schema write), so every process
sees a change as soon as it commits."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Row

from cellar import clock
from cellar.errors import PersoniumError
from cellar.odata.checks import pattern
from cellar.odata.compile import DATETIME_MAX, DATETIME_MIN, INT32_RANGE
from cellar.odata.model import (
    AssociationEnds,
    ComplexType,
    EntityModel,
    EntityType,
    KeyPart,
    NavigationProperty,
    Property,
)
from cellar.storage import tables
from cellar.storage.ids import new_id
from cellar.storage.uow import Transaction
from cellar.userdata.schema import DATE, SYSUTCDATETIME
from cellar.userdata.store import KEY, DocumentStores
from cellar.userdata.versions import schema_version

NAMESPACE = "UserData"
#: The real server's ``__id`` format (``Common.PATTERN_ID``).
ID = r"[a-zA-Z0-9][a-zA-Z0-9-_:]{0,199}"
MODELS_KEPT = 256

_models: OrderedDict[tuple[str, int], EntityModel] = OrderedDict()


def user_model(tx: Transaction, collection_id: str) -> EntityModel:
    key = (collection_id, schema_version(tx, collection_id))
    model = _models.get(key)
    if model is None:
        model = _models[key] = _build(tx, collection_id)
        while len(_models) > MODELS_KEPT:
            _models.popitem(last=False)
    return model


def _build(tx: Transaction, collection_id: str) -> EntityModel:
    et, p = tables.odata_entity_types, tables.odata_properties
    ct, cp = tables.odata_complex_types, tables.odata_complex_type_properties
    types = tx.conn.execute(select(et.c.id, et.c.name).where(et.c.collection_id == collection_id)
                            .order_by(et.c.name)).all()
    props = tx.conn.execute(select(p).where(p.c.collection_id == collection_id).order_by(p.c.published)).all()
    complex_types = tx.conn.execute(select(ct.c.id, ct.c.name).where(ct.c.collection_id == collection_id)
                                    .order_by(ct.c.name)).all()
    complex_props = tx.conn.execute(select(cp).where(cp.c.collection_id == collection_id)
                                    .order_by(cp.c.published)).all()
    entity_types = tuple(
        EntityType(name=row.name, namespace=NAMESPACE, key=(KeyPart(KEY),), open=True,
                   properties=(Property(KEY, nullable=False, default=new_id, checks=(pattern(ID),),
                                        edm_default="UUID()", edm_format=f"regEx('^{ID}$')"),
                               *(_property(prop, prop.is_declared) for prop in props if prop.entity_type_id == row.id)))
        for row in types)
    complexes = tuple(ComplexType(row.name, tuple(_property(prop) for prop in complex_props
                                                  if prop.complex_type_id == row.id))
                      for row in complex_types)
    navigation = _navigation(tx, collection_id, {row.id: row.name for row in types})
    entity_types = tuple(replace(etype, navigation=tuple(navigation.get(etype.name, ()))) for etype in entity_types)
    stores = DocumentStores(collection_id, {row.name: row.id for row in types})
    return EntityModel(NAMESPACE, entity_types, stores, complexes)


def _navigation(tx: Transaction, collection_id: str, type_names: dict[str, str]) -> dict[str, list[NavigationProperty]]:
    """Each pair of linked AssociationEnds makes ``_B`` on A and ``_A`` on B (one ``_A`` on A for an
    association of a type with itself), named as the real server's ``$metadata`` names them."""
    ae, L = tables.odata_association_ends, tables.links
    ends = {row.id: row for row in tx.conn.execute(
        select(ae.c.id, ae.c.name, ae.c.entity_type_id, ae.c.multiplicity).where(ae.c.collection_id == collection_id))}
    pairs = tx.conn.execute(select(L.c.id1, L.c.id2).where(
        L.c.type1 == "AssociationEnd", L.c.type2 == "AssociationEnd", L.c.id1.in_(list(ends)))).all()
    navigation: dict[str, list[NavigationProperty]] = {}
    for id1, id2 in pairs:
        sides = sorted(((type_names[ends[i].entity_type_id], ends[i]) for i in (id1, id2)),
                       key=lambda side: f"{side[0]}:{side[1].name}")
        (a, end_a), (b, end_b) = sides
        name = f"{a}-{b}-assoc"
        role_a, role_b = f"{a}:{end_a.name}", f"{b}:{end_b.name}"
        navigation.setdefault(a, []).append(NavigationProperty(
            f"_{b}", b, association=AssociationEnds(name, role_a, role_b, end_a.multiplicity, end_b.multiplicity)))
        if a != b:
            navigation.setdefault(b, []).append(NavigationProperty(
                f"_{a}", a, association=AssociationEnds(name, role_b, role_a, end_b.multiplicity, end_a.multiplicity)))
    return navigation


def _property(row: Row[Any], declared: bool = True) -> Property:
    """``declared``: a ComplexTypeProperty always is; a Property says so (dynamic ones are not)."""
    return Property(row.name, row.type, nullable=row.nullable, default=_default(row.type, row.default_value),
                    collection=row.collection_kind == "List", checks=_CHECKS.get(row.type, ()),
                    edm_default=row.default_value, declared=declared)


def _default(edm_type: str, text: str | None) -> Any:
    """A stored ``DefaultValue`` (validated when it was defined) as a value of its type."""
    if text is None:
        return None
    if edm_type == "Edm.Boolean":
        return text == "true"
    if edm_type in ("Edm.Int32", "Edm.Int64"):
        return int(text)
    if edm_type in ("Edm.Single", "Edm.Double"):
        return float(text)
    if edm_type == "Edm.DateTime":
        match = DATE.fullmatch(text)
        return clock.now_ms if match is None else int(match[1])
    return text


def _int32(name: str, value: Any) -> None:
    if not INT32_RANGE[0] <= value <= INT32_RANGE[1]:
        raise PersoniumError("PR400-OD-0006", name)


def _datetime(name: str, value: Any) -> None:
    """``/Date(ms)/``, ``SYSUTCDATETIME()`` or a number of milliseconds, within Personium's range."""
    if isinstance(value, str):
        if value == SYSUTCDATETIME:
            return
        match = DATE.fullmatch(value)
        if match is None:
            raise PersoniumError("PR400-OD-0006", name)
        value = int(match[1])
    if not DATETIME_MIN <= value <= DATETIME_MAX:
        raise PersoniumError("PR400-OD-0006", name)


_CHECKS = {"Edm.Int32": (_int32,), "Edm.DateTime": (_datetime,)}
