"""``grant_type=refresh_token`` at ``POST {CellURL}__token`` — apiref/293 ("Continuation of user
authentication by refresh token transmission"); notes §3.3 refresh_token, §3.1 (kinds, lifetimes).

Resident refresh tokens (``RR~``) here; visitor refresh tokens (``RV~``) are in ``_saml.py`` and the
``p_owner`` promotion in ``_owner.py``.
"""

from __future__ import annotations

from typing import Any

import pytest

from cellar.auth.authn.tokens import TokenKind
from tests.api._auth_support import (
    DAY_MS,
    GRANT_CODE_MS,
    HOUR_MS,
    account_key,
    app_secret,
    assert_accepted,
    assert_oauth_error,
    body_positions,
    cell_url,
    decode,
    expired_at,
    flip,
    grant_role,
    login,
    make_account,
    make_cells,
    make_role,
    mint,
    mint_tcat,
    now_ms,
    ok,
    parse_tcat,
    role_class,
    token,
)
from tests.conftest import UNIT
from tests.helpers import MASTER_AUTH

ALICE, BOB, APP, APP2 = cell_url("alice"), cell_url("bob"), cell_url("app"), cell_url("app2")
REFRESHED_FIELDS = {"access_token", "token_type", "expires_in", "scope", "refresh_token",
                    "refresh_token_expires_in"}


@pytest.fixture
def cells(client: Any) -> Any:
    return make_cells(client, "alice", "bob", "app", "app2",
                      accounts={"alice": "me", "app": "appuser", "app2": "appuser"})


def refresh(client: Any, refresh_token: str, cell: str = "alice", headers: dict[str, str] | None = None,
            **extra: str) -> Any:
    params = {"grant_type": "refresh_token", "refresh_token": refresh_token, **extra}
    return token(client, cell, params, headers)


# --- success ------------------------------------------------------------------------------------------------

def test_refresh_issues_a_new_access_and_refresh_token(cells):
    """notes §3.3: a new refresh token of the same kind; AR~ without p_target; no login history fields."""
    first = login(cells, "alice")
    before = now_ms()
    body = ok(refresh(cells, first["refresh_token"]))
    assert set(body) == REFRESHED_FIELDS, body
    assert body["access_token"].startswith("AR~")
    assert body["refresh_token"].startswith("RR~")
    assert body["refresh_token"] != first["refresh_token"]
    assert body["access_token"] != first["access_token"]
    assert body["token_type"] == "Bearer"
    assert (body["expires_in"], body["refresh_token_expires_in"]) == (3600, 86400)
    assert body["scope"] == "root"
    access, renewed = decode(cells, body["access_token"], ALICE), decode(cells, body["refresh_token"], ALICE)
    assert (access.kind, access.subject, access.lifespan_ms) == (TokenKind.RESIDENT_ACCESS, "me", HOUR_MS)
    assert (renewed.kind, renewed.subject, renewed.lifespan_ms) == (TokenKind.RESIDENT_REFRESH, "me", DAY_MS)
    assert renewed.issued_at_ms >= before
    assert_accepted(cells, "alice", body["access_token"])


def test_new_refresh_token_works_and_the_old_one_keeps_working_until_it_expires(cells):
    """Refresh tokens are stateless in Personium (nothing in notes §3.3 revokes the old one)."""
    old = login(cells, "alice")["refresh_token"]
    new = ok(refresh(cells, old))["refresh_token"]
    assert ok(refresh(cells, new))["access_token"].startswith("AR~")
    assert ok(refresh(cells, old))["access_token"].startswith("AR~")
    assert ok(refresh(cells, old))["access_token"].startswith("AR~")


@pytest.mark.parametrize(("expires_in", "refresh_expires_in"), [(1, 1), (90, 600), (3600, 86400)])
def test_refresh_with_lifetimes(cells, expires_in, refresh_expires_in):
    body = ok(refresh(cells, login(cells, "alice")["refresh_token"], expires_in=str(expires_in),
                      refresh_token_expires_in=str(refresh_expires_in)))
    assert (body["expires_in"], body["refresh_token_expires_in"]) == (expires_in, refresh_expires_in)
    assert decode(cells, body["access_token"], ALICE).lifespan_ms == expires_in * 1000
    assert decode(cells, body["refresh_token"], ALICE).lifespan_ms == refresh_expires_in * 1000


@pytest.mark.parametrize(("name", "value"), [("expires_in", "3601"), ("refresh_token_expires_in", "0")])
def test_refresh_with_lifetimes_out_of_range(cells, name, value):
    response = refresh(cells, login(cells, "alice")["refresh_token"], **{name: value})
    assert_oauth_error(response, "PR400-AN-0016", name)


def test_scopes_are_carried_over_and_a_requested_scope_is_ignored(cells):
    """notes §3.3: "Scopes are carried over from the refresh token"."""
    first = login(cells, "alice", scope="auth-read message")
    body = ok(refresh(cells, first["refresh_token"], scope="root"))
    assert sorted(body["scope"].split(" ")) == ["auth-read", "message"]
    assert sorted(decode(cells, body["refresh_token"], ALICE).scopes) == ["auth-read", "message"]


