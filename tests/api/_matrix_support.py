"""The fixture graph and the callers of the permission matrix (``test_permission_matrix.py``).

Every matrix row builds its own small graph in a fresh unit, through the API only:

* the cell under test ``c1``, created by the unit user :data:`OWNER` (so it has an owner, notes §2.3);
* the role ``exact``, granted exactly what the endpoint needs, in every row (so a caller without it
  shows that the grant does not leak), plus the caller's own role if it has another one; all in the
  main box except ``admin`` (p:root), which lives in box ``matrixbox`` so that the ACL also names a
  role through ``../matrixbox/admin`` (apiref/006, "Omission of description by xml:base");
* the entities the endpoint acts on (the endpoint's ``setup``);
* one cell ACL (apiref/289) with those grants, plus a ``D:all`` ACE in the ALL and OWNER_ALL rows;
* only the caller the row needs: an account of ``c1`` linked to its role, or a visitor from the
  other cell ``visitor`` of the same unit (trans-cell token exchanged at ``c1/__token``, its role
  linked to ``ExtCell(visitor)``, notes §4.6).

Writes are what makes a row slow (argon2 hashes, commits), so a row creates nothing it does not use.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any
from xml.sax.saxutils import escape

import httpx
from lxml import etree

from tests.api._ctl_support import (
    CELL,
    CELL_URL,
    OWNER,
    create_box,
    create_role,
    new_owned_cell,
    path,
    role_key,
)
from tests.conftest import UNIT
from tests.helpers import MASTER_AUTH, as_unit_user, make_cell

DAV = "DAV:"
PERSONIUM = "urn:x-personium:xmlns"
ROLE_BASE = f"{CELL_URL}__role/__/"
PASSWORD = "Matrix-pass1"
SAML2 = "urn:ietf:params:oauth:grant-type:saml2-bearer"
VISITOR_CELL = "visitor"
VISITOR_CELL_URL = f"{UNIT}{VISITOR_CELL}/"
ROLE_BOX = "matrixbox"
JSON = {"Accept": "application/json"}


class Caller(Enum):
    """Who calls; the value is the pytest id of the column."""

    ANON = "anonymous"  # no Authorization header
    MASTER = "master"  # the master token (unit master)
    OWNER = "owner"  # master token + X-Personium-Unit-User: the cell's owner (no CellContents role)
    EXACT = "exact"  # AR~ of an account whose role the ACL grants exactly the required privilege(s)
    LOWER = "lower"  # AR~ of an account whose role holds the next-lower privilege(s)
    OTHER = "other"  # AR~ of an account whose role holds privileges on another resource or family only
    SCOPED = "scoped"  # AR~ of an EXACT account, but the token's scope excludes the privilege (notes §3.5)
    VISITOR = "visitor"  # AV~ of a visitor from cell ``visitor``, mapped to a role granted the privilege
    VISITOR_WITHOUT = "visitor-without"  # a visitor from there too, mapped to a role with the lower privilege
    ROOT = "root"  # AR~ of an account whose role is granted p:root (in box matrixbox)
    ALL = "all"  # no Authorization header; the ACL grants the privilege to D:all
    OWNER_ALL = "owner-all"  # the owner again; the ACL grants the privilege to D:all


#: The role each caller's account (or visitor mapping) holds, and which of the endpoint's grants the ACL
#: gives that role ("need", "lower", "other" or "root"). Callers without an entry have no role.
ROLE_OF: dict[Caller, tuple[tuple[str | None, str], str]] = {
    Caller.EXACT: ((None, "exact"), "need"),
    Caller.SCOPED: ((None, "exact"), "need"),
    Caller.LOWER: ((None, "lower"), "lower"),
    Caller.OTHER: ((None, "other"), "other"),
    Caller.VISITOR: ((None, "guest"), "need"),
    Caller.VISITOR_WITHOUT: ((None, "stranger"), "lower"),
    Caller.ROOT: ((ROLE_BOX, "admin"), "root"),
}
#: Present in every row, granted exactly the required privilege(s): no other caller may profit from it.
EXACT_ROLE: tuple[str | None, str] = (None, "exact")


@dataclass(frozen=True)
class Grants:
    """What the ACL of a row grants (see :data:`ROLE_OF`): ``need`` to the ``exact`` role in every row, and
    to D:all in the ALL and OWNER_ALL rows; ``scope`` is the scope the SCOPED token asks for (it must not
    include ``need``; by default the ``lower`` privileges)."""

    need: tuple[str, ...]
    lower: tuple[str, ...]
    other: tuple[str, ...]
    scope: tuple[str, ...] = ()

    def of(self, which: str) -> tuple[str, ...]:
        return ("root",) if which == "root" else getattr(self, which)

    def scope_words(self) -> str:
        return " ".join(self.scope or self.lower)


#: Creates, with the master token, what an endpoint acts on.
Setup = Callable[[Any], None]


@dataclass(frozen=True)
class Endpoint:
    """One cell-level endpoint: the request, what it needs first, and the success status."""

    method: str
    path: str
    ok: int
    grants: Grants
    setup: Setup = lambda client: None
    json: Any = None
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def call(self, client: Any, caller_headers: dict[str, str]) -> httpx.Response:
        headers = {**caller_headers, **self.headers}
        if self.json is not None:
            return client.request(self.method, self.path, json=self.json, headers=headers)
        return client.request(self.method, self.path, content=self.body, headers=headers)


# --- the ACL --------------------------------------------------------------------------------------------

def _href(box: str | None, name: str) -> str:
    return name if box is None else f"../{box}/{name}"


def _ace(principal: str, privileges: Sequence[str]) -> str:
    grant = "".join(f"<D:privilege><p:{p}/></D:privilege>" for p in privileges)
    return f"<D:ace><D:principal>{principal}</D:principal><D:grant>{grant}</D:grant></D:ace>"


def acl_body(grants: Grants, caller: Caller) -> bytes:
    """The cell ACL of a row (apiref/289): hrefs relative to ``xml:base`` = the main box's role URL."""
    aces = [_ace(f"<D:href>{_href(*EXACT_ROLE)}</D:href>", grants.need)]
    if caller in ROLE_OF and ROLE_OF[caller][0] != EXACT_ROLE:
        role, which = ROLE_OF[caller]
        aces.append(_ace(f"<D:href>{escape(_href(*role))}</D:href>", grants.of(which)))
    if caller in (Caller.ALL, Caller.OWNER_ALL):
        aces.append(_ace("<D:all/>", grants.need))
    return (f'<?xml version="1.0" encoding="utf-8"?><D:acl xmlns:D="DAV:" xmlns:p="{PERSONIUM}" '
            f'xml:base="{ROLE_BASE}">{"".join(aces)}</D:acl>').encode()


