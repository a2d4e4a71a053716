"""``grant_type=urn:ietf:params:oauth:grant-type:saml2-bearer`` at ``POST {CellURL}__token`` —
apiref/293 ("Authentication of other cell user by transcell access token"); notes §3.3 saml2-bearer,
§4.6 (visitor role mapping through ExtCell, Relation and ExtRole), §3.1 (AV~, RV~ contents).

alice (``http://localhost:8080/alice/``, account ``me``) visits bob; carol is a third cell.
"""

from __future__ import annotations

from typing import Any

import pytest

from cellar.auth.authn.tokens import TokenKind
from tests.api._auth_support import (
    DAY_MS,
    HOUR_MS,
    SAML2,
    assert_accepted,
    assert_oauth_error,
    assert_rejected,
    cell_url,
    decode,
    expired_at,
    extcell_key,
    extrole_key,
    grant_role,
    link,
    login,
    make_account,
    make_box,
    make_cell,
    make_extcell,
    make_extrole,
    make_relation,
    make_role,
    mint,
    mint_tcat,
    now_ms,
    ok,
    parse_tcat,
    relation_key,
    role_class,
    role_instance,
    role_key,
    tamper_element,
    tamper_tcat,
    tcat_from_xml,
    tcat_xml,
    token,
)

ALICE, BOB, CAROL, APP = cell_url("alice"), cell_url("bob"), cell_url("carol"), cell_url("app")
ME = f"{ALICE}#me"
VISITOR_FIELDS = {"access_token", "token_type", "expires_in", "scope", "refresh_token",
                  "refresh_token_expires_in"}


@pytest.fixture
def cells(client: Any) -> Any:
    for name in ("alice", "bob", "carol", "app"):
        make_cell(client, name)
    make_account(client, "alice", "me")
    make_account(client, "app", "appuser")
    return client


def tcat_for(client: Any, target: str = BOB, username: str = "me", **extra: str) -> str:
    return login(client, "alice", username, p_target=target, **extra)["access_token"]


def saml(client: Any, cell: str, assertion: str | None, headers: dict[str, str] | None = None,
         **extra: str) -> Any:
    params = {"grant_type": SAML2, **extra}
    if assertion is not None:
        params["assertion"] = assertion
    return token(client, cell, params, headers)


def visit(client: Any, cell: str = "bob", **extra: str) -> dict[str, Any]:
    """alice's ``me`` logs in for ``cell`` and exchanges the TCAT there."""
    return ok(saml(client, cell, tcat_for(client, cell_url(cell)), **extra))


def visitor_roles(client: Any, body: dict[str, Any], cell: str = "bob") -> list[str]:
    access = decode(client, body["access_token"], cell_url(cell))
    assert access.kind is TokenKind.VISITOR_ACCESS
    return sorted(access.roles)


# --- success ------------------------------------------------------------------------------------------------

def test_saml_grant_issues_a_visitor_access_and_refresh_token(cells):
    """notes §3.3: RV~ (keeps the TCAT's ID, issuer and role class URLs) + AV~ (subject = the visitor's
    URL, issuer = this cell, roles mapped here); no login history fields."""
    make_role(cells, "alice", "staff")
    grant_role(cells, "alice", "me", "staff")
    assertion = tcat_for(cells)
    original = parse_tcat(cells, assertion)
    before = now_ms()
    body = ok(saml(cells, "bob", assertion))
    assert set(body) == VISITOR_FIELDS, body
    assert body["access_token"].startswith("AV~") and body["refresh_token"].startswith("RV~")
    assert body["token_type"] == "Bearer"
    assert (body["expires_in"], body["refresh_token_expires_in"]) == (3600, 86400)
    assert body["scope"] == "root"
    access = decode(cells, body["access_token"], BOB)
    assert (access.kind, access.subject, access.issuer) == (TokenKind.VISITOR_ACCESS, ME, BOB)
    assert access.roles == ()
    assert access.scopes == ("root",) and access.lifespan_ms == HOUR_MS
    assert access.issued_at_ms >= before
    refresh = decode(cells, body["refresh_token"], BOB)
    assert (refresh.kind, refresh.subject, refresh.issuer) == (TokenKind.VISITOR_REFRESH, ME, BOB)
    assert refresh.original_id == original.id
    assert refresh.original_issuer == ALICE
    assert refresh.roles == (role_class(ALICE, "staff"),)
    assert refresh.lifespan_ms == DAY_MS