def test_refresh_of_a_token_without_scopes_returns_no_scope(cells):
    first = login(cells, "alice", scope="bogus")
    body = ok(refresh(cells, first["refresh_token"]))
    assert "scope" not in body


def test_refresh_with_p_target_issues_a_trans_cell_token_with_the_current_roles(cells):
    """notes §3.3: RR~ tokens have their roles looked up again; with p_target a TCAT + RR~."""
    first = login(cells, "alice")
    make_role(cells, "alice", "later")
    grant_role(cells, "alice", "me", "later")
    response = refresh(cells, first["refresh_token"], p_target=BOB)
    body = ok(response)
    assert set(body) == REFRESHED_FIELDS | {"p_target"}
    assert body["p_target"] == BOB
    assert response.headers["location"] == f"{BOB}__token"
    tcat = parse_tcat(cells, body["access_token"])
    assert (tcat.issuer, tcat.subject, tcat.target) == (ALICE, f"{ALICE}#me", BOB)
    assert tcat.roles == (role_class(ALICE, "later"),)
    assert tcat.scopes == ("root",)
    assert body["refresh_token"].startswith("RR~")


def test_refresh_with_an_invalid_p_target(cells):
    response = refresh(cells, login(cells, "alice")["refresh_token"], p_target="nota url")
    assert_oauth_error(response, "PR400-AN-0002")


# --- client (schema) check ----------------------------------------------------------------------------------

def test_refresh_token_of_an_app_needs_the_same_app(cells):
    first = login(cells, "alice", client_id=APP, client_secret=app_secret(cells))
    assert decode(cells, first["refresh_token"], ALICE).schema == APP
    body = ok(refresh(cells, first["refresh_token"], client_id=APP, client_secret=app_secret(cells)))
    assert decode(cells, body["access_token"], ALICE).schema == APP
    assert decode(cells, body["refresh_token"], ALICE).schema == APP


def test_refresh_token_of_an_app_without_client_authentication(cells):
    """notes §3.3: token with a schema, no client auth → 401 PR401-AN-0021 (no WWW-Authenticate: the
    refresh-grant 401s carry no realm)."""
    first = login(cells, "alice", client_id=APP, client_secret=app_secret(cells))
    response = refresh(cells, first["refresh_token"])
    assert_oauth_error(response, "PR401-AN-0021")
    assert "www-authenticate" not in response.headers


def test_refresh_token_of_an_app_with_another_app(cells):
    """apiref/293: "Applications cannot be switched at token refresh"; notes: 401 PR401-AN-0020
    "Client mismatch. [{tokenSchema}] expected, but was [{schema}]"."""
    first = login(cells, "alice", client_id=APP, client_secret=app_secret(cells))
    response = refresh(cells, first["refresh_token"], client_id=APP2, client_secret=app_secret(cells, "app2"))
    assert_oauth_error(response, "PR401-AN-0020", APP, APP2)
    assert "www-authenticate" not in response.headers


def test_refresh_token_without_an_app_with_an_app(cells):
    first = login(cells, "alice")
    response = refresh(cells, first["refresh_token"], client_id=APP, client_secret=app_secret(cells))
    assert_oauth_error(response, "PR401-AN-0020", "", APP)


def test_confidential_and_plain_client_are_different_schemas_for_refresh(cells):
    """The schemas must be equal; ``#c`` is part of the schema."""
    make_role(cells, "app", "confidentialClient")
    grant_role(cells, "app", "appuser", "confidentialClient")
    first = login(cells, "alice", client_id=APP, client_secret=app_secret(cells))
    assert decode(cells, first["refresh_token"], ALICE).schema == f"{APP}#c"
    plain = mint_tcat(cells, APP, f"{APP}#appuser", ALICE)  # no confidentialClient role
    response = refresh(cells, first["refresh_token"], client_id=APP, client_secret=plain)
    assert_oauth_error(response, "PR401-AN-0020", f"{APP}#c", APP)


def test_bad_client_secret_at_refresh(cells):
    first = login(cells, "alice", client_id=APP, client_secret=app_secret(cells))
    response = refresh(cells, first["refresh_token"], client_id=APP, client_secret="garbage")
    assert_oauth_error(response, "PR400-AN-0003")


# --- errors, in the order of notes §3.3 ---------------------------------------------------------------------

@pytest.mark.parametrize("value", [None, "", "garbage", "RR~", "RR~garbage", "RR~" + "A" * 80])
def test_missing_or_unparsable_refresh_token(cells, value):
    params = {"grant_type": "refresh_token"}
    if value is not None:
        params["refresh_token"] = value
    assert_oauth_error(token(cells, "alice", params), "PR400-AN-0009")


def test_refresh_token_of_another_cell(cells):
    """notes §3.3: "a token from another cell fails the issuer check" → PR400-AN-0009."""
    make_account(cells, "bob", "me")
    other = login(cells, "bob")["refresh_token"]
    assert_oauth_error(refresh(cells, other), "PR400-AN-0009")
    assert ok(refresh(cells, other, cell="bob"))["access_token"].startswith("AR~")


