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

from cellar.auth.access.endpoint_privileges import (
    BOX_ROOT_DELETE,
    CELL_ENDPOINTS,
    CELL_ROOT,
    CTL_SETS,
    DAV_METHODS,
    DAV_MOVE_DESTINATION,
    DAV_PUT_EXISTING,
)
from cellar.auth.authn.tokens import TokenKind
from tests.api import _ctl_support
from tests.api._auth_support import mint
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
    new_owned_cell,
    path,
    relation_key,
    role_key,
    uri,
)
from tests.api._matrix_support import (
    APP_CELL,
    APP_URL,
    BOX,
    BOX_ROLE_BASE,
    CELL_NODE,
    EXACT_ROLE,
    FILE_BODY,
    OTHER_APP_CELL,
    PASSWORD,
    PERSONIUM,
    ROLE_BASE,
    SIBLING,
    TREE,
    BoxEndpoint,
    Caller,
    Endpoint,
    Grants,
    Setup,
    account_with_role,
    acl_body,
    acl_document,
    acl_element,
    app_token,
    bearer,
    box_path,
    box_url,
    build,
    build_box,
    challenges,
    create_account_in,
    fill_tree,
    make_tree,
    password_token,
    set_acl,
    set_box_acl,
)
from tests.helpers import MASTER_AUTH, as_unit_user, assert_error

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
# Messages (apiref 268-274, notes §4.4): read with message-read, deleted with message; created only by
# __message/send and __message/port, so POST, PUT and MERGE answer 405 to everyone, before any access check
# (ODataEntitiesResource.checkNotAllowedMethod).
MESSAGE_READ = Grants(need=("message-read",), lower=("social-read",), other=("box",))
MESSAGE_WRITE = Grants(need=("message",), lower=("message-read",), other=("social",))
# Rules (apiref 2A0-2A9): rule-read / rule; MERGE answers 405 to everyone, before any access check.
RULE_READ = Grants(need=("rule-read",), lower=("message-read",), other=("box",))
RULE_WRITE = Grants(need=("rule",), lower=("rule-read",), other=("social",))
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


MESSAGE_ID = "0123456789abcdef0123456789abcdef"


def _message(client: Any) -> None:
    """The cell sends itself a message: a SentMessage and a ReceivedMessage with the same ``__id``."""
    response = client.post(f"{ROOT_PATH}__message/send", json={"__id": MESSAGE_ID, "To": CELL_URL},
                           headers=MASTER_AUTH)
    assert response.status_code == 201, response.text
    assert response.json()["d"]["results"]["Result"][0]["Code"] == "201", response.text


def _rule(client: Any) -> None:
    response = client.post(path("Rule"), json={"Name": "target", "Action": "log"}, headers=MASTER_AUTH)
    assert response.status_code == 201, response.text


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
    **_ctl_set("ReceivedMessage", f"ReceivedMessage('{MESSAGE_ID}')", MESSAGE_READ, MESSAGE_WRITE, _message,
               _nothing, ({"Title": "t"}, {"Title": "t"}, {"Title": "t"})),
    **_ctl_set("SentMessage", f"SentMessage('{MESSAGE_ID}')", MESSAGE_READ, MESSAGE_WRITE, _message,
               _nothing, ({"Title": "t"}, {"Title": "t"}, {"Title": "t"})),
    **_ctl_set("Rule", "Rule(Name='target',_Box.Name=null)", RULE_READ, RULE_WRITE, _rule, _nothing,
               ({"Name": "created", "Action": "log"}, {"Name": "target", "Action": "log.warn"}, {"Action": "log"})),
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
    "__role GET": Endpoint("GET", f"{ROOT_PATH}__role", 200, AUTH_READ),
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
    ("__role GET",                     ANON,             401, AUTH_REQUIRED),
    ("__role GET",                     MASTER,           200, None),
    ("__role GET",                     OWNER,            403, LACKING),
    ("__role GET",                     EXACT,            200, None),
    ("__role GET",                     LOWER,            403, LACKING),
    ("__role GET",                     OTHER,            403, LACKING),
    ("__role GET",                     SCOPED,           403, SCOPE),
    ("__role GET",                     VISITOR,          200, None),
    ("__role GET",                     VISITOR_WITHOUT,  403, LACKING),
    ("__role GET",                     ROOT,             200, None),
    ("__role GET",                     ALL,              200, None),
    ("__role GET",                     OWNER_ALL,        200, None),
]


def _regular(endpoint: str, success: int) -> list[tuple[str, Caller, int, str | None]]:
    """The rows of an endpoint that every caller holding its privilege may use, as those written out above."""
    refused = {ANON: (401, AUTH_REQUIRED), OWNER: (403, LACKING), LOWER: (403, LACKING), OTHER: (403, LACKING),
               SCOPED: (403, SCOPE), VISITOR_WITHOUT: (403, LACKING)}
    return [(endpoint, caller, *refused.get(caller, (success, None))) for caller in Caller]


for _set in ("ReceivedMessage", "SentMessage"):
    CELL_MATRIX += [*_regular(f"{_set} list", 200), *_regular(f"{_set} read", 200),
                    *_regular(f"{_set} delete", 204)]
    CELL_MATRIX += [(f"{_set} {operation}", caller, 405, "PR405-MC-0001")
                    for operation in ("create", "update", "merge") for caller in Caller]
CELL_MATRIX += [row for operation, status in (("list", 200), ("read", 200), ("create", 201), ("update", 204),
                                              ("delete", 204)) for row in _regular(f"Rule {operation}", status)]
