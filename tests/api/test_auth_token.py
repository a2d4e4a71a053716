"""OAuth 2.0 Token Endpoint ``POST {CellURL}__token`` — apiref/293, 004 "Authentication API";
notes §3.1 (token kinds), §3.3 (the endpoint), §3.5 (scopes). Here: the password grant's success,
``p_target``, lifetimes, scopes, and the errors every grant shares.

Other files: ``test_auth_token_password.py`` (login history, locks, IP ranges, Status),
``_client.py`` (client authentication), ``_refresh.py``, ``_saml.py``, ``_code.py``, ``_owner.py``.
"""

from __future__ import annotations

from typing import Any

import pytest

from cellar.auth.authn.tokens import TokenKind
from tests.api._auth_support import (
    DAY_MS,
    HOUR_MS,
    PASSWORD,
    SAML2,
    assert_accepted,
    assert_oauth_error,
    assert_rejected,
    cell_url,
    decode,
    grant_role,
    login,
    make_account,
    make_box,
    make_cell,
    make_role,
    now_ms,
    ok,
    parse_tcat,
    password_params,
    role_class,
    role_instance,
    token,
)
from tests.conftest import UNIT
from tests.helpers import assert_error

ALICE, BOB = cell_url("alice"), cell_url("bob")
RESIDENT_FIELDS = {"access_token", "token_type", "expires_in", "scope", "refresh_token",
                   "refresh_token_expires_in", "last_authenticated", "failed_count"}


@pytest.fixture
def cells(client: Any) -> Any:
    """alice with the account ``me``; bob, another cell of the unit."""
    make_cell(client, "alice")
    make_cell(client, "bob")
    make_account(client, "alice", "me")
    return client


# --- password grant: success --------------------------------------------------------------------------------

def test_password_grant_issues_a_resident_access_and_refresh_token(cells):
    """apiref/293 response body; notes §3.3 success table: AR~ + RR~, Bearer, 3600 / 86400, scope root."""
    before = now_ms()
    response = token(cells, "alice", password_params())
    after = now_ms()
    body = ok(response)
    assert set(body) == RESIDENT_FIELDS, body
    assert body["access_token"].startswith("AR~"), body
    assert body["refresh_token"].startswith("RR~"), body
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600 and isinstance(body["expires_in"], int)
    assert body["refresh_token_expires_in"] == 86400 and isinstance(body["refresh_token_expires_in"], int)
    assert body["scope"] == "root"
    assert body["last_authenticated"] is None and body["failed_count"] == 0  # first login
    assert "location" not in response.headers
    access = decode(cells, body["access_token"], ALICE)
    assert access.kind is TokenKind.RESIDENT_ACCESS
    assert (access.subject, access.issuer, access.schema, access.scopes) == ("me", ALICE, "", ("root",))
    assert access.lifespan_ms == HOUR_MS
    assert before <= access.issued_at_ms <= after
    refresh = decode(cells, body["refresh_token"], ALICE)
    assert refresh.kind is TokenKind.RESIDENT_REFRESH
    assert (refresh.subject, refresh.issuer, refresh.schema, refresh.scopes) == ("me", ALICE, "", ("root",))
    assert refresh.lifespan_ms == DAY_MS


def test_issued_access_token_is_a_valid_bearer_here_and_the_refresh_token_is_not(cells):
    """notes §3.2: AR~ authenticates (403 = valid but unprivileged); RR~ → 401 PR401-AU-0007."""
    body = login(cells, "alice")
    assert_accepted(cells, "alice", body["access_token"])
    assert_rejected(cells, "alice", body["refresh_token"], "PR401-AU-0007")


def test_issued_access_token_is_not_valid_at_another_cell(cells):
    """notes §3.1: the issuer is checked when a local token is parsed → PR401-AU-0006 elsewhere."""
    body = login(cells, "alice")
    assert_rejected(cells, "bob", body["access_token"], "PR401-AU-0006")


