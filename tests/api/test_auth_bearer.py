"""Tokens from ``__token`` used as ``Authorization: Bearer`` at cell level — notes §3.2 (accepted
kinds and their 401 codes), §3.1 (expiry rule, tokens sealed to their cell), §6.1 (WWW-Authenticate).

The probe is ``GET {cell}/__ctl/Account``: no ACL grants these callers anything, so a token that
authenticates gets 403 PR403-AU-0002 and a rejected one 401 with its code and a Bearer challenge.
"""

from __future__ import annotations

import base64
import time
from typing import Any

import pytest

from cellar.auth.authn.tokens import TokenKind
from tests.api._auth_support import (
    DAY_MS,
    GRANT_CODE_MS,
    HOUR_MS,
    SAML2,
    assert_accepted,
    assert_rejected,
    bearer,
    body_positions,
    cell_url,
    expired_at,
    extcell_key,
    flip,
    grant_role,
    link,
    login,
    make_account,
    make_cell,
    make_extcell,
    make_role,
    mint,
    mint_tcat,
    now_ms,
    ok,
    probe,
    role_class,
    role_key,
    tamper_element,
    tamper_tcat,
    token,
)
from tests.conftest import MASTER
from tests.helpers import assert_error

ALICE, BOB = cell_url("alice"), cell_url("bob")
ME = f"{ALICE}#me"


@pytest.fixture
def cells(client: Any) -> Any:
    make_cell(client, "alice")
    make_cell(client, "bob")
    make_account(client, "alice", "me")
    return client


def resident(client: Any) -> dict[str, Any]:
    return login(client, "alice")


def visitor(client: Any) -> dict[str, Any]:
    """alice's ``me`` visiting bob: AV~ + RV~ issued by bob."""
    assertion = login(client, "alice", p_target=BOB)["access_token"]
    return ok(token(client, "bob", {"grant_type": SAML2, "assertion": assertion}))


# --- accepted -----------------------------------------------------------------------------------------------

def test_resident_access_token(cells):
    assert_accepted(cells, "alice", resident(cells)["access_token"])


def test_visitor_access_token(cells):
    assert_accepted(cells, "bob", visitor(cells)["access_token"])


def test_trans_cell_token_for_this_cell(cells):
    """notes §3.2: a TCAT is accepted directly ("trans" access)."""
    assert_accepted(cells, "bob", login(cells, "alice", p_target=BOB)["access_token"])


def test_trans_cell_token_with_many_roles(cells):
    """A TCAT grows with its roles; a token our own unit issues must fit in the Authorization header."""
    for index in range(6):
        make_role(cells, "alice", f"role-number-{index}")
        grant_role(cells, "alice", "me", f"role-number-{index}")
    text = login(cells, "alice", p_target=BOB)["access_token"]
    assert len(text) > 4096  # larger than apiref/003's per-header size, as Personium's own TCATs get
    assert_accepted(cells, "bob", text)


def test_master_token(cells):
    response = cells.get("/alice/__ctl/Account", headers=bearer(MASTER))
    assert response.status_code == 200, response.text


def test_token_just_before_its_expiry(cells):
    """notes §3.1: expired only when now > issuedAt + lifespan."""
    text = mint(cells, TokenKind.RESIDENT_ACCESS, ALICE, "me", issued_at_ms=now_ms() - HOUR_MS + 30_000,
                scopes=("root",))
    assert_accepted(cells, "alice", text)


# --- rejected kinds (notes §3.2) ----------------------------------------------------------------------------

def test_refresh_tokens_are_not_access_tokens(cells):
    assert_rejected(cells, "alice", resident(cells)["refresh_token"], "PR401-AU-0007")
    assert_rejected(cells, "bob", visitor(cells)["refresh_token"], "PR401-AU-0007")


def test_expired_refresh_token_is_still_a_refresh_token(cells):
    text = mint(cells, TokenKind.RESIDENT_REFRESH, ALICE, "me", issued_at_ms=expired_at(DAY_MS),
                lifespan_ms=DAY_MS)
    assert_rejected(cells, "alice", text, "PR401-AU-0007")