CELL_MATRIX += [("Rule merge", caller, 405, "PR405-MC-0001") for caller in Caller]


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
        "__token", "__introspect OPTIONS", "__role GET"}
    # Left out: HEAD (GET without a body); DELETE (recursive; unit-level only, test_cell_recursive_delete.py);
    # __authz, __certs, __mypassword and POST __introspect, which are public or judge the token themselves
    # (endpoint_privileges.py PUBLIC / OWN) and are tested with the token endpoints; __box (OWN: the
    # token's app schema may stand in for the box ACL) is tested in test_dav_props.py.
    assert set(CELL_ROOT) - {"HEAD", "DELETE"} == {"GET", "OPTIONS", "PROPFIND", "PROPPATCH", "ACL"}
    # __message/send, __message/received and __message/port are tested with messaging (test_messages.py),
    # __event with external events (test_external_events.py), __log with the event log and __rule
    # with rules (test_event_log.py).
    left_out = {"__authz", "__certs", "__mypassword", "__box", "__message/send", "__message/received",
                "__message/port", "__event", "__log", "__rule"}
    assert set(CELL_ENDPOINTS) - left_out == {"__token", "__introspect", "__role"}
    assert CELL_ENDPOINTS["__introspect"]["OPTIONS"] == "auth-read"


# === Box-level permission matrix ==========================================================================
# The same callers against box-level resources (notes §4.3 "Box-level resources", §4.4 lower half; digest
# docs/webdav-behaviour.md §9): box ``box1`` with collection ``col`` and file ``col/f.txt``, box ACLs in DAV:
# privileges (apiref/315), inheritance resource → parent collections → box root → cell ACL (where only a role
# granted p:root matches a box privilege), parent privileges for bind/unbind, and requireSchemaAuthz (§4.5).
#
# Expected results, unless a row says otherwise: as for the cell level (401 ``PR401-AU-0001`` with the Bearer
# challenge of realm = cell URL, 403 ``PR403-AU-0002``), except that scopes are not checked inside boxes (notes
# §3.5: SCOPED behaves like EXACT) and that the cell owner without a CellContents role still only gets what
# ``D:all`` gets (notes §2.2). A role granted p:root in the cell ACL (ROOT) opens every box (notes §4.1, §4.3
# box-level step 5); the unit master sees the ACL in PROPFIND (notes §4.3 step 1) and so does ROOT.

NO_SCOPE = ("social-read",)  # the SCOPED caller's token scope: nothing box-related, and box level ignores it


def _box(need: tuple[str, ...], lower: tuple[str, ...] = ("read-properties",)) -> Grants:
    """Box privileges: OTHER gets ``need`` itself, on another resource (``other_node``)."""
    return Grants(need=need, lower=lower, other=need, scope=NO_SCOPE)


# ``lower``: the next-lower privilege — read-properties under read; read-acl beside read-properties (nothing
# is below it); the read side of a write privilege; bind for unbind and the other way round (notes §4.1).
B_READ = _box(("read",), ("read-properties",))
B_READ_PROPERTIES = _box(("read-properties",), ("read-acl",))
B_WRITE_PROPERTIES = _box(("write-properties",), ("read-properties",))
B_WRITE_ACL = _box(("write-acl",), ("read-acl",))
B_WRITE_CONTENT = _box(("write-content",), ("read",))
B_BIND = _box(("bind",), ("unbind",))
B_UNBIND = _box(("unbind",), ("bind",))
B_MOVE = _box(("unbind", "bind"), ("bind",))
# COPY (RFC 4918; Personium has none): read on the source, bind at the destination's parent (both: col).
B_COPY = _box(("read", "bind"), ("read",))
# PROPFIND shows the ACL only with read-acl as well (notes §4.2, §4.4; digest §3.3):
B_READ_ACL = _box(("read-properties", "read-acl"), ("read-properties",))
# DELETE {box} (recursive) needs the cell privilege ``box`` (notes §4.4, digest §6); the SCOPED token's
# scope is box-read, which does not include it.
B_BOX_DELETE = Grants(need=("box",), lower=("box-read",), other=("social",), scope=("box-read",))

FILE = "col/f.txt"
NOT_FOUND = "PR404-DV-0001"  # the caller may, but the resource does not exist (digest §1.2: auth first)
TEXT = {"Content-Type": "text/plain"}
RECURSIVE = {"X-Personium-Recursive": "true"}
COL_ACL_BODY = acl_document(BOX, [(EXACT_ROLE, ("read",))])

BOX_ENDPOINTS: dict[str, BoxEndpoint] = {
    "file GET": BoxEndpoint("GET", FILE, 200, B_READ, node=FILE),
    "file HEAD": BoxEndpoint("HEAD", FILE, 200, B_READ, node=FILE),
    "file OPTIONS": BoxEndpoint("OPTIONS", FILE, 200, B_READ, node=FILE),
    "col PROPFIND": BoxEndpoint("PROPFIND", "col", 207, B_READ_PROPERTIES, node="col", body=PROPFIND_BODY,
                                headers=DEPTH_0),
    "col PROPPATCH": BoxEndpoint("PROPPATCH", "col", 207, B_WRITE_PROPERTIES, node="col", body=PROPPATCH_BODY),
    "col ACL": BoxEndpoint("ACL", "col", 200, B_WRITE_ACL, node="col", body=COL_ACL_BODY),
    "file PUT existing": BoxEndpoint("PUT", FILE, 204, B_WRITE_CONTENT, node=FILE, body=b"changed", headers=TEXT),
    "file PUT new": BoxEndpoint("PUT", "col/new.txt", 201, B_BIND, node="col", body=b"new", headers=TEXT),
    "col MKCOL": BoxEndpoint("MKCOL", "col/sub", 201, B_BIND, node="col"),
    "file DELETE": BoxEndpoint("DELETE", FILE, 204, B_UNBIND, node="col"),
    "missing POST": BoxEndpoint("POST", "col/missing", 404, _box(("write",), ("read",)), node="col"),
    "file MOVE": BoxEndpoint("MOVE", FILE, 201, B_MOVE, node="col", headers={"Destination": box_url("col/g.txt")}),
    "file COPY": BoxEndpoint("COPY", FILE, 201, B_COPY, node="col", headers={"Destination": box_url("col/g.txt")}),
    "box GET": BoxEndpoint("GET", "", 200, B_READ, node="", other_node="col"),
    "box PROPFIND": BoxEndpoint("PROPFIND", "", 207, B_READ_PROPERTIES, node="", other_node="col",
                                body=PROPFIND_BODY, headers=DEPTH_0),
    "box DELETE": BoxEndpoint("DELETE", "", 204, B_BOX_DELETE, node=CELL_NODE, other_node=CELL_NODE,
                              headers=RECURSIVE),
}
#: The endpoints above get a row for every caller; the variants below only the rows that tell something.
BOX_MAIN = tuple(BOX_ENDPOINTS)

