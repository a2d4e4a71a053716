"""Permission matrix — who may call which cell-level endpoint (apiref/006, 289, 290, 291, 004;
notes §2.2, §3.2, §3.5, §4.1–§4.4, §4.6), modelled on Community Solid Server's PermissionTable tests.

Each row of :data:`CELL_MATRIX` is one (endpoint, caller) pair and its expected result; every row is
one test that builds its own fixture graph (see ``_matrix_support``), sets one cell ACL and sends one
request. The endpoints are those of ``src/cellar/auth/endpoint_privileges.py``; what the ACL grants
for an endpoint is in :data:`ENDPOINTS`, the callers are described in ``_matrix_support.Caller``.

Expected results, unless a row says otherwise (its comment names the page or notes section):

* allowed → the endpoint's success status;
* no token → 401 ``PR401-AU-0001`` with ``WWW-Authenticate: Bearer realm="{cellUrl}"`` (notes §4.3 step 4);
* authenticated without the privilege → 403 ``PR403-AU-0002`` (notes §4.3 step 4);
* the privilege granted but not in the token's scope → 403 ``PR403-AU-0007`` (notes §3.5, §4.3 step 5);
* the cell owner as a unit user without a CellContents role → only what the ACL grants to ``D:all``
  (notes §2.2), so 403 ``PR403-AU-0002`` where ``all`` is not granted.
"""

from __future__ import annotations

from typing import Any

import pytest

from cellar.auth.endpoint_privileges import CELL_ENDPOINTS, CELL_ROOT, CTL_SETS
from tests.api._ctl_support import (
    CELL,
    CELL_URL,
    account_key,
    box_key,
    create_account,
    create_box,
    create_extcell,
    create_extrole,
    create_relation,
    create_role,
    extcell_key,
    extrole_key,
    must_link,
    path,
    relation_key,
    role_key,
    uri,
)
from tests.api._matrix_support import (
    PASSWORD,
    PERSONIUM,
    ROLE_BASE,
    Caller,
    Endpoint,
    Grants,
    Setup,
    acl_body,
    acl_element,
    build,
)
from tests.helpers import assert_error

ANON, MASTER, OWNER, EXACT, LOWER, OTHER, SCOPED, VISITOR, VISITOR_WITHOUT, ROOT, ALL, OWNER_ALL = Caller

# Expected results that are not a plain success status.
AUTH_REQUIRED = "PR401-AU-0001"  # 401, plus the Bearer challenge
LACKING = "PR403-AU-0002"  # 403 "Necessary privilege is lacking."
SCOPE = "PR403-AU-0007"  # 403 "Insufficient scope is granted for the access token."
UNIT_ONLY = "PR403-AU-0001"  # 403 "Unit user access required."
BAD_CLIENT = "PR400-AN-0018"  # 400 invalid_client "Authorization header is invalid."
ACL_SHOWN = "acl shown"  # PROPFIND 207 with the D:acl property (apiref/290: needs acl-read)
ACL_HIDDEN = "acl hidden"  # PROPFIND 207 without it

EXT_TARGET = "https://other.example/target/"
DOCTOR = "https://app.example/__role/__/doctor"
NURSE = "https://app.example/__role/__/nurse"

# --- what each endpoint needs (notes §4.4; endpoint_privileges.py) -----------------------------------------
# ``need``: what the endpoint requires. ``lower``: the next-lower privilege (auth-read for auth; for a -read
# privilege, the -read of another family). ``other``: a privilege on another resource or family only.

AUTH_READ = Grants(need=("auth-read",), lower=("social-read",), other=("box",))
AUTH_WRITE = Grants(need=("auth",), lower=("auth-read",), other=("social",))
SOCIAL_READ = Grants(need=("social-read",), lower=("auth-read",), other=("box",))
SOCIAL_WRITE = Grants(need=("social",), lower=("social-read",), other=("auth",))
# ExtCell: pages 223–227 say auth-read / auth, the real server social-read / social (notes §4.1, §4.4).
# Cellar accepts both for reads and for writes (README, compatibility notes), so the "lower" reader
# holds box-read and the "other family" caller holds box.
EXTCELL_READ = Grants(need=("social-read",), lower=("box-read",), other=("box",))
EXTCELL_WRITE = Grants(need=("social",), lower=("social-read",), other=("box",))
BOX_READ = Grants(need=("box-read",), lower=("social-read",), other=("auth",))
BOX_WRITE = Grants(need=("box",), lower=("box-read",), other=("social",))
# $links and navigation between Relation (social) and Role (auth) need the privilege of both (notes §4.4):
# for reads "lower" holds Relation's privilege only and "other" Role's only; for writes "lower" holds both
# -read privileges and "other" the write privilege of Relation only.
BOTH_READ = Grants(need=("social-read", "auth-read"), lower=("social-read",), other=("auth-read",))
BOTH_WRITE = Grants(need=("social", "auth"), lower=("social-read", "auth-read"), other=("social",))
PROPFIND = Grants(need=("propfind",), lower=("acl-read",), other=("acl",))
# apiref/290: the ACL is shown only with acl-read as well; the scoped token keeps acl-read alone.
PROPFIND_ACL = Grants(need=("propfind", "acl-read"), lower=("propfind",), other=("acl-read",),
                      scope=("acl-read",))
ACL = Grants(need=("acl",), lower=("acl-read",), other=("propfind",))
OPTIONS = Grants(need=("social-read",), lower=("auth-read",), other=("box",))
# OPTIONS on $links needs social-read whatever the two sets are (notes §4.1, §4.4 "quirk"); here "lower"
# holds Role's read privilege, which is not enough.
LINKS_OPTIONS = Grants(need=("social-read",), lower=("auth-read",), other=("box",))
# PROPPATCH is for unit users only (apiref/291, notes §2.3): even p:root, even for D:all, does not open it.
UNIT_USER = Grants(need=("root",), lower=("acl",), other=("auth",))
# No privilege at all: the grants do not matter.
NOTHING = Grants(need=("propfind",), lower=("acl-read",), other=("auth",))

PROPFIND_BODY = b'<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>'
PROPPATCH_BODY = ('<?xml version="1.0" encoding="utf-8"?>'
                  f'<D:propertyupdate xmlns:D="DAV:" xmlns:p="{PERSONIUM}">'
                  '<D:set><D:prop><p:matrix>yes</p:matrix></D:prop></D:set></D:propertyupdate>').encode()
