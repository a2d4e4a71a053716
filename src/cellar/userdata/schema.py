"""The ``ODataSvcSchema`` service of an OData collection (``{collection}/$metadata/…``, apiref 318-363):
EntityType, Property, ComplexType, ComplexTypeProperty and AssociationEnd as table-backed entity sets,
served by the generic engine like control objects; :class:`SchemaHooks` adds the rules the real
server's ``UserSchemaODataProducer`` applies (types that exist, defaults of the right type, no change
that data depends on)."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import delete, exists, select

from cellar import clock
from cellar.auth.context import Caller
from cellar.errors import PersoniumError
from cellar.odata.checks import NAME, one_of, pattern
from cellar.odata.compile import DATETIME_MAX, DATETIME_MIN, INT32_RANGE, INT64_RANGE
from cellar.odata.model import EntityModel, EntityType, KeyPart, NavigationProperty, NavKind, ParentLink, Property
from cellar.odata.service import EntityHooks
from cellar.odata.store import Entity
from cellar.odata.table_stores import TABLE_STORES
from cellar.storage import tables
from cellar.storage.uow import Transaction
from cellar.userdata import indexes

NAMESPACE = "ODataSvcSchema"
#: The simple types a Property may have (the pages list all but Int64, which the server accepts too).
EDM_TYPES = ("Edm.Boolean", "Edm.String", "Edm.Int32", "Edm.Int64", "Edm.Single", "Edm.Double", "Edm.DateTime")
#: ``io.personium.core.box.odata.schema.MaxEntityTypes`` and ``MaxProperties``.
MAX_ENTITY_TYPES = 100
MAX_PROPERTIES = 400
MAX_STRING_BYTES = 51200
DECIMAL = re.compile(r"-?[0-9]{1,5}\.[0-9]{1,5}")
DATE = re.compile(r"/Date\((-?[0-9]+)\)/")
SYSUTCDATETIME = "SYSUTCDATETIME()"

_NAME = (pattern(NAME),)
ENTITY_TYPE_LINK = ParentLink("_EntityType", "EntityType", "entity_type_id", (("_EntityType.Name", "Name"),),
                              required=True)
COMPLEX_TYPE_LINK = ParentLink("_ComplexType", "ComplexType", "complex_type_id",
                               (("_ComplexType.Name", "Name"),), required=True)


def _property_fields() -> tuple[Property, ...]:
    return (Property("Name", nullable=False, checks=_NAME),
            Property("Type", nullable=False),
            Property("Nullable", "Edm.Boolean", nullable=False, default=True),
            Property("DefaultValue", column="default_value"),
            Property("CollectionKind", column="collection_kind", default="None", checks=(one_of(("None", "List")),)))


ENTITY_TYPE = EntityType(
    name="EntityType", namespace=NAMESPACE, table=tables.odata_entity_types, key=(KeyPart("Name"),),
    properties=(Property("Name", nullable=False, checks=_NAME),),
    navigation=(NavigationProperty("_Property", "Property", NavKind.CHILDREN),
                NavigationProperty("_AssociationEnd", "AssociationEnd", NavKind.CHILDREN)),
)
PROPERTY = EntityType(
    name="Property", namespace=NAMESPACE, table=tables.odata_properties,
    key=(KeyPart("Name"), KeyPart("_EntityType.Name", checks=_NAME)),
    properties=(*_property_fields(),
                Property("IsKey", "Edm.Boolean", nullable=False, default=False, column="is_key"),
                Property("UniqueKey", column="unique_key", checks=_NAME),
                # False for a dynamic property, registered by the first entity that has it
                Property("IsDeclared", "Edm.Boolean", default=True, column="is_declared")),
    parents=(ENTITY_TYPE_LINK,),
    navigation=(NavigationProperty("_EntityType", "EntityType", NavKind.PARENT),),
)
COMPLEX_TYPE = EntityType(
    name="ComplexType", namespace=NAMESPACE, table=tables.odata_complex_types, key=(KeyPart("Name"),),
    properties=(Property("Name", nullable=False, checks=_NAME),),
    navigation=(NavigationProperty("_ComplexTypeProperty", "ComplexTypeProperty", NavKind.CHILDREN),),
)
COMPLEX_TYPE_PROPERTY = EntityType(
    name="ComplexTypeProperty", namespace=NAMESPACE, table=tables.odata_complex_type_properties,
    key=(KeyPart("Name"), KeyPart("_ComplexType.Name", checks=_NAME)),
    properties=_property_fields(),
    parents=(COMPLEX_TYPE_LINK,),
    navigation=(NavigationProperty("_ComplexType", "ComplexType", NavKind.PARENT),),
)
ASSOCIATION_END = EntityType(
    name="AssociationEnd", namespace=NAMESPACE, table=tables.odata_association_ends,
    key=(KeyPart("Name"), KeyPart("_EntityType.Name", checks=_NAME)),
    properties=(Property("Name", nullable=False, checks=_NAME),
                Property("Multiplicity", nullable=False, checks=(one_of(("0..1", "1", "*")),))),
    parents=(ENTITY_TYPE_LINK,),
    navigation=(NavigationProperty("_EntityType", "EntityType", NavKind.PARENT),
                NavigationProperty("_AssociationEnd", "AssociationEnd")),
)

SCHEMA = EntityModel(NAMESPACE, (ENTITY_TYPE, ASSOCIATION_END, PROPERTY, COMPLEX_TYPE, COMPLEX_TYPE_PROPERTY),
                     TABLE_STORES)


def datetime_value(value: Any) -> Any:
    """What a checked ``Edm.DateTime`` value is stored as: milliseconds (``SYSUTCDATETIME()``: now)."""
    if isinstance(value, str):
        match = DATE.fullmatch(value)
        return clock.now_ms() if match is None else int(match[1])
    return value


def check_default(name: str, edm_type: str, value: Any) -> None:
    """A ``DefaultValue`` is a string that reads as a value of the property's type (apiref 355)."""
    if value is None:
        return
    if not isinstance(value, str) or not _default_reads(edm_type, value):
        raise PersoniumError("PR400-OD-0006", name)