BOX_VARIANTS: dict[str, BoxEndpoint] = {
    # Inheritance (notes §4.3 box-level step 5): the resource, its collections, the box root, the cell ACL.
    "file GET, read on the box root": BoxEndpoint("GET", FILE, 200, B_READ, node=""),
    "file GET, read on col": BoxEndpoint("GET", FILE, 200, B_READ, node="col"),
    "file GET, read on a sibling": BoxEndpoint("GET", FILE, 200, B_READ, node=SIBLING),
    "file GET, D:read in the cell ACL": BoxEndpoint("GET", FILE, 200, B_READ, node=CELL_NODE),
    "file GET, p:root in the cell ACL": BoxEndpoint("GET", FILE, 200, _box(("root",)), node=CELL_NODE),
    # Parent privileges (notes §4.4, digest §9 table).
    "file PUT existing, bind on col": BoxEndpoint("PUT", FILE, 204, B_BIND, node="col", body=b"changed",
                                                  headers=TEXT),
    "file PUT existing, write on the file": BoxEndpoint("PUT", FILE, 204, _box(("write",)), node=FILE,
                                                        body=b"changed", headers=TEXT),
    "file PUT new, write on col": BoxEndpoint("PUT", "col/new.txt", 201, _box(("write",)), node="col", body=b"new",
                                              headers=TEXT),
    "file PUT new, bind on the box root": BoxEndpoint("PUT", "col/new.txt", 201, B_BIND, node="", body=b"new",
                                                      headers=TEXT),
    "file PUT new, bind on the file's sibling": BoxEndpoint("PUT", "col/new.txt", 201, B_BIND, node=FILE,
                                                            body=b"new", headers=TEXT),
    "file DELETE, unbind on the file": BoxEndpoint("DELETE", FILE, 204, B_UNBIND, node=FILE),
    "file DELETE, unbind on the box root": BoxEndpoint("DELETE", FILE, 204, B_UNBIND, node=""),
    "file MOVE to other/, unbind on col": BoxEndpoint("MOVE", FILE, 201, B_UNBIND, node="col", nodes=(SIBLING,),
                                                      headers={"Destination": box_url("other/g.txt")}),
    "file MOVE to other/, unbind and bind on col": BoxEndpoint(
        "MOVE", FILE, 201, B_MOVE, node="col", nodes=(SIBLING,), headers={"Destination": box_url("other/g.txt")}),
    "file MOVE to other/, unbind on col, bind on other": BoxEndpoint(
        "MOVE", FILE, 201, B_UNBIND, node="col", also=((SIBLING, ("bind",)),),
        headers={"Destination": box_url("other/g.txt")}),
    # read-acl (notes §4.1: under all, not under read; §4.2 ACL in PROPFIND), write-acl (not under write).
    "col PROPFIND, read-properties and read-acl": BoxEndpoint("PROPFIND", "col", 207, B_READ_ACL, node="col",
                                                              body=PROPFIND_BODY, headers=DEPTH_0),
    "col PROPFIND, read on col": BoxEndpoint("PROPFIND", "col", 207, _box(("read",)), node="col",
                                             body=PROPFIND_BODY, headers=DEPTH_0),
    "col PROPFIND, all on col": BoxEndpoint("PROPFIND", "col", 207, _box(("all",)), node="col",
                                            body=PROPFIND_BODY, headers=DEPTH_0),
    "col ACL, write on col": BoxEndpoint("ACL", "col", 200, _box(("write",)), node="col", body=COL_ACL_BODY),
    "col ACL, all on col": BoxEndpoint("ACL", "col", 200, _box(("all",)), node="col", body=COL_ACL_BODY),
    "col PROPPATCH, write-properties on the box root": BoxEndpoint("PROPPATCH", "col", 207, B_WRITE_PROPERTIES,
                                                                   node="", body=PROPPATCH_BODY),
}
BOX_ENDPOINTS.update(BOX_VARIANTS)

# --- the matrix: (endpoint, caller, expected status, expected code or outcome) -----------------------------