def test_visitor_token_is_a_bearer_token_here_only(cells):
    body = visit(cells)
    assert_accepted(cells, "bob", body["access_token"])
    assert_rejected(cells, "alice", body["access_token"], "PR401-AU-0006")
    assert_rejected(cells, "bob", body["refresh_token"], "PR401-AU-0007")


def test_the_same_assertion_can_be_exchanged_more_than_once(cells):
    """TCATs are stateless: nothing in notes §3.3 makes an assertion single-use."""
    assertion = tcat_for(cells)
    assert ok(saml(cells, "bob", assertion))["access_token"].startswith("AV~")
    assert ok(saml(cells, "bob", assertion))["access_token"].startswith("AV~")


def test_saml_grant_with_lifetimes(cells):
    body = visit(cells, expires_in="60", refresh_token_expires_in="120")
    assert (body["expires_in"], body["refresh_token_expires_in"]) == (60, 120)
    assert decode(cells, body["access_token"], BOB).lifespan_ms == 60_000
    assert decode(cells, body["refresh_token"], BOB).lifespan_ms == 120_000


def test_target_is_compared_with_a_trailing_slash_added(cells):
    """notes §3.3: "authority and path compared, trailing / added to both"."""
    assertion = mint_tcat(cells, ALICE, ME, "http://localhost:8080/bob")
    assert ok(saml(cells, "bob", assertion))["access_token"].startswith("AV~")


def test_target_in_localunit_form(cells):
    assertion = mint_tcat(cells, ALICE, ME, "personium-localunit:/bob/")
    assert ok(saml(cells, "bob", assertion))["access_token"].startswith("AV~")


def test_saml_grant_with_p_target_issues_a_trans_cell_token_with_the_roles_mapped_here(cells):
    """notes §3.3: with p_target a new TCAT (issuer = this cell, subject = the original subject,
    roles = the mapped roles as class URLs) instead of AV~, plus RV~."""
    make_role(cells, "bob", "friend")
    make_extcell(cells, "bob", ALICE)
    link(cells, "bob", extcell_key(ALICE), "_Role", role_key("friend"))
    response = saml(cells, "bob", tcat_for(cells), p_target=CAROL)
    body = ok(response)
    assert set(body) == VISITOR_FIELDS | {"p_target"}
    assert body["p_target"] == CAROL
    assert response.headers["location"] == f"{CAROL}__token"
    relayed = parse_tcat(cells, body["access_token"])
    assert (relayed.issuer, relayed.subject, relayed.target) == (BOB, ME, CAROL)
    assert relayed.roles == (role_class(BOB, "friend"),)
    assert relayed.scopes == ("root",)
    assert body["refresh_token"].startswith("RV~")


# --- scopes and schema --------------------------------------------------------------------------------------

def test_scopes_come_from_the_assertion(cells):
    body = ok(saml(cells, "bob", tcat_for(cells, scope="auth-read message")))
    assert sorted(body["scope"].split(" ")) == ["auth-read", "message"]
    assert sorted(decode(cells, body["access_token"], BOB).scopes) == ["auth-read", "message"]
    assert sorted(decode(cells, body["refresh_token"], BOB).scopes) == ["auth-read", "message"]


def test_assertion_scopes_are_arbitrated_here(cells):
    """notes §3.3: "the TCAT's scopes, arbitrated with the assertion default" — unknown words and
    roles that do not exist here are dropped, as at every grant (§3.5)."""
    make_role(cells, "bob", "here")
    scopes = ("auth-read", "bogus", "openid", role_instance("bob", "here"), role_instance("alice", "there"))
    assertion = mint_tcat(cells, ALICE, ME, BOB, scopes=scopes)
    body = ok(saml(cells, "bob", assertion))
    assert sorted(body["scope"].split(" ")) == sorted(["auth-read", "openid", role_instance("bob", "here")])


def test_assertion_without_scopes_gets_the_default(cells):
    body = ok(saml(cells, "bob", mint_tcat(cells, ALICE, ME, BOB)))
    assert body["scope"] == "root"


