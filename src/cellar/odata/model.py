"""Entity data model: the tables of definitions that drive the generic entity-set implementation."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any

from sqlalchemy import Table

#: Checks one property value after its JSON type was verified; raises PersoniumError.
Check = Callable[[str, Any], None]

JSON_TYPES: dict[str, tuple[type, ...]] = {
    "Edm.String": (str,),
    "Edm.Boolean": (bool,),
    "Edm.Int32": (int,),
    "Edm.Int64": (int,),
    "Edm.Double": (int, float),
    "Edm.Single": (int, float),
    "Edm.DateTime": (int, str),
}


@dataclass(frozen=True)
class Property:
    name: str
    edm_type: str = "Edm.String"
    nullable: bool = True
    #: A value, or a zero-argument callable producing one (e.g. a generated id).
    default: Any = None
    column: str = ""
    checks: tuple[Check, ...] = ()

    @property
    def column_name(self) -> str:
        return self.column or self.name.lower()

    def default_value(self) -> Any:
        return self.default() if callable(self.default) else self.default


class NavKind(Enum):
    PARENT = "parent"  # this row holds the foreign key (Role._Box): target end 0..1 or 1
    CHILDREN = "children"  # the target rows hold it (Box._Role): target end *
    MANY = "many"  # N:N through the links table (Account._Role)


@dataclass(frozen=True)
class NavigationProperty:
    name: str  # "_Box"
    target: str  # entity type name, "Box"
    kind: NavKind = NavKind.MANY

    @property
    def to_many(self) -> bool:
        return self.kind is not NavKind.PARENT


@dataclass(frozen=True)
class ParentLink:
    """An N:1 link stored as a foreign key, which is also part of the key (``_Box.Name``)."""

    nav: str  # "_Box"
    target: str  # "Box"
    column: str  # "box_id"
    #: Pairs of (our key part, the target's key part): (("_Box.Name", "Name"),).
    keys: tuple[tuple[str, str], ...]
    required: bool = False


@dataclass(frozen=True)
class KeyPart:
    """One part of an entity key: a property, or the key of a parent reached through an N:1 link."""

    name: str  # "Name" or "_Box.Name"
    nullable: bool = False
    #: Checks of a parent key part given in a body (a property key part uses its property's checks).
    checks: tuple[Check, ...] = ()


@dataclass(frozen=True)
class EntityType:
    name: str
    namespace: str
    table: Table
    key: tuple[KeyPart, ...]
    properties: tuple[Property, ...]
    navigation: tuple[NavigationProperty, ...] = ()
    parents: tuple[ParentLink, ...] = ()
    read_privilege: str | None = None
    write_privilege: str | None = None

    @property
    def qualified_name(self) -> str:
        return f"{self.namespace}.{self.name}"

    def property(self, name: str) -> Property | None:
        return next((p for p in self.properties if p.name == name), None)

    def navigation_property(self, name: str) -> NavigationProperty | None:
        return next((n for n in self.navigation if n.name == name), None)

    def parent_link(self, nav: str) -> ParentLink | None:
        return next((p for p in self.parents if p.nav == nav), None)


@dataclass(frozen=True)
class EntityModel:
    """The entity types of one service root (``UnitCtl``, ``CellCtl``, or a user OData schema)."""

    namespace: str
    types: tuple[EntityType, ...]

    def type(self, name: str) -> EntityType:
        return next(t for t in self.types if t.name == name)

    def find(self, name: str) -> EntityType | None:
        return next((t for t in self.types if t.name == name), None)