BOX_MATRIX: list[tuple[str, Caller, int, str | None]] = [
    # file GET: GET {box}/col/f.txt — read on the file
    ("file GET",                         ANON,             401, AUTH_REQUIRED),
    ("file GET",                         MASTER,           200, None),
    ("file GET",                         OWNER,            403, LACKING),
    ("file GET",                         EXACT,            200, None),
    ("file GET",                         LOWER,            403, LACKING),
    ("file GET",                         OTHER,            403, LACKING),
    # box level: the token's scope (social-read) is not checked (notes §3.5):
    ("file GET",                         SCOPED,           200, None),
    ("file GET",                         VISITOR,          200, None),
    ("file GET",                         VISITOR_WITHOUT,  403, LACKING),
    # a role granted p:root in the cell ACL opens every box (notes §4.1, §4.3 box-level step 5):
    ("file GET",                         ROOT,             200, None),
    ("file GET",                         ALL,              200, None),
    ("file GET",                         OWNER_ALL,        200, None),

    # file HEAD: HEAD {box}/col/f.txt — read on the file (GET without a body)
    ("file HEAD",                        ANON,             401, AUTH_REQUIRED),
    ("file HEAD",                        MASTER,           200, None),
    ("file HEAD",                        OWNER,            403, LACKING),
    ("file HEAD",                        EXACT,            200, None),
    ("file HEAD",                        LOWER,            403, LACKING),
    ("file HEAD",                        OTHER,            403, LACKING),
    ("file HEAD",                        SCOPED,           200, None),
    ("file HEAD",                        VISITOR,          200, None),
    ("file HEAD",                        VISITOR_WITHOUT,  403, LACKING),
    ("file HEAD",                        ROOT,             200, None),
    ("file HEAD",                        ALL,              200, None),
    ("file HEAD",                        OWNER_ALL,        200, None),

    # file OPTIONS: OPTIONS {box}/col/f.txt — read on the file (with Authorization)
    # no Authorization: answered before routing (notes §4.3 last paragraph, §8.2):
    ("file OPTIONS",                     ANON,             200, None),
    ("file OPTIONS",                     MASTER,           200, None),
    ("file OPTIONS",                     OWNER,            403, LACKING),
    ("file OPTIONS",                     EXACT,            200, None),
    ("file OPTIONS",                     LOWER,            403, LACKING),
    ("file OPTIONS",                     OTHER,            403, LACKING),
    ("file OPTIONS",                     SCOPED,           200, None),
    ("file OPTIONS",                     VISITOR,          200, None),
    ("file OPTIONS",                     VISITOR_WITHOUT,  403, LACKING),
    ("file OPTIONS",                     ROOT,             200, None),
    # no Authorization: answered before routing (notes §4.3 last paragraph, §8.2):
    ("file OPTIONS",                     ALL,              200, None),
    ("file OPTIONS",                     OWNER_ALL,        200, None),

    # col PROPFIND: PROPFIND {box}/col, Depth 0 — read-properties on col (read-acl to see the ACL)
    ("col PROPFIND",                     ANON,             401, AUTH_REQUIRED),
    # unit master: every privilege, read-acl included (notes §4.3 step 1):
    ("col PROPFIND",                     MASTER,           207, ACL_SHOWN),
    ("col PROPFIND",                     OWNER,            403, LACKING),
    ("col PROPFIND",                     EXACT,            207, ACL_HIDDEN),
    ("col PROPFIND",                     LOWER,            403, LACKING),
    ("col PROPFIND",                     OTHER,            403, LACKING),
    ("col PROPFIND",                     SCOPED,           207, ACL_HIDDEN),
    ("col PROPFIND",                     VISITOR,          207, ACL_HIDDEN),
    ("col PROPFIND",                     VISITOR_WITHOUT,  403, LACKING),
    ("col PROPFIND",                     ROOT,             207, ACL_SHOWN),
    ("col PROPFIND",                     ALL,              207, ACL_HIDDEN),
    ("col PROPFIND",                     OWNER_ALL,        207, ACL_HIDDEN),

    # col PROPPATCH: PROPPATCH {box}/col — write-properties on col
    ("col PROPPATCH",                    ANON,             401, AUTH_REQUIRED),
    ("col PROPPATCH",                    MASTER,           207, None),
    ("col PROPPATCH",                    OWNER,            403, LACKING),
    ("col PROPPATCH",                    EXACT,            207, None),
    ("col PROPPATCH",                    LOWER,            403, LACKING),
    ("col PROPPATCH",                    OTHER,            403, LACKING),
    ("col PROPPATCH",                    SCOPED,           207, None),
    ("col PROPPATCH",                    VISITOR,          207, None),
    ("col PROPPATCH",                    VISITOR_WITHOUT,  403, LACKING),
    ("col PROPPATCH",                    ROOT,             207, None),
    ("col PROPPATCH",                    ALL,              207, None),
    ("col PROPPATCH",                    OWNER_ALL,        207, None),

    # col ACL: ACL {box}/col — write-acl on col
    ("col ACL",                          ANON,             401, AUTH_REQUIRED),
    ("col ACL",                          MASTER,           200, None),
    ("col ACL",                          OWNER,            403, LACKING),
    ("col ACL",                          EXACT,            200, None),
    ("col ACL",                          LOWER,            403, LACKING),
    ("col ACL",                          OTHER,            403, LACKING),
    ("col ACL",                          SCOPED,           200, None),
    ("col ACL",                          VISITOR,          200, None),
    ("col ACL",                          VISITOR_WITHOUT,  403, LACKING),
    ("col ACL",                          ROOT,             200, None),
    ("col ACL",                          ALL,              200, None),
    ("col ACL",                          OWNER_ALL,        200, None),

    # file PUT existing: PUT {box}/col/f.txt (exists) — write-content on the file
    ("file PUT existing",                ANON,             401, AUTH_REQUIRED),
    ("file PUT existing",                MASTER,           204, None),
    ("file PUT existing",                OWNER,            403, LACKING),
    ("file PUT existing",                EXACT,            204, None),
    ("file PUT existing",                LOWER,            403, LACKING),
    ("file PUT existing",                OTHER,            403, LACKING),
    ("file PUT existing",                SCOPED,           204, None),
    ("file PUT existing",                VISITOR,          204, None),
    ("file PUT existing",                VISITOR_WITHOUT,  403, LACKING),
    ("file PUT existing",                ROOT,             204, None),
    ("file PUT existing",                ALL,              204, None),
    ("file PUT existing",                OWNER_ALL,        204, None),

    # file PUT new: PUT {box}/col/new.txt — bind on the parent col
    ("file PUT new",                     ANON,             401, AUTH_REQUIRED),
    ("file PUT new",                     MASTER,           201, None),
    ("file PUT new",                     OWNER,            403, LACKING),
    ("file PUT new",                     EXACT,            201, None),
    ("file PUT new",                     LOWER,            403, LACKING),
    ("file PUT new",                     OTHER,            403, LACKING),
    ("file PUT new",                     SCOPED,           201, None),
    ("file PUT new",                     VISITOR,          201, None),
    ("file PUT new",                     VISITOR_WITHOUT,  403, LACKING),
    ("file PUT new",                     ROOT,             201, None),
    ("file PUT new",                     ALL,              201, None),
    ("file PUT new",                     OWNER_ALL,        201, None),

    # col MKCOL: MKCOL {box}/col/sub — bind on the parent col
    ("col MKCOL",                        ANON,             401, AUTH_REQUIRED),
    ("col MKCOL",                        MASTER,           201, None),
    ("col MKCOL",                        OWNER,            403, LACKING),
    ("col MKCOL",                        EXACT,            201, None),
    ("col MKCOL",                        LOWER,            403, LACKING),
    ("col MKCOL",                        OTHER,            403, LACKING),
    ("col MKCOL",                        SCOPED,           201, None),
    ("col MKCOL",                        VISITOR,          201, None),
    ("col MKCOL",                        VISITOR_WITHOUT,  403, LACKING),
    ("col MKCOL",                        ROOT,             201, None),
    ("col MKCOL",                        ALL,              201, None),
    ("col MKCOL",                        OWNER_ALL,        201, None),

    # file DELETE: DELETE {box}/col/f.txt — unbind on the parent col
    ("file DELETE",                      ANON,             401, AUTH_REQUIRED),
    ("file DELETE",                      MASTER,           204, None),
    ("file DELETE",                      OWNER,            403, LACKING),
    ("file DELETE",                      EXACT,            204, None),
    ("file DELETE",                      LOWER,            403, LACKING),
    ("file DELETE",                      OTHER,            403, LACKING),
    ("file DELETE",                      SCOPED,           204, None),
    ("file DELETE",                      VISITOR,          204, None),
    ("file DELETE",                      VISITOR_WITHOUT,  403, LACKING),
    ("file DELETE",                      ROOT,             204, None),
    ("file DELETE",                      ALL,              204, None),
    ("file DELETE",                      OWNER_ALL,        204, None),

    # missing POST: POST {box}/col/missing (does not exist) — write on its ancestors, then 404 PR404-DV-0001
    ("missing POST",                         ANON,             401, AUTH_REQUIRED),
    ("missing POST",                         MASTER,           404, NOT_FOUND),
    ("missing POST",                         OWNER,            403, LACKING),
    ("missing POST",                         EXACT,            404, NOT_FOUND),
    ("missing POST",                         LOWER,            403, LACKING),
    ("missing POST",                         OTHER,            403, LACKING),
    ("missing POST",                         SCOPED,           404, NOT_FOUND),
    ("missing POST",                         VISITOR,          404, NOT_FOUND),
    ("missing POST",                         VISITOR_WITHOUT,  403, LACKING),
    ("missing POST",                         ROOT,             404, NOT_FOUND),
    ("missing POST",                         ALL,              404, NOT_FOUND),
    ("missing POST",                         OWNER_ALL,        404, NOT_FOUND),

    # file MOVE: MOVE {box}/col/f.txt → col/g.txt — unbind on the parent col, bind on the destination's parent col
    ("file MOVE",                        ANON,             401, AUTH_REQUIRED),
    ("file MOVE",                        MASTER,           201, None),
    ("file MOVE",                        OWNER,            403, LACKING),
    ("file MOVE",                        EXACT,            201, None),
    ("file MOVE",                        LOWER,            403, LACKING),
    ("file MOVE",                        OTHER,            403, LACKING),
    ("file MOVE",                        SCOPED,           201, None),
    ("file MOVE",                        VISITOR,          201, None),
    ("file MOVE",                        VISITOR_WITHOUT,  403, LACKING),
    ("file MOVE",                        ROOT,             201, None),
    ("file MOVE",                        ALL,              201, None),
    ("file MOVE",                        OWNER_ALL,        201, None),
    ("file COPY",                        ANON,             401, AUTH_REQUIRED),
    ("file COPY",                        MASTER,           201, None),
    ("file COPY",                        OWNER,            403, LACKING),
    ("file COPY",                        EXACT,            201, None),
    ("file COPY",                        LOWER,            403, LACKING),
    ("file COPY",                        OTHER,            403, LACKING),
    ("file COPY",                        SCOPED,           201, None),
    ("file COPY",                        VISITOR,          201, None),
    ("file COPY",                        VISITOR_WITHOUT,  403, LACKING),
    ("file COPY",                        ROOT,             201, None),
    ("file COPY",                        ALL,              201, None),
    ("file COPY",                        OWNER_ALL,        201, None),

    # box GET: GET {box} — read on the box root (200 JSON)
    ("box GET",                          ANON,             401, AUTH_REQUIRED),
    ("box GET",                          MASTER,           200, None),
    ("box GET",                          OWNER,            403, LACKING),
    ("box GET",                          EXACT,            200, None),
    ("box GET",                          LOWER,            403, LACKING),
    ("box GET",                          OTHER,            403, LACKING),
    ("box GET",                          SCOPED,           200, None),
    ("box GET",                          VISITOR,          200, None),
    ("box GET",                          VISITOR_WITHOUT,  403, LACKING),
    ("box GET",                          ROOT,             200, None),
    ("box GET",                          ALL,              200, None),
    ("box GET",                          OWNER_ALL,        200, None),

    # box PROPFIND: PROPFIND {box}, Depth 0 — read-properties on the box root
    ("box PROPFIND",                     ANON,             401, AUTH_REQUIRED),
    ("box PROPFIND",                     MASTER,           207, ACL_SHOWN),
    ("box PROPFIND",                     OWNER,            403, LACKING),
    ("box PROPFIND",                     EXACT,            207, ACL_HIDDEN),
    ("box PROPFIND",                     LOWER,            403, LACKING),
    ("box PROPFIND",                     OTHER,            403, LACKING),
    ("box PROPFIND",                     SCOPED,           207, ACL_HIDDEN),
    ("box PROPFIND",                     VISITOR,          207, ACL_HIDDEN),
    ("box PROPFIND",                     VISITOR_WITHOUT,  403, LACKING),
    ("box PROPFIND",                     ROOT,             207, ACL_SHOWN),
    ("box PROPFIND",                     ALL,              207, ACL_HIDDEN),
    ("box PROPFIND",                     OWNER_ALL,        207, ACL_HIDDEN),

    # box DELETE: DELETE {box} with X-Personium-Recursive: true — cell privilege box (cell ACL)
    ("box DELETE",                       ANON,             401, AUTH_REQUIRED),
    ("box DELETE",                       MASTER,           204, None),
    ("box DELETE",                       OWNER,            403, LACKING),
    ("box DELETE",                       EXACT,            204, None),
    ("box DELETE",                       LOWER,            403, LACKING),
    ("box DELETE",                       OTHER,            403, LACKING),
    # judged as a box-level resource (BoxResource → boxRsCmp.checkAccessContext): no scope check
    # there (notes §3.5 "Box-level access does not check scopes", §4.3 box-level steps, digest §6):
    ("box DELETE",                       SCOPED,           204, None),
    ("box DELETE",                       VISITOR,          204, None),
    ("box DELETE",                       VISITOR_WITHOUT,  403, LACKING),
    ("box DELETE",                       ROOT,             204, None),
    # `box` is a cell privilege: D:all matches it in the cell ACL (notes §4.3 step 3, §4.1 last paragraph):
    ("box DELETE",                       ALL,              204, None),
    ("box DELETE",                       OWNER_ALL,        204, None),

    # --- inheritance (notes §4.3 box-level step 5) ---
    # granted on the box root only: inherited by col and col/f.txt
    ("file GET, read on the box root",               EXACT,   200, None),
    ("file GET, read on the box root",               LOWER,   403, LACKING),
    ("file GET, read on the box root",               ALL,     200, None),
    # granted on the parent collection: inherited by the file
    ("file GET, read on col",                        EXACT,   200, None),
    ("file GET, read on col",                        VISITOR, 200, None),
    ("file GET, read on col",                        ALL,     200, None),
    # granted on a sibling collection: nothing inherited
    ("file GET, read on a sibling",                  EXACT,   403, LACKING),
    ("file GET, read on a sibling",                  ALL,     401, AUTH_REQUIRED),
    # the cell ACL reaches box privileges only through a role granted p:root, not D:read:
    ("file GET, D:read in the cell ACL",             MASTER,  200, None),
    ("file GET, D:read in the cell ACL",             EXACT,   403, LACKING),
    ("file GET, D:read in the cell ACL",             VISITOR, 403, LACKING),
    ("file GET, D:read in the cell ACL",             ALL,     401, AUTH_REQUIRED),
    # p:root in the cell ACL: a role principal opens the box, D:all does not (notes §4.3 box-level step 5):
    ("file GET, p:root in the cell ACL",             EXACT,   200, None),
    ("file GET, p:root in the cell ACL",             VISITOR, 200, None),
    ("file GET, p:root in the cell ACL",             ALL,     401, AUTH_REQUIRED),
    ("file GET, p:root in the cell ACL",             OWNER_ALL, 403, LACKING),

    # --- parent privileges (notes §4.4; digest §1.2, §6, §7, §9) ---
    # bind on col opens PUT of a new file in col, not PUT on an existing one (write-content on the file):
    ("file PUT existing, bind on col",               EXACT,   403, LACKING),
    ("file PUT existing, bind on col",               ALL,     401, AUTH_REQUIRED),
    # write includes write-content (notes §4.1):
    ("file PUT existing, write on the file",         EXACT,   204, None),
    # write includes bind (notes §4.1):
    ("file PUT new, write on col",                   EXACT,   201, None),
    # bind on the box root is inherited by the parent col:
    ("file PUT new, bind on the box root",           EXACT,   201, None),
    # bind on a sibling file does not reach the parent:
    ("file PUT new, bind on the file's sibling",     EXACT,   403, LACKING),
    # unbind is checked on the parent, not on the file itself:
    ("file DELETE, unbind on the file",              EXACT,   403, LACKING),
    ("file DELETE, unbind on the file",              ALL,     401, AUTH_REQUIRED),
    ("file DELETE, unbind on the box root",          EXACT,   204, None),
    # MOVE also needs bind on the destination's parent (other), checked after unbind on the source's parent:
    ("file MOVE to other/, unbind on col",           EXACT,   403, LACKING),
    ("file MOVE to other/, unbind and bind on col",  EXACT,   403, LACKING),
    ("file MOVE to other/, unbind on col, bind on other", EXACT, 201, None),
    ("file MOVE to other/, unbind on col, bind on other", ALL,   201, None),

    # --- read-acl and write-acl (notes §4.1: both under all only; §4.2 the ACL in PROPFIND) ---
    # col PROPFIND, read-properties and read-acl: PROPFIND {box}/col — read-properties, read-acl to see the ACL
    ("col PROPFIND, read-properties and read-acl",   ANON,             401, AUTH_REQUIRED),
    ("col PROPFIND, read-properties and read-acl",   MASTER,           207, ACL_SHOWN),
    ("col PROPFIND, read-properties and read-acl",   OWNER,            403, LACKING),
    ("col PROPFIND, read-properties and read-acl",   EXACT,            207, ACL_SHOWN),
    # read-properties without read-acl: properties, no ACL:
    ("col PROPFIND, read-properties and read-acl",   LOWER,            207, ACL_HIDDEN),
    ("col PROPFIND, read-properties and read-acl",   OTHER,            403, LACKING),
    ("col PROPFIND, read-properties and read-acl",   SCOPED,           207, ACL_SHOWN),
    ("col PROPFIND, read-properties and read-acl",   VISITOR,          207, ACL_SHOWN),
    ("col PROPFIND, read-properties and read-acl",   VISITOR_WITHOUT,  207, ACL_HIDDEN),
    ("col PROPFIND, read-properties and read-acl",   ROOT,             207, ACL_SHOWN),
    ("col PROPFIND, read-properties and read-acl",   ALL,              207, ACL_SHOWN),
    ("col PROPFIND, read-properties and read-acl",   OWNER_ALL,        207, ACL_SHOWN),
    # read includes read-properties but not read-acl:
    ("col PROPFIND, read on col",                    EXACT,   207, ACL_HIDDEN),
    # all includes read-acl:
    ("col PROPFIND, all on col",                     EXACT,   207, ACL_SHOWN),
    # write does not include write-acl; all does:
    ("col ACL, write on col",                        EXACT,   403, LACKING),
    ("col ACL, all on col",                          EXACT,   200, None),
    # write-properties on the box root is inherited by col:
    ("col PROPPATCH, write-properties on the box root", EXACT, 207, None),
]


