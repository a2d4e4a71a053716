"""``$metadata`` (EDMX) and the AtomPub service document, generated from the entity definitions."""

from __future__ import annotations

from collections.abc import Sequence

from lxml import etree

from cellar.odata.model import AssociationEnds, ComplexType, EntityType, Property

EDMX = "http://schemas.microsoft.com/ado/2007/06/edmx"
EDM = "http://schemas.microsoft.com/ado/2006/04/edm"
METADATA = "http://schemas.microsoft.com/ado/2007/08/dataservices/metadata"
DATA = "http://schemas.microsoft.com/ado/2007/08/dataservices"
PERSONIUM = "urn:x-personium:xmlns"
APP = "http://www.w3.org/2007/app"
ATOM = "http://www.w3.org/2005/Atom"


def edmx_document(namespace: str, types: Sequence[EntityType], complex_types: Sequence[ComplexType] = ()) -> bytes:
    """As the real server writes it (apiref 316, 371): complex types first, then entity types."""
    root = etree.Element(f"{{{EDMX}}}Edmx", nsmap={"edmx": EDMX, "d": DATA, "m": METADATA, "p": PERSONIUM},
                         Version="1.0")
    services = etree.SubElement(root, f"{{{EDMX}}}DataServices")
    services.set(f"{{{METADATA}}}DataServiceVersion", "1.0")
    schema = etree.SubElement(services, f"{{{EDM}}}Schema", nsmap={None: EDM}, Namespace=namespace)
    for complex_type in complex_types:
        element = etree.SubElement(schema, f"{{{EDM}}}ComplexType", Name=complex_type.name)
        for prop in complex_type.properties:
            _declared(element, namespace, prop)
    for etype in types:
        _entity_type(schema, etype)
    associations = _associations(schema, namespace, types)
    container = etree.SubElement(schema, f"{{{EDM}}}EntityContainer", Name=namespace)
    container.set(f"{{{METADATA}}}IsDefaultEntityContainer", "true")
    for etype in types:
        etree.SubElement(container, f"{{{EDM}}}EntitySet", Name=etype.name, EntityType=etype.qualified_name)
    for assoc in associations:
        element = etree.SubElement(container, f"{{{EDM}}}AssociationSet", Name=assoc.name,
                                   Association=f"{namespace}.{assoc.name}")
        for role in (assoc.from_role, assoc.to_role):
            etree.SubElement(element, f"{{{EDM}}}End", Role=role, EntitySet=role.split(":", 1)[0])
    return etree.tostring(root, xml_declaration=True, encoding="utf-8")


def _entity_type(schema: etree._Element, etype: EntityType) -> None:
    element = etree.SubElement(schema, f"{{{EDM}}}EntityType", Name=etype.name)
    if etype.open:
        element.set("OpenType", "true")
    key = etree.SubElement(element, f"{{{EDM}}}Key")
    for part in etype.key:
        etree.SubElement(key, f"{{{EDM}}}PropertyRef", Name=part.name)
    parent_parts = [part for part in etype.key if etype.property(part.name) is None]
    parent_parts += [part for part in etype.link_parts if part not in parent_parts]
    for part in parent_parts:
        _property(element, part.name, "Edm.String", part.nullable)
    # Personium's own properties come first where the type has them (user data: __id), else last.
    own = [p for p in etype.properties if p.name.startswith("__")]
    for prop in own:
        _declared(element, etype.namespace, prop)
    if not own:
        for prop in etype.properties:
            _declared(element, etype.namespace, prop)
    for name in ("__published", "__updated"):
        _property(element, name, "Edm.DateTime", False, DefaultValue="SYSUTCDATETIME()", Precision="3")
    if own:
        for prop in etype.properties:
            if prop not in own:
                _declared(element, etype.namespace, prop)
    for nav in etype.navigation:
        assoc = nav.association
        if assoc is None:
            etree.SubElement(element, f"{{{EDM}}}NavigationProperty", Name=nav.name,
                             Relationship=f"{etype.namespace}.{etype.name}-{nav.target}",
                             FromRole=etype.name, ToRole=nav.target)
        else:
            etree.SubElement(element, f"{{{EDM}}}NavigationProperty", Name=nav.name,
                             Relationship=f"{etype.namespace}.{assoc.name}", FromRole=assoc.from_role,
                             ToRole=assoc.to_role)


def _associations(schema: etree._Element, namespace: str, types: Sequence[EntityType]) -> list[AssociationEnds]:
    """User data's associations, each once (from the side whose roles sort first), as ``Association``."""
    written: list[AssociationEnds] = []
    for etype in types:
        for nav in etype.navigation:
            assoc = nav.association
            if assoc is None or assoc.from_role > assoc.to_role:
                continue
            element = etree.SubElement(schema, f"{{{EDM}}}Association", Name=assoc.name)
            for role, target, multiplicity in ((assoc.from_role, etype.name, assoc.from_multiplicity),
                                               (assoc.to_role, nav.target, assoc.to_multiplicity)):
                etree.SubElement(element, f"{{{EDM}}}End", Role=role, Type=f"{namespace}.{target}",
                                 Multiplicity=multiplicity)
            written.append(assoc)
    return written


def _declared(parent: etree._Element, namespace: str, prop: Property) -> None:
    extra = {"DefaultValue": prop.edm_default} if prop.edm_default is not None else {}
    if prop.collection:
        extra["CollectionKind"] = "List"
    _property(parent, prop.name, _type_name(namespace, prop.edm_type), prop.nullable, **extra)
    if prop.edm_format is not None:
        parent[-1].set(f"{{{PERSONIUM}}}Format", prop.edm_format)
    if not prop.declared:
        parent[-1].set(f"{{{PERSONIUM}}}IsDeclared", "false")


def _type_name(namespace: str, edm_type: str) -> str:
    """``Edm.*`` as is, a complex type qualified by the schema's namespace (a list says ``CollectionKind``)."""
    return edm_type if edm_type.startswith("Edm.") else f"{namespace}.{edm_type}"


def _property(parent: etree._Element, name: str, edm_type: str, nullable: bool, **extra: str) -> None:
    etree.SubElement(parent, f"{{{EDM}}}Property", Name=name, Type=edm_type,
                     Nullable="true" if nullable else "false", **extra)


def service_document(root_url: str, set_names: Sequence[str]) -> bytes:
    service = etree.Element(f"{{{APP}}}service", nsmap={None: APP, "atom": ATOM})
    service.set("{http://www.w3.org/XML/1998/namespace}base", root_url)
    workspace = etree.SubElement(service, f"{{{APP}}}workspace")
    etree.SubElement(workspace, f"{{{ATOM}}}title").text = "Default"
    for name in set_names:
        collection = etree.SubElement(workspace, f"{{{APP}}}collection", href=name)
        etree.SubElement(collection, f"{{{ATOM}}}title").text = name
    return etree.tostring(service, xml_declaration=True, encoding="utf-8")
