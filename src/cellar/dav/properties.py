"""Dead properties and PROPPATCH (apiref/291): ``<D:propertyupdate>`` with ``set`` and ``remove``."""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from cellar.errors import PersoniumError
from cellar.xml import DAV, parse_body


@dataclass(frozen=True)
class PropertyChange:
    name: str
    namespace: str
    #: The whole property element as XML, or None to remove it.
    xml: str | None


def parse_propertyupdate(body: bytes, unreadable: str = "PR400-DV-0002") -> list[PropertyChange]:
    """``unreadable``: the code for a body that is not XML (box resources answer ``PR400-DV-0001``)."""
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
                if not qname.namespace:
                    raise PersoniumError("PR400-DV-0002")
                xml = etree.tostring(element, encoding="unicode") if action.tag == f"{{{DAV}}}set" else None
                changes.append(PropertyChange(qname.localname, qname.namespace, xml))
    return changes
