"""Dead properties and PROPPATCH (apiref/291): ``<D:propertyupdate>`` with ``set`` and ``remove``."""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from cellar.auth.access.endpoint_privileges import DAV_METHODS
from cellar.dav import tree
from cellar.dav import xml as davxml
from cellar.dav.target import BoxTarget
from cellar.dav.tree import Node
from cellar.errors import PersoniumError
from cellar.events import catalog
from cellar.storage.uow import Transaction
from cellar.xml import DAV, parse_body


@dataclass(frozen=True)
class PropertyChange:
    name: str
    namespace: str
    #: The whole property element as XML, or None to remove it.
    xml: str | None


def parse_propertyupdate(body: bytes, unreadable: str = "PR400-DV-0002", *,
                         any_namespace: bool = False) -> list[PropertyChange]:
    """``unreadable``: the code for a body that is not XML (box resources answer ``PR400-DV-0001``);
    ``any_namespace``: properties in no namespace are taken too (box resources, RFC 4918 §4.3)."""
    root = parse_body(body, unreadable)
    if root.tag != f"{{{DAV}}}propertyupdate":
        raise PersoniumError("PR400-DV-0002")
    changes = []
    for action in root:
        if action.tag not in (f"{{{DAV}}}set", f"{{{DAV}}}remove") or len(action) == 0:
            raise PersoniumError("PR400-DV-0002")
        for prop in action:
            if prop.tag != f"{{{DAV}}}prop":
                raise PersoniumError("PR400-DV-0002")
            for element in prop:
                qname = etree.QName(element)
                if not qname.namespace and not any_namespace:
                    raise PersoniumError("PR400-DV-0002")
                xml = etree.tostring(element, encoding="unicode") if action.tag == f"{{{DAV}}}set" else None
                changes.append(PropertyChange(qname.localname, qname.namespace or "", xml))
    return changes


def proppatch(tx: Transaction, target: BoxTarget, body: bytes) -> tuple[bytes, Node]:
    """Change properties of a box resource — apiref 308/313: sets, then removes; a missing property
    removed is a 404 entry. Returns the multistatus document and the resource as changed."""
    node = target.existing(DAV_METHODS["PROPPATCH"])
    changes = parse_propertyupdate(body, unreadable="PR400-DV-0001", any_namespace=True)
    keyed = [(f"{{{c.namespace}}}{c.name}", c) for c in changes]
    missing = [c for key, c in keyed if c.xml is None and key not in node.props]
    ordered = [(key, c.xml) for key, c in keyed if c.xml is not None] + \
              [(key, None) for key, c in keyed if c.xml is None]
    updated = tree.set_props(tx, target.box, node, ordered)
    found = [davxml.property_element(c.namespace, c.name) for c in changes if c not in missing]
    response = davxml.response(target.href, found)
    if missing:
        davxml.add_propstat(response, [davxml.property_element(c.namespace, c.name) for c in missing],
                            "HTTP/1.1 404 Not Found")
    target.emit(tx, node.kind, catalog.PROPPATCH)
    return davxml.multistatus([response]), updated
