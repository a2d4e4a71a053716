"""MKCOL and its extended bodies (RFC 5689, apiref/306): which kind of collection to make.

Errors in the body's meaning are answered as RFC 5689 wants — 403 with a ``mkcol-response``
document — rather than with a Personium JSON error.
"""

from __future__ import annotations

from lxml import etree

from cellar.auth.access.endpoint_privileges import DAV_METHODS
from cellar.dav import tree
from cellar.dav import xml as davxml
from cellar.dav.target import BoxTarget
from cellar.dav.tree import Kind, Node
from cellar.errors import PersoniumError
from cellar.events import catalog
from cellar.storage.uow import Transaction
from cellar.xml import DAV, PERSONIUM, parse_body

_EXTENSIONS = {"odata": Kind.ODATA, "service": Kind.SERVICE, "stream": Kind.STREAM}
CALDAV = "urn:ietf:params:xml:ns:caldav"


class MkcolRefused(Exception):  # noqa: N818 - a protocol answer, not a failure of ours
    """403 with the RFC 5689 body (not a catalog error: Personium answers it in XML)."""

    def __init__(self, body: bytes) -> None:
        super().__init__("extended MKCOL refused")
        self.body = body


def mkcol(tx: Transaction, target: BoxTarget, body: bytes, max_children: int = tree.MAX_CHILDREN) -> Node:
    """Create Collection — apiref/306 (plain, ``p:odata``, ``p:service`` or ``p:stream``), with its
    event. On a box URL it would install a bar file (a later feature): refused."""
    if not target.path:
        raise PersoniumError("PR405-MC-0001") if target.box.is_main else \
            PersoniumError("PR405-BI-0001", target.box_url)
    node = target.node
    if node is not None and not node.is_collection:
        raise PersoniumError("PR405-MC-0001")
    target.authorize(DAV_METHODS["MKCOL"], on_parent=True)
    if node is not None:
        raise PersoniumError("PR405-DV-0001")
    tree.check_name(target.creatable())
    kind = parse_mkcol(body)
    created = tree.make_collection(tx, target.located, kind, max_children=max_children)
    target.emit(tx, kind, catalog.MKCOL)
    return created


def parse_mkcol(body: bytes) -> Kind:
    """No body: a plain WebDAV collection."""
    if not body.strip():
        return Kind.WEBDAV
    root = parse_body(body, "PR400-DV-0001")
    if root.tag != f"{{{DAV}}}mkcol":
        raise PersoniumError("PR400-DV-0001")
    prop = root.find(f"{{{DAV}}}set/{{{DAV}}}prop")
    resourcetype = prop.find(f"{{{DAV}}}resourcetype") if prop is not None else None
    if resourcetype is None:
        raise _refused(prop, "resourcetype should be defined in mkcol request, See RFC5689 : extended MKCOL")
    names = [etree.QName(child) for child in resourcetype if isinstance(child.tag, str)]
    if etree.QName(DAV, "collection") not in names:
        raise _refused(prop, "collection should be included in request. See RFC5689 : extended MKCOL")
    extensions = [name for name in names if name != etree.QName(DAV, "collection")]
    if len(extensions) > 1:
        raise _refused(prop, "only 1 extension to collection specified in RFC5689 is allowed on this server. ")
    if not extensions:
        return Kind.WEBDAV
    extension = extensions[0]
    if extension.namespace == PERSONIUM and extension.localname in _EXTENSIONS:
        return _EXTENSIONS[extension.localname]
    if extension.namespace == PERSONIUM:
        raise _refused(prop, "such DC1 extension not supported on this server")
    if extension.namespace == CALDAV:
        raise _refused(prop, "such Caldav extension not supported on this server")
    raise _refused(prop, "such RFC5689 extension not supported on this server")


def _refused(prop: etree._Element | None, description: str) -> MkcolRefused:
    root = etree.Element(f"{{{DAV}}}mkcol-response", nsmap={"D": DAV, "p": PERSONIUM})
    propstat = etree.SubElement(root, f"{{{DAV}}}propstat")
    propstat.append(prop if prop is not None else etree.Element(f"{{{DAV}}}prop"))
    etree.SubElement(propstat, f"{{{DAV}}}status").text = "HTTP/1.1 403 Forbidden"
    error = etree.SubElement(propstat, f"{{{DAV}}}error")
    etree.SubElement(error, f"{{{DAV}}}valid-resourcetype")
    etree.SubElement(propstat, f"{{{DAV}}}responsedescription").text = description
    return MkcolRefused(davxml.document(root))