def _default_reads(edm_type: str, value: str) -> bool:
    if edm_type == "Edm.String":
        return len(value.encode("utf-8", "surrogatepass")) <= MAX_STRING_BYTES
    if edm_type == "Edm.Boolean":
        return value in ("true", "false")
    if edm_type in ("Edm.Int32", "Edm.Int64"):
        low, high = INT32_RANGE if edm_type == "Edm.Int32" else INT64_RANGE
        return re.fullmatch(r"-?[0-9]+", value) is not None and low <= int(value) <= high
    if edm_type == "Edm.Single":
        return DECIMAL.fullmatch(value) is not None
    if edm_type == "Edm.Double":
        try:
            return float(value) not in (float("inf"), float("-inf")) and value.strip() == value
        except ValueError:
            return False
    if edm_type == "Edm.DateTime":
        match = DATE.fullmatch(value)
        return value == SYSUTCDATETIME or (match is not None and DATETIME_MIN <= int(match[1]) <= DATETIME_MAX)
    return False  # a complex type has no default


class SchemaHooks(EntityHooks):
    """The rules of one schema set within the collection ``scope`` (``cell_id``, ``collection_id``)."""

    def __init__(self, etype: EntityType, collection_id: str) -> None:
        self.etype = etype
        self.collection_id = collection_id

    def before_create(self, tx: Transaction, caller: Caller, values: dict[str, Any]) -> dict[str, Any]:
        if self.etype is ENTITY_TYPE:
            self._check_entity_type_count(tx)
        elif self.etype in (PROPERTY, COMPLEX_TYPE_PROPERTY):
            self._check_type(tx, values)
            if values.get("Nullable") is False and self._owner_has_data(tx, values):
                raise PersoniumError("PR400-OD-0006", "Nullable")
            if self.etype is PROPERTY:
                self._check_property_count(tx, values["_EntityType.Name"])
                declared = values.get("IsDeclared") is not False
                if declared and indexes.indexable(values["Type"], values["CollectionKind"]):
                    indexes.create(tx, self._entity_type_id(tx, values["_EntityType.Name"]), values["Name"],
                                   values["Type"])
        return {}

    def _entity_type_id(self, tx: Transaction, name: str) -> str:
        et = tables.odata_entity_types
        found = tx.conn.execute(select(et.c.id).where(et.c.collection_id == self.collection_id,
                                                      et.c.name == name)).scalar()
        if found is None:
            raise PersoniumError("PR400-OD-0024", name)
        return str(found)

    def before_update(self, tx: Transaction, caller: Caller, entity: Entity,
                      values: dict[str, Any]) -> dict[str, Any]:
        """Only names change (and a Property's Type from Int32 to Double): data depends on the rest."""
        for name, new in values.items():
            old = entity.values.get(name)
            if name == "Name" or new == old:
                continue
            if name == "Type" and (old, new) == ("Edm.Int32", "Edm.Double"):
                continue
            raise PersoniumError("PR400-OD-0042", f"{self.etype.name} '{name}' change from [{old}] to [{new}]")
        if self.etype is PROPERTY and entity.values["IsDeclared"] is not False:  # the index follows the property
            type_id = entity.hidden["entity_type_id"]
            indexes.drop(tx, type_id, entity.values["Name"])
            new = {**entity.values, **values}
            if indexes.indexable(new["Type"], new["CollectionKind"]):
                indexes.create(tx, type_id, new["Name"], new["Type"])
        return {}

    def before_delete(self, tx: Transaction, caller: Caller, entity: Entity) -> None:
        if self.etype is ENTITY_TYPE:
            used = _entities_of(entity.id)
        elif self.etype is PROPERTY:
            used = _entities_of(entity.hidden["entity_type_id"])
        elif self.etype is COMPLEX_TYPE:
            used = self._type_used(entity.values["Name"])
        elif self.etype is COMPLEX_TYPE_PROPERTY:
            used = self._complex_type_has_data(tx, entity.hidden["complex_type_id"])
        else:
            return
        if tx.conn.execute(select(used)).scalar():
            raise PersoniumError("PR409-OD-0001")
        if self.etype is PROPERTY:
            indexes.drop(tx, entity.hidden["entity_type_id"], entity.values["Name"])
        if self.etype is ENTITY_TYPE:  # its dynamic properties go with it, its declared ones must go first
            p = tables.odata_properties
            tx.conn.execute(delete(p).where(p.c.entity_type_id == entity.id, p.c.is_declared.is_(False)))

    def check_links(self, nav: NavigationProperty) -> None:
        """Only AssociationEnds are linked by ``$links``: a Property, an AssociationEnd or a
        ComplexTypeProperty belongs to its type from its creation (ODataSvcSchemaResource: 400
        PR400-OD-0008 "No such association")."""
        if nav.kind is not NavKind.MANY:
            raise PersoniumError("PR400-OD-0008")

    def before_link(self, tx: Transaction, source: Entity, nav: NavigationProperty, target: Entity) -> None:
        """Two entity types are associated once: linking another pair of their ends is 409 PR409-OD-0006."""
        if self.etype is not ASSOCIATION_END or nav.target != "AssociationEnd":
            return
        if source.values["Multiplicity"] == target.values["Multiplicity"] == "1":
            raise PersoniumError("PR400-OD-0031")
        ae, L = tables.odata_association_ends, tables.links
        mine, theirs = ae.alias("mine"), ae.alias("theirs")
        pair = [(mine.c.entity_type_id == source.hidden["entity_type_id"])
                & (theirs.c.entity_type_id == target.hidden["entity_type_id"]),
                (mine.c.entity_type_id == target.hidden["entity_type_id"])
                & (theirs.c.entity_type_id == source.hidden["entity_type_id"])]
        linked = (select(L.c.id1).join(mine, mine.c.id == L.c.id1).join(theirs, theirs.c.id == L.c.id2)
                  .where(L.c.type1 == "AssociationEnd", L.c.type2 == "AssociationEnd", pair[0] | pair[1]).limit(1))
        if tx.conn.execute(linked).first() is not None:
            raise PersoniumError("PR409-OD-0006")

    # --- the rules ------------------------------------------------------------------------------
    def _check_entity_type_count(self, tx: Transaction) -> None:
        t = tables.odata_entity_types
        count = tx.conn.execute(select(t.c.id).where(t.c.collection_id == self.collection_id)
                                .limit(MAX_ENTITY_TYPES)).all()
        if len(count) >= MAX_ENTITY_TYPES:
            raise PersoniumError("PR400-OD-0033")

    def _check_property_count(self, tx: Transaction, entity_type: str) -> None:
        et, p = tables.odata_entity_types, tables.odata_properties
        rows = tx.conn.execute(select(p.c.id).join(et, p.c.entity_type_id == et.c.id)
                               .where(et.c.collection_id == self.collection_id, et.c.name == entity_type)
                               .limit(MAX_PROPERTIES)).all()
        if len(rows) >= MAX_PROPERTIES:
            raise PersoniumError("PR400-OD-0032")

    def _check_type(self, tx: Transaction, values: dict[str, Any]) -> None:
        edm_type = values.get("Type")
        if edm_type in EDM_TYPES:
            check_default("DefaultValue", edm_type, values.get("DefaultValue"))
            return
        ct = tables.odata_complex_types
        known = tx.conn.execute(select(ct.c.id).where(ct.c.collection_id == self.collection_id,
                                                      ct.c.name == edm_type)).first()
        if not isinstance(edm_type, str) or known is None:
            raise PersoniumError("PR400-OD-0006", "Type")
        if values.get("DefaultValue") is not None:
            raise PersoniumError("PR400-OD-0006", "DefaultValue")

    def _owner_has_data(self, tx: Transaction, values: dict[str, Any]) -> bool:
        if self.etype is PROPERTY:
            et = tables.odata_entity_types
            owner = select(et.c.id).where(et.c.collection_id == self.collection_id,
                                          et.c.name == values["_EntityType.Name"]).scalar_subquery()
            return bool(tx.conn.execute(select(_entities_of(owner))).scalar())
        ct = tables.odata_complex_types
        owner_id = tx.conn.execute(select(ct.c.id).where(ct.c.collection_id == self.collection_id,
                                                         ct.c.name == values["_ComplexType.Name"])).scalar()
        if owner_id is None:
            return False
        return bool(tx.conn.execute(select(self._complex_type_has_data(tx, owner_id))).scalar())

    def _type_used(self, name: str) -> Any:
        p, cp = tables.odata_properties, tables.odata_complex_type_properties
        return exists().where(p.c.collection_id == self.collection_id, p.c.type == name) | \
            exists().where(cp.c.collection_id == self.collection_id, cp.c.type == name)

    def _complex_type_has_data(self, tx: Transaction, complex_type_id: str) -> Any:
        """Whether an entity type using the complex type, directly or through other complex types, has data."""
        ct, cp, p = tables.odata_complex_types, tables.odata_complex_type_properties, tables.odata_properties
        names: set[str] = set()
        frontier = [tx.conn.execute(select(ct.c.name).where(ct.c.id == complex_type_id)).scalar_one()]
        while frontier:
            names.update(frontier)
            users = tx.conn.execute(select(ct.c.name).join(cp, cp.c.complex_type_id == ct.c.id)
                                    .where(cp.c.collection_id == self.collection_id, cp.c.type.in_(frontier))).scalars()
            frontier = [name for name in users if name not in names]
        owners = select(p.c.entity_type_id).where(p.c.collection_id == self.collection_id, p.c.type.in_(names))
        e = tables.odata_entities
        return exists().where(e.c.entity_type_id.in_(owners))


def _entities_of(entity_type_id: Any) -> Any:
    e = tables.odata_entities
    return exists().where(e.c.entity_type_id == entity_type_id)


def schema_hooks(collection_id: str) -> dict[str, EntityHooks]:
    return {etype.name: SchemaHooks(etype, collection_id) for etype in SCHEMA.types}
