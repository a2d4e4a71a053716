"""ACLs (apiref/289, 006; notes §4.2): the XML body, how it is stored, shown and evaluated.

ACEs name roles by id, so renaming a role keeps its grants and deleting it drops them silently.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from urllib.parse import urljoin, urlsplit

import orjson
from lxml import etree

from cellar.auth.access.privileges import BOX, CELL, grants, namespace_of
from cellar.errors import PersoniumError
from cellar.xml import DAV, PERSONIUM, parse_body

SCHEMA_AUTHZ_LEVELS = ("none", "public", "confidential")


@dataclass(frozen=True)
class Ace:
    role_id: str | None  # None: the ``all`` principal
    privileges: tuple[str, ...]


@dataclass(frozen=True)
class Acl:
    aces: tuple[Ace, ...] = ()
    schema_authz: str | None = None

    def to_json(self) -> str:
        return orjson.dumps({"schema_authz": self.schema_authz,
                             "aces": [{"role": a.role_id, "privileges": list(a.privileges)} for a in self.aces]}
                            ).decode()

    @cached_property
    def _granting(self) -> dict[str, frozenset[str | None]]:
        """Required privilege → the principals (role ids; None for ``all``) granted it, through the
        privilege trees; ``root`` on a role is among them for every privilege. Built once per ACL,
        which is cached per version, so checking a caller's fifty roles is a set intersection."""
        index: dict[str, set[str | None]] = {}
        for required in (*CELL, *BOX):
            for ace in self.aces:
                if any((p == "root" and ace.role_id is not None) or grants(p, required) for p in ace.privileges):
                    index.setdefault(required, set()).add(ace.role_id)
        return {required: frozenset(principals) for required, principals in index.items()}

    @classmethod
    def from_json(cls, text: str) -> Acl:
        data = orjson.loads(text)
        return cls(tuple(Ace(a["role"], tuple(a["privileges"])) for a in data["aces"]), data["schema_authz"])


#: Finds a role's id from (box name or None, role name); raises PR400-DV-0004/0005 when missing.
RoleResolver = Callable[[str | None, str], str]


def _invalid(reason: str) -> PersoniumError:
    return PersoniumError("PR400-DV-0006", reason)


def parse_acl(body: bytes, cell_url: str, resolve_role: RoleResolver, *, cell_level: bool) -> Acl:
    root = parse_body(body)
    if root.tag != f"{{{DAV}}}acl":
        raise _invalid("root element must be DAV:acl")
    schema_authz = root.get(f"{{{PERSONIUM}}}requireSchemaAuthz")
    if schema_authz is not None and schema_authz not in SCHEMA_AUTHZ_LEVELS:
        raise _invalid("requireSchemaAuthz")
    base = root.get("{http://www.w3.org/XML/1998/namespace}base")
    aces = tuple(_ace(ace, base, cell_url, resolve_role, cell_level) for ace in root)
    return Acl(aces, schema_authz)


def _ace(element: etree._Element, base: str | None, cell_url: str, resolve_role: RoleResolver,
         cell_level: bool) -> Ace:
    if element.tag != f"{{{DAV}}}ace":
        raise _invalid(f"unexpected element {element.tag}")
    children = {child.tag: child for child in element}
    unsupported = set(children) - {f"{{{DAV}}}principal", f"{{{DAV}}}grant", f"{{{DAV}}}inherited"}
    if unsupported:
        raise _invalid("only principal and grant are supported in an ace")
    principal, grant = children.get(f"{{{DAV}}}principal"), children.get(f"{{{DAV}}}grant")
    if principal is None or grant is None:
        raise _invalid("an ace needs a principal and a grant")
    return Ace(_principal(principal, base, cell_url, resolve_role), _privileges(grant, cell_level))


def _principal(element: etree._Element, base: str | None, cell_url: str, resolve_role: RoleResolver) -> str | None:
    children = list(element)
    if len(children) != 1:
        raise _invalid("a principal needs exactly one href or all")
    child = children[0]
    if child.tag == f"{{{DAV}}}all":
        return None
    href = (child.text or "").strip() if child.tag == f"{{{DAV}}}href" else ""
    if not href:
        raise _invalid("a principal needs a non-empty href or all")
    return resolve_role(*_role_of(urljoin(base, href) if base else href, cell_url))