def _check_box_complete() -> None:
    """Every main box endpoint has exactly one row per caller, every variant at least one row, every row
    names a known endpoint."""
    seen = [(endpoint, caller) for endpoint, caller, _, _ in BOX_MATRIX]
    assert len(seen) == len(set(seen)), "duplicate rows"
    assert {endpoint for endpoint, _ in seen} == set(BOX_ENDPOINTS), "endpoints without rows or unknown"
    assert {pair for pair in seen if pair[0] in BOX_MAIN} == \
        {(endpoint, caller) for endpoint in BOX_MAIN for caller in Caller}, "missing rows"


_check_box_complete()


def _assert_allowed_effect(client: Any, target: BoxEndpoint, response: Any) -> None:
    """What an allowed request answers (beyond the status): the file, the box metadata, the ACL."""
    if target.method == "GET" and target.path == FILE:
        assert response.content == FILE_BODY, response.content
    if target.method == "GET" and target.path == "":
        assert response.json()["box"]["name"] == BOX, response.text  # apiref/303
    if target.method == "HEAD":
        assert response.content == b"", response.content


def _assert_tree_intact(client: Any, target: BoxEndpoint) -> None:
    """A refused request changed nothing: the file is there as it was, nothing new was created."""
    response = client.get(box_path(FILE), headers=MASTER_AUTH)
    assert response.status_code == 200 and response.content == FILE_BODY, (response.status_code, response.text)
    if target.path not in ("", *TREE):
        created = client.request("PROPFIND", box_path(target.path), content=PROPFIND_BODY,
                                 headers={**MASTER_AUTH, **DEPTH_0})
        assert created.status_code == 404, created.text