def test_tampered_refresh_token(cells):
    """Any changed character makes the token unreadable: PR400-AN-0009, wherever it is."""
    text = login(cells, "alice")["refresh_token"]
    for index in body_positions(text):
        assert_oauth_error(refresh(cells, flip(text, index)), "PR400-AN-0009")
    assert ok(refresh(cells, text))  # the original is still good


def test_tampered_access_token_as_refresh_token(cells):
    """An AR~ that does not parse is a parse error (AN-0009) before it is "not a refresh token"."""
    text = login(cells, "alice")["access_token"]
    for index in body_positions(text):
        assert_oauth_error(refresh(cells, flip(text, index)), "PR400-AN-0009")


def test_refresh_token_with_another_prefix(cells):
    """RR~ body under the RV~ prefix: the kind is part of what is checked when parsing."""
    text = login(cells, "alice")["refresh_token"]
    assert_oauth_error(refresh(cells, "RV~" + text[3:]), "PR400-AN-0009")


@pytest.mark.parametrize("kind", [TokenKind.RESIDENT_ACCESS, TokenKind.VISITOR_ACCESS, TokenKind.GRANT_CODE,
                                  TokenKind.PASSWORD_CHANGE])
def test_local_token_that_is_not_a_refresh_token(cells, kind):
    text = mint(cells, kind, ALICE, "me", lifespan_ms=GRANT_CODE_MS)
    assert_oauth_error(refresh(cells, text), "PR400-AN-0013")


def test_unit_local_token_is_not_a_refresh_token(cells):
    """AU~ is parsed with the unit URL as issuer (Java passes the unit URL to the parser) → AN-0013."""
    text = mint(cells, TokenKind.UNIT_LOCAL_UNIT_USER, UNIT, "http://localhost:8080/admin/#owner")
    assert_oauth_error(refresh(cells, text), "PR400-AN-0013")


def test_issued_access_token_is_not_a_refresh_token(cells):
    assert_oauth_error(refresh(cells, login(cells, "alice")["access_token"]), "PR400-AN-0013")


def test_trans_cell_token_is_not_a_refresh_token(cells):
    """A TCAT parses (it is a token Personium's parser reads) but is no refresh token → PR400-AN-0013."""
    tcat = login(cells, "alice", p_target=ALICE)["access_token"]
    assert_oauth_error(refresh(cells, tcat), "PR400-AN-0013")


def test_expired_refresh_token(cells):
    text = mint(cells, TokenKind.RESIDENT_REFRESH, ALICE, "me", issued_at_ms=expired_at(DAY_MS),
                lifespan_ms=DAY_MS, scopes=("root",))
    assert_oauth_error(refresh(cells, text), "PR400-AN-0010")


def test_refresh_token_just_before_its_expiry_still_works(cells):
    """Expired only once now > issuedAt + lifespan (notes §3.1)."""
    text = mint(cells, TokenKind.RESIDENT_REFRESH, ALICE, "me", issued_at_ms=now_ms() - DAY_MS + 30_000,
                lifespan_ms=DAY_MS, scopes=("root",))
    assert ok(refresh(cells, text))["access_token"].startswith("AR~")


def test_short_lived_refresh_token_expires(cells):
    text = mint(cells, TokenKind.RESIDENT_REFRESH, ALICE, "me", issued_at_ms=now_ms() - 5_000,
                lifespan_ms=1_000)
    assert_oauth_error(refresh(cells, text), "PR400-AN-0010")


def test_kind_is_checked_before_expiry(cells):
    """notes §3.3 order: not RR~/RV~ (AN-0013) comes before expired (AN-0010)."""
    text = mint(cells, TokenKind.RESIDENT_ACCESS, ALICE, "me", issued_at_ms=expired_at(HOUR_MS))
    assert_oauth_error(refresh(cells, text), "PR400-AN-0013")


def test_expiry_is_checked_before_the_client(cells):
    text = mint(cells, TokenKind.RESIDENT_REFRESH, ALICE, "me", issued_at_ms=expired_at(DAY_MS),
                lifespan_ms=DAY_MS, schema=APP)
    assert_oauth_error(refresh(cells, text), "PR400-AN-0010")


def test_roles_removed_after_login_are_gone_after_refresh(cells):
    """RR~ carries no roles: they are looked up again at every refresh (notes §3.1, §3.3)."""
    make_role(cells, "alice", "r1")
    grant_role(cells, "alice", "me", "r1")
    first = login(cells, "alice", p_target=BOB)
    assert parse_tcat(cells, first["access_token"]).roles == (role_class(ALICE, "r1"),)
    response = cells.delete(f"/alice/__ctl/{account_key('me')}/$links/_Role(Name='r1',_Box.Name=null)",
                            headers=MASTER_AUTH)
    assert response.status_code == 204, response.text
    body = ok(refresh(cells, first["refresh_token"], p_target=BOB))
    assert parse_tcat(cells, body["access_token"]).roles == ()