def test_the_apps_schema_is_not_carried_over_without_client_authentication(cells):
    """apiref/293: "Re-authentication of the application is required here even if application
    authentication has been undergone when issuing a transcell access token"."""
    secret = login(cells, "app", "appuser", p_target=ALICE)["access_token"]
    assertion = tcat_for(cells, client_id=APP, client_secret=secret)
    assert parse_tcat(cells, assertion).schema == APP
    body = ok(saml(cells, "bob", assertion))
    assert decode(cells, body["access_token"], BOB).schema == ""
    assert decode(cells, body["refresh_token"], BOB).schema == ""


def test_client_authentication_at_the_target_gives_the_schema(cells):
    secret = login(cells, "app", "appuser", p_target=BOB)["access_token"]
    body = ok(saml(cells, "bob", tcat_for(cells), client_id=APP, client_secret=secret))
    assert decode(cells, body["access_token"], BOB).schema == APP
    assert decode(cells, body["refresh_token"], BOB).schema == APP


# --- visitor role mapping (notes §4.6) ----------------------------------------------------------------------

def test_roles_of_the_visitors_extcell(cells):
    make_box(cells, "bob", "box1")
    make_role(cells, "bob", "friend")
    make_role(cells, "bob", "boxed", "box1")
    make_role(cells, "bob", "unlinked")
    make_extcell(cells, "bob", ALICE)
    link(cells, "bob", extcell_key(ALICE), "_Role", role_key("friend"))
    link(cells, "bob", extcell_key(ALICE), "_Role", role_key("boxed", "box1"))
    assert visitor_roles(cells, visit(cells)) == sorted([role_instance("bob", "friend"),
                                                         role_instance("bob", "boxed", "box1")])


def test_no_mapping_no_roles(cells):
    make_role(cells, "bob", "friend")
    make_extcell(cells, "bob", CAROL)
    link(cells, "bob", extcell_key(CAROL), "_Role", role_key("friend"))
    assert visitor_roles(cells, visit(cells)) == []


def test_roles_of_relations_of_the_issuers_extcell(cells):
    make_role(cells, "bob", "relrole")
    make_relation(cells, "bob", "rel")
    make_extcell(cells, "bob", ALICE)
    link(cells, "bob", extcell_key(ALICE), "_Relation", relation_key("rel"))
    link(cells, "bob", relation_key("rel"), "_Role", role_key("relrole"))
    assert visitor_roles(cells, visit(cells)) == [role_instance("bob", "relrole")]


def test_roles_of_extroles_matching_the_tokens_roles(cells):
    """An ExtRole holds a role class URL of the token; it applies through a Relation of the
    issuer's ExtCell."""
    make_role(cells, "alice", "staff")
    grant_role(cells, "alice", "me", "staff")
    make_account(cells, "alice", "guest")
    make_role(cells, "bob", "colleague")
    make_relation(cells, "bob", "rel")
    make_extcell(cells, "bob", ALICE)
    link(cells, "bob", extcell_key(ALICE), "_Relation", relation_key("rel"))
    make_extrole(cells, "bob", role_class(ALICE, "staff"), "rel")
    link(cells, "bob", extrole_key(role_class(ALICE, "staff"), "rel"), "_Role", role_key("colleague"))
    assert visitor_roles(cells, visit(cells)) == [role_instance("bob", "colleague")]
    guest = ok(saml(cells, "bob", tcat_for(cells, username="guest")))
    assert visitor_roles(cells, guest) == []


def test_extrole_of_an_app_role(cells):
    """A role in a box with a schema travels as ``{schema}__role/__/{name}``; an ExtRole can match it."""
    make_box(cells, "alice", "medical", "https://app.example/")
    make_role(cells, "alice", "doctor", "medical")
    grant_role(cells, "alice", "me", "doctor", "medical")
    make_role(cells, "bob", "physician")
    make_relation(cells, "bob", "rel")
    make_extcell(cells, "bob", ALICE)
    link(cells, "bob", extcell_key(ALICE), "_Relation", relation_key("rel"))
    doctor = "https://app.example/__role/__/doctor"
    make_extrole(cells, "bob", doctor, "rel")
    link(cells, "bob", extrole_key(doctor, "rel"), "_Role", role_key("physician"))
    assert visitor_roles(cells, visit(cells)) == [role_instance("bob", "physician")]


