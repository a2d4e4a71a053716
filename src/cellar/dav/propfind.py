"""What PROPFIND shows of a box resource (apiref 305/307): live properties, the ACL (only to callers
holding ``read-acl``), then the dead properties set by PROPPATCH."""

from __future__ import annotations

from lxml import etree

from cellar.dav import xml as davxml
from cellar.dav.tree import Kind, Node
from cellar.xml import DAV, PERSONIUM, parse

_EXTENSION = {Kind.ODATA: "odata", Kind.SERVICE: "service", Kind.STREAM: "stream"}


def resource_type(kind: Kind) -> etree._Element:
    if kind is Kind.FILE:
        return etree.Element(f"{{{DAV}}}resourcetype")
    extension = _EXTENSION.get(kind)
    return davxml.collection_type(*([f"{{{PERSONIUM}}}{extension}"] if extension else []))


def node_properties(node: Node, acl: etree._Element | None) -> list[etree._Element]:
    props = [davxml.text_element(f"{{{DAV}}}creationdate", davxml.creation_date(node.published)),
             davxml.text_element(f"{{{DAV}}}getlastmodified", davxml.last_modified(node.updated)),
             resource_type(node.kind)]
    if node.kind is Kind.FILE:
        props.append(davxml.text_element(f"{{{DAV}}}getcontentlength", str(node.content_length or 0)))
        props.append(davxml.text_element(f"{{{DAV}}}getcontenttype", node.content_type or ""))
    if acl is not None:
        props.append(acl)
    props += [parse(xml.encode()) for xml in node.props.values()]
    return props
