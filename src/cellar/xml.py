"""XML shared by every layer: the namespaces Personium writes and the one safe parser.

Bodies and tokens come from strangers, so parsing never loads a DTD, expands an entity, touches the
network or builds a huge tree; a document that so much as declares a DTD is refused before parsing.
"""

from __future__ import annotations

from lxml import etree

from cellar.errors import PersoniumError

PERSONIUM = "urn:x-personium:xmlns"
DAV = "DAV:"
#: The largest XML request body (ACL, PROPFIND, PROPPATCH, MKCOL) read at all.
MAX_BODY_BYTES = 256 * 1024

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                          remove_comments=True, remove_pis=True, collect_ids=False)
#: Keeps processing instructions, for callers that refuse them rather than ignore them (SAML).
_PARSER_KEEPING_PIS = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                                      remove_comments=True, collect_ids=False)


class XMLError(ValueError):
    """Not well-formed, or declares a DTD or entities."""


def parse(raw: bytes, *, keep_pis: bool = False) -> etree._Element:
    """The root element of ``raw``; comments are dropped, and processing instructions unless ``keep_pis``."""
    if b"<!DOCTYPE" in raw or b"<!ENTITY" in raw:
        raise XMLError("DTDs are not allowed")
    try:
        root = etree.fromstring(raw, _PARSER_KEEPING_PIS if keep_pis else _PARSER)
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise XMLError("malformed XML") from exc
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise XMLError("DTDs are not allowed")
    return root


def parse_body(body: bytes, error: str = "PR400-DV-0002") -> etree._Element:
    """A request body through :func:`parse`, bounded in size. ``error`` is the code for a body that cannot
    be read: ACL and PROPPATCH answer ``PR400-DV-0002``, PROPFIND and MKCOL ``-0001``."""
    if len(body) > MAX_BODY_BYTES:
        raise PersoniumError(error)
    try:
        return parse(body)
    except XMLError:
        raise PersoniumError(error) from None