def roles_for(caller: Caller) -> list[tuple[str | None, str]]:
    """The roles a row creates: ``exact`` always, the caller's own role if it has another."""
    roles = [EXACT_ROLE]
    if caller in ROLE_OF and ROLE_OF[caller][0] != EXACT_ROLE:
        roles.append(ROLE_OF[caller][0])
    return roles


def set_acl(client: Any, body: bytes) -> None:
    response = client.request("ACL", f"/{CELL}/", content=body, headers=MASTER_AUTH)
    assert response.status_code == 200, response.text


def acl_element(response: httpx.Response) -> etree._Element | None:
    """The ``D:acl`` property of the cell in a PROPFIND multistatus, if shown."""
    root = etree.fromstring(response.content)
    found = root.findall(f"{{{DAV}}}response/{{{DAV}}}propstat/{{{DAV}}}prop/{{{DAV}}}acl")
    assert len(found) <= 1, response.text
    return found[0] if found else None


# --- tokens ---------------------------------------------------------------------------------------------

def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **JSON}


def token_request(client: Any, cell: str, form: dict[str, str]) -> dict[str, Any]:
    response = client.post(f"/{cell}/__token", data=form)
    assert response.status_code == 200, response.text
    return response.json()


def password_token(client: Any, cell: str, username: str, **extra: str) -> str:
    body = token_request(client, cell, {"grant_type": "password", "username": username, "password": PASSWORD,
                                        **extra})
    if "scope" in extra:
        assert body["scope"] == extra["scope"], body  # the scope asked for is granted as such (notes §3.5)
    return str(body["access_token"])


