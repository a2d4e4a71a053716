"""What PROPFIND shows of a box resource (apiref 305/307): live properties, the ACL (only to callers
holding ``read-acl``), then the dead properties set by PROPPATCH.

Documents are indented as the real server writes them (two spaces a level; Personium's own Unit
Manager reads ``resourcetype.childNodes[1]``, which only indentation puts there).

A listing of a large collection is mostly the same bytes as the last one: each resource's
``<response>`` is rendered once per node version and href (the ACL, which depends on ancestors and
role names, is rendered apart and once per distinct ACL of a request), so a PROPFIND costs a query
and a join of cached fragments. The text is exactly what rendering the whole tree at once produces.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from lxml import etree

from cellar.auth.access.acl import Acl, render_acl
from cellar.auth.access.endpoint_privileges import DAV_METHODS
from cellar.auth.authn.roles import roles_by_id
from cellar.dav import tree
from cellar.dav import xml as davxml
from cellar.dav.target import BoxTarget, segment
from cellar.dav.tree import Kind, Node
from cellar.storage.uow import Transaction
from cellar.xml import DAV, PERSONIUM, parse, parse_body

#: What GET answers for a file stored without a Content-Type.
DEFAULT_CONTENT_TYPE = "application/octet-stream"
_EXTENSION = {Kind.ODATA: "odata", Kind.SERVICE: "service", Kind.STREAM: "stream"}
_OPEN = b'<multistatus xmlns="DAV:">'
_CLOSE = b"</multistatus>"
_ACL_SLOT = "cellar-acl-slot"
_DEAD_SLOT = "cellar-dead-slot-"
#: Rendered responses, keyed by (node id, version, href): a version names one state of a node. A
#: plain dict, oldest out first when full: a listing reads a thousand entries, so per-entry
#: bookkeeping would cost more than it saves.
_RESPONSES: dict[tuple[str, int, str], tuple[bytes, bytes]] = {}
MAX_RESPONSES = 100_000

#: The ACL element of a listed resource, from its ACL and its ancestors' (nearest last).
AclRenderer = Callable[[Acl, tuple[Node, ...]], etree._Element]


def propfind(tx: Transaction, target: BoxTarget, body: bytes, depth_header: str | None) -> tuple[bytes, Node]:
    """Retrieve properties — apiref 305/307: all properties whatever the body asks; Depth 0 or 1.
    Returns the multistatus document and the resource listed."""
    node = target.existing(DAV_METHODS["PROPFIND"])
    if body.strip():
        parse_body(body, "PR400-DV-0001")
    # RFC 4918 §9.1: no Depth means infinity, which Personium refuses (400); for a file every depth
    # is 0, and WebDAV clients (webdav4) read a file's properties so.
    depth = davxml.depth(depth_header, missing=0 if node.kind is Kind.FILE else None)
    chain = target.located.chain
    children = tree.child_versions(tx, node) if depth == 1 and node.is_collection else []
    renderer = _target_acl_renderer(tx, target, children) if target.may("read-acl") else None
    listing = Listing(target.href, chain, renderer)
    listing.add_self()
    listing.add_children(children, lambda ids: tree.nodes_by_id(tx, ids))
    return listing.document(), node


def _target_acl_renderer(tx: Transaction, target: BoxTarget, children: list[tree.Version]) -> AclRenderer:
    """The roles of every ACL listed are looked up in one query."""
    role_ids = {ace.role_id for acl in listed_acls(target.located.chain, children) for ace in acl.aces
                if ace.role_id}
    roles = {rid: (r.box, r.name) for rid, r in roles_by_id(tx, target.box.cell_id, role_ids).items()}
    return acl_renderer(target.cell_request.url, target.box, target.href_of, roles)


def resource_type(kind: Kind) -> etree._Element:
    if kind is Kind.FILE:
        return etree.Element(f"{{{DAV}}}resourcetype")
    extension = _EXTENSION.get(kind)
    return davxml.collection_type(*([f"{{{PERSONIUM}}}{extension}"] if extension else []))


def node_properties(node: Node, acl: etree._Element | None) -> list[etree._Element]:
    props = [davxml.text_element(f"{{{DAV}}}creationdate", davxml.rfc3339_date(node.published)),
             davxml.text_element(f"{{{DAV}}}getlastmodified", davxml.last_modified(node.updated)),
             resource_type(node.kind),
             davxml.text_element(f"{{{DAV}}}getetag", node.etag)]
    if node.name:  # the box root's name is its box's, which its href ends with
        props.append(davxml.text_element(f"{{{DAV}}}displayname", node.name))
    if node.kind is Kind.FILE:
        props.append(davxml.text_element(f"{{{DAV}}}getcontentlength", str(node.content_length or 0)))
        props.append(davxml.text_element(f"{{{DAV}}}getcontenttype", node.content_type or DEFAULT_CONTENT_TYPE))
    if acl is not None:
        props.append(acl)
    # Dead properties go in as their places: their values are written exactly as they were set (the
    # indentation of the document must not reach into mixed content).
    props += [etree.Element(f"{{{DAV}}}{_DEAD_SLOT}{index}") for index in range(len(node.props))]
    return props


def _dead(xml: str) -> bytes:
    """A dead property as stored, in the multistatus's namespace context (``xmlns=""`` if it has none)."""
    element = parse(xml.encode())
    if not etree.QName(element).namespace:
        element = davxml.in_no_namespace(element)
    return davxml.written(etree.tostring(element, encoding="utf-8"))


