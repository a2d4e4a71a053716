"""Entity data model: the definitions that drive the generic entity-set implementation.

A model says what its types are and where their entities live: its :class:`StoreFactory` hands the
engine one store per entity type, so a type defined at run time (user OData, whose definitions are
rows of the database) is served by the same code as a control object backed by a table of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import Table

if TYPE_CHECKING:
    from cellar.odata.store import EntityStore, LinkStore

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
    #: An ``Edm.*`` type, or the name of a :class:`ComplexType` of the model.
    edm_type: str = "Edm.String"
    nullable: bool = True
    #: A value, or a zero-argument callable producing one (e.g. a generated id).
    default: Any = None
    column: str = ""
    checks: tuple[Check, ...] = ()

    @property
    def column_name(self) -> str:
        return self.column or self.name.lower()

    #: ``Collection(type)``: a JSON array of values of ``edm_type``.
    collection: bool = False
    #: What ``$metadata`` says of the property beyond its type: its ``DefaultValue`` as written in the
    #: schema and its ``p:Format`` annotation.
    edm_default: str | None = None
    edm_format: str | None = None
    #: False for a dynamic property of user data, typed by its first value: it has no default and an
    #: entity without it has no value for it.
    declared: bool = True

    def default_value(self) -> Any:
        return self.default() if callable(self.default) else self.default


@dataclass(frozen=True)
class ComplexType:
    """A named structure of properties, the value of a property (user OData ``ComplexType``)."""

    name: str
    properties: tuple[Property, ...]

    def property(self, name: str) -> Property | None:
        return next((p for p in self.properties if p.name == name), None)


class NavKind(Enum):
    PARENT = "parent"  # this row holds the foreign key (Role._Box): target end 0..1 or 1
    CHILDREN = "children"  # the target rows hold it (Box._Role): target end *
    MANY = "many"  # N:N through the links table (Account._Role)


@dataclass(frozen=True)
class AssociationEnds:
    """A user-defined association (two linked AssociationEnds), as ``$metadata`` names it:
    ``{A}-{B}-assoc`` between the roles ``{A}:{end}``, each end with its multiplicity."""

    name: str
    from_role: str
    to_role: str
    from_multiplicity: str
    to_multiplicity: str


@dataclass(frozen=True)
class NavigationProperty:
    name: str  # "_Box"
    target: str  # entity type name, "Box"
    kind: NavKind = NavKind.MANY
    #: User data: the association it follows (the target end's multiplicity bounds the links).
    association: AssociationEnds | None = None


@dataclass(frozen=True)
class ParentLink:
    """An N:1 link stored as a foreign key, which is also part of the key (``_Box.Name``)."""

    nav: str  # "_Box"
    target: str  # "Box"
    column: str  # "box_id"
    #: Pairs of (our key part, the target's key part): (("_Box.Name", "Name"),).
    keys: tuple[tuple[str, str], ...]
    required: bool = False
    #: Checks of our parts when a body gives them (``_Box.Name``).
    checks: tuple[Check, ...] = ()


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
    key: tuple[KeyPart, ...]
    properties: tuple[Property, ...]
    navigation: tuple[NavigationProperty, ...] = ()
    parents: tuple[ParentLink, ...] = ()
    #: The table of a table-backed type (control objects); None where the model's stores keep
    #: entities elsewhere (user data).
    table: Table | None = None
    #: An open type also takes properties its definition does not name (dynamic properties).
    open: bool = False
    #: Methods the type's entities refuse with 405 before any other check: messages come from another
    #: API or a navigation property (POST to the set, PUT, MERGE); rules cannot be merged.
    refused: frozenset[str] = frozenset()

    @property
    def qualified_name(self) -> str:
        return f"{self.namespace}.{self.name}"

    @property
    def link_parts(self) -> tuple[KeyPart, ...]:
        """What a body may name of the parents (``_Box.Name``): the key's parent parts, then those of
        links outside the key (a message's box), which are always optional."""
        parts = [part for part in self.key if "." in part.name]
        named = {part.name for part in parts}
        for link in self.parents:
            parts += [KeyPart(mine, nullable=True, checks=link.checks) for mine, _ in link.keys if mine not in named]
        return tuple(parts)

    def property(self, name: str) -> Property | None:
        return next((p for p in self.properties if p.name == name), None)

    def navigation_property(self, name: str) -> NavigationProperty | None:
        return next((n for n in self.navigation if n.name == name), None)

    def parent_link(self, nav: str) -> ParentLink | None:
        return next((p for p in self.parents if p.nav == nav), None)


class StoreFactory(Protocol):
    """Where a model's entities and links live."""

    def entity_store(self, model: EntityModel, etype: EntityType, scope: Mapping[str, Any]) -> EntityStore: ...

    def link_store(self, store: EntityStore) -> LinkStore: ...


@dataclass(frozen=True)
class EntityModel:
    """The entity types of one service root (``UnitCtl``, ``CellCtl``, or a user OData schema)."""

    namespace: str
    types: tuple[EntityType, ...]
    stores: StoreFactory
    complex_types: tuple[ComplexType, ...] = ()
    _by_name: dict[str, EntityType] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_name", {t.name: t for t in self.types})

    def type(self, name: str) -> EntityType:
        return self._by_name[name]

    def find(self, name: str) -> EntityType | None:
        return self._by_name.get(name)

    def complex_type(self, name: str) -> ComplexType | None:
        return next((t for t in self.complex_types if t.name == name), None)

    def store(self, etype: EntityType, scope: Mapping[str, Any]) -> EntityStore:
        return self.stores.entity_store(self, etype, scope)