def test_extrole_needs_its_relation_linked_to_the_issuers_extcell(cells):
    make_role(cells, "alice", "staff")
    grant_role(cells, "alice", "me", "staff")
    make_role(cells, "bob", "colleague")
    make_relation(cells, "bob", "rel")
    make_extcell(cells, "bob", ALICE)  # but not linked to the Relation
    make_extrole(cells, "bob", role_class(ALICE, "staff"), "rel")
    link(cells, "bob", extrole_key(role_class(ALICE, "staff"), "rel"), "_Role", role_key("colleague"))
    assert visitor_roles(cells, visit(cells)) == []


def test_all_three_rules_together(cells):
    make_role(cells, "alice", "staff")
    grant_role(cells, "alice", "me", "staff")
    for name in ("friend", "relrole", "colleague"):
        make_role(cells, "bob", name)
    make_relation(cells, "bob", "rel")
    make_extcell(cells, "bob", ALICE)
    link(cells, "bob", extcell_key(ALICE), "_Role", role_key("friend"))
    link(cells, "bob", extcell_key(ALICE), "_Relation", relation_key("rel"))
    link(cells, "bob", relation_key("rel"), "_Role", role_key("relrole"))
    make_extrole(cells, "bob", role_class(ALICE, "staff"), "rel")
    link(cells, "bob", extrole_key(role_class(ALICE, "staff"), "rel"), "_Role", role_key("colleague"))
    link(cells, "bob", extrole_key(role_class(ALICE, "staff"), "rel"), "_Role", role_key("friend"))
    assert visitor_roles(cells, visit(cells)) == sorted(role_instance("bob", n)
                                                        for n in ("friend", "relrole", "colleague"))


def test_relayed_token_gets_nothing_from_the_subjects_extcell(cells):
    """notes §4.6 rule 1 applies only when the subject's cell is the issuer: bob relays alice's
    visitor to carol, so carol's ExtCell(alice) grants nothing; carol's Relation of ExtCell(bob) does."""
    make_role(cells, "carol", "via-alice")
    make_role(cells, "carol", "via-bob-extcell")
    make_role(cells, "carol", "via-bob-relation")
    make_relation(cells, "carol", "partner")
    make_extcell(cells, "carol", ALICE)
    make_extcell(cells, "carol", BOB)
    link(cells, "carol", extcell_key(ALICE), "_Role", role_key("via-alice"))
    link(cells, "carol", extcell_key(BOB), "_Role", role_key("via-bob-extcell"))
    link(cells, "carol", extcell_key(BOB), "_Relation", relation_key("partner"))
    link(cells, "carol", relation_key("partner"), "_Role", role_key("via-bob-relation"))
    relayed = ok(saml(cells, "bob", tcat_for(cells), p_target=CAROL))["access_token"]
    assert parse_tcat(cells, relayed).subject == ME
    body = ok(saml(cells, "carol", relayed))
    assert decode(cells, body["access_token"], CAROL).subject == ME
    assert visitor_roles(cells, body, "carol") == [role_instance("carol", "via-bob-relation")]


def test_relayed_roles_match_extroles_of_the_relaying_cell(cells):
    """The relayed TCAT carries bob's mapped roles as class URLs; carol's ExtRole can match them."""
    make_role(cells, "bob", "friend")
    make_extcell(cells, "bob", ALICE)
    link(cells, "bob", extcell_key(ALICE), "_Role", role_key("friend"))
    make_role(cells, "carol", "friend-of-bob")
    make_relation(cells, "carol", "partner")
    make_extcell(cells, "carol", BOB)
    link(cells, "carol", extcell_key(BOB), "_Relation", relation_key("partner"))
    make_extrole(cells, "carol", role_class(BOB, "friend"), "partner")
    link(cells, "carol", extrole_key(role_class(BOB, "friend"), "partner"), "_Role",
         role_key("friend-of-bob"))
    relayed = ok(saml(cells, "bob", tcat_for(cells), p_target=CAROL))["access_token"]
    body = ok(saml(cells, "carol", relayed))
    assert visitor_roles(cells, body, "carol") == [role_instance("carol", "friend-of-bob")]


# --- visitor refresh tokens (RV~) ---------------------------------------------------------------------------

def refresh(client: Any, cell: str, refresh_token: str, **extra: str) -> Any:
    return token(client, cell, {"grant_type": "refresh_token", "refresh_token": refresh_token, **extra})


