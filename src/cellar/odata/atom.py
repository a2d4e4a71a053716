"""Atom XML for OData reads: what Personium answers a GET without ``Accept`` or with ``$format=atom``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from lxml import etree

from cellar.odata.serialize import dynamic_values
from cellar.odata.store import Entity

ATOM = "http://www.w3.org/2005/Atom"
DATASERVICES = "http://schemas.microsoft.com/ado/2007/08/dataservices"
METADATA = "http://schemas.microsoft.com/ado/2007/08/dataservices/metadata"
SCHEME = "http://schemas.microsoft.com/ado/2007/08/dataservices/scheme"
NSMAP = {None: ATOM, "d": DATASERVICES, "m": METADATA}
XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"


def _iso(millis: int) -> str:
    return datetime.fromtimestamp(millis / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]


def _sub(parent: Any, tag: str, text: str | None = None, **attrs: str) -> Any:
    element = etree.SubElement(parent, tag, attrs)
    if text is not None:
        element.text = text
    return element


def _entry(parent: Any, entity: Entity, uri: str, root_url: str, select: Sequence[str] | None) -> Any:
    if parent is None:
        entry = etree.Element(f"{{{ATOM}}}entry", nsmap=NSMAP)
        entry.set(XML_BASE, root_url)
    else:
        entry = etree.SubElement(parent, f"{{{ATOM}}}entry")
    entry.set(f"{{{METADATA}}}etag", entity.etag)
    _sub(entry, f"{{{ATOM}}}id", uri)
    _sub(entry, f"{{{ATOM}}}title", type="text")
    _sub(entry, f"{{{ATOM}}}updated", _iso(entity.updated) + "Z")
    _sub(_sub(entry, f"{{{ATOM}}}author"), f"{{{ATOM}}}name")
    relative = uri[len(root_url):] if uri.startswith(root_url) else uri
    _sub(entry, f"{{{ATOM}}}link", rel="edit", title=entity.etype.name, href=relative)
    for nav in entity.etype.navigation:
        _sub(entry, f"{{{ATOM}}}link", rel=f"{DATASERVICES}/related/{nav.name}", title=nav.name,
             href=f"{relative}/{nav.name}", type="application/atom+xml;type=feed")
    _sub(entry, f"{{{ATOM}}}category", term=entity.etype.qualified_name, scheme=SCHEME)
    content = _sub(entry, f"{{{ATOM}}}content", type="application/xml")
    props = _sub(content, f"{{{METADATA}}}properties")
    wanted = None if select is None else set(select)
    for prop in entity.etype.properties:
        if (wanted is None or prop.name in wanted) and (prop.declared or prop.name in entity.values):
            qualified = prop.edm_type if prop.edm_type.startswith("Edm.") else \
                f"{entity.etype.namespace}.{prop.edm_type}"
            _property(props, prop.name, f"Bag({qualified})" if prop.collection else qualified,
                      entity.values[prop.name])
    for name, value in dynamic_values(entity).items():
        if wanted is None or name in wanted:
            _property(props, name, _dynamic_type(value), value)
    _property(props, "__published", "Edm.DateTime", entity.published)
    _property(props, "__updated", "Edm.DateTime", entity.updated)
    return entry


def _dynamic_type(value: Any) -> str:
    if isinstance(value, bool):
        return "Edm.Boolean"
    if isinstance(value, int):
        return "Edm.Int64"
    return "Edm.Double" if isinstance(value, float) else "Edm.String"


def _property(parent: Any, name: str, edm_type: str | None, value: Any) -> None:
    element = _sub(parent, f"{{{DATASERVICES}}}{name}")
    if edm_type is not None and edm_type != "Edm.String":
        element.set(f"{{{METADATA}}}type", edm_type)
    _value(element, edm_type, value)


def _value(element: Any, edm_type: str | None, value: Any) -> None:
    """A value as OData v2 Atom writes it: a list's items as ``d:element``, a complex value's members."""
    if value is None:
        element.set(f"{{{METADATA}}}null", "true")
    elif isinstance(value, list):
        inner = (edm_type or "").removeprefix("Bag(").removesuffix(")")
        for item in value:
            _value(_sub(element, f"{{{DATASERVICES}}}element"), inner, item)
    elif isinstance(value, dict):
        for name, member in value.items():
            _property(element, name, None if isinstance(member, dict | list) else _dynamic_type(member), member)
    elif edm_type == "Edm.DateTime":
        element.text = _iso(value)
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    else:
        element.text = str(value)


def entry_document(entity: Entity, uri: str, root_url: str, select: Sequence[str] | None) -> bytes:
    return etree.tostring(_entry(None, entity, uri, root_url, select), xml_declaration=True, encoding="utf-8")


def feed_document(set_name: str, root_url: str, items: list[tuple[Entity, str]], count: int | None,
                  select: Sequence[str] | None, updated_ms: int) -> bytes:
    feed = etree.Element(f"{{{ATOM}}}feed", nsmap=NSMAP)
    feed.set(XML_BASE, root_url)
    _sub(feed, f"{{{ATOM}}}title", set_name, type="text")
    _sub(feed, f"{{{ATOM}}}id", f"{root_url}{set_name}")
    _sub(feed, f"{{{ATOM}}}updated", _iso(updated_ms) + "Z")
    _sub(feed, f"{{{ATOM}}}link", rel="self", title=set_name, href=set_name)
    if count is not None:
        _sub(feed, f"{{{METADATA}}}count", str(count))
    for entity, uri in items:
        _entry(feed, entity, uri, root_url, select)
    return etree.tostring(feed, xml_declaration=True, encoding="utf-8")