def account_with_role(client: Any, name: str, role: tuple[str | None, str]) -> None:
    """``POST Role(...)/_Account``: the account is created with its password and linked to the role."""
    response = client.post(path(f"{role_key(role[1], role[0])}/_Account"), json={"Name": name},
                           headers={**MASTER_AUTH, "X-Personium-Credential": PASSWORD})
    assert response.status_code == 201, response.text


def visitor_token(client: Any, role: tuple[str | None, str]) -> str:
    """A visitor from the cell ``visitor``: a trans-cell token issued there for ``c1`` (``p_target``),
    exchanged at ``c1/__token`` (saml2-bearer) for an AV~ carrying the roles of ``ExtCell(visitor)``."""
    make_cell(client, VISITOR_CELL)
    client.post(f"/{VISITOR_CELL}/__ctl/Account", json={"Name": "traveller"},
                headers={**MASTER_AUTH, "X-Personium-Credential": PASSWORD}).raise_for_status()
    response = client.post(path(f"{role_key(role[1], role[0])}/_ExtCell"), json={"Url": VISITOR_CELL_URL},
                           headers=MASTER_AUTH)
    assert response.status_code == 201, response.text
    tcat = password_token(client, VISITOR_CELL, "traveller", p_target=CELL_URL)
    assert not tcat.startswith(("AR~", "AV~")), tcat  # a SAML trans-cell token
    visitor = token_request(client, CELL, {"grant_type": SAML2, "assertion": tcat})["access_token"]
    assert visitor.startswith("AV~"), visitor
    return str(visitor)


def caller_headers(client: Any, caller: Caller, grants: Grants) -> dict[str, str]:
    """Create what the caller needs and return its request headers."""
    if caller in (Caller.ANON, Caller.ALL):
        return dict(JSON)
    if caller is Caller.MASTER:
        return dict(MASTER_AUTH)
    if caller in (Caller.OWNER, Caller.OWNER_ALL):
        return as_unit_user(OWNER)
    role = ROLE_OF[caller][0]
    if caller in (Caller.VISITOR, Caller.VISITOR_WITHOUT):
        return bearer(visitor_token(client, role))
    account = caller.value.replace("-", "")
    account_with_role(client, account, role)
    extra = {"scope": grants.scope_words()} if caller is Caller.SCOPED else {}
    token = password_token(client, CELL, account, **extra)
    assert token.startswith("AR~"), token
    return bearer(token)


# --- the graph ------------------------------------------------------------------------------------------

def build(client: Any, endpoint: Endpoint, caller: Caller) -> dict[str, str]:
    """The whole fixture graph of one row; returns the caller's headers."""
    new_owned_cell(client)
    for box, name in roles_for(caller):
        if box is not None:
            create_box(client, box)
        create_role(client, name, box)
    endpoint.setup(client)
    set_acl(client, acl_body(endpoint.grants, caller))
    return caller_headers(client, caller, endpoint.grants)


# === the box-level matrix ===============================================================================
# One box ``box1`` in ``c1`` holding the collection ``col`` with the file ``col/f.txt`` (created with the
# master token); box ACLs (apiref/315: DAV: privileges, role hrefs relative to ``{cellUrl}__role/box1/``)
# are set on the nodes the row names; the cell ACL only where a row puts a grant there (p:root of the ROOT
# caller, the cell privilege ``box`` of the recursive box delete, the inheritance rows).