def test_visitor_refresh_issues_a_new_rv_with_a_new_id_and_remapped_roles(cells):
    """notes §3.3: "RV~ gets a new ID"; "RV~ tokens are re-mapped with §4.6"."""
    first = visit(cells)
    assert visitor_roles(cells, first) == []
    make_role(cells, "bob", "friend")
    make_extcell(cells, "bob", ALICE)
    link(cells, "bob", extcell_key(ALICE), "_Role", role_key("friend"))
    body = ok(refresh(cells, "bob", first["refresh_token"]))
    assert set(body) == VISITOR_FIELDS
    assert body["access_token"].startswith("AV~") and body["refresh_token"].startswith("RV~")
    assert visitor_roles(cells, body) == [role_instance("bob", "friend")]
    old, new = decode(cells, first["refresh_token"], BOB), decode(cells, body["refresh_token"], BOB)
    assert new.original_id != old.original_id
    assert (new.subject, new.original_issuer, new.roles) == (old.subject, old.original_issuer, old.roles)
    assert new.issued_at_ms >= old.issued_at_ms
    assert_accepted(cells, "bob", body["access_token"])


def test_old_visitor_refresh_token_keeps_working(cells):
    first = visit(cells)
    second = ok(refresh(cells, "bob", first["refresh_token"]))
    assert ok(refresh(cells, "bob", second["refresh_token"]))["access_token"].startswith("AV~")
    assert ok(refresh(cells, "bob", first["refresh_token"]))["access_token"].startswith("AV~")


def test_visitor_refresh_with_p_target(cells):
    make_role(cells, "bob", "friend")
    make_extcell(cells, "bob", ALICE)
    link(cells, "bob", extcell_key(ALICE), "_Role", role_key("friend"))
    first = visit(cells)
    response = refresh(cells, "bob", first["refresh_token"], p_target=CAROL)
    body = ok(response)
    assert body["p_target"] == CAROL and response.headers["location"] == f"{CAROL}__token"
    relayed = parse_tcat(cells, body["access_token"])
    assert (relayed.issuer, relayed.subject, relayed.target) == (BOB, ME, CAROL)
    assert relayed.roles == (role_class(BOB, "friend"),)
    assert body["refresh_token"].startswith("RV~")


def test_visitor_refresh_token_only_at_its_cell(cells):
    first = visit(cells)
    assert_oauth_error(refresh(cells, "carol", first["refresh_token"]), "PR400-AN-0009")


def test_visitor_refresh_with_p_owner(cells):
    """notes §2.4: p_owner only with a resident refresh token → PR400-AN-0008."""
    first = visit(cells)
    assert_oauth_error(refresh(cells, "bob", first["refresh_token"], p_owner="true"), "PR400-AN-0008")


def test_visitor_refresh_token_with_a_schema_needs_the_client(cells):
    secret = login(cells, "app", "appuser", p_target=BOB)["access_token"]
    first = ok(saml(cells, "bob", tcat_for(cells), client_id=APP, client_secret=secret))
    response = refresh(cells, "bob", first["refresh_token"])
    assert_oauth_error(response, "PR401-AN-0021")
    body = ok(refresh(cells, "bob", first["refresh_token"], client_id=APP, client_secret=secret))
    assert decode(cells, body["access_token"], BOB).schema == APP


def test_expired_visitor_refresh_token(cells):
    text = mint(cells, TokenKind.VISITOR_REFRESH, BOB, ME, issued_at_ms=expired_at(DAY_MS),
                lifespan_ms=DAY_MS, original_id="x", original_issuer=ALICE)
    assert_oauth_error(refresh(cells, "bob", text), "PR400-AN-0010")


# --- errors, in the order of notes §3.3 ---------------------------------------------------------------------

def test_p_owner_is_refused(cells):
    assert_oauth_error(saml(cells, "bob", tcat_for(cells), p_owner="true"), "PR400-AN-0008")


def test_p_owner_is_checked_before_the_assertion(cells):
    assert_oauth_error(saml(cells, "bob", None, p_owner="true"), "PR400-AN-0008")
    assert_oauth_error(saml(cells, "bob", "garbage", p_owner="true"), "PR400-AN-0008")


@pytest.mark.parametrize("assertion", [None, "", "garbage", "!!!", "PEFzc2VydGlvbj4", "AR~abc"])
def test_missing_or_unparsable_assertion(cells, assertion):
    assert_oauth_error(saml(cells, "bob", assertion), "PR400-AN-0009")