def _role_of(url: str, cell_url: str) -> tuple[str | None, str]:
    """``{cellUrl}__role/{box|__}/{role}`` (the port is not compared) → (box or None, role)."""
    mine, theirs = urlsplit(cell_url), urlsplit(url)
    prefix = mine.path + "__role/"
    if theirs.scheme != mine.scheme or theirs.hostname != mine.hostname or not theirs.path.startswith(prefix):
        raise PersoniumError("PR400-DV-0004")
    parts = theirs.path[len(prefix):].split("/")
    if len(parts) != 2 or not all(parts):
        raise PersoniumError("PR400-DV-0004")
    box, role = parts
    return (None if box == "__" else box), role


def _privileges(grant: etree._Element, cell_level: bool) -> tuple[str, ...]:
    names = []
    for privilege in grant:
        if privilege.tag != f"{{{DAV}}}privilege" or len(privilege) != 1:
            raise _invalid("a grant holds privilege elements with one child each")
        qname = etree.QName(privilege[0])
        name = qname.localname
        # Personium judges a privilege by its local name (apiref/315 even writes ``D:exec``).
        known = name in BOX or (cell_level and name in CELL)
        if not known or qname.namespace not in (DAV, PERSONIUM):
            raise _invalid(f"unknown privilege {name}")
        names.append(name)
    if not names:
        raise _invalid("a grant needs at least one privilege")
    return tuple(dict.fromkeys(names))


def render_acl(acl: Acl, base: str, role_urls: Mapping[str, tuple[str | None, str]], home_box: str | None = None,
               inherited: Iterable[tuple[Acl, str]] = ()) -> etree._Element:
    """``<D:acl xml:base="{cellUrl}__role/{box or __}/">`` with hrefs relative to it (``role`` or
    ``../{otherBox}/role``); ancestors' ACEs follow, each marked ``<D:inherited>`` with the ancestor's
    URL. ACEs of deleted roles vanish."""
    element = etree.Element(f"{{{DAV}}}acl", nsmap={"D": DAV, "p": PERSONIUM})
    element.set("{http://www.w3.org/XML/1998/namespace}base", base)
    if acl.schema_authz is not None:
        element.set(f"{{{PERSONIUM}}}requireSchemaAuthz", acl.schema_authz)
    for source, origin in ((acl, None), *inherited):
        for ace in source.aces:
            if ace.role_id is None or ace.role_id in role_urls:
                element.append(_render_ace(ace, role_urls, home_box, origin))
    return element


def _render_ace(ace: Ace, role_urls: Mapping[str, tuple[str | None, str]], home_box: str | None,
                origin: str | None) -> etree._Element:
    node = etree.Element(f"{{{DAV}}}ace")
    principal = etree.SubElement(node, f"{{{DAV}}}principal")
    if ace.role_id is None:
        etree.SubElement(principal, f"{{{DAV}}}all")
    else:
        box, name = role_urls[ace.role_id]
        etree.SubElement(principal, f"{{{DAV}}}href").text = name if box == home_box else f"../{box or '__'}/{name}"
    grant = etree.SubElement(node, f"{{{DAV}}}grant")
    for privilege in ace.privileges:
        etree.SubElement(etree.SubElement(grant, f"{{{DAV}}}privilege"), f"{{{namespace_of(privilege)}}}{privilege}")
    if origin is not None:
        etree.SubElement(etree.SubElement(node, f"{{{DAV}}}inherited"), f"{{{DAV}}}href").text = origin
    return node


def allows(acl: Acl, caller_role_ids: Iterable[str], required: str) -> bool:
    """Some ACE for ``all`` or one of the caller's roles grants the privilege; a role with root grants all."""
    principals = acl._granting.get(required)
    if not principals:
        return False
    return None in principals or not principals.isdisjoint(caller_role_ids)