def test_each_login_issues_new_tokens(cells):
    first, second = login(cells, "alice"), login(cells, "alice")
    assert first["access_token"] != second["access_token"]
    assert first["refresh_token"] != second["refresh_token"]


def test_repeated_form_fields_take_the_first_value(cells):
    """A form field given twice: Java's ``formParams.getFirst``."""
    response = cells.post("/alice/__token", content=f"grant_type=password&username=me&password={PASSWORD}"
                          "&password=wrong-pass".encode(),
                          headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert ok(response)["access_token"].startswith("AR~")


# --- lifetimes ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("expires_in", "refresh_expires_in"), [(1, 1), (60, 120), (3600, 86400)])
def test_expires_in_and_refresh_token_expires_in_set_the_lifetimes(cells, expires_in, refresh_expires_in):
    body = login(cells, "alice", expires_in=str(expires_in), refresh_token_expires_in=str(refresh_expires_in))
    assert body["expires_in"] == expires_in
    assert body["refresh_token_expires_in"] == refresh_expires_in
    assert decode(cells, body["access_token"], ALICE).lifespan_ms == expires_in * 1000
    assert decode(cells, body["refresh_token"], ALICE).lifespan_ms == refresh_expires_in * 1000


@pytest.mark.parametrize("value", ["0", "3601", "-1", "abc", "", "1.5", "99999999999999999999"])
def test_expires_in_out_of_range_is_an_error(cells, value):
    """notes §3.3: 1..3600, otherwise 400 PR400-AN-0016 (the "missing" message is reused)."""
    response = token(cells, "alice", password_params(expires_in=value))
    assert_oauth_error(response, "PR400-AN-0016", "expires_in")


@pytest.mark.parametrize("value", ["0", "86401", "-1", "x", ""])
def test_refresh_token_expires_in_out_of_range_is_an_error(cells, value):
    response = token(cells, "alice", password_params(refresh_token_expires_in=value))
    assert_oauth_error(response, "PR400-AN-0016", "refresh_token_expires_in")


def test_expires_in_applies_to_a_trans_cell_token(cells):
    body = login(cells, "alice", p_target=BOB, expires_in="60")
    assert body["expires_in"] == 60
    assert parse_tcat(cells, body["access_token"]).lifespan_ms == 60_000


# --- p_target: trans-cell tokens ----------------------------------------------------------------------------

def test_p_target_issues_a_trans_cell_token_for_the_target(cells):
    """notes §3.3 password: with p_target a TCAT (subject {cellUrl}#{username}) + RR~; the response
    has p_target and a ``Location: {target}__token`` header."""
    response = token(cells, "alice", password_params(p_target=BOB))
    body = ok(response)
    assert set(body) == RESIDENT_FIELDS | {"p_target"}, body
    assert body["p_target"] == BOB
    assert response.headers["location"] == f"{BOB}__token"
    assert body["expires_in"] == 3600 and body["refresh_token_expires_in"] == 86400
    assert body["scope"] == "root"
    assert body["token_type"] == "Bearer"
    text = body["access_token"]
    assert TokenKind.of(text) is None  # a SAML assertion has no prefix
    tcat = parse_tcat(cells, text)
    assert tcat.issuer == ALICE
    assert tcat.subject == f"{ALICE}#me"
    assert tcat.target == BOB
    assert tcat.schema == ""
    assert tcat.roles == ()
    assert tcat.scopes == ("root",)
    assert tcat.lifespan_ms == HOUR_MS
    refresh = decode(cells, body["refresh_token"], ALICE)
    assert refresh.kind is TokenKind.RESIDENT_REFRESH and refresh.subject == "me"


@pytest.mark.parametrize(("p_target", "expected"), [
    pytest.param("http://localhost:8080/bob", BOB, id="slash-added"),
    pytest.param("personium-localunit:/bob/", BOB, id="localunit-unit-relative"),
    pytest.param("personium-localunit:bob:/", BOB, id="localunit-cell-form"),
    pytest.param("https://carol.other-unit.example/", "https://carol.other-unit.example/", id="other-unit"),
    pytest.param(UNIT, UNIT, id="unit-url"),
])
def test_p_target_forms(cells, p_target, expected):
    """notes §3.3: p_target may be in localunit form; a trailing ``/`` is added if missing."""
    response = token(cells, "alice", password_params(p_target=p_target))
    body = ok(response)
    assert body["p_target"] == expected
    assert response.headers["location"] == f"{expected}__token"
    assert parse_tcat(cells, body["access_token"]).target == expected


@pytest.mark.parametrize("p_target", [
    pytest.param("not a url", id="words"),
    pytest.param("bob/", id="relative"),
    pytest.param("http://localhost:8080/bob/\r\nX-Injected: 1", id="crlf"),
    pytest.param("http://localhost:8080/bob/\nX-Injected: 1", id="lf"),
    pytest.param("http://localhost:8080/bob/\rX", id="cr"),
])
def test_invalid_p_target_is_an_error(cells, p_target):
    """notes §3.3: must parse as a URL without CR/LF, else 400 PR400-AN-0002 (header injection)."""
    response = token(cells, "alice", password_params(p_target=p_target))
    assert_oauth_error(response, "PR400-AN-0002")
    assert "x-injected" not in response.headers


def test_trans_cell_token_carries_the_accounts_roles_as_class_urls(cells):
    """notes §3.1: class URL = {boxSchema}__role/__/{name} with a schema, else {cellUrl}__role/__/{name}."""
    make_box(cells, "alice", "withschema", "https://app.example/")
    make_box(cells, "alice", "plain")
    make_role(cells, "alice", "main")
    make_role(cells, "alice", "app", "withschema")
    make_role(cells, "alice", "boxed", "plain")
    make_role(cells, "alice", "unlinked")
    grant_role(cells, "alice", "me", "main")
    grant_role(cells, "alice", "me", "app", "withschema")
    grant_role(cells, "alice", "me", "boxed", "plain")
    tcat = parse_tcat(cells, login(cells, "alice", p_target=BOB)["access_token"])
    assert sorted(tcat.roles) == sorted([role_class(ALICE, "main"), role_class("https://app.example/", "app"),
                                         role_class(ALICE, "boxed")])


# --- scopes (notes §3.5) ------------------------------------------------------------------------------------

def scope_of(body: dict[str, Any]) -> list[str]:
    return sorted(body["scope"].split(" "))


def test_requested_scopes_are_arbitrated(cells):
    """Kept: openid, role instance URLs of this cell, privileges under the ``root`` default;
    silently dropped: anything else (unknown words, unknown roles, other cells' roles)."""
    make_box(cells, "alice", "box1")
    make_role(cells, "alice", "r1")
    make_role(cells, "alice", "r3", "box1")
    make_cell(cells, "carol")
    make_role(cells, "carol", "r1")
    requested = ["auth-read", "bogus", "openid", role_instance("alice", "r1"),
                 role_instance("alice", "nosuch"), role_instance("alice", "r3", "box1"),
                 role_instance("carol", "r1"), "box-read", "read", "ROOT"]
    body = login(cells, "alice", scope=" ".join(requested))
    expected = sorted(["auth-read", "openid", role_instance("alice", "r1"),
                       role_instance("alice", "r3", "box1"), "box-read"])
    assert scope_of(body) == expected
    assert sorted(decode(cells, body["access_token"], ALICE).scopes) == expected
    assert sorted(decode(cells, body["refresh_token"], ALICE).scopes) == expected


@pytest.mark.parametrize("scope", ["root", "auth", "message-read", "sign"])
def test_cell_privileges_under_root_are_granted(cells, scope):
    assert login(cells, "alice", scope=scope)["scope"] == scope


def test_scopes_are_split_on_spaces_and_empty_entries_dropped(cells):
    body = login(cells, "alice", scope="  auth-read   event  ")
    assert scope_of(body) == ["auth-read", "event"]


def test_no_requested_scope_means_the_default_root(cells):
    assert login(cells, "alice", scope="")["scope"] == "root"
    assert login(cells, "alice", scope="   ")["scope"] == "root"


def test_when_every_requested_scope_is_dropped_no_scope_is_returned(cells):
    """notes §3.3: ``scope`` is present only if the access token has at least one scope."""
    body = login(cells, "alice", scope="bogus nonsense")
    assert "scope" not in body, body
    assert decode(cells, body["access_token"], ALICE).scopes == ()


def test_trans_cell_token_carries_the_arbitrated_scopes(cells):
    body = login(cells, "alice", p_target=BOB, scope="auth-read bogus")
    assert body["scope"] == "auth-read"
    assert parse_tcat(cells, body["access_token"]).scopes == ("auth-read",)


# --- errors shared by every grant ---------------------------------------------------------------------------

@pytest.mark.parametrize("grant_type", [None, "", "client_credentials", "PASSWORD", "implicit", "token",
                                        "urn:ietf:params:oauth:grant-type:jwt-bearer", SAML2 + "x"])
def test_unsupported_grant_type(cells, grant_type):
    """notes §3.3: anything but the four grants (and plugin grants, none installed) → PR400-AN-0001."""
    params = {"username": "me", "password": PASSWORD}
    if grant_type is not None:
        params["grant_type"] = grant_type
    assert_oauth_error(token(cells, "alice", params), "PR400-AN-0001")


@pytest.mark.parametrize(("params", "missing"), [
    pytest.param({"password": PASSWORD}, "username", id="no-username"),
    pytest.param({"username": "me"}, "password", id="no-password"),
    pytest.param({}, "username", id="neither-username-first"),
])
def test_password_grant_requires_username_and_password(cells, params, missing):
    """notes §3.3 password: missing username or password → PR400-AN-0016 with [username] or [password]."""
    response = token(cells, "alice", {"grant_type": "password", **params})
    assert_oauth_error(response, "PR400-AN-0016", missing)


def test_p_target_is_checked_before_the_grant(cells):
    """Java checks p_target before dispatching on the grant type's parameters."""
    response = token(cells, "alice", {"grant_type": "password", "p_target": "not a url"})
    assert_oauth_error(response, "PR400-AN-0002")


@pytest.mark.parametrize(("username", "password"), [
    pytest.param("me", "wrong-pass", id="wrong-password"),
    pytest.param("nobody", PASSWORD, id="unknown-account"),
    pytest.param("ME", PASSWORD, id="name-is-case-sensitive"),
])
def test_failed_password_login_is_an_oauth_error(cells, username, password):
    """notes §3.3: every password failure is 400 PR400-AN-0017 ``invalid_grant`` "Authentication failed."."""
    assert_oauth_error(token(cells, "alice", password_params(username, password)), "PR400-AN-0017")


def test_account_without_a_password_cannot_log_in(cells):
    make_account(cells, "alice", "nopass", password=None)
    assert_oauth_error(token(cells, "alice", password_params("nopass", PASSWORD)), "PR400-AN-0017")


def test_account_of_another_cell_cannot_log_in_here(cells):
    make_account(cells, "bob", "bobby")
    assert_oauth_error(token(cells, "alice", password_params("bobby")), "PR400-AN-0017")
    assert login(cells, "bob", "bobby")["access_token"].startswith("AR~")


def test_token_endpoint_of_a_missing_cell_is_404(cells):
    """Errors from other layers keep the normal body (notes §3.3 last paragraph)."""
    assert_error(token(cells, "nosuch", password_params()), 404, "PR404-DV-0003")


def test_token_endpoint_accepts_only_post(cells):
    assert_error(cells.get("/alice/__token", headers={"Accept": "application/json"}), 405, "PR405-MC-0001")