TOKEN_FORM = f"grant_type=password&username=tokenuser&password={PASSWORD}".encode()
DEPTH_0 = {"Depth": "0"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
ROOT_PATH = f"/{CELL}/"
LINKED = relation_key("linked")
MEMBER = role_key("member")
MEMBER_LINK = f"{LINKED}/$links/_Role(Name='member',_Box.Name=null)"


def _ctl_set(name: str, key: str, read: Grants, write: Grants, target: Setup, prepare: Setup,
             bodies: tuple[dict[str, Any], dict[str, Any], dict[str, Any]]) -> dict[str, Endpoint]:
    """The six requests on ``__ctl/{name}``: ``target`` creates the entity ``key``, ``prepare`` what
    creating one needs; ``bodies`` are those of POST, PUT and MERGE."""
    def with_target(client: Any) -> None:
        prepare(client)
        target(client)

    create_body, update_body, merge_body = bodies
    return {
        f"{name} list": Endpoint("GET", path(name), 200, read, with_target),
        f"{name} read": Endpoint("GET", path(key), 200, read, with_target),
        f"{name} create": Endpoint("POST", path(name), 201, write, prepare, json=create_body),
        f"{name} update": Endpoint("PUT", path(key), 204, write, with_target, json=update_body),
        f"{name} merge": Endpoint("MERGE", path(key), 204, write, with_target, json=merge_body),
        f"{name} delete": Endpoint("DELETE", path(key), 204, write, with_target),
    }


def _nothing(client: Any) -> None:
    pass


def _holder(client: Any) -> None:
    create_relation(client, "holder")


def _relation_and_role(client: Any) -> None:
    create_relation(client, "linked")
    create_role(client, "member")


def _linked(client: Any) -> None:
    _relation_and_role(client)
    must_link(client, LINKED, "_Role", MEMBER)


def _token_user(client: Any) -> None:
    create_account(client, "tokenuser", PASSWORD)


ENDPOINTS: dict[str, Endpoint] = {
    **_ctl_set("Account", account_key("target"), AUTH_READ, AUTH_WRITE,
               lambda client: create_account(client, "target"), _nothing,
               ({"Name": "created"}, {"Name": "target"}, {"Status": "active"})),
    **_ctl_set("Role", role_key("target"), AUTH_READ, AUTH_WRITE,
               lambda client: create_role(client, "target"), _nothing,
               ({"Name": "created"}, {"Name": "target"}, {"Name": "target"})),
    **_ctl_set("ExtRole", extrole_key(DOCTOR, "holder"), AUTH_READ, AUTH_WRITE,
               lambda client: create_extrole(client, DOCTOR, "holder"), _holder,
               ({"ExtRole": NURSE, "_Relation.Name": "holder"},
                {"ExtRole": DOCTOR, "_Relation.Name": "holder"},
                {"ExtRole": DOCTOR})),
    **_ctl_set("ExtCell", extcell_key(EXT_TARGET), EXTCELL_READ, EXTCELL_WRITE,
               lambda client: create_extcell(client, EXT_TARGET), _nothing,
               ({"Url": "https://other.example/created/"}, {"Url": EXT_TARGET}, {"Url": EXT_TARGET})),
    **_ctl_set("Relation", relation_key("target"), SOCIAL_READ, SOCIAL_WRITE,
               lambda client: create_relation(client, "target"), _nothing,
               ({"Name": "created"}, {"Name": "target"}, {"Name": "target"})),
    **_ctl_set("Box", box_key("target"), BOX_READ, BOX_WRITE,
               lambda client: create_box(client, "target"), _nothing,
               ({"Name": "created"}, {"Name": "target"}, {"Name": "target"})),
    "Relation $links _Role list": Endpoint("GET", path(f"{LINKED}/$links/_Role"), 200, BOTH_READ, _linked),
    "Relation $links _Role create": Endpoint("POST", path(f"{LINKED}/$links/_Role"), 204, BOTH_WRITE,
                                             _relation_and_role, json={"uri": uri(MEMBER)}),
    "Relation $links _Role delete": Endpoint("DELETE", path(MEMBER_LINK),
                                             204, BOTH_WRITE, _linked),
    "Relation $links _Role OPTIONS": Endpoint("OPTIONS", path(f"{LINKED}/$links/_Role"), 200, LINKS_OPTIONS,
                                              _linked),
    "Relation/_Role list": Endpoint("GET", path(f"{LINKED}/_Role"), 200, BOTH_READ, _linked),
    "Relation/_Role create": Endpoint("POST", path(f"{LINKED}/_Role"), 201, BOTH_WRITE, _relation_and_role,
                                      json={"Name": "created"}),
    "cell PROPFIND": Endpoint("PROPFIND", ROOT_PATH, 207, PROPFIND, body=PROPFIND_BODY, headers=DEPTH_0),
    "cell PROPFIND acl-read": Endpoint("PROPFIND", ROOT_PATH, 207, PROPFIND_ACL, body=PROPFIND_BODY,
                                       headers=DEPTH_0),
    "cell ACL": Endpoint("ACL", ROOT_PATH, 200, ACL, body=acl_body(ACL, Caller.EXACT)),
    "cell PROPPATCH": Endpoint("PROPPATCH", ROOT_PATH, 207, UNIT_USER, body=PROPPATCH_BODY),
    "cell OPTIONS": Endpoint("OPTIONS", ROOT_PATH, 200, OPTIONS),
    "cell GET": Endpoint("GET", ROOT_PATH, 200, NOTHING),
    "__token": Endpoint("POST", f"{ROOT_PATH}__token", 200, NOTHING, _token_user, body=TOKEN_FORM,
                        headers=FORM),
    "Account OPTIONS": Endpoint("OPTIONS", path("Account"), 200, AUTH_READ),
    "__introspect OPTIONS": Endpoint("OPTIONS", f"{ROOT_PATH}__introspect", 200, AUTH_READ),
}

# --- the matrix: (endpoint, caller, expected status, expected code or outcome) -----------------------------

CELL_MATRIX: list[tuple[str, Caller, int, str | None]] = [
    # Account list: GET __ctl/Account — auth-read
    ("Account list",                   ANON,             401, AUTH_REQUIRED),
    ("Account list",                   MASTER,           200, None),
    ("Account list",                   OWNER,            403, LACKING),
    ("Account list",                   EXACT,            200, None),
    ("Account list",                   LOWER,            403, LACKING),
    ("Account list",                   OTHER,            403, LACKING),
    ("Account list",                   SCOPED,           403, SCOPE),
    ("Account list",                   VISITOR,          200, None),
    ("Account list",                   VISITOR_WITHOUT,  403, LACKING),
    ("Account list",                   ROOT,             200, None),
    ("Account list",                   ALL,              200, None),
    ("Account list",                   OWNER_ALL,        200, None),

    # Account read: GET __ctl/Account('target') — auth-read
    ("Account read",                   ANON,             401, AUTH_REQUIRED),
    ("Account read",                   MASTER,           200, None),
    ("Account read",                   OWNER,            403, LACKING),
    ("Account read",                   EXACT,            200, None),
    ("Account read",                   LOWER,            403, LACKING),
    ("Account read",                   OTHER,            403, LACKING),
    ("Account read",                   SCOPED,           403, SCOPE),
    ("Account read",                   VISITOR,          200, None),
    ("Account read",                   VISITOR_WITHOUT,  403, LACKING),
    ("Account read",                   ROOT,             200, None),
    ("Account read",                   ALL,              200, None),
    ("Account read",                   OWNER_ALL,        200, None),

    # Account create: POST __ctl/Account — auth
    ("Account create",                 ANON,             401, AUTH_REQUIRED),
    ("Account create",                 MASTER,           201, None),
    ("Account create",                 OWNER,            403, LACKING),
    ("Account create",                 EXACT,            201, None),
    ("Account create",                 LOWER,            403, LACKING),
    ("Account create",                 OTHER,            403, LACKING),
    ("Account create",                 SCOPED,           403, SCOPE),
    ("Account create",                 VISITOR,          201, None),
    ("Account create",                 VISITOR_WITHOUT,  403, LACKING),
    ("Account create",                 ROOT,             201, None),
    ("Account create",                 ALL,              201, None),
    ("Account create",                 OWNER_ALL,        201, None),

    # Account update: PUT __ctl/Account('target') — auth
    ("Account update",                 ANON,             401, AUTH_REQUIRED),
    ("Account update",                 MASTER,           204, None),
    ("Account update",                 OWNER,            403, LACKING),
    ("Account update",                 EXACT,            204, None),
    ("Account update",                 LOWER,            403, LACKING),
    ("Account update",                 OTHER,            403, LACKING),
    ("Account update",                 SCOPED,           403, SCOPE),
    ("Account update",                 VISITOR,          204, None),
    ("Account update",                 VISITOR_WITHOUT,  403, LACKING),
    ("Account update",                 ROOT,             204, None),
    ("Account update",                 ALL,              204, None),
    ("Account update",                 OWNER_ALL,        204, None),

    # Account merge: MERGE __ctl/Account('target') — auth
    ("Account merge",                  ANON,             401, AUTH_REQUIRED),
    ("Account merge",                  MASTER,           204, None),
    ("Account merge",                  OWNER,            403, LACKING),
    ("Account merge",                  EXACT,            204, None),
    ("Account merge",                  LOWER,            403, LACKING),
    ("Account merge",                  OTHER,            403, LACKING),
    ("Account merge",                  SCOPED,           403, SCOPE),
    ("Account merge",                  VISITOR,          204, None),
    ("Account merge",                  VISITOR_WITHOUT,  403, LACKING),
    ("Account merge",                  ROOT,             204, None),
    ("Account merge",                  ALL,              204, None),
    ("Account merge",                  OWNER_ALL,        204, None),

    # Account delete: DELETE __ctl/Account('target') — auth
    ("Account delete",                 ANON,             401, AUTH_REQUIRED),
    ("Account delete",                 MASTER,           204, None),
    ("Account delete",                 OWNER,            403, LACKING),
    ("Account delete",                 EXACT,            204, None),
    ("Account delete",                 LOWER,            403, LACKING),
    ("Account delete",                 OTHER,            403, LACKING),
    ("Account delete",                 SCOPED,           403, SCOPE),
    ("Account delete",                 VISITOR,          204, None),
    ("Account delete",                 VISITOR_WITHOUT,  403, LACKING),
    ("Account delete",                 ROOT,             204, None),
    ("Account delete",                 ALL,              204, None),
    ("Account delete",                 OWNER_ALL,        204, None),

    # Role list: GET __ctl/Role — auth-read
    ("Role list",                      ANON,             401, AUTH_REQUIRED),
    ("Role list",                      MASTER,           200, None),
    ("Role list",                      OWNER,            403, LACKING),
    ("Role list",                      EXACT,            200, None),
    ("Role list",                      LOWER,            403, LACKING),
    ("Role list",                      OTHER,            403, LACKING),
    ("Role list",                      SCOPED,           403, SCOPE),
    ("Role list",                      VISITOR,          200, None),
    ("Role list",                      VISITOR_WITHOUT,  403, LACKING),
    ("Role list",                      ROOT,             200, None),
    ("Role list",                      ALL,              200, None),
    ("Role list",                      OWNER_ALL,        200, None),

    # Role read: GET __ctl/Role(Name='target') — auth-read
    ("Role read",                      ANON,             401, AUTH_REQUIRED),
    ("Role read",                      MASTER,           200, None),
    ("Role read",                      OWNER,            403, LACKING),
    ("Role read",                      EXACT,            200, None),
    ("Role read",                      LOWER,            403, LACKING),
    ("Role read",                      OTHER,            403, LACKING),
    ("Role read",                      SCOPED,           403, SCOPE),
    ("Role read",                      VISITOR,          200, None),
    ("Role read",                      VISITOR_WITHOUT,  403, LACKING),
    ("Role read",                      ROOT,             200, None),
    ("Role read",                      ALL,              200, None),
    ("Role read",                      OWNER_ALL,        200, None),

    # Role create: POST __ctl/Role — auth
    ("Role create",                    ANON,             401, AUTH_REQUIRED),
    ("Role create",                    MASTER,           201, None),
    ("Role create",                    OWNER,            403, LACKING),
    ("Role create",                    EXACT,            201, None),
    ("Role create",                    LOWER,            403, LACKING),
    ("Role create",                    OTHER,            403, LACKING),
    ("Role create",                    SCOPED,           403, SCOPE),
    ("Role create",                    VISITOR,          201, None),
    ("Role create",                    VISITOR_WITHOUT,  403, LACKING),
    ("Role create",                    ROOT,             201, None),
    ("Role create",                    ALL,              201, None),
    ("Role create",                    OWNER_ALL,        201, None),

    # Role update: PUT __ctl/Role(Name='target') — auth
    ("Role update",                    ANON,             401, AUTH_REQUIRED),
    ("Role update",                    MASTER,           204, None),
    ("Role update",                    OWNER,            403, LACKING),
    ("Role update",                    EXACT,            204, None),
    ("Role update",                    LOWER,            403, LACKING),
    ("Role update",                    OTHER,            403, LACKING),
    ("Role update",                    SCOPED,           403, SCOPE),
    ("Role update",                    VISITOR,          204, None),
    ("Role update",                    VISITOR_WITHOUT,  403, LACKING),
    ("Role update",                    ROOT,             204, None),
    ("Role update",                    ALL,              204, None),
    ("Role update",                    OWNER_ALL,        204, None),

    # Role merge: MERGE __ctl/Role(Name='target') — auth
    ("Role merge",                     ANON,             401, AUTH_REQUIRED),
    ("Role merge",                     MASTER,           204, None),
    ("Role merge",                     OWNER,            403, LACKING),
    ("Role merge",                     EXACT,            204, None),
    ("Role merge",                     LOWER,            403, LACKING),
    ("Role merge",                     OTHER,            403, LACKING),
    ("Role merge",                     SCOPED,           403, SCOPE),
    ("Role merge",                     VISITOR,          204, None),
    ("Role merge",                     VISITOR_WITHOUT,  403, LACKING),
    ("Role merge",                     ROOT,             204, None),
    ("Role merge",                     ALL,              204, None),
    ("Role merge",                     OWNER_ALL,        204, None),

    # Role delete: DELETE __ctl/Role(Name='target') — auth
    ("Role delete",                    ANON,             401, AUTH_REQUIRED),
    ("Role delete",                    MASTER,           204, None),
    ("Role delete",                    OWNER,            403, LACKING),
    ("Role delete",                    EXACT,            204, None),
    ("Role delete",                    LOWER,            403, LACKING),
    ("Role delete",                    OTHER,            403, LACKING),
    ("Role delete",                    SCOPED,           403, SCOPE),
    ("Role delete",                    VISITOR,          204, None),
    ("Role delete",                    VISITOR_WITHOUT,  403, LACKING),
    ("Role delete",                    ROOT,             204, None),
    ("Role delete",                    ALL,              204, None),
    ("Role delete",                    OWNER_ALL,        204, None),

    # ExtRole list: GET __ctl/ExtRole — auth-read
    ("ExtRole list",                   ANON,             401, AUTH_REQUIRED),
    ("ExtRole list",                   MASTER,           200, None),
    ("ExtRole list",                   OWNER,            403, LACKING),
    ("ExtRole list",                   EXACT,            200, None),
    ("ExtRole list",                   LOWER,            403, LACKING),
    ("ExtRole list",                   OTHER,            403, LACKING),
    ("ExtRole list",                   SCOPED,           403, SCOPE),
    ("ExtRole list",                   VISITOR,          200, None),
    ("ExtRole list",                   VISITOR_WITHOUT,  403, LACKING),
    ("ExtRole list",                   ROOT,             200, None),
    ("ExtRole list",                   ALL,              200, None),
    ("ExtRole list",                   OWNER_ALL,        200, None),

    # ExtRole read: GET __ctl/ExtRole(ExtRole=DOCTOR,_Relation.Name='holder') — auth-read
    ("ExtRole read",                   ANON,             401, AUTH_REQUIRED),
    ("ExtRole read",                   MASTER,           200, None),
    ("ExtRole read",                   OWNER,            403, LACKING),
    ("ExtRole read",                   EXACT,            200, None),
    ("ExtRole read",                   LOWER,            403, LACKING),
    ("ExtRole read",                   OTHER,            403, LACKING),
    ("ExtRole read",                   SCOPED,           403, SCOPE),
    ("ExtRole read",                   VISITOR,          200, None),
    ("ExtRole read",                   VISITOR_WITHOUT,  403, LACKING),
    ("ExtRole read",                   ROOT,             200, None),
    ("ExtRole read",                   ALL,              200, None),
    ("ExtRole read",                   OWNER_ALL,        200, None),

    # ExtRole create: POST __ctl/ExtRole — auth
    ("ExtRole create",                 ANON,             401, AUTH_REQUIRED),
    ("ExtRole create",                 MASTER,           201, None),
    ("ExtRole create",                 OWNER,            403, LACKING),
    ("ExtRole create",                 EXACT,            201, None),
    ("ExtRole create",                 LOWER,            403, LACKING),
    ("ExtRole create",                 OTHER,            403, LACKING),
    ("ExtRole create",                 SCOPED,           403, SCOPE),
    ("ExtRole create",                 VISITOR,          201, None),
    ("ExtRole create",                 VISITOR_WITHOUT,  403, LACKING),
    ("ExtRole create",                 ROOT,             201, None),
    ("ExtRole create",                 ALL,              201, None),
    ("ExtRole create",                 OWNER_ALL,        201, None),

    # ExtRole update: PUT __ctl/ExtRole(ExtRole=DOCTOR,_Relation.Name='holder') — auth
    ("ExtRole update",                 ANON,             401, AUTH_REQUIRED),
    ("ExtRole update",                 MASTER,           204, None),
    ("ExtRole update",                 OWNER,            403, LACKING),
    ("ExtRole update",                 EXACT,            204, None),
    ("ExtRole update",                 LOWER,            403, LACKING),
    ("ExtRole update",                 OTHER,            403, LACKING),
    ("ExtRole update",                 SCOPED,           403, SCOPE),
    ("ExtRole update",                 VISITOR,          204, None),
    ("ExtRole update",                 VISITOR_WITHOUT,  403, LACKING),
    ("ExtRole update",                 ROOT,             204, None),
    ("ExtRole update",                 ALL,              204, None),
    ("ExtRole update",                 OWNER_ALL,        204, None),

    # ExtRole merge: MERGE __ctl/ExtRole(ExtRole=DOCTOR,_Relation.Name='holder') — auth
    ("ExtRole merge",                  ANON,             401, AUTH_REQUIRED),
    ("ExtRole merge",                  MASTER,           204, None),
    ("ExtRole merge",                  OWNER,            403, LACKING),
    ("ExtRole merge",                  EXACT,            204, None),
    ("ExtRole merge",                  LOWER,            403, LACKING),
    ("ExtRole merge",                  OTHER,            403, LACKING),
    ("ExtRole merge",                  SCOPED,           403, SCOPE),
    ("ExtRole merge",                  VISITOR,          204, None),
    ("ExtRole merge",                  VISITOR_WITHOUT,  403, LACKING),
    ("ExtRole merge",                  ROOT,             204, None),
    ("ExtRole merge",                  ALL,              204, None),
    ("ExtRole merge",                  OWNER_ALL,        204, None),

    # ExtRole delete: DELETE __ctl/ExtRole(ExtRole=DOCTOR,_Relation.Name='holder') — auth
    ("ExtRole delete",                 ANON,             401, AUTH_REQUIRED),
    ("ExtRole delete",                 MASTER,           204, None),
    ("ExtRole delete",                 OWNER,            403, LACKING),
    ("ExtRole delete",                 EXACT,            204, None),
    ("ExtRole delete",                 LOWER,            403, LACKING),
    ("ExtRole delete",                 OTHER,            403, LACKING),
    ("ExtRole delete",                 SCOPED,           403, SCOPE),
    ("ExtRole delete",                 VISITOR,          204, None),
    ("ExtRole delete",                 VISITOR_WITHOUT,  403, LACKING),
    ("ExtRole delete",                 ROOT,             204, None),
    ("ExtRole delete",                 ALL,              204, None),
    ("ExtRole delete",                 OWNER_ALL,        204, None),

    # ExtCell list: GET __ctl/ExtCell — social-read
    ("ExtCell list",                   ANON,             401, AUTH_REQUIRED),
    ("ExtCell list",                   MASTER,           200, None),
    ("ExtCell list",                   OWNER,            403, LACKING),
    ("ExtCell list",                   EXACT,            200, None),
    # auth-read: enough per pages 224/225, not for the real server (notes §4.4):
    ("ExtCell list",                   LOWER,            403, LACKING),
    ("ExtCell list",                   OTHER,            403, LACKING),
    ("ExtCell list",                   SCOPED,           403, SCOPE),
    ("ExtCell list",                   VISITOR,          200, None),
    ("ExtCell list",                   VISITOR_WITHOUT,  403, LACKING),
    ("ExtCell list",                   ROOT,             200, None),
    ("ExtCell list",                   ALL,              200, None),
    ("ExtCell list",                   OWNER_ALL,        200, None),

    # ExtCell read: GET __ctl/ExtCell('https://other.example/target/') — social-read
    ("ExtCell read",                   ANON,             401, AUTH_REQUIRED),
    ("ExtCell read",                   MASTER,           200, None),
    ("ExtCell read",                   OWNER,            403, LACKING),
    ("ExtCell read",                   EXACT,            200, None),
    # auth-read: enough per pages 224/225, not for the real server (notes §4.4):
    ("ExtCell read",                   LOWER,            403, LACKING),
    ("ExtCell read",                   OTHER,            403, LACKING),
    ("ExtCell read",                   SCOPED,           403, SCOPE),
    ("ExtCell read",                   VISITOR,          200, None),
    ("ExtCell read",                   VISITOR_WITHOUT,  403, LACKING),
    ("ExtCell read",                   ROOT,             200, None),
    ("ExtCell read",                   ALL,              200, None),
    ("ExtCell read",                   OWNER_ALL,        200, None),

    # ExtCell create: POST __ctl/ExtCell — social
    ("ExtCell create",                 ANON,             401, AUTH_REQUIRED),
    ("ExtCell create",                 MASTER,           201, None),
    ("ExtCell create",                 OWNER,            403, LACKING),
    ("ExtCell create",                 EXACT,            201, None),
    ("ExtCell create",                 LOWER,            403, LACKING),
    ("ExtCell create",                 OTHER,            403, LACKING),
    ("ExtCell create",                 SCOPED,           403, SCOPE),
    ("ExtCell create",                 VISITOR,          201, None),
    ("ExtCell create",                 VISITOR_WITHOUT,  403, LACKING),
    ("ExtCell create",                 ROOT,             201, None),
    ("ExtCell create",                 ALL,              201, None),
    ("ExtCell create",                 OWNER_ALL,        201, None),

    # ExtCell update: PUT __ctl/ExtCell('https://other.example/target/') — social
    ("ExtCell update",                 ANON,             401, AUTH_REQUIRED),
    ("ExtCell update",                 MASTER,           204, None),
    ("ExtCell update",                 OWNER,            403, LACKING),
    ("ExtCell update",                 EXACT,            204, None),
    ("ExtCell update",                 LOWER,            403, LACKING),
    ("ExtCell update",                 OTHER,            403, LACKING),
    ("ExtCell update",                 SCOPED,           403, SCOPE),
    ("ExtCell update",                 VISITOR,          204, None),
    ("ExtCell update",                 VISITOR_WITHOUT,  403, LACKING),
    ("ExtCell update",                 ROOT,             204, None),
    ("ExtCell update",                 ALL,              204, None),
    ("ExtCell update",                 OWNER_ALL,        204, None),

    # ExtCell merge: MERGE __ctl/ExtCell('https://other.example/target/') — social
    ("ExtCell merge",                  ANON,             401, AUTH_REQUIRED),
    ("ExtCell merge",                  MASTER,           204, None),
    ("ExtCell merge",                  OWNER,            403, LACKING),
    ("ExtCell merge",                  EXACT,            204, None),
    ("ExtCell merge",                  LOWER,            403, LACKING),
    ("ExtCell merge",                  OTHER,            403, LACKING),
    ("ExtCell merge",                  SCOPED,           403, SCOPE),
    ("ExtCell merge",                  VISITOR,          204, None),
    ("ExtCell merge",                  VISITOR_WITHOUT,  403, LACKING),
    ("ExtCell merge",                  ROOT,             204, None),
    ("ExtCell merge",                  ALL,              204, None),
    ("ExtCell merge",                  OWNER_ALL,        204, None),

    # ExtCell delete: DELETE __ctl/ExtCell('https://other.example/target/') — social
    ("ExtCell delete",                 ANON,             401, AUTH_REQUIRED),
    ("ExtCell delete",                 MASTER,           204, None),
    ("ExtCell delete",                 OWNER,            403, LACKING),
    ("ExtCell delete",                 EXACT,            204, None),
    ("ExtCell delete",                 LOWER,            403, LACKING),
    ("ExtCell delete",                 OTHER,            403, LACKING),
    ("ExtCell delete",                 SCOPED,           403, SCOPE),
    ("ExtCell delete",                 VISITOR,          204, None),
    ("ExtCell delete",                 VISITOR_WITHOUT,  403, LACKING),
    ("ExtCell delete",                 ROOT,             204, None),
    ("ExtCell delete",                 ALL,              204, None),
    ("ExtCell delete",                 OWNER_ALL,        204, None),

    # Relation list: GET __ctl/Relation — social-read
    ("Relation list",                  ANON,             401, AUTH_REQUIRED),
    ("Relation list",                  MASTER,           200, None),
    ("Relation list",                  OWNER,            403, LACKING),
    ("Relation list",                  EXACT,            200, None),
    ("Relation list",                  LOWER,            403, LACKING),
    ("Relation list",                  OTHER,            403, LACKING),
    ("Relation list",                  SCOPED,           403, SCOPE),
    ("Relation list",                  VISITOR,          200, None),
    ("Relation list",                  VISITOR_WITHOUT,  403, LACKING),
    ("Relation list",                  ROOT,             200, None),
    ("Relation list",                  ALL,              200, None),
    ("Relation list",                  OWNER_ALL,        200, None),

    # Relation read: GET __ctl/Relation(Name='target') — social-read
    ("Relation read",                  ANON,             401, AUTH_REQUIRED),
    ("Relation read",                  MASTER,           200, None),
    ("Relation read",                  OWNER,            403, LACKING),
    ("Relation read",                  EXACT,            200, None),
    ("Relation read",                  LOWER,            403, LACKING),
    ("Relation read",                  OTHER,            403, LACKING),
    ("Relation read",                  SCOPED,           403, SCOPE),
    ("Relation read",                  VISITOR,          200, None),
    ("Relation read",                  VISITOR_WITHOUT,  403, LACKING),
    ("Relation read",                  ROOT,             200, None),
    ("Relation read",                  ALL,              200, None),
    ("Relation read",                  OWNER_ALL,        200, None),

    # Relation create: POST __ctl/Relation — social
    ("Relation create",                ANON,             401, AUTH_REQUIRED),
    ("Relation create",                MASTER,           201, None),
    ("Relation create",                OWNER,            403, LACKING),
    ("Relation create",                EXACT,            201, None),
    ("Relation create",                LOWER,            403, LACKING),
    ("Relation create",                OTHER,            403, LACKING),
    ("Relation create",                SCOPED,           403, SCOPE),
    ("Relation create",                VISITOR,          201, None),
    ("Relation create",                VISITOR_WITHOUT,  403, LACKING),
    ("Relation create",                ROOT,             201, None),
    ("Relation create",                ALL,              201, None),
    ("Relation create",                OWNER_ALL,        201, None),

    # Relation update: PUT __ctl/Relation(Name='target') — social
    ("Relation update",                ANON,             401, AUTH_REQUIRED),
    ("Relation update",                MASTER,           204, None),
    ("Relation update",                OWNER,            403, LACKING),
    ("Relation update",                EXACT,            204, None),
    ("Relation update",                LOWER,            403, LACKING),
    ("Relation update",                OTHER,            403, LACKING),
    ("Relation update",                SCOPED,           403, SCOPE),
    ("Relation update",                VISITOR,          204, None),
    ("Relation update",                VISITOR_WITHOUT,  403, LACKING),
    ("Relation update",                ROOT,             204, None),
    ("Relation update",                ALL,              204, None),
    ("Relation update",                OWNER_ALL,        204, None),

    # Relation merge: MERGE __ctl/Relation(Name='target') — social
    ("Relation merge",                 ANON,             401, AUTH_REQUIRED),
    ("Relation merge",                 MASTER,           204, None),
    ("Relation merge",                 OWNER,            403, LACKING),
    ("Relation merge",                 EXACT,            204, None),
    ("Relation merge",                 LOWER,            403, LACKING),
    ("Relation merge",                 OTHER,            403, LACKING),
    ("Relation merge",                 SCOPED,           403, SCOPE),
    ("Relation merge",                 VISITOR,          204, None),
    ("Relation merge",                 VISITOR_WITHOUT,  403, LACKING),
    ("Relation merge",                 ROOT,             204, None),
    ("Relation merge",                 ALL,              204, None),
    ("Relation merge",                 OWNER_ALL,        204, None),

    # Relation delete: DELETE __ctl/Relation(Name='target') — social
    ("Relation delete",                ANON,             401, AUTH_REQUIRED),
    ("Relation delete",                MASTER,           204, None),
    ("Relation delete",                OWNER,            403, LACKING),
    ("Relation delete",                EXACT,            204, None),
    ("Relation delete",                LOWER,            403, LACKING),
    ("Relation delete",                OTHER,            403, LACKING),
    ("Relation delete",                SCOPED,           403, SCOPE),
    ("Relation delete",                VISITOR,          204, None),
    ("Relation delete",                VISITOR_WITHOUT,  403, LACKING),
    ("Relation delete",                ROOT,             204, None),
    ("Relation delete",                ALL,              204, None),
    ("Relation delete",                OWNER_ALL,        204, None),

    # Box list: GET __ctl/Box — box-read
    ("Box list",                       ANON,             401, AUTH_REQUIRED),
    ("Box list",                       MASTER,           200, None),
    ("Box list",                       OWNER,            403, LACKING),
    ("Box list",                       EXACT,            200, None),
    ("Box list",                       LOWER,            403, LACKING),
    ("Box list",                       OTHER,            403, LACKING),
    ("Box list",                       SCOPED,           403, SCOPE),
    ("Box list",                       VISITOR,          200, None),
    ("Box list",                       VISITOR_WITHOUT,  403, LACKING),
    ("Box list",                       ROOT,             200, None),
    ("Box list",                       ALL,              200, None),
    ("Box list",                       OWNER_ALL,        200, None),

    # Box read: GET __ctl/Box('target') — box-read
    ("Box read",                       ANON,             401, AUTH_REQUIRED),
    ("Box read",                       MASTER,           200, None),
    ("Box read",                       OWNER,            403, LACKING),
    ("Box read",                       EXACT,            200, None),
    ("Box read",                       LOWER,            403, LACKING),
    ("Box read",                       OTHER,            403, LACKING),
    ("Box read",                       SCOPED,           403, SCOPE),
    ("Box read",                       VISITOR,          200, None),
    ("Box read",                       VISITOR_WITHOUT,  403, LACKING),
    ("Box read",                       ROOT,             200, None),
    ("Box read",                       ALL,              200, None),
    ("Box read",                       OWNER_ALL,        200, None),

    # Box create: POST __ctl/Box — box
    ("Box create",                     ANON,             401, AUTH_REQUIRED),
    ("Box create",                     MASTER,           201, None),
    ("Box create",                     OWNER,            403, LACKING),
    ("Box create",                     EXACT,            201, None),
    ("Box create",                     LOWER,            403, LACKING),
    ("Box create",                     OTHER,            403, LACKING),
    ("Box create",                     SCOPED,           403, SCOPE),
    ("Box create",                     VISITOR,          201, None),
    ("Box create",                     VISITOR_WITHOUT,  403, LACKING),
    ("Box create",                     ROOT,             201, None),
    ("Box create",                     ALL,              201, None),
    ("Box create",                     OWNER_ALL,        201, None),

    # Box update: PUT __ctl/Box('target') — box
    ("Box update",                     ANON,             401, AUTH_REQUIRED),
    ("Box update",                     MASTER,           204, None),
    ("Box update",                     OWNER,            403, LACKING),
    ("Box update",                     EXACT,            204, None),
    ("Box update",                     LOWER,            403, LACKING),
    ("Box update",                     OTHER,            403, LACKING),
    ("Box update",                     SCOPED,           403, SCOPE),
    ("Box update",                     VISITOR,          204, None),
    ("Box update",                     VISITOR_WITHOUT,  403, LACKING),
    ("Box update",                     ROOT,             204, None),
    ("Box update",                     ALL,              204, None),
    ("Box update",                     OWNER_ALL,        204, None),

    # Box merge: MERGE __ctl/Box('target') — box
    ("Box merge",                      ANON,             401, AUTH_REQUIRED),
    ("Box merge",                      MASTER,           204, None),
    ("Box merge",                      OWNER,            403, LACKING),
    ("Box merge",                      EXACT,            204, None),
    ("Box merge",                      LOWER,            403, LACKING),
    ("Box merge",                      OTHER,            403, LACKING),
    ("Box merge",                      SCOPED,           403, SCOPE),
    ("Box merge",                      VISITOR,          204, None),
    ("Box merge",                      VISITOR_WITHOUT,  403, LACKING),
    ("Box merge",                      ROOT,             204, None),
    ("Box merge",                      ALL,              204, None),
    ("Box merge",                      OWNER_ALL,        204, None),

    # Box delete: DELETE __ctl/Box('target') — box
    ("Box delete",                     ANON,             401, AUTH_REQUIRED),
    ("Box delete",                     MASTER,           204, None),
    ("Box delete",                     OWNER,            403, LACKING),
    ("Box delete",                     EXACT,            204, None),
    ("Box delete",                     LOWER,            403, LACKING),
    ("Box delete",                     OTHER,            403, LACKING),
    ("Box delete",                     SCOPED,           403, SCOPE),
    ("Box delete",                     VISITOR,          204, None),
    ("Box delete",                     VISITOR_WITHOUT,  403, LACKING),
    ("Box delete",                     ROOT,             204, None),
    ("Box delete",                     ALL,              204, None),
    ("Box delete",                     OWNER_ALL,        204, None),

    # Relation $links _Role list: GET __ctl/Relation(Name='linked')/$links/_Role — social-read + auth-read
    ("Relation $links _Role list",     ANON,             401, AUTH_REQUIRED),
    ("Relation $links _Role list",     MASTER,           200, None),
    ("Relation $links _Role list",     OWNER,            403, LACKING),
    ("Relation $links _Role list",     EXACT,            200, None),
    ("Relation $links _Role list",     LOWER,            403, LACKING),
    ("Relation $links _Role list",     OTHER,            403, LACKING),
    ("Relation $links _Role list",     SCOPED,           403, SCOPE),
    ("Relation $links _Role list",     VISITOR,          200, None),
    ("Relation $links _Role list",     VISITOR_WITHOUT,  403, LACKING),
    ("Relation $links _Role list",     ROOT,             200, None),
    ("Relation $links _Role list",     ALL,              200, None),
    ("Relation $links _Role list",     OWNER_ALL,        200, None),

    # Relation $links _Role create: POST __ctl/Relation(Name='linked')/$links/_Role — social + auth
    ("Relation $links _Role create",   ANON,             401, AUTH_REQUIRED),
    ("Relation $links _Role create",   MASTER,           204, None),
    ("Relation $links _Role create",   OWNER,            403, LACKING),
    ("Relation $links _Role create",   EXACT,            204, None),
    ("Relation $links _Role create",   LOWER,            403, LACKING),
    ("Relation $links _Role create",   OTHER,            403, LACKING),
    ("Relation $links _Role create",   SCOPED,           403, SCOPE),
    ("Relation $links _Role create",   VISITOR,          204, None),
    ("Relation $links _Role create",   VISITOR_WITHOUT,  403, LACKING),
    ("Relation $links _Role create",   ROOT,             204, None),
    ("Relation $links _Role create",   ALL,              204, None),
    ("Relation $links _Role create",   OWNER_ALL,        204, None),

    # DELETE __ctl/Relation(Name='linked')/$links/_Role(Name='member'): social + auth
    ("Relation $links _Role delete",   ANON,             401, AUTH_REQUIRED),
    ("Relation $links _Role delete",   MASTER,           204, None),
    ("Relation $links _Role delete",   OWNER,            403, LACKING),
    ("Relation $links _Role delete",   EXACT,            204, None),
    ("Relation $links _Role delete",   LOWER,            403, LACKING),
    ("Relation $links _Role delete",   OTHER,            403, LACKING),
    ("Relation $links _Role delete",   SCOPED,           403, SCOPE),
    ("Relation $links _Role delete",   VISITOR,          204, None),
    ("Relation $links _Role delete",   VISITOR_WITHOUT,  403, LACKING),
    ("Relation $links _Role delete",   ROOT,             204, None),
    ("Relation $links _Role delete",   ALL,              204, None),
    ("Relation $links _Role delete",   OWNER_ALL,        204, None),

    # Relation $links _Role OPTIONS: OPTIONS __ctl/Relation(Name='linked')/$links/_Role — social-read,
    # whatever the two sets are (notes §4.1, §4.4; Java's quirk: Role's auth-read is not needed)
    # no Authorization: answered before routing (notes §4.3 last paragraph, §8.2):
    ("Relation $links _Role OPTIONS",  ANON,             200, None),
    ("Relation $links _Role OPTIONS",  MASTER,           200, None),
    ("Relation $links _Role OPTIONS",  OWNER,            403, LACKING),
    ("Relation $links _Role OPTIONS",  EXACT,            200, None),
    ("Relation $links _Role OPTIONS",  LOWER,            403, LACKING),
    ("Relation $links _Role OPTIONS",  OTHER,            403, LACKING),
    ("Relation $links _Role OPTIONS",  SCOPED,           403, SCOPE),
    ("Relation $links _Role OPTIONS",  VISITOR,          200, None),
    ("Relation $links _Role OPTIONS",  VISITOR_WITHOUT,  403, LACKING),
    ("Relation $links _Role OPTIONS",  ROOT,             200, None),
    ("Relation $links _Role OPTIONS",  ALL,              200, None),
    ("Relation $links _Role OPTIONS",  OWNER_ALL,        200, None),

    # Relation/_Role list: GET __ctl/Relation(Name='linked')/_Role — social-read + auth-read
    ("Relation/_Role list",            ANON,             401, AUTH_REQUIRED),
    ("Relation/_Role list",            MASTER,           200, None),
    ("Relation/_Role list",            OWNER,            403, LACKING),
    ("Relation/_Role list",            EXACT,            200, None),
    ("Relation/_Role list",            LOWER,            403, LACKING),
    ("Relation/_Role list",            OTHER,            403, LACKING),
    ("Relation/_Role list",            SCOPED,           403, SCOPE),
    ("Relation/_Role list",            VISITOR,          200, None),
    ("Relation/_Role list",            VISITOR_WITHOUT,  403, LACKING),
    ("Relation/_Role list",            ROOT,             200, None),
    ("Relation/_Role list",            ALL,              200, None),
    ("Relation/_Role list",            OWNER_ALL,        200, None),

    # Relation/_Role create: POST __ctl/Relation(Name='linked')/_Role — social + auth
    ("Relation/_Role create",          ANON,             401, AUTH_REQUIRED),
    ("Relation/_Role create",          MASTER,           201, None),
    ("Relation/_Role create",          OWNER,            403, LACKING),
    ("Relation/_Role create",          EXACT,            201, None),
    ("Relation/_Role create",          LOWER,            403, LACKING),
    ("Relation/_Role create",          OTHER,            403, LACKING),
    ("Relation/_Role create",          SCOPED,           403, SCOPE),
    ("Relation/_Role create",          VISITOR,          201, None),
    ("Relation/_Role create",          VISITOR_WITHOUT,  403, LACKING),
    ("Relation/_Role create",          ROOT,             201, None),
    ("Relation/_Role create",          ALL,              201, None),
    ("Relation/_Role create",          OWNER_ALL,        201, None),

    # cell PROPFIND: PROPFIND {CellURL} — propfind
    ("cell PROPFIND",                  ANON,             401, AUTH_REQUIRED),
    # unit master: every privilege, acl-read included (notes §4.3 step 1):
    ("cell PROPFIND",                  MASTER,           207, ACL_SHOWN),
    ("cell PROPFIND",                  OWNER,            403, LACKING),
    # propfind alone does not show the ACL (apiref/290):
    ("cell PROPFIND",                  EXACT,            207, ACL_HIDDEN),
    ("cell PROPFIND",                  LOWER,            403, LACKING),
    ("cell PROPFIND",                  OTHER,            403, LACKING),
    ("cell PROPFIND",                  SCOPED,           403, SCOPE),
    ("cell PROPFIND",                  VISITOR,          207, ACL_HIDDEN),
    ("cell PROPFIND",                  VISITOR_WITHOUT,  403, LACKING),
    # root includes acl-read (apiref/006):
    ("cell PROPFIND",                  ROOT,             207, ACL_SHOWN),
    ("cell PROPFIND",                  ALL,              207, ACL_HIDDEN),
    ("cell PROPFIND",                  OWNER_ALL,        207, ACL_HIDDEN),

    # cell PROPFIND acl-read: PROPFIND {CellURL} — propfind, and acl-read to see the ACL
    ("cell PROPFIND acl-read",         ANON,             401, AUTH_REQUIRED),
    ("cell PROPFIND acl-read",         MASTER,           207, ACL_SHOWN),
    ("cell PROPFIND acl-read",         OWNER,            403, LACKING),
    ("cell PROPFIND acl-read",         EXACT,            207, ACL_SHOWN),
    # propfind without acl-read: properties, no ACL (apiref/290):
    ("cell PROPFIND acl-read",         LOWER,            207, ACL_HIDDEN),
    # acl-read does not include propfind (apiref/006):
    ("cell PROPFIND acl-read",         OTHER,            403, LACKING),
    ("cell PROPFIND acl-read",         SCOPED,           403, SCOPE),
    ("cell PROPFIND acl-read",         VISITOR,          207, ACL_SHOWN),
    # propfind without acl-read (apiref/290):
    ("cell PROPFIND acl-read",         VISITOR_WITHOUT,  207, ACL_HIDDEN),
    ("cell PROPFIND acl-read",         ROOT,             207, ACL_SHOWN),
    ("cell PROPFIND acl-read",         ALL,              207, ACL_SHOWN),
    ("cell PROPFIND acl-read",         OWNER_ALL,        207, ACL_SHOWN),

    # cell ACL: ACL {CellURL} — acl
    ("cell ACL",                       ANON,             401, AUTH_REQUIRED),
    ("cell ACL",                       MASTER,           200, None),
    ("cell ACL",                       OWNER,            403, LACKING),
    ("cell ACL",                       EXACT,            200, None),
    ("cell ACL",                       LOWER,            403, LACKING),
    ("cell ACL",                       OTHER,            403, LACKING),
    ("cell ACL",                       SCOPED,           403, SCOPE),
    ("cell ACL",                       VISITOR,          200, None),
    ("cell ACL",                       VISITOR_WITHOUT,  403, LACKING),
    ("cell ACL",                       ROOT,             200, None),
    ("cell ACL",                       ALL,              200, None),
    ("cell ACL",                       OWNER_ALL,        200, None),

    # cell PROPPATCH: PROPPATCH {CellURL} — unit user only
    ("cell PROPPATCH",                 ANON,             401, AUTH_REQUIRED),
    ("cell PROPPATCH",                 MASTER,           207, None),
    # the owning unit user, no CellContents role needed (notes §2.3):
    ("cell PROPPATCH",                 OWNER,            207, None),
    # p:root via the ACL is no unit user (apiref/291, notes §2.3):
    ("cell PROPPATCH",                 EXACT,            403, UNIT_ONLY),
    ("cell PROPPATCH",                 LOWER,            403, UNIT_ONLY),
    ("cell PROPPATCH",                 OTHER,            403, UNIT_ONLY),
    # not a scope question: unit users only (notes §2.3):
    ("cell PROPPATCH",                 SCOPED,           403, UNIT_ONLY),
    ("cell PROPPATCH",                 VISITOR,          403, UNIT_ONLY),
    ("cell PROPPATCH",                 VISITOR_WITHOUT,  403, UNIT_ONLY),
    # p:root via the ACL is no unit user (apiref/291, notes §2.3):
    ("cell PROPPATCH",                 ROOT,             403, UNIT_ONLY),
    # D:all with p:root does not open it either (notes §2.3):
    ("cell PROPPATCH",                 ALL,              401, AUTH_REQUIRED),
    ("cell PROPPATCH",                 OWNER_ALL,        207, None),

    # cell OPTIONS: OPTIONS {CellURL} — social-read (with Authorization)
    # no Authorization: answered before routing (notes §4.3 last paragraph, §8.2):
    ("cell OPTIONS",                   ANON,             200, None),
    ("cell OPTIONS",                   MASTER,           200, None),
    ("cell OPTIONS",                   OWNER,            403, LACKING),
    ("cell OPTIONS",                   EXACT,            200, None),
    ("cell OPTIONS",                   LOWER,            403, LACKING),
    ("cell OPTIONS",                   OTHER,            403, LACKING),
    ("cell OPTIONS",                   SCOPED,           403, SCOPE),
    ("cell OPTIONS",                   VISITOR,          200, None),
    ("cell OPTIONS",                   VISITOR_WITHOUT,  403, LACKING),
    ("cell OPTIONS",                   ROOT,             200, None),
    ("cell OPTIONS",                   ALL,              200, None),
    ("cell OPTIONS",                   OWNER_ALL,        200, None),

    # cell GET: GET {CellURL} — none
    ("cell GET",                       ANON,             200, None),
    ("cell GET",                       MASTER,           200, None),
    ("cell GET",                       OWNER,            200, None),
    ("cell GET",                       EXACT,            200, None),
    ("cell GET",                       LOWER,            200, None),
    ("cell GET",                       OTHER,            200, None),
    ("cell GET",                       SCOPED,           200, None),
    ("cell GET",                       VISITOR,          200, None),
    ("cell GET",                       VISITOR_WITHOUT,  200, None),
    ("cell GET",                       ROOT,             200, None),
    ("cell GET",                       ALL,              200, None),
    ("cell GET",                       OWNER_ALL,        200, None),

    # __token: POST {CellURL}__token — none
    ("__token",                        ANON,             200, None),
    # here and below: Authorization means client authentication; Bearer is not Basic → 400 (notes §3.3):
    ("__token",                        MASTER,           400, BAD_CLIENT),
    ("__token",                        OWNER,            400, BAD_CLIENT),
    ("__token",                        EXACT,            400, BAD_CLIENT),
    ("__token",                        LOWER,            400, BAD_CLIENT),
    ("__token",                        OTHER,            400, BAD_CLIENT),
    ("__token",                        SCOPED,           400, BAD_CLIENT),
    ("__token",                        VISITOR,          400, BAD_CLIENT),
    ("__token",                        VISITOR_WITHOUT,  400, BAD_CLIENT),
    ("__token",                        ROOT,             400, BAD_CLIENT),
    ("__token",                        ALL,              200, None),
    ("__token",                        OWNER_ALL,        400, BAD_CLIENT),

    # Account OPTIONS: OPTIONS __ctl/Account — the set's read privilege, auth-read (notes §4.4)
    # no Authorization: answered before routing (notes §4.3 last paragraph, §8.2):
    ("Account OPTIONS",                ANON,             200, None),
    ("Account OPTIONS",                MASTER,           200, None),
    ("Account OPTIONS",                OWNER,            403, LACKING),
    ("Account OPTIONS",                EXACT,            200, None),
    ("Account OPTIONS",                LOWER,            403, LACKING),
    ("Account OPTIONS",                OTHER,            403, LACKING),
    ("Account OPTIONS",                SCOPED,           403, SCOPE),
    ("Account OPTIONS",                VISITOR,          200, None),
    ("Account OPTIONS",                VISITOR_WITHOUT,  403, LACKING),
    ("Account OPTIONS",                ROOT,             200, None),
    ("Account OPTIONS",                ALL,              200, None),
    ("Account OPTIONS",                OWNER_ALL,        200, None),

    # __introspect OPTIONS: OPTIONS {CellURL}__introspect — auth-read (with Authorization; notes §4.1)
    # no Authorization: answered before routing (notes §4.3 last paragraph, §8.2):
    ("__introspect OPTIONS",           ANON,             200, None),
    ("__introspect OPTIONS",           MASTER,           200, None),
    ("__introspect OPTIONS",           OWNER,            403, LACKING),
    ("__introspect OPTIONS",           EXACT,            200, None),
    ("__introspect OPTIONS",           LOWER,            403, LACKING),
    ("__introspect OPTIONS",           OTHER,            403, LACKING),
    ("__introspect OPTIONS",           SCOPED,           403, SCOPE),
    ("__introspect OPTIONS",           VISITOR,          200, None),
    ("__introspect OPTIONS",           VISITOR_WITHOUT,  403, LACKING),
    ("__introspect OPTIONS",           ROOT,             200, None),
    ("__introspect OPTIONS",           ALL,              200, None),
    ("__introspect OPTIONS",           OWNER_ALL,        200, None),
]


def _check_complete() -> None:
    """Every endpoint has exactly one row per caller, and every row names a known endpoint."""
    seen = [(endpoint, caller) for endpoint, caller, _, _ in CELL_MATRIX]
    assert len(seen) == len(set(seen)), "duplicate rows"
    assert set(seen) == {(endpoint, caller) for endpoint in ENDPOINTS for caller in Caller}, "missing rows"


_check_complete()


@pytest.mark.parametrize(("endpoint", "caller", "status", "outcome"),
                         [pytest.param(*row, id=f"{row[0]}-{row[1].value}") for row in CELL_MATRIX])
def test_cell_level_permission(client: Any, endpoint: str, caller: Caller, status: int,
                               outcome: str | None) -> None:
    target = ENDPOINTS[endpoint]
    headers = build(client, target, caller)
    response = target.call(client, headers)
    if outcome == BAD_CLIENT:
        # __token answers in the OAuth error shape (notes §3.3, apiref/004 invalid_client).
        assert response.status_code == status, response.text
        body = response.json()
        assert body["error"] == "invalid_client", body
        assert body["error_description"].startswith(f"[{BAD_CLIENT}]"), body
        return
    if outcome is not None and outcome.startswith("PR"):
        body = assert_error(response, status, outcome)
        if outcome == AUTH_REQUIRED:
            assert response.headers.get("www-authenticate") == f'Bearer realm="{CELL_URL}"', response.headers
        if outcome == SCOPE:
            assert any(f"[{p}]" in body["message"]["value"] for p in target.grants.need), body
        return
    assert response.status_code == status, response.text
    if target.method == "PROPFIND":
        shown = acl_element(response)
        assert outcome in (ACL_SHOWN, ACL_HIDDEN), outcome
        assert (shown is not None) == (outcome == ACL_SHOWN), response.text
        if shown is not None:
            # apiref/290, notes §4.2: xml:base is the main box's role URL, hrefs are relative to it.
            assert shown.get("{http://www.w3.org/XML/1998/namespace}base") == ROLE_BASE, response.text


def test_matrix_covers_the_privilege_table() -> None:
    """Every control object set of endpoint_privileges.py has its six rows here, and the cell-level
    endpoints left out of the matrix are left out on purpose."""
    operations = ("list", "read", "create", "update", "merge", "delete")
    per_set = {f"{name} {operation}" for name in CTL_SETS for operation in operations}
    assert per_set <= set(ENDPOINTS)
    assert set(ENDPOINTS) - per_set == {
        "Relation $links _Role list", "Relation $links _Role create", "Relation $links _Role delete",
        "Relation $links _Role OPTIONS", "Relation/_Role list", "Relation/_Role create", "Account OPTIONS",
        "cell PROPFIND", "cell PROPFIND acl-read", "cell ACL", "cell PROPPATCH", "cell OPTIONS", "cell GET",
        "__token", "__introspect OPTIONS"}
    # Left out: HEAD (GET without a body); DELETE (recursive; unit-level only, test_cell_recursive_delete.py);
    # __authz, __certs, __mypassword and POST __introspect, which are public or judge the token themselves
    # (endpoint_privileges.py PUBLIC / OWN) and are tested with the token endpoints; __box (OWN: the
    # token's app schema may stand in for the box ACL) is tested in test_dav_props.py.
    assert set(CELL_ROOT) - {"HEAD", "DELETE"} == {"GET", "OPTIONS", "PROPFIND", "PROPPATCH", "ACL"}
    assert set(CELL_ENDPOINTS) - {"__authz", "__certs", "__mypassword", "__box"} == {"__token", "__introspect"}
    assert CELL_ENDPOINTS["__introspect"]["OPTIONS"] == "auth-read"


# === Box-level permission matrix ==========================================================================
# BOX_MATRIX goes here when WebDAV exists: the same callers (``_matrix_support.Caller``) against box-level
# resources — box root, collections, files, OData and service collections (notes §4.3 "Box-level
# resources", §4.4 lower half) — with box ACLs (DAV: privileges, inheritance up to the cell ACL, where only
# a role principal with p:root reaches box privileges) and requireSchemaAuthz (notes §4.5). It reuses the
# fixture graph of ``_matrix_support`` and gets its own test function, ``test_box_level_permission``.
