"""Unit-level tokens from ``POST {CellURL}__token``: the ``p_owner`` promotion to a unit-local unit
user token (``AU~``) and unit user tokens (UUT: a trans-cell token for the unit URL from a cell listed
in ``unitUser.issuers``) — apiref/106 (ownerRepresentativeAccounts), 293 (p_owner); notes §2.1–§2.4,
§3.2.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from cellar.auth.authn.tokens import TokenKind
from tests.api._auth_support import (
    HOUR_MS,
    SAML2,
    allow_owner_representatives,
    assert_oauth_error,
    bearer,
    body_positions,
    cell_url,
    decode,
    expired_at,
    flip,
    grant_role,
    login,
    make_account,
    make_box,
    make_cell,
    make_role,
    mint,
    mint_tcat,
    now_ms,
    ok,
    parse_tcat,
    password_params,
    role_class,
    tamper_element,
    token,
    variant_client,
)
from tests.conftest import UNIT
from tests.helpers import MASTER_AUTH, as_unit_user, assert_error

OWNER = "http://localhost:8080/admin/#owner"
STRANGER = "http://localhost:8080/admin/#stranger"
ADMIN = cell_url("admin")
ME = f"{ADMIN}#me"
BOSS = f"{ADMIN}#boss"
UNIT_REALM = f'Bearer realm="{UNIT}"'


def listed(client: Any, text: str, **headers: str) -> list[str]:
    response = client.get("/__ctl/Cell", params={"$orderby": "Name"}, headers={**bearer(text), **headers})
    assert response.status_code == 200, response.text
    return [cell["Name"] for cell in response.json()["d"]["results"]]


def assert_unit_rejected(client: Any, text: str, status: int, code: str) -> None:
    response = client.get("/__ctl/Cell", headers=bearer(text))
    assert_error(response, status, code)
    if status == 401:
        assert response.headers["www-authenticate"] == UNIT_REALM


def canonical(client: Any, url: str) -> str:
    return client.app.state.services.urls.canonical(url)


# ============================================================================ p_owner → AU~ (notes §2.4)

@pytest.fixture
def owned(client: Any) -> Any:
    """``mine`` and ``mine2`` belong to OWNER, ``theirs`` to STRANGER, ``nobodys`` has no owner.
    In ``mine`` the account ``rep`` may represent the owner; ``plain`` may not."""
    make_cell(client, "mine", as_unit_user(OWNER))
    make_cell(client, "mine2", as_unit_user(OWNER))
    make_cell(client, "theirs", as_unit_user(STRANGER))
    make_cell(client, "nobodys")
    for cell in ("mine", "nobodys"):
        make_account(client, cell, "rep")
        make_account(client, cell, "plain")
        allow_owner_representatives(client, cell, "rep", "another")
    return client


def test_p_owner_issues_only_a_unit_local_unit_user_token(owned):
    """notes §2.4: an AU~ token (subject = the cell owner, issuer = the unit URL, lifetime =
    expires_in); no refresh token and no scope."""
    before = now_ms()
    body = login(owned, "mine", "rep", p_owner="true")
    assert body["access_token"].startswith("AU~")
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    for absent in ("refresh_token", "refresh_token_expires_in", "scope", "p_target"):
        assert absent not in body, body
    allowed = {"access_token", "token_type", "expires_in", "last_authenticated", "failed_count"}
    assert set(body) <= allowed, body
    unit_token = decode(owned, body["access_token"], UNIT)
    assert unit_token.kind is TokenKind.UNIT_LOCAL_UNIT_USER
    assert canonical(owned, unit_token.subject) == OWNER
    assert unit_token.lifespan_ms == HOUR_MS
    assert unit_token.issued_at_ms >= before


def test_p_owner_lifetime_is_expires_in(owned):
    body = login(owned, "mine", "rep", p_owner="true", expires_in="120", refresh_token_expires_in="5")
    assert body["expires_in"] == 120
    assert decode(owned, body["access_token"], UNIT).lifespan_ms == 120_000


def test_unit_local_token_lists_the_owners_cells(owned):
    """notes §2.1 unit-local: own cells only (the subject is the cell's owner)."""
    text = login(owned, "mine", "rep", p_owner="true")["access_token"]
    assert listed(owned, text) == ["mine", "mine2"]


def test_unit_local_token_reads_an_owned_cell_but_not_anothers(owned):
    text = login(owned, "mine", "rep", p_owner="true")["access_token"]
    assert owned.get("/__ctl/Cell('mine2')", headers=bearer(text)).status_code == 200
    assert_error(owned.get("/__ctl/Cell('theirs')", headers=bearer(text)), 403, "PR403-AU-0003")


def test_unit_local_token_creates_cells_for_the_owner(owned):
    text = login(owned, "mine", "rep", p_owner="true")["access_token"]
    response = owned.post("/__ctl/Cell", json={"Name": "mine3"}, headers=bearer(text))
    assert response.status_code == 201, response.text
    assert listed(owned, text) == ["mine", "mine2", "mine3"]
    names = [c["Name"] for c in owned.get("/__ctl/Cell", headers=as_unit_user(OWNER)).json()["d"]["results"]]
    assert sorted(names) == ["mine", "mine2", "mine3"]


def test_p_owner_through_a_resident_refresh_token(owned):
    """notes §2.4: also with refresh_token when the refresh token is an RR~."""
    first = login(owned, "mine", "rep")
    response = token(owned, "mine", {"grant_type": "refresh_token", "refresh_token": first["refresh_token"],
                                     "p_owner": "true"})
    body = ok(response)
    assert body["access_token"].startswith("AU~")
    assert "refresh_token" not in body and "scope" not in body
    assert listed(owned, body["access_token"]) == ["mine", "mine2"]


@pytest.mark.parametrize("value", ["false", "TRUE", "1", ""])
def test_p_owner_other_than_true_is_ignored(owned, value):
    """``p_owner``: "Valid only for true" (apiref/293)."""
    body = login(owned, "mine", "rep", p_owner=value)
    assert body["access_token"].startswith("AR~")


def test_p_owner_for_an_account_not_listed(owned):
    response = token(owned, "mine", password_params("plain", p_owner="true"))
    assert_oauth_error(response, "PR400-AN-0014")


def test_p_owner_without_the_property(owned):
    make_account(owned, "mine2", "rep")
    assert_oauth_error(token(owned, "mine2", password_params("rep", p_owner="true")), "PR400-AN-0014")


def test_p_owner_in_a_cell_without_owner(owned):
    response = token(owned, "nobodys", password_params("rep", p_owner="true"))
    assert_oauth_error(response, "PR400-AN-0015")


def test_p_owner_refresh_for_an_account_not_listed(owned):
    first = login(owned, "mine", "plain")
    response = token(owned, "mine", {"grant_type": "refresh_token", "refresh_token": first["refresh_token"],
                                     "p_owner": "true"})
    assert_oauth_error(response, "PR400-AN-0014")


def test_p_owner_with_a_wrong_password_is_a_failed_login(owned):
    response = token(owned, "mine", password_params("rep", "wrong-pass", p_owner="true"))
    assert_oauth_error(response, "PR400-AN-0017")


def test_p_owner_with_a_saml_assertion(owned):
    assertion = login(owned, "nobodys", "rep", p_target=cell_url("mine"))["access_token"]
    response = token(owned, "mine", {"grant_type": SAML2, "assertion": assertion, "p_owner": "true"})
    assert_oauth_error(response, "PR400-AN-0008")


def test_unit_local_token_is_not_accepted_after_expiry(owned):
    owner = decode(owned, login(owned, "mine", "rep", p_owner="true")["access_token"], UNIT).subject
    text = mint(owned, TokenKind.UNIT_LOCAL_UNIT_USER, UNIT, owner, issued_at_ms=expired_at(HOUR_MS))
    assert_unit_rejected(owned, text, 401, "PR401-AU-0002")


def test_tampered_unit_local_token(owned):
    text = login(owned, "mine", "rep", p_owner="true")["access_token"]
    for index in body_positions(text):
        assert_unit_rejected(owned, flip(text, index), 401, "PR401-AU-0006")
    assert listed(owned, text) == ["mine", "mine2"]


def test_unit_local_token_minted_for_another_issuer(owned):
    """An AU~ is sealed to the unit URL: one claiming a cell as its issuer does not parse."""
    text = mint(owned, TokenKind.UNIT_LOCAL_UNIT_USER, cell_url("mine"), OWNER)
    assert_unit_rejected(owned, text, 401, "PR401-AU-0006")


# ============================================================================ cell-local tokens at unit level

def test_cell_local_tokens_are_not_unit_tokens(owned):
    """notes §2.1: AR~/AV~/RR~ cannot be parsed without a cell → 401 PR401-AU-0006; AP~ → PR401-AU-0012."""
    body = login(owned, "mine", "rep")
    assert_unit_rejected(owned, body["access_token"], 401, "PR401-AU-0006")
    assert_unit_rejected(owned, body["refresh_token"], 401, "PR401-AU-0006")
    visitor = mint(owned, TokenKind.VISITOR_ACCESS, cell_url("mine"), OWNER)
    assert_unit_rejected(owned, visitor, 401, "PR401-AU-0006")
    change = mint(owned, TokenKind.PASSWORD_CHANGE, cell_url("mine"), "rep")
    assert_unit_rejected(owned, change, 401, "PR401-AU-0012")


def test_trans_cell_token_for_a_cell_is_not_a_unit_user_token(owned):
    """notes §2.1: a valid TCAT that does not qualify as a UUT → 403 PR403-AU-0001."""
    text = login(owned, "mine", "rep", p_target=cell_url("theirs"))["access_token"]
    assert_unit_rejected(owned, text, 403, "PR403-AU-0001")


def test_trans_cell_token_for_the_unit_from_a_cell_not_listed(owned):
    text = login(owned, "mine", "rep", p_target=UNIT)["access_token"]
    assert_unit_rejected(owned, text, 403, "PR403-AU-0001")


# ============================================================================ unit user tokens (notes §2.2)

def setup_admin(client: Any) -> Any:
    """admin (the issuer) with ``me`` and ``boss`` (UnitAdmin); ``c-me`` owned by admin#me,
    ``c-other`` by another user, ``c-master`` without owner."""
    make_cell(client, "admin")
    make_account(client, "admin", "me")
    make_account(client, "admin", "boss")
    make_role(client, "admin", "UnitAdmin")
    grant_role(client, "admin", "boss", "UnitAdmin")
    make_cell(client, "c-me", as_unit_user(ME))
    make_cell(client, "c-other", as_unit_user(STRANGER))
    make_cell(client, "c-master")
    return client


@pytest.fixture
def unit_users(settings: Any, storage: Any) -> Iterator[Any]:
    with variant_client(settings, storage, unit_user_issuers=(ADMIN,)) as client:
        yield setup_admin(client)


def uut(client: Any, username: str = "me", **extra: str) -> str:
    return login(client, "admin", username, p_target=UNIT, **extra)["access_token"]


def test_unit_user_token_is_a_trans_cell_token_for_the_unit(unit_users):
    tcat = parse_tcat(unit_users, uut(unit_users, "boss"))
    assert (tcat.issuer, tcat.subject, tcat.target) == (ADMIN, BOSS, UNIT)
    assert tcat.roles == (role_class(ADMIN, "UnitAdmin"),)


def test_unit_user_sees_own_cells(unit_users):
    """notes §2.1 unit-user (UUT): own cells only (Owner equals the subject {issuer}#{account})."""
    assert listed(unit_users, uut(unit_users)) == ["c-me"]


def test_unit_admin_sees_every_cell(unit_users):
    assert listed(unit_users, uut(unit_users, "boss")) == ["admin", "c-master", "c-me", "c-other"]


def test_unit_admin_acting_as_a_unit_user(unit_users):
    """notes §2.1: UnitAdmin + X-Personium-Unit-User → that user's cells."""
    text = uut(unit_users, "boss")
    assert listed(unit_users, text, **{"X-Personium-Unit-User": ME}) == ["c-me"]
    assert listed(unit_users, text, **{"X-Personium-Unit-User": STRANGER}) == ["c-other"]


def test_plain_unit_user_cannot_act_as_another(unit_users):
    assert listed(unit_users, uut(unit_users), **{"X-Personium-Unit-User": STRANGER}) == ["c-me"]


def test_unit_user_creates_an_owned_cell(unit_users):
    text = uut(unit_users)
    response = unit_users.post("/__ctl/Cell", json={"Name": "c-new"}, headers=bearer(text))
    assert response.status_code == 201, response.text
    assert listed(unit_users, text) == ["c-me", "c-new"]
    results = unit_users.get("/__ctl/Cell", headers=as_unit_user(ME)).json()["d"]["results"]
    names = [c["Name"] for c in results]
    assert sorted(names) == ["c-me", "c-new"]


def test_unit_user_cannot_read_anothers_cell(unit_users):
    response = unit_users.get("/__ctl/Cell('c-other')", headers=bearer(uut(unit_users)))
    assert_error(response, 403, "PR403-AU-0003")


def test_unit_admin_role_must_be_in_the_issuers_main_box(unit_users):
    """A UnitAdmin role of a box with a schema travels as ``{schema}__role/__/UnitAdmin``: not the
    issuer's role, so no promotion."""
    make_box(unit_users, "admin", "apps", "https://app.example/")
    make_role(unit_users, "admin", "UnitAdmin", "apps")
    grant_role(unit_users, "admin", "me", "UnitAdmin", "apps")
    text = uut(unit_users)
    assert parse_tcat(unit_users, text).roles == ("https://app.example/__role/__/UnitAdmin",)
    assert listed(unit_users, text) == ["c-me"]


def test_minted_unit_admin_role_of_another_cell_does_not_promote(unit_users):
    text = mint_tcat(unit_users, ADMIN, ME, UNIT, roles=(role_class(cell_url("c-other"), "UnitAdmin"),))
    assert listed(unit_users, text) == ["c-me"]


def test_expired_unit_user_token(unit_users):
    text = mint_tcat(unit_users, ADMIN, BOSS, UNIT, roles=(role_class(ADMIN, "UnitAdmin"),),
                     issued_at_ms=expired_at(HOUR_MS))
    assert_unit_rejected(unit_users, text, 401, "PR401-AU-0002")


@pytest.mark.parametrize("field", ["Issuer", "NameID", "Audience", "AttributeValue", "SignatureValue"])
def test_tampered_unit_user_token(unit_users, field):
    assert_unit_rejected(unit_users, tamper_element(uut(unit_users, "boss"), field), 401, "PR401-AU-0008")


def test_unit_user_token_from_an_untrusted_unit(unit_users):
    text = mint_tcat(unit_users, ADMIN, BOSS, UNIT, roles=(role_class(ADMIN, "UnitAdmin"),), foreign=True)
    assert_unit_rejected(unit_users, text, 401, "PR401-AU-0008")


def test_issuer_not_listed_gives_no_unit_user(unit_users):
    make_cell(unit_users, "outsider")
    make_account(unit_users, "outsider", "me")
    text = login(unit_users, "outsider", "me", p_target=UNIT)["access_token"]
    assert_unit_rejected(unit_users, text, 403, "PR403-AU-0001")


def test_listed_issuer_token_for_a_cell_is_no_unit_user_token(unit_users):
    text = login(unit_users, "admin", "boss", p_target=cell_url("c-me"))["access_token"]
    assert_unit_rejected(unit_users, text, 403, "PR403-AU-0001")


def test_without_unit_user_issuers_no_token_is_a_unit_user_token(client):
    """``unitUser.issuers`` defaults to empty (notes §10)."""
    setup_admin(client)
    assert_unit_rejected(client, uut(client, "boss"), 403, "PR403-AU-0001")


@pytest.mark.parametrize("issuers", [
    pytest.param(("personium-localunit:/admin/",), id="localunit-form"),
    pytest.param(("http://localhost:8080/other/", ADMIN), id="second-of-two"),
    pytest.param(("http://localhost:8080/admin",), id="without-trailing-slash"),
])
def test_unit_user_issuers_forms(settings, storage, issuers):
    """notes §2.2: space-separated URLs; entries may be written as ``personium-localunit:/cellname/``."""
    with variant_client(settings, storage, unit_user_issuers=issuers) as client:
        setup_admin(client)
        assert listed(client, uut(client)) == ["c-me"]
        assert listed(client, uut(client, "boss")) == ["admin", "c-master", "c-me", "c-other"]


def test_master_token_still_works_with_unit_users_configured(unit_users):
    response = unit_users.get("/__ctl/Cell", headers=MASTER_AUTH)
    assert response.status_code == 200