def test_grant_code_is_not_an_access_token(cells):
    """notes §3.2: Java likely answers 500 here (quirk); the recommendation is 401 PR401-AU-0006."""
    text = mint(cells, TokenKind.GRANT_CODE, ALICE, "me", lifespan_ms=GRANT_CODE_MS, schema=cell_url("app"))
    assert_rejected(cells, "alice", text, "PR401-AU-0006")


def test_password_change_token_is_refused_outside_mypassword(cells):
    text = mint(cells, TokenKind.PASSWORD_CHANGE, ALICE, "me", lifespan_ms=DAY_MS)
    assert_rejected(cells, "alice", text, "PR401-AU-0012")


@pytest.mark.parametrize("value", ["garbage", "AR~", "AR~garbage", "AV~" + "A" * 60, "x" * 300, "a.b.c"])
def test_unreadable_tokens(cells, value):
    assert_rejected(cells, "alice", value, "PR401-AU-0006")


def test_other_authorization_scheme(cells):
    """notes §3.2: a scheme other than Basic or Bearer → 401 PR401-AU-0003."""
    scheme = {"Authorization": f"Token {resident(cells)['access_token']}", "Accept": "application/json"}
    response = cells.get("/alice/__ctl/Account", headers=scheme)
    assert_error(response, 401, "PR401-AU-0003")


def test_basic_authentication_at_cell_level(cells):
    """notes §3.2: Basic is valid only for some box-level resources; at cell level → 401 PR401-AU-0001."""
    credentials = base64.b64encode(b"me:pass-word_1").decode()
    response = cells.get("/alice/__ctl/Account", headers={"Authorization": f"Basic {credentials}",
                                                          "Accept": "application/json"})
    assert_error(response, 401, "PR401-AU-0001")


# --- tokens of another cell ---------------------------------------------------------------------------------

def test_resident_token_of_another_cell(cells):
    make_account(cells, "bob", "me")
    assert_rejected(cells, "alice", login(cells, "bob")["access_token"], "PR401-AU-0006")


def test_visitor_token_of_another_cell(cells):
    assert_rejected(cells, "alice", visitor(cells)["access_token"], "PR401-AU-0006")


def test_minted_token_naming_another_issuer(cells):
    """A token sealed for bob does not open at alice even if everything else is right."""
    text = mint(cells, TokenKind.RESIDENT_ACCESS, BOB, "me", scopes=("root",))
    assert_rejected(cells, "alice", text, "PR401-AU-0006")
    assert_accepted(cells, "bob", text)


# --- expiry -------------------------------------------------------------------------------------------------

def test_expired_resident_access_token(cells):
    text = mint(cells, TokenKind.RESIDENT_ACCESS, ALICE, "me", issued_at_ms=expired_at(HOUR_MS),
                scopes=("root",))
    assert_rejected(cells, "alice", text, "PR401-AU-0002")


def test_expired_short_lived_token(cells):
    text = mint(cells, TokenKind.RESIDENT_ACCESS, ALICE, "me", issued_at_ms=now_ms() - 3_000,
                lifespan_ms=1_000)
    assert_rejected(cells, "alice", text, "PR401-AU-0002")


def test_expired_visitor_access_token(cells):
    text = mint(cells, TokenKind.VISITOR_ACCESS, BOB, ME, issued_at_ms=expired_at(HOUR_MS), scopes=("root",))
    assert_rejected(cells, "bob", text, "PR401-AU-0002")


def test_expired_trans_cell_token(cells):
    text = mint_tcat(cells, ALICE, ME, BOB, issued_at_ms=expired_at(HOUR_MS))
    assert_rejected(cells, "bob", text, "PR401-AU-0002")


def test_issued_token_with_a_one_second_lifetime_expires(cells):
    text = login(cells, "alice", expires_in="1")["access_token"]
    assert_accepted(cells, "alice", text)
    time.sleep(1.2)
    assert_rejected(cells, "alice", text, "PR401-AU-0002")


# --- tampering ----------------------------------------------------------------------------------------------

def test_tampered_resident_access_token(cells):
    """Any changed character: first, early, middle, late and last position → PR401-AU-0006."""
    text = resident(cells)["access_token"]
    for index in body_positions(text):
        assert_rejected(cells, "alice", flip(text, index), "PR401-AU-0006")
    assert_accepted(cells, "alice", text)


def test_tampered_visitor_access_token(cells):
    text = visitor(cells)["access_token"]
    for index in body_positions(text):
        assert_rejected(cells, "bob", flip(text, index), "PR401-AU-0006")
    assert_accepted(cells, "bob", text)


