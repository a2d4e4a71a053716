"""Client (app) authentication at ``POST {CellURL}__token`` — apiref/293 (client_id, client_secret,
Authorization header, client_assertion[_type]); notes §3.3 "Client (schema) authentication".

The app is the cell ``app`` (``http://localhost:8080/app/``): its account ``appuser`` logs in with
``p_target`` = the user's cell and the resulting trans-cell token is the client secret.
"""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import quote

import pytest

from tests.api._auth_support import (
    SAML2,
    app_secret,
    assert_oauth_error,
    cell_url,
    decode,
    expired_at,
    grant_role,
    login,
    make_account,
    make_box,
    make_cell,
    make_role,
    mint_tcat,
    ok,
    parse_tcat,
    password_params,
    tamper_element,
    token,
)

ALICE, APP, BOB = cell_url("alice"), cell_url("app"), cell_url("bob")
ASSERTION_TYPE = SAML2


@pytest.fixture
def cells(client: Any) -> Any:
    """alice (the user's cell, account ``me``), app (the app's cell, account ``appuser``), bob."""
    for name in ("alice", "app", "bob"):
        make_cell(client, name)
    make_account(client, "alice", "me")
    make_account(client, "app", "appuser")
    return client


def basic(client_id: str, secret: str, *, urlsafe: bool = False) -> dict[str, str]:
    """``Basic base64(urlencode(id):urlencode(secret))`` (notes §3.2)."""
    raw = f"{quote(client_id, safe='')}:{quote(secret, safe='')}".encode()
    encoded = (base64.urlsafe_b64encode(raw) if urlsafe else base64.b64encode(raw)).decode()
    return {"Authorization": f"Basic {encoded}"}


def schema_of_issued(client: Any, body: dict[str, Any]) -> str:
    access = decode(client, body["access_token"], ALICE)
    refresh = decode(client, body["refresh_token"], ALICE)
    assert access.schema == refresh.schema, (access.schema, refresh.schema)
    return access.schema


# --- success ------------------------------------------------------------------------------------------------

def test_client_id_and_client_secret_give_the_tokens_the_apps_schema(cells):
    body = login(cells, "alice", client_id=APP, client_secret=app_secret(cells))
    assert schema_of_issued(cells, body) == APP


def test_no_client_authentication_means_no_schema(cells):
    assert schema_of_issued(cells, login(cells, "alice")) == ""


@pytest.mark.parametrize("urlsafe", [False, True], ids=["standard-base64", "urlsafe-base64"])
def test_basic_authorization_header(cells, urlsafe):
    body = login(cells, "alice", headers=basic(APP, app_secret(cells), urlsafe=urlsafe))
    assert schema_of_issued(cells, body) == APP


def test_basic_header_wins_over_client_id_and_client_secret(cells):
    """apiref/293: "the setting of the Authorization header takes precedence over client_id and
    client_secret"."""
    body = login(cells, "alice", headers=basic(APP, app_secret(cells)), client_id=BOB,
                 client_secret="garbage")
    assert schema_of_issued(cells, body) == APP


def test_client_assertion(cells):
    body = login(cells, "alice", client_id=APP, client_assertion=app_secret(cells),
                 client_assertion_type=ASSERTION_TYPE)
    assert schema_of_issued(cells, body) == APP


def test_client_assertion_wins_over_basic_header_and_client_secret(cells):
    """apiref/293: with client_assertion[_type] "the content of Authorization header or client_secret
    is neglected"."""
    body = login(cells, "alice", headers={"Authorization": "Basic !!!not-basic!!!"}, client_id=APP,
                 client_secret="garbage", client_assertion=app_secret(cells),
                 client_assertion_type=ASSERTION_TYPE)
    assert schema_of_issued(cells, body) == APP


def test_confidential_client_role_marks_the_schema(cells):
    """notes §3.3: the role {client_id}__role/__/confidentialClient makes the schema ``{client_id}#c``."""
    make_role(cells, "app", "confidentialClient")
    grant_role(cells, "app", "appuser", "confidentialClient")
    body = login(cells, "alice", client_id=APP, client_secret=app_secret(cells))
    assert schema_of_issued(cells, body) == f"{APP}#c"


def test_confidential_client_role_must_be_in_the_apps_main_box(cells):
    """A confidentialClient role in a box with a schema has another class URL: no ``#c``."""
    make_box(cells, "app", "box1", "https://elsewhere.example/")
    make_role(cells, "app", "confidentialClient", "box1")
    grant_role(cells, "app", "appuser", "confidentialClient", "box1")
    body = login(cells, "alice", client_id=APP, client_secret=app_secret(cells))
    assert schema_of_issued(cells, body) == APP


def test_trans_cell_token_carries_the_schema_as_second_audience(cells):
    body = login(cells, "alice", p_target=BOB, client_id=APP, client_secret=app_secret(cells))
    assert parse_tcat(cells, body["access_token"]).schema == APP
    assert decode(cells, body["refresh_token"], ALICE).schema == APP


def test_client_authentication_does_not_change_the_response_fields(cells):
    body = login(cells, "alice", client_id=APP, client_secret=app_secret(cells))
    assert set(body) == {"access_token", "token_type", "expires_in", "scope", "refresh_token",
                         "refresh_token_expires_in", "last_authenticated", "failed_count"}


# --- errors, in the order of notes §3.3 ---------------------------------------------------------------------

@pytest.mark.parametrize("secret", [
    pytest.param("garbage", id="not-base64-xml"),
    pytest.param("", id="empty"),
    pytest.param("PEFzc2VydGlvbj4", id="xml-but-not-signed"),
])
def test_secret_that_does_not_parse(cells, secret):
    response = token(cells, "alice", password_params(client_id=APP, client_secret=secret))
    assert_oauth_error(response, "PR400-AN-0003")