def assert_box_response(response: Any, method: str, status: int, outcome: str | None) -> None:
    if outcome is not None and outcome.startswith("PR"):
        if method == "HEAD":
            assert response.status_code == status, response.status_code
        else:
            assert_error(response, status, outcome)
        if status == 401:
            # notes §4.3 step 4; digest §9: the Bearer challenge, realm = the cell URL
            assert f'Bearer realm="{CELL_URL}"' in challenges(response), response.headers
        return
    assert response.status_code == status, response.text
    if method == "PROPFIND":
        shown = acl_element(response)
        assert outcome in (ACL_SHOWN, ACL_HIDDEN), outcome
        assert (shown is not None) == (outcome == ACL_SHOWN), response.text
        if shown is not None:
            # notes §4.2, digest §3.3: xml:base is the box's role URL.
            assert shown.get("{http://www.w3.org/XML/1998/namespace}base") == BOX_ROLE_BASE, response.text


@pytest.mark.parametrize(("endpoint", "caller", "status", "outcome"),
                         [pytest.param(*row, id=f"{row[0]}-{row[1].value}") for row in BOX_MATRIX])
def test_box_level_permission(client: Any, endpoint: str, caller: Caller, status: int,
                              outcome: str | None) -> None:
    target = BOX_ENDPOINTS[endpoint]
    headers = build_box(client, target, caller)
    response = target.call(client, headers)
    assert_box_response(response, target.method, status, outcome)
    if status == target.ok:
        _assert_allowed_effect(client, target, response)
    elif target.method not in ("GET", "HEAD", "OPTIONS", "PROPFIND"):
        _assert_tree_intact(client, target)