def test_tampered_refresh_tokens(cells):
    """A refresh token that does not parse is a parse failure (401 PR401-AU-0006), not a refresh token:
    Java's AccessContext parses the token first and only then refuses refresh tokens (PR401-AU-0007)."""
    for cell, text in (("alice", resident(cells)["refresh_token"]), ("bob", visitor(cells)["refresh_token"])):
        for index in body_positions(text):
            assert_rejected(cells, cell, flip(text, index), "PR401-AU-0006")
        assert_rejected(cells, cell, text, "PR401-AU-0007")


def test_resident_token_under_another_prefix(cells):
    """AR~ body with the AV~ prefix (the kind is sealed with the token)."""
    text = resident(cells)["access_token"]
    assert_rejected(cells, "alice", "AV~" + text[3:], "PR401-AU-0006")


def test_truncated_and_extended_resident_token(cells):
    text = resident(cells)["access_token"]
    assert_rejected(cells, "alice", text[:-4], "PR401-AU-0006")
    assert_rejected(cells, "alice", text + "AAAA", "PR401-AU-0006")


@pytest.mark.parametrize("field", ["Issuer", "NameID", "Audience", "AttributeValue", "DigestValue",
                                   "SignatureValue", "X509Certificate"])
def test_tampered_trans_cell_token(cells, field):
    """A changed character in a signed value, the signature or the certificate → PR401-AU-0008 (dsig)."""
    text = login(cells, "alice", p_target=BOB)["access_token"]
    assert_rejected(cells, "bob", tamper_element(text, field), "PR401-AU-0008")
    assert_accepted(cells, "bob", text)


@pytest.mark.parametrize(("old", "new"), [
    pytest.param("<Assertion ", "<Assertiom ", id="mismatched-root-tag"),
    pytest.param("</Issuer>", "</Issuer", id="broken-end-tag"),
    pytest.param("</Assertion>", "", id="no-root-end"),
])
def test_trans_cell_token_that_is_not_well_formed(cells, old, new):
    text = login(cells, "alice", p_target=BOB)["access_token"]
    assert_rejected(cells, "bob", tamper_tcat(text, old, new), "PR401-AU-0006")


def test_truncated_trans_cell_token(cells):
    text = login(cells, "alice", p_target=BOB)["access_token"]
    assert_rejected(cells, "bob", text[: len(text) // 2], "PR401-AU-0006")


def test_trans_cell_token_with_a_forged_role(cells):
    """Adding a role the issuer never granted breaks the digest: no escalation."""
    make_role(cells, "bob", "friend")
    make_extcell(cells, "bob", ALICE)
    text = login(cells, "alice", p_target=BOB)["access_token"]
    forged = tamper_tcat(text, '<Attribute Name="Roles" NameFormat="urn:x-personium:xmlns"/>',
                         '<Attribute Name="Roles" NameFormat="urn:x-personium:xmlns"><AttributeValue>'
                         f'{role_class(ALICE, "admin")}</AttributeValue></Attribute>')
    assert_rejected(cells, "bob", forged, "PR401-AU-0008")


def test_trans_cell_token_from_an_untrusted_unit(cells):
    text = mint_tcat(cells, ALICE, ME, BOB, foreign=True)
    assert_rejected(cells, "bob", text, "PR401-AU-0008")


def test_trans_cell_token_signature_is_checked_before_expiry(cells):
    text = mint_tcat(cells, ALICE, ME, BOB, foreign=True, issued_at_ms=expired_at(HOUR_MS))
    assert_rejected(cells, "bob", text, "PR401-AU-0008")


# --- the rejection does not depend on the ACL ---------------------------------------------------------------

def test_rejected_token_is_401_even_where_the_caller_would_have_a_role(cells):
    """A visitor whose roles would count still gets 401 once its token is altered."""
    make_role(cells, "bob", "friend")
    make_extcell(cells, "bob", ALICE)
    link(cells, "bob", extcell_key(ALICE), "_Role", role_key("friend"))
    text = visitor(cells)["access_token"]
    assert_rejected(cells, "bob", flip(text, len(text) // 2), "PR401-AU-0006")
    assert probe(cells, "bob", text).status_code == 403