BOX = "box1"
BOX_URL = f"{CELL_URL}{BOX}"
BOX_ROLE_BASE = f"{CELL_URL}__role/{BOX}/"
#: A node name meaning "the cell ACL" in a placement.
CELL_NODE = "(cell)"
#: A sibling of ``col`` directly under the box root: where the OTHER caller's grant goes.
SIBLING = "other"
TREE = ("col", "col/f.txt")
FILE_BODY = b"hello"
#: Box privileges in the DAV: namespace (notes §4.1); every other privilege named here is ``p:``.
DAV_PRIVILEGES = frozenset({"all", "read", "read-properties", "read-acl", "write", "write-properties",
                            "write-content", "bind", "unbind", "write-acl"})
APP_CELL = "app"
APP_URL = f"{UNIT}{APP_CELL}/"
OTHER_APP_CELL = "app2"
OTHER_APP_URL = f"{UNIT}{OTHER_APP_CELL}/"

#: An ACE's principal: a role (box or None for the main box, name), or None for ``D:all``.
Principal = tuple[str | None, str] | None
Placements = dict[str, list[tuple[Principal, tuple[str, ...]]]]


def box_path(rel: str = "") -> str:
    """Request path of a resource in ``box1`` (``rel`` empty: the box root)."""
    return f"/{CELL}/{BOX}" + (f"/{rel}" if rel else "")


def box_url(rel: str = "") -> str:
    """Absolute URL of a resource in ``box1``, as the server writes it (no trailing slash)."""
    return BOX_URL + (f"/{rel}" if rel else "")


@dataclass(frozen=True)
class BoxEndpoint:
    """One box-level request. ``grants.need`` goes to the ``exact`` role (and the caller's role where it
    holds "need", and D:all in the ALL rows) on ``node``, together with ``also`` ((node, privileges)
    pairs); ``grants.lower`` goes to the LOWER/VISITOR_WITHOUT role on ``node``; ``grants.other`` to the
    OTHER role on ``other_node``. ``node`` = :data:`CELL_NODE` puts the grants into the cell ACL."""

    method: str
    path: str
    ok: int
    grants: Grants
    node: str = ""
    other_node: str = SIBLING
    also: tuple[tuple[str, tuple[str, ...]], ...] = ()
    #: Collections created (with the master token) besides :data:`TREE`.
    nodes: tuple[str, ...] = ()
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def call(self, client: Any, caller_headers: dict[str, str]) -> httpx.Response:
        return client.request(self.method, box_path(self.path), content=self.body,
                              headers={**caller_headers, **self.headers})


def _role_href(role: tuple[str | None, str], base_box: str) -> str:
    box, name = role
    return name if (box or "__") == base_box else f"../{box or '__'}/{name}"


def _privilege(name: str) -> str:
    prefix = "D" if name in DAV_PRIVILEGES else "p"
    return f"<D:privilege><{prefix}:{name}/></D:privilege>"


def acl_document(base_box: str, aces: Sequence[tuple[Principal, Sequence[str]]],
                 schema_authz: str | None = None) -> bytes:
    """An ACL body (apiref/289, 315) with ``xml:base`` = ``{cellUrl}__role/{base_box}/``."""
    parts = []
    for principal, privileges in aces:
        who = "<D:all/>" if principal is None else f"<D:href>{escape(_role_href(principal, base_box))}</D:href>"
        grant = "".join(_privilege(p) for p in privileges)
        parts.append(f"<D:ace><D:principal>{who}</D:principal><D:grant>{grant}</D:grant></D:ace>")
    level = "" if schema_authz is None else f' p:requireSchemaAuthz="{schema_authz}"'
    return (f'<?xml version="1.0" encoding="utf-8"?><D:acl xmlns:D="DAV:" xmlns:p="{PERSONIUM}" '
            f'xml:base="{CELL_URL}__role/{base_box}/"{level}>{"".join(parts)}</D:acl>').encode()


def set_box_acl(client: Any, rel: str, body: bytes) -> None:
    response = client.request("ACL", box_path(rel), content=body, headers=MASTER_AUTH)
    assert response.status_code == 200, response.text


def make_tree(client: Any, *collections: str) -> None:
    """``box1`` with ``col``, ``col/f.txt`` and the given further collections, as the unit master."""
    create_box(client, BOX)
    fill_tree(client, *collections)


