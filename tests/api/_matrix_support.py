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