def test_local_token_as_assertion(cells):
    assert_oauth_error(saml(cells, "bob", login(cells, "alice")["access_token"]), "PR400-AN-0009")


def test_truncated_assertion(cells):
    assertion = tcat_for(cells)
    assert_oauth_error(saml(cells, "bob", assertion[: len(assertion) // 2]), "PR400-AN-0009")


@pytest.mark.parametrize(("old", "new"), [
    pytest.param("<Assertion ", "<Assertiom ", id="mismatched-root-tag"),
    pytest.param("</Issuer>", "</Issuer", id="broken-end-tag"),
    pytest.param("</Assertion>", "", id="no-root-end"),
])
def test_assertion_that_is_not_well_formed(cells, old, new):
    assert_oauth_error(saml(cells, "bob", tamper_tcat(tcat_for(cells), old, new)), "PR400-AN-0009")


@pytest.mark.parametrize("field", ["Issuer", "NameID", "Audience", "AttributeValue", "DigestValue",
                                   "SignatureValue", "X509Certificate"])
def test_tampered_assertion(cells, field):
    """One character changed in any signed value, in the signature or in the certificate → AN-0011."""
    assert_oauth_error(saml(cells, "bob", tamper_element(tcat_for(cells), field)), "PR400-AN-0011")


def test_tampered_issue_instant(cells):
    assertion = tcat_for(cells)
    xml = tcat_xml(assertion).decode()
    start = xml.index('IssueInstant="') + len('IssueInstant="')
    changed = xml[:start] + str((int(xml[start]) + 1) % 10) + xml[start + 1:]
    assert_oauth_error(saml(cells, "bob", tcat_from_xml(changed.encode())), "PR400-AN-0011")


def test_assertion_from_an_untrusted_unit(cells):
    assert_oauth_error(saml(cells, "bob", mint_tcat(cells, ALICE, ME, BOB, foreign=True)), "PR400-AN-0011")


def test_expired_assertion(cells):
    assertion = mint_tcat(cells, ALICE, ME, BOB, issued_at_ms=expired_at(HOUR_MS))
    assert_oauth_error(saml(cells, "bob", assertion), "PR400-AN-0010")


def test_assertion_just_before_its_expiry(cells):
    assertion = mint_tcat(cells, ALICE, ME, BOB, issued_at_ms=now_ms() - HOUR_MS + 30_000)
    assert ok(saml(cells, "bob", assertion))["access_token"].startswith("AV~")


def test_assertion_for_another_cell(cells):
    """notes §3.3: 400 PR400-AN-0012 "Token target is wrong. target=[..]"."""
    assert_oauth_error(saml(cells, "bob", tcat_for(cells, CAROL)), "PR400-AN-0012", CAROL)
    assert_oauth_error(saml(cells, "alice", tcat_for(cells, BOB)), "PR400-AN-0012", BOB)


def test_signature_is_checked_before_expiry(cells):
    assertion = mint_tcat(cells, ALICE, ME, BOB, issued_at_ms=expired_at(HOUR_MS), foreign=True)
    assert_oauth_error(saml(cells, "bob", assertion), "PR400-AN-0011")
    tampered = tamper_element(mint_tcat(cells, ALICE, ME, BOB, issued_at_ms=expired_at(HOUR_MS)), "NameID")
    assert_oauth_error(saml(cells, "bob", tampered), "PR400-AN-0011")


def test_expiry_is_checked_before_the_target(cells):
    assertion = mint_tcat(cells, ALICE, ME, CAROL, issued_at_ms=expired_at(HOUR_MS))
    assert_oauth_error(saml(cells, "bob", assertion), "PR400-AN-0010")


def test_unsigned_role_added_to_the_assertion_is_refused(cells):
    """Adding a role (a privilege escalation attempt) breaks the digest."""
    assertion = tcat_for(cells)
    forged = tamper_tcat(assertion, '<Attribute Name="Roles" NameFormat="urn:x-personium:xmlns"/>',
                         '<Attribute Name="Roles" NameFormat="urn:x-personium:xmlns"><AttributeValue>'
                         f'{role_class(ALICE, "admin")}</AttributeValue></Attribute>')
    assert_oauth_error(saml(cells, "bob", forged), "PR400-AN-0011")