def test_box_matrix_covers_the_dav_methods() -> None:
    """Every method of DAV_METHODS has a main endpoint in the box matrix, and the main endpoints require what
    endpoint_privileges.py declares (PUT on an existing file: write-content; MOVE: bind at the destination
    too; the recursive box delete: BOX_ROOT_DELETE at cell level)."""
    main = {name: BOX_ENDPOINTS[name] for name in BOX_MAIN}
    assert set(DAV_METHODS) <= {endpoint.method for endpoint in main.values()}
    special = {"file PUT existing": (DAV_PUT_EXISTING,), "file MOVE": (DAV_METHODS["MOVE"], DAV_MOVE_DESTINATION[0]),
               "file COPY": (DAV_METHODS["COPY"], DAV_MOVE_DESTINATION[0]),
               "box DELETE": (BOX_ROOT_DELETE,)}
    for name, endpoint in main.items():
        assert endpoint.grants.need == special.get(name, (DAV_METHODS[endpoint.method],)), name
    assert main["box DELETE"].node == CELL_NODE


# --- requireSchemaAuthz (notes §4.5; §4.3 box-level steps 1–3; digest §9) ----------------------------------
# The box root's ACL sets the level and grants D:read to D:all, so only the schema check can refuse; the
# request is GET {box}/col/f.txt (the level is inherited from the box root). "app" tokens come from client
# authentication at c1/__token with the app cell's trans-cell token as the secret (apiref/293, notes §3.3).

SCHEMA_MISSING = "PR403-AU-0004"  # the box has a Schema, the token none
SCHEMA_MISMATCH = "PR403-AU-0005"  # the token's schema (without #c) is not the box's
SCHEMA_LEVEL = "PR403-AU-0006"  # no schema, or not confidential (#c) where confidential is required
PASSWORD_CHANGE = "PR401-AU-0012"

