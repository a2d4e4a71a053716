"""Entity data model: the tables of definitions that drive the generic entity-set implementation."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
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


@dataclass(frozen=True)
class NavigationProperty:
    name: str  # "_Box"
    target: str  # entity type name, "Box"
    #: Multiplicity of the target end: "0..1", "1" or "*".
    multiplicity: str = "*"


@dataclass(frozen=True)
class KeyPart:
    """One part of an entity key: a property, or the key of a parent reached through an N:1 link."""

    name: str  # "Name" or "_Box.Name"
    nullable: bool = False


@dataclass(frozen=True)
class EntityType:
    name: str
    namespace: str
    table: Table
    key: tuple[KeyPart, ...]
    properties: tuple[Property, ...]
    navigation: tuple[NavigationProperty, ...] = ()
    #: Columns fixed by the service the set lives in (e.g. ``cell_id``), never from the client.
    scope: tuple[str, ...] = ()
    read_privilege: str | None = None
    write_privilege: str | None = None
    #: Extra members of the service, by name, for hooks that need more than the row.
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def qualified_name(self) -> str:
        return f"{self.namespace}.{self.name}"

    def property(self, name: str) -> Property | None:
        return next((p for p in self.properties if p.name == name), None)

    def navigation_property(self, name: str) -> NavigationProperty | None:
        return next((n for n in self.navigation if n.name == name), None)