#: Where the ACL stands in a response: multistatus > response > propstat > prop > acl.
_ACL_LEVEL = 4


def _in_multistatus(element: etree._Element, level: int) -> bytes:
    """How ``element`` is written as a descendant, at ``level``, of the indented multistatus root (same
    namespace context), its line break and indentation first."""
    root = etree.Element(f"{{{DAV}}}multistatus", nsmap={None: DAV})
    root.append(element)
    etree.indent(element, space=davxml.INDENT, level=level)
    text = davxml.written(etree.tostring(root, encoding="utf-8"))
    assert text.startswith(_OPEN) and text.endswith(_CLOSE)
    return b"\n" + davxml.INDENT.encode() * level + text[len(_OPEN):-len(_CLOSE)]


def _render_response(node: Node, href: str) -> tuple[bytes, bytes]:
    """The ``<response>`` before and after the place of the ACL (and the line the ACL would stand on)."""
    text = _in_multistatus(davxml.response(href, node_properties(node, etree.Element(f"{{{DAV}}}{_ACL_SLOT}"))), 1)
    for index, xml in enumerate(node.props.values()):
        text = text.replace(f"<{_DEAD_SLOT}{index}/>".encode(), _dead(xml), 1)
    head, _, tail = text.partition(b"\n" + davxml.INDENT.encode() * _ACL_LEVEL + f"<{_ACL_SLOT}/>".encode())
    return head, tail


class Listing:
    """The multistatus of one PROPFIND: the addressed resource, then (Depth 1) its children."""

    def __init__(self, url: str, chain: tuple[Node, ...], render_acl_of: AclRenderer | None) -> None:
        """``url``: the href of the resource listed (percent-encoded)."""
        self.url = url
        self.chain = chain
        self.render_acl_of = render_acl_of
        self.parts: list[bytes] = []
        self._acls: dict[str | None, bytes] = {}

    def add_self(self) -> None:
        self._add(self.chain[-1], self.url, self.chain[:-1])

    def add_children(self, children: list[tree.Version], load: Callable[[list[str]], dict[str, Node]]) -> None:
        """The children's responses; ``load`` makes nodes of those not rendered at this version yet."""
        prefix = self.url + "/"
        keys = [(node_id, version, prefix + segment(name)) for node_id, version, name, _ in children]
        missing = [key for key in keys if key not in _RESPONSES]
        if missing:
            nodes = load([key[0] for key in missing])
            for key in missing:
                _remember(key, _render_response(nodes[key[0]], key[2]))
        parts, acl_of = self.parts, self._acl_of
        for (_, _, _, acl), key in zip(children, keys, strict=True):
            head, tail = _RESPONSES[key]
            parts += (head, acl_of(acl), tail)

    def _add(self, node: Node, href: str, ancestors: tuple[Node, ...]) -> None:
        key = (node.id, node.version, href)
        if key not in _RESPONSES:
            _remember(key, _render_response(node, href))
        head, tail = _RESPONSES[key]
        acl = b"" if self.render_acl_of is None else _in_multistatus(self.render_acl_of(node.acl, ancestors),
                                                                      _ACL_LEVEL)
        self.parts += (head, acl, tail)

    def _acl_of(self, text: str | None) -> bytes:
        """Siblings share their ancestors, so children with the same ACL have the same ACL element."""
        if self.render_acl_of is None:
            return b""
        acl = self._acls.get(text)
        if acl is None:
            own = Acl.from_json(text) if text else Acl()
            acl = self._acls[text] = _in_multistatus(self.render_acl_of(own, self.chain), _ACL_LEVEL)
        return acl

    def document(self) -> bytes:
        return b"".join((b"<?xml version='1.0' encoding='utf-8'?>\n", _OPEN, *self.parts, b"\n", _CLOSE))


def acl_renderer(cell_url: str, box: tree.Box, url_of: Callable[[list[str]], str],
                 roles: Mapping[str, tuple[str | None, str]]) -> AclRenderer:
    """Each listed node's ACL, then its ancestors' marked as inherited with their URLs (the cell's is
    not shown); ``roles`` names every role the listed ACLs mention."""

    def render(acl: Acl, ancestors: tuple[Node, ...]) -> etree._Element:
        names = [n.name for n in ancestors[1:]]
        inherited = [(ancestor.acl, url_of(names[:index])) for index, ancestor in reversed(list(enumerate(ancestors)))]
        return render_acl(acl, f"{cell_url}__role/{box.name}/", roles, home_box=None if box.is_main else box.name,
                          inherited=inherited)

    return render


def listed_acls(chain: tuple[Node, ...], children: list[tree.Version]) -> list[Acl]:
    """Every ACL a listing may show: the chain's and each distinct one among the children."""
    distinct = {acl for _, _, _, acl in children if acl}
    return [node.acl for node in chain] + [Acl.from_json(text) for text in distinct]


def _remember(key: tuple[str, int, str], parts: tuple[bytes, bytes]) -> None:
    if len(_RESPONSES) >= MAX_RESPONSES:
        _RESPONSES.pop(next(iter(_RESPONSES)), None)
    _RESPONSES[key] = parts