def fill_tree(client: Any, *collections: str) -> None:
    for rel in ("col", *collections):
        response = client.request("MKCOL", box_path(rel), headers=MASTER_AUTH)
        assert response.status_code == 201, response.text
    response = client.put(box_path("col/f.txt"), content=FILE_BODY,
                          headers={**MASTER_AUTH, "Content-Type": "text/plain"})
    assert response.status_code == 201, response.text


def box_placements(endpoint: BoxEndpoint, caller: Caller) -> Placements:
    """Which principal gets which privileges on which node in this row."""
    placements: Placements = {}

    def give(principal: Principal, privileges: tuple[str, ...], node: str) -> None:
        placements.setdefault(node, []).append((principal, privileges))

    def give_need(principal: Principal) -> None:
        give(principal, endpoint.grants.need, endpoint.node)
        for node, privileges in endpoint.also:
            give(principal, privileges, node)

    give_need(EXACT_ROLE)
    if caller in ROLE_OF and ROLE_OF[caller][0] != EXACT_ROLE:
        role, which = ROLE_OF[caller]
        if which == "need":
            give_need(role)
        elif which == "lower":
            give(role, endpoint.grants.lower, endpoint.node)
        elif which == "other":
            give(role, endpoint.grants.other, endpoint.other_node)
        else:
            give(role, ("root",), CELL_NODE)
    if caller in (Caller.ALL, Caller.OWNER_ALL):
        give_need(None)
    return placements


def build_box(client: Any, endpoint: BoxEndpoint, caller: Caller) -> dict[str, str]:
    """The fixture graph of one box-level row; returns the caller's headers."""
    new_owned_cell(client)
    for box, name in roles_for(caller):
        if box is not None:
            create_box(client, box)
        create_role(client, name, box)
    placements = box_placements(endpoint, caller)
    extra = set(endpoint.nodes) | ({SIBLING} & set(placements))
    make_tree(client, *sorted(extra))
    for node, aces in placements.items():
        if node == CELL_NODE:
            set_acl(client, acl_document("__", aces))
        else:
            set_box_acl(client, node, acl_document(BOX, aces))
    return caller_headers(client, caller, endpoint.grants)


def challenges(response: httpx.Response) -> list[str]:
    """Every ``WWW-Authenticate`` challenge of a response."""
    return response.headers.get_list("www-authenticate")


# --- app (schema) tokens -------------------------------------------------------------------------------

def create_account_in(client: Any, cell: str, name: str, role: str | None = None) -> None:
    """An account with :data:`PASSWORD` in ``cell``, linked to the main-box role ``role`` if given."""
    headers = {**MASTER_AUTH, "X-Personium-Credential": PASSWORD}
    if role is None:
        response = client.post(f"/{cell}/__ctl/Account", json={"Name": name}, headers=headers)
    else:
        client.post(f"/{cell}/__ctl/Role", json={"Name": role}, headers=MASTER_AUTH).raise_for_status()
        response = client.post(f"/{cell}/__ctl/{role_key(role)}/_Account", json={"Name": name}, headers=headers)
    assert response.status_code == 201, response.text


def app_token(client: Any, app_cell: str, username: str, *, confidential: bool = False) -> str:
    """An AR~ of ``c1``'s account ``username`` issued to the app ``app_cell`` (client authentication at
    ``__token``, apiref/293, notes §3.3): the app's trans-cell token for ``c1`` is the client secret; an app
    account holding the app's main-box role ``confidentialClient`` makes the schema ``{app}#c``."""
    make_cell(client, app_cell)
    create_account_in(client, app_cell, "appuser", "confidentialClient" if confidential else None)
    secret = password_token(client, app_cell, "appuser", p_target=CELL_URL)
    body = token_request(client, CELL, {"grant_type": "password", "username": username, "password": PASSWORD,
                                        "client_id": f"{UNIT}{app_cell}/", "client_secret": secret})
    token = str(body["access_token"])
    assert token.startswith("AR~"), token
    return token