def test_client_id_without_client_secret(cells):
    """The secret defaults to "" (Java), which does not parse."""
    assert_oauth_error(token(cells, "alice", password_params(client_id=APP)), "PR400-AN-0003")


def test_local_token_as_secret_does_not_parse(cells):
    local = login(cells, "app", "appuser")["access_token"]
    response = token(cells, "alice", password_params(client_id=APP, client_secret=local))
    assert_oauth_error(response, "PR400-AN-0003")


def test_secret_signed_by_an_untrusted_unit(cells):
    """notes §3.3: bad signature → PR400-AN-0011 (the catalog's AN-0005 is not what Java answers)."""
    secret = mint_tcat(cells, APP, f"{APP}#appuser", ALICE, foreign=True)
    response = token(cells, "alice", password_params(client_id=APP, client_secret=secret))
    assert_oauth_error(response, "PR400-AN-0011")


@pytest.mark.parametrize("field", ["Issuer", "NameID", "Audience", "SignatureValue", "DigestValue"])
def test_tampered_secret(cells, field):
    secret = tamper_element(app_secret(cells), field)
    response = token(cells, "alice", password_params(client_id=APP, client_secret=secret))
    assert_oauth_error(response, "PR400-AN-0011")


def test_expired_secret(cells):
    secret = mint_tcat(cells, APP, f"{APP}#appuser", ALICE, issued_at_ms=expired_at(3_600_000))
    response = token(cells, "alice", password_params(client_id=APP, client_secret=secret))
    assert_oauth_error(response, "PR400-AN-0004")


def test_secret_whose_issuer_is_not_the_client_id(cells):
    response = token(cells, "alice", password_params(client_id=BOB, client_secret=app_secret(cells)))
    assert_oauth_error(response, "PR400-AN-0006")


def test_secret_for_another_cell(cells):
    response = token(cells, "alice", password_params(client_id=APP, client_secret=app_secret(cells, target=BOB)))
    assert_oauth_error(response, "PR400-AN-0007")


@pytest.mark.parametrize("authorization", [
    pytest.param("Bearer something", id="bearer"),
    pytest.param("Basic !!!", id="not-base64"),
    pytest.param("Basic " + base64.b64encode(b"no-colon-here").decode(), id="no-colon"),
    pytest.param("Digest username=x", id="digest"),
    pytest.param("Basic", id="empty-basic"),
])
def test_authorization_header_that_is_not_basic(cells, authorization):
    response = token(cells, "alice", password_params(), {"Authorization": authorization})
    assert_oauth_error(response, "PR400-AN-0018")


@pytest.mark.parametrize("params", [
    pytest.param({"client_assertion_type": "urn:example:other", "client_assertion": "x"}, id="other-type"),
    pytest.param({"client_assertion": "x"}, id="assertion-without-type"),
    pytest.param({"client_assertion_type": "", "client_assertion": "x"}, id="empty-type"),
    pytest.param({"client_assertion_type": "urn:ietf:params:oauth:grant-type:jwt-bearer"},
                 id="jwt-bearer-type"),
])
def test_invalid_client_assertion_type(cells, params):
    response = token(cells, "alice", password_params(client_id=APP, **params))
    assert_oauth_error(response, "PR400-AN-0022", ASSERTION_TYPE)


def test_client_assertion_type_alone_with_an_app_secret_elsewhere(cells):
    """The right type without an assertion: the (empty) assertion is the secret, whatever
    client_secret says."""
    response = token(cells, "alice", password_params(client_id=APP, client_secret=app_secret(cells),
                                                     client_assertion_type=ASSERTION_TYPE))
    assert_oauth_error(response, "PR400-AN-0003")


def test_expiry_is_checked_before_the_issuer(cells):
    secret = mint_tcat(cells, APP, f"{APP}#appuser", ALICE, issued_at_ms=expired_at(3_600_000))
    response = token(cells, "alice", password_params(client_id=BOB, client_secret=secret))
    assert_oauth_error(response, "PR400-AN-0004")


def test_signature_is_checked_before_expiry(cells):
    secret = mint_tcat(cells, APP, f"{APP}#appuser", ALICE, issued_at_ms=expired_at(3_600_000), foreign=True)
    response = token(cells, "alice", password_params(client_id=APP, client_secret=secret))
    assert_oauth_error(response, "PR400-AN-0011")


def test_issuer_is_checked_before_the_target(cells):
    response = token(cells, "alice", password_params(client_id=BOB, client_secret=app_secret(cells, target=BOB)))
    assert_oauth_error(response, "PR400-AN-0006")


def test_client_authentication_runs_before_the_grant(cells):
    """Java authenticates the client before it dispatches on the grant: a bad secret wins over a
    missing username, and a wrong password is not even tried."""
    response = token(cells, "alice", {"grant_type": "password", "client_id": APP, "client_secret": "garbage"})
    assert_oauth_error(response, "PR400-AN-0003")
    response = token(cells, "alice", password_params(password="wrong-pass", client_id=APP,
                                                     client_secret="garbage"))
    assert_oauth_error(response, "PR400-AN-0003")
    body = ok(token(cells, "alice", password_params()))  # no interval lock: the password was never checked
    assert body["failed_count"] == 0


def test_a_wrong_password_with_a_good_client_is_still_a_failed_login(cells):
    response = token(cells, "alice", password_params(password="wrong-pass", client_id=APP,
                                                     client_secret=app_secret(cells)))
    assert_oauth_error(response, "PR400-AN-0017")