#: (id, the box's Schema, requireSchemaAuthz on the box root / on col / on the cell ACL, caller, status, code)
SCHEMA_MATRIX: list[tuple[str, str | None, str | None, str | None, str | None, str, int, str | None]] = [
    # the box has no Schema: any schema token of the right level passes
    ("no-schema-public-anonymous",       None,    "public", None, None, "anonymous",  401, AUTH_REQUIRED),
    ("no-schema-public-master",          None,    "public", None, None, "master",     200, None),
    # unit user tokens bypass the schema check; D:all read then opens the file:
    ("no-schema-public-owner",           None,    "public", None, None, "owner",      200, None),
    ("no-schema-public-account",         None,    "public", None, None, "account",    403, SCHEMA_LEVEL),
    ("no-schema-public-app",             None,    "public", None, None, "app",        200, None),
    ("no-schema-confidential-app",       None,    "confidential", None, None, "app",  403, SCHEMA_LEVEL),
    ("no-schema-confidential-app#c",     None,    "confidential", None, None, "app#c", 200, None),
    # the box has a Schema (set through __ctl/Box): the token's must be it
    ("schema-public-anonymous",          APP_URL, "public", None, None, "anonymous",  401, AUTH_REQUIRED),
    ("schema-public-master",             APP_URL, "public", None, None, "master",     200, None),
    ("schema-public-account",            APP_URL, "public", None, None, "account",    403, SCHEMA_MISSING),
    ("schema-public-app",                APP_URL, "public", None, None, "app",        200, None),
    ("schema-public-app#c",              APP_URL, "public", None, None, "app#c",      200, None),
    ("schema-public-other-app",          APP_URL, "public", None, None, "other-app",  403, SCHEMA_MISMATCH),
    ("schema-confidential-account",      APP_URL, "confidential", None, None, "account", 403, SCHEMA_MISSING),
    ("schema-confidential-app",          APP_URL, "confidential", None, None, "app",  403, SCHEMA_LEVEL),
    ("schema-confidential-app#c",        APP_URL, "confidential", None, None, "app#c", 200, None),
    ("schema-confidential-master",       APP_URL, "confidential", None, None, "master", 200, None),
    ("schema-confidential-owner",        APP_URL, "confidential", None, None, "owner", 200, None),
    # without any level nothing is checked:
    ("schema-none-account",              APP_URL, None,     None, None, "account",    200, None),
    # an explicit none on col stops the inheritance from the box root:
    ("schema-public-col-none-account",   APP_URL, "public", "none", None, "account",  200, None),
    # unset on the box tree: the cell ACL's level applies (Java goes one step beyond the box):
    ("schema-cell-public-account",       APP_URL, None,     None, "public", "account", 403, SCHEMA_MISSING),
    ("schema-cell-public-app",           APP_URL, None,     None, "public", "app",    200, None),
    # a password-change token is refused before the schema check and the ACL (notes §4.3 box-level step 2):
    ("no-schema-none-password-change",   None,    None,     None, None, "password-change", 401, PASSWORD_CHANGE),
    ("schema-public-password-change",    APP_URL, "public", None, None, "password-change", 401, PASSWORD_CHANGE),
]


def _schema_caller(client: Any, who: str) -> dict[str, str]:
    if who == "anonymous":
        return {"Accept": "application/json"}
    if who == "master":
        return dict(MASTER_AUTH)
    if who == "owner":
        return as_unit_user(_ctl_support.OWNER)
    if who == "password-change":
        create_account_in(client, CELL, "user")
        return bearer(mint(client, TokenKind.PASSWORD_CHANGE, CELL_URL, "user", scopes=("root",)))
    create_account_in(client, CELL, "user")
    if who == "account":
        return bearer(password_token(client, CELL, "user"))
    app = OTHER_APP_CELL if who == "other-app" else APP_CELL
    return bearer(app_token(client, app, "user", confidential=who == "app#c"))


@pytest.mark.parametrize(("box_schema", "root_level", "col_level", "cell_level", "who", "status", "code"),
                         [pytest.param(*row[1:], id=row[0]) for row in SCHEMA_MATRIX])
def test_box_schema_authz(client: Any, box_schema: str | None, root_level: str | None, col_level: str | None,
                          cell_level: str | None, who: str, status: int, code: str | None) -> None:
    new_owned_cell(client)
    create_box(client, BOX, box_schema)
    fill_tree(client)
    set_box_acl(client, "", acl_document(BOX, [(None, ("read",))], root_level))
    if col_level is not None:
        set_box_acl(client, "col", acl_document(BOX, [], col_level))
    if cell_level is not None:
        set_acl(client, acl_document("__", [], cell_level))
    response = client.get(box_path(FILE), headers=_schema_caller(client, who))
    assert_box_response(response, "GET", status, code)
    if code is None:
        assert response.content == FILE_BODY, response.content


def test_box_schema_matrix_ids_are_unique() -> None:
    assert len({row[0] for row in SCHEMA_MATRIX}) == len(SCHEMA_MATRIX)


# The recursive box delete needs the cell privilege ``box`` but is judged by the box-level check (Java:
# BoxResource.recursiveDelete → boxRsCmp.checkAccessContext; notes §4.3 box-level steps, §4.4; digest §6
# "evaluated through the box ACL chain up to the cell ACL"), so the box root's requireSchemaAuthz applies.
BOX_DELETE_SCHEMA: list[tuple[str, str, int, str | None]] = [
    # an account whose role the cell ACL grants p:box, without a schema, on a box requiring one:
    ("account-without-schema", "account", 403, SCHEMA_LEVEL),
    ("master", "master", 204, None),
]


@pytest.mark.parametrize(("who", "status", "code"), [pytest.param(*row[1:], id=row[0]) for row in BOX_DELETE_SCHEMA])
def test_recursive_box_delete_checks_the_schema(client: Any, who: str, status: int, code: str | None) -> None:
    new_owned_cell(client)
    create_role(client, "exact")
    make_tree(client)
    set_box_acl(client, "", acl_document(BOX, [], "public"))
    set_acl(client, acl_document("__", [(EXACT_ROLE, ("box",))]))
    if who == "account":
        account_with_role(client, "deleter", EXACT_ROLE)
        headers = bearer(password_token(client, CELL, "deleter"))
    else:
        headers = dict(MASTER_AUTH)
    response = client.delete(box_path(), headers={**headers, **RECURSIVE})
    assert_box_response(response, "DELETE", status, code)
    still_there = client.get(box_path(), headers=MASTER_AUTH).status_code
    assert still_there == (404 if status == 204 else 200), still_there
