"""WebDAV XML: the multistatus document, and the date formats Personium writes."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from email.utils import format_datetime

from lxml import etree

from cellar.errors import PersoniumError
from cellar.xml import DAV, PERSONIUM, parse_body

NSMAP = {"D": DAV, "p": PERSONIUM}
MULTISTATUS_TYPE = "application/xml;charset=utf-8"
INDENT = "  "


def creation_date(millis: int) -> str:
    """``2017-02-03T01:27:31.130+0000`` as in apiref/290."""
    moment = datetime.fromtimestamp(millis / 1000, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def rfc3339_date(millis: int) -> str:
    """``2017-02-03T01:27:31.130Z``: RFC 4918 §15.1 wants RFC 3339 for a box resource's creationdate
    (Personium's ``+0000`` is not RFC 3339, and strict WebDAV clients refuse it)."""
    moment = datetime.fromtimestamp(millis / 1000, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def last_modified(millis: int) -> str:
    """RFC 1123, ``Fri, 03 Feb 2017 01:27:31 GMT``."""
    return format_datetime(datetime.fromtimestamp(millis / 1000, UTC), usegmt=True)


def propfind_wants_allprop(body: bytes) -> None:
    """An empty body or ``<D:propfind><D:allprop/></D:propfind>``; Personium supports nothing else well,
    so ``prop``/``propname`` requests are answered with all properties too."""
    if not body.strip():
        return
    root = parse_body(body)
    if root.tag != f"{{{DAV}}}propfind":
        raise PersoniumError("PR400-DV-0002")


def depth(value: str | None, missing: int | None) -> int:
    """PROPFIND's ``Depth``: 0 or 1; ``infinity`` → 403 ``PR403-DV-0001``; anything else, or no
    header where ``missing`` is None (below the cell root), → 400 ``PR400-DV-0003``."""
    if value is None and missing is not None:
        return missing
    if value in ("0", "1"):
        return int(value)
    if value is not None and value.lower() == "infinity":
        raise PersoniumError("PR403-DV-0001")
    raise PersoniumError("PR400-DV-0003", "null" if value is None else value)


#: lxml cannot write ``xmlns=""``, which an element in no namespace needs inside the multistatus (whose
#: default namespace is DAV:): such elements are built in this namespace, renamed on the way out.
_NO_NAMESPACE = "urn:x-cellar:no-namespace"


def property_element(namespace: str, name: str) -> etree._Element:
    """An empty property element; ``namespace`` "" is no namespace (RFC 4918 allows such properties)."""
    if namespace:
        return etree.Element(f"{{{namespace}}}{name}")
    return etree.Element(f"{{{_NO_NAMESPACE}}}{name}", nsmap={None: _NO_NAMESPACE})


def in_no_namespace(element: etree._Element) -> etree._Element:
    """A stored property in no namespace, its un-namespaced descendants with it, ready for a multistatus."""
    for node in element.iter():
        if isinstance(node.tag, str) and not etree.QName(node).namespace:
            node.tag = f"{{{_NO_NAMESPACE}}}{node.tag}"
    copied = etree.Element(element.tag, attrib=dict(element.attrib), nsmap={None: _NO_NAMESPACE})
    copied.text = element.text
    copied.extend(list(element))
    return copied


def written(text: bytes) -> bytes:
    """Serialized DAV XML with the placeholder namespace written as no namespace."""
    return text.replace(f' xmlns="{_NO_NAMESPACE}"'.encode(), b' xmlns=""')


def multistatus(responses: Iterable[etree._Element]) -> bytes:
    root = etree.Element(f"{{{DAV}}}multistatus", nsmap={None: DAV})
    for response in responses:
        root.append(response)
    return document(root)


def document(root: etree._Element) -> bytes:
    """A DAV XML document laid out as the real server writes one: indented two spaces a level
    (apiref 290, 305, 307), which clients walking ``childNodes`` depend on."""
    etree.indent(root, space=INDENT)
    return written(etree.tostring(root, xml_declaration=True, encoding="utf-8"))


def response(href: str, props: Iterable[etree._Element], status: str = "HTTP/1.1 200 OK") -> etree._Element:
    element = etree.Element(f"{{{DAV}}}response")
    etree.SubElement(element, f"{{{DAV}}}href").text = href
    add_propstat(element, props, status)
    return element


def add_propstat(response: etree._Element, props: Iterable[etree._Element], status: str) -> None:
    """One more ``<propstat>``: the properties that share a status (PROPPATCH's 404 for a missing one)."""
    propstat = etree.SubElement(response, f"{{{DAV}}}propstat")
    prop = etree.SubElement(propstat, f"{{{DAV}}}prop")
    for item in props:
        prop.append(item)
    etree.SubElement(propstat, f"{{{DAV}}}status").text = status


def text_element(tag: str, text: str) -> etree._Element:
    element = etree.Element(tag, nsmap={"p": PERSONIUM} if tag.startswith(f"{{{PERSONIUM}}}") else None)
    element.text = text
    return element


def collection_type(*extra: str) -> etree._Element:
    element = etree.Element(f"{{{DAV}}}resourcetype")
    etree.SubElement(element, f"{{{DAV}}}collection")
    for tag in extra:
        etree.SubElement(element, tag)
    return element
