"""Token introspection ``POST {CellURL}__introspect`` — apiref/297 (RFC 7662); notes §3.1, §3.2, §3.6, §6.

Cells: ``c1`` (under test, owned by the unit user :data:`OWNER`), ``c2`` (another user's cell),
``app1`` / ``app2`` (app cells whose trans-cell tokens authenticate them as clients, notes §3.3).
The unit here has an introspection user configured (``introspect.username``/``password``).
"""

from __future__ import annotations

import base64
import dataclasses
import time
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from cellar.auth.authn import saml
from cellar.auth.authn.tokens import LocalToken, TokenKind
from cellar.auth.context import AccessContext, AccessKind, Caller
from cellar.auth.oauth import introspect as introspection
from cellar.errors import PersoniumError
from cellar.settings import Settings
from tests.api._ctl_support import (
    CELL,
    CELL_URL,
    account_key,
    create_account,
    create_extcell,
    create_role,
    extcell_key,
    must_link,
    role_key,
)
from tests.conftest import UNIT
from tests.helpers import MASTER_AUTH, as_unit_user, assert_error, make_cell

PATH = f"/{CELL}/__introspect"
OWNER = "http://localhost:8080/admincell/#owner"
STRANGER = "http://localhost:8080/admincell/#stranger"
C2_URL, APP1, APP2 = f"{UNIT}c2/", f"{UNIT}app1/", f"{UNIT}app2/"
PASSWORD = "password-1"
INTROSPECT_USER, INTROSPECT_PASSWORD = "introspector", "intro-Secret_1"
HOUR_MS, DAY_MS = 3_600_000, 86_400_000
INACTIVE = {"active": False}
REALM = f'Bearer realm="{CELL_URL}"'


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return dataclasses.replace(settings, introspect_username=INTROSPECT_USER,
                               introspect_password=INTROSPECT_PASSWORD)


@pytest.fixture
def cells(client: Any) -> None:
    """c1 with alice (roles r0, r1) and ExtCell c2 → r1; c2 with bob; app1 and app2 with an app account."""
    make_cell(client, CELL, as_unit_user(OWNER))
    create_account(client, "alice", PASSWORD)
    for role in ("r1", "r0"):
        create_role(client, role)
        must_link(client, account_key("alice"), "_Role", role_key(role))
    create_extcell(client, C2_URL)
    must_link(client, extcell_key(C2_URL), "_Role", role_key("r1"))
    for name, account in (("c2", "bob"), ("app1", "app"), ("app2", "app")):
        make_cell(client, name)
        response = client.post(f"/{name}/__ctl/Account", json={"Name": account},
                               headers={**MASTER_AUTH, "X-Personium-Credential": PASSWORD})
        assert response.status_code == 201, response.text


# --- helpers ------------------------------------------------------------------------------------------------

def token_response(client: Any, cell: str, username: str, **params: str) -> dict[str, Any]:
    response = client.post(f"/{cell}/__token", data={"grant_type": "password", "username": username,
                                                     "password": PASSWORD, **params})
    assert response.status_code == 200, response.text
    return response.json()


def app_secret(client: Any, app: str = "app1", target: str = CELL_URL) -> str:
    """The app's client secret for ``target``: a TCAT its cell issues with ``p_target`` (notes §3.3)."""
    return token_response(client, app, "app", p_target=target)["access_token"]


def client_params(client: Any, app: str = "app1") -> dict[str, str]:
    return {"client_id": f"{UNIT}{app}/", "client_secret": app_secret(client, app)}


def alice(client: Any, **params: str) -> dict[str, Any]:
    return token_response(client, CELL, "alice", **params)


def mint(client: Any, kind: TokenKind, subject: str = "alice", issuer: str = CELL_URL, *,
         issued_at_ms: int | None = None, lifespan_ms: int = HOUR_MS, **fields: Any) -> str:
    codec = client.app.state.services.keyring.codec
    issued = issued_at_ms if issued_at_ms is not None else now_ms()
    return codec.encode(LocalToken(kind, issuer, subject, issued, lifespan_ms, **fields))


def mint_tcat(client: Any, issuer: str, subject: str, target: str, *, issued_at_ms: int | None = None,
              lifespan_ms: int = HOUR_MS, schema: str = "", roles: tuple[str, ...] = ()) -> str:
    unit = client.app.state.services.keyring.unit
    token = saml.TransCellToken.new(issuer, subject, target, now_ms=issued_at_ms or now_ms(), schema=schema,
                                    roles=roles, lifespan_ms=lifespan_ms)
    return saml.issue(token, unit.key, unit.cert)


def now_ms() -> int:
    return int(time.time() * 1000)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def basic(user: str, password: str, *, encode: bool = True) -> dict[str, str]:
    """``Basic base64(urlencode(user):urlencode(password))`` (notes §3.2): a client_id URL has a colon."""
    if encode:
        user, password = quote(user, safe=""), quote(password, safe="")
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


INTROSPECTOR = basic(INTROSPECT_USER, INTROSPECT_PASSWORD)


def introspect(client: Any, token: str | None, headers: dict[str, str] | None = None,
               cell: str = CELL) -> httpx.Response:
    data = {} if token is None else {"token": token}
    sent = MASTER_AUTH if headers is None else headers
    return client.post(f"/{cell}/__introspect", data=data, headers=sent)


def answer(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    return response.json()


def assert_issued_now(body: dict[str, Any], before_ms: int, lifetime_s: int) -> None:
    """``iat``/``exp`` are whole seconds since the epoch (apiref/297), ``exp`` = ``iat`` + lifetime."""
    assert isinstance(body["iat"], int) and isinstance(body["exp"], int)
    assert before_ms // 1000 <= body["iat"] <= now_ms() // 1000
    assert body["exp"] == body["iat"] + lifetime_s


def role_url(name: str, cell_url: str = CELL_URL) -> str:
    return f"{cell_url}__role/__/{name}"


def assert_unauthorized(response: httpx.Response, code: str) -> None:
    assert_error(response, 401, code)
    assert response.headers["www-authenticate"] == REALM


# --- what a token says --------------------------------------------------------------------------------------

def test_resident_access_token(client: Any, cells: None) -> None:
    before = now_ms()
    body = answer(introspect(client, alice(client)["access_token"]))
    assert_issued_now(body, before, 3600)
    assert {k: v for k, v in body.items() if k not in ("iat", "exp")} == {
        "active": True,
        "client_id": None,  # decision: no client authentication → null
        "sub": f"{CELL_URL}#alice",  # notes §3.6: {issuer}#{account} for resident tokens
        "iss": CELL_URL,
        "p_roles": [role_url("r0"), role_url("r1")],  # the account's role instance URLs
    }


def test_resident_token_roles_are_current(client: Any, cells: None) -> None:
    """Resident tokens carry no roles (notes §3.1): p_roles are the account's roles now."""
    token = alice(client)["access_token"]
    response = client.delete(f"/{CELL}/__ctl/Account('alice')/$links/_Role(Name='r0',_Box.Name=null)",
                             headers=MASTER_AUTH)
    assert response.status_code == 204, response.text
    assert answer(introspect(client, token))["p_roles"] == [role_url("r1")]


def test_resident_token_with_lifetime(client: Any, cells: None) -> None:
    before = now_ms()
    body = answer(introspect(client, alice(client, expires_in="120")["access_token"]))
    assert_issued_now(body, before, 120)


def test_resident_refresh_token(client: Any, cells: None) -> None:
    before = now_ms()
    body = answer(introspect(client, alice(client)["refresh_token"]))
    assert_issued_now(body, before, 86400)
    assert body["active"] is True
    assert body["sub"] == f"{CELL_URL}#alice"
    assert body["iss"] == CELL_URL
    assert "aud" not in body


def test_resident_token_with_schema(client: Any, cells: None) -> None:
    body = answer(introspect(client, alice(client, **client_params(client))["access_token"]))
    assert body["active"] is True
    assert body["client_id"] == APP1


def test_visitor_tokens(client: Any, cells: None) -> None:
    """saml2-bearer at c1 with a TCAT of c2's bob: AV~ with the roles mapped here (ExtCell c2 → r1), RV~."""
    tcat = token_response(client, "c2", "bob", p_target=CELL_URL)["access_token"]
    response = client.post(f"/{CELL}/__token", data={
        "grant_type": "urn:ietf:params:oauth:grant-type:saml2-bearer", "assertion": tcat})
    assert response.status_code == 200, response.text
    issued = response.json()
    before = now_ms() - 5000
    access = answer(introspect(client, issued["access_token"]))
    assert_issued_now(access, before, 3600)
    assert {k: v for k, v in access.items() if k not in ("iat", "exp")} == {
        "active": True,
        "client_id": None,
        "sub": f"{C2_URL}#bob",
        "iss": CELL_URL,
        "aud": CELL_URL,  # decision: a visitor token is meant for its issuing cell (Personium: null)
        "p_roles": [role_url("r1")],
    }
    refresh = answer(introspect(client, issued["refresh_token"]))
    assert_issued_now(refresh, before, 86400)
    assert refresh["active"] is True
    assert refresh["sub"] == f"{C2_URL}#bob"
    assert refresh["aud"] == CELL_URL
    assert refresh["iss"] == CELL_URL


def test_trans_cell_token_issued_here(client: Any, cells: None) -> None:
    """A TCAT this cell issued for c2: its issuer is this cell (notes §3.6)."""
    before = now_ms()
    body = answer(introspect(client, alice(client, p_target=C2_URL)["access_token"]))
    assert_issued_now(body, before, 3600)
    assert body["active"] is True
    assert body["sub"] == f"{CELL_URL}#alice"
    assert body["iss"] == CELL_URL
    assert body["aud"] == C2_URL
    assert sorted(body["p_roles"]) == [role_url("r0"), role_url("r1")]  # class URLs of the main box roles
    assert body["client_id"] is None


def test_trans_cell_token_meant_for_this_cell(client: Any, cells: None) -> None:
    """A TCAT c2 issued for c1: its audience is this cell."""
    body = answer(introspect(client, token_response(client, "c2", "bob", p_target=CELL_URL)["access_token"]))
    assert body["active"] is True
    assert body["iss"] == C2_URL
    assert body["aud"] == CELL_URL
    assert body["sub"] == f"{C2_URL}#bob"
    assert body["p_roles"] == []


def test_trans_cell_token_with_schema(client: Any, cells: None) -> None:
    body = answer(introspect(client, alice(client, p_target=C2_URL, **client_params(client))["access_token"]))
    assert body["active"] is True
    assert body["client_id"] == APP1


def test_trans_cell_token_of_other_cells_is_inactive(client: Any, cells: None) -> None:
    """Neither issued by nor meant for c1 (app1 → c2)."""
    assert answer(introspect(client, app_secret(client, target=C2_URL))) == INACTIVE


def test_trans_cell_token_of_other_cells_is_active_there(client: Any, cells: None) -> None:
    tcat = app_secret(client, target=C2_URL)
    assert answer(introspect(client, tcat, cell="c2"))["active"] is True
    assert answer(introspect(client, tcat, cell="app1"))["active"] is True


# --- inactive tokens ----------------------------------------------------------------------------------------

def test_expired_resident_token_is_inactive(client: Any, cells: None) -> None:
    token = mint(client, TokenKind.RESIDENT_ACCESS, issued_at_ms=now_ms() - 2 * HOUR_MS, scopes=("root",))
    assert answer(introspect(client, token)) == INACTIVE


def test_expired_refresh_token_is_inactive(client: Any, cells: None) -> None:
    token = mint(client, TokenKind.RESIDENT_REFRESH, issued_at_ms=now_ms() - 2 * DAY_MS, lifespan_ms=DAY_MS)
    assert answer(introspect(client, token)) == INACTIVE


def test_expired_visitor_token_is_inactive(client: Any, cells: None) -> None:
    token = mint(client, TokenKind.VISITOR_ACCESS, f"{C2_URL}#bob", issued_at_ms=now_ms() - 2 * HOUR_MS)
    assert answer(introspect(client, token)) == INACTIVE


def test_expired_trans_cell_token_is_inactive(client: Any, cells: None) -> None:
    fresh = mint_tcat(client, C2_URL, f"{C2_URL}#bob", CELL_URL)
    expired = mint_tcat(client, C2_URL, f"{C2_URL}#bob", CELL_URL, issued_at_ms=now_ms() - 2 * HOUR_MS)
    assert answer(introspect(client, fresh))["active"] is True
    assert answer(introspect(client, expired)) == INACTIVE


def test_minted_token_just_before_expiry_is_active(client: Any, cells: None) -> None:
    issued = now_ms() - HOUR_MS + 60_000
    body = answer(introspect(client, mint(client, TokenKind.RESIDENT_ACCESS, issued_at_ms=issued)))
    assert body["active"] is True
    assert body["iat"] == issued // 1000
    assert body["exp"] == issued // 1000 + 3600


def test_tampered_local_token_is_inactive(client: Any, cells: None) -> None:
    token = alice(client)["access_token"]
    middle = len(token) // 2
    tampered = token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1:]
    assert answer(introspect(client, tampered)) == INACTIVE


def test_tampered_trans_cell_token_is_inactive(client: Any, cells: None) -> None:
    tcat = token_response(client, "c2", "bob", p_target=CELL_URL)["access_token"]
    xml = base64.urlsafe_b64decode(tcat + "=" * (-len(tcat) % 4))
    forged = xml.replace(f"{C2_URL}#bob".encode(), f"{C2_URL}#eve".encode())
    assert forged != xml
    text = base64.urlsafe_b64encode(forged).rstrip(b"=").decode()
    assert answer(introspect(client, text)) == INACTIVE


@pytest.mark.parametrize("token", ["", "garbage", "AR~", "AR~garbage", "RR~%%%", "XX~abc"])
def test_garbage_is_inactive(client: Any, cells: None, token: str) -> None:
    assert answer(introspect(client, token)) == INACTIVE


def test_missing_token_parameter_is_inactive(client: Any, cells: None) -> None:
    assert answer(introspect(client, None)) == INACTIVE
    response = client.post(PATH, headers=MASTER_AUTH)
    assert answer(response) == INACTIVE


def test_local_token_of_another_cell_is_inactive(client: Any, cells: None) -> None:
    """Local tokens are sealed to their issuing cell (notes §3.1)."""
    issued = token_response(client, "c2", "bob")
    assert answer(introspect(client, issued["access_token"])) == INACTIVE
    assert answer(introspect(client, issued["refresh_token"])) == INACTIVE
    assert answer(introspect(client, issued["access_token"], cell="c2"))["active"] is True


@pytest.mark.parametrize("kind", [TokenKind.PASSWORD_CHANGE, TokenKind.GRANT_CODE])
def test_other_local_kinds_are_inactive(client: Any, cells: None, kind: TokenKind) -> None:
    """Personium reports only resident and visitor tokens and TCATs; AP~ and GC~ are not among them."""
    assert answer(introspect(client, mint(client, kind, scopes=("root",)))) == INACTIVE


def test_unit_local_token_is_inactive(client: Any, cells: None) -> None:
    """AU~ is issued by the unit, not by the cell."""
    assert answer(introspect(client, mint(client, TokenKind.UNIT_LOCAL_UNIT_USER, OWNER, UNIT))) == INACTIVE


def test_master_token_itself_is_inactive(client: Any, cells: None) -> None:
    assert answer(introspect(client, "test-master-token")) == INACTIVE


# --- who may ask --------------------------------------------------------------------------------------------

def test_anonymous_is_401(client: Any, cells: None) -> None:
    assert_unauthorized(introspect(client, alice(client)["access_token"], headers={}), "PR401-AU-0001")


def test_introspection_user_sees_every_token(client: Any, cells: None) -> None:
    """notes §3.6: Basic with introspect.username/introspect.password."""
    assert answer(introspect(client, alice(client)["access_token"], INTROSPECTOR))["active"] is True
    with_schema = alice(client, **client_params(client))["access_token"]
    assert answer(introspect(client, with_schema, INTROSPECTOR))["client_id"] == APP1


def test_introspection_user_url_encoded(client: Any, cells: None) -> None:
    """Basic user and password are URL-decoded after base64 (notes §3.2)."""
    headers = basic("intro%73pector", INTROSPECT_PASSWORD, encode=False)
    assert answer(introspect(client, alice(client)["access_token"], headers))["active"] is True


@pytest.mark.parametrize("user, password", [
    (INTROSPECT_USER, "wrong-password"),
    ("someone", INTROSPECT_PASSWORD),
    ("alice", PASSWORD),  # an account's Basic credentials are not introspection credentials
    ("", ""),
])
def test_wrong_basic_is_403(client: Any, cells: None, user: str, password: str) -> None:
    """Personium answers a Basic caller that is neither the introspection user nor an app with
    403 "Necessary privilege is lacking"."""
    response = introspect(client, alice(client)["access_token"], basic(user, password))
    assert_error(response, 403, "PR403-AU-0002")


def test_malformed_basic_is_403(client: Any, cells: None) -> None:
    response = introspect(client, alice(client)["access_token"], {"Authorization": "Basic !!!not-base64"})
    assert_error(response, 403, "PR403-AU-0002")


def test_app_client_basic_sees_its_own_tokens(client: Any, cells: None) -> None:
    """notes §3.6: Basic ``client_id:client_secret`` (an app TCAT for this cell) → only that app's tokens.
    The header carries a ~4 KiB TCAT, so it is larger than a plain Bearer token."""
    params = client_params(client)
    headers = basic(params["client_id"], params["client_secret"])
    mine = alice(client, **client_params(client))["access_token"]
    assert answer(introspect(client, mine, headers))["client_id"] == APP1
    assert answer(introspect(client, alice(client)["access_token"], headers)) == INACTIVE
    other = alice(client, **client_params(client, "app2"))["access_token"]
    assert answer(introspect(client, other, headers)) == INACTIVE


def test_app_client_basic_with_a_secret_for_another_cell_is_403(client: Any, cells: None) -> None:
    headers = basic(APP1, app_secret(client, target=C2_URL))
    assert_error(introspect(client, alice(client)["access_token"], headers), 403, "PR403-AU-0002")


def test_bearer_with_schema_sees_that_schema_only(client: Any, cells: None) -> None:
    """notes §3.6: a bearer token with a schema → only tokens with that schema."""
    caller = bearer(alice(client, **client_params(client))["access_token"])
    mine = alice(client, **client_params(client))
    assert answer(introspect(client, mine["access_token"], caller))["client_id"] == APP1
    assert answer(introspect(client, mine["refresh_token"], caller))["active"] is True
    assert answer(introspect(client, alice(client)["access_token"], caller)) == INACTIVE
    other = alice(client, **client_params(client, "app2"))["access_token"]
    assert answer(introspect(client, other, caller)) == INACTIVE


def test_bearer_with_schema_sees_trans_cell_tokens_of_that_schema(client: Any, cells: None) -> None:
    caller = bearer(alice(client, **client_params(client))["access_token"])
    tcat = alice(client, p_target=C2_URL, **client_params(client))["access_token"]
    assert answer(introspect(client, tcat, caller))["aud"] == C2_URL
    assert answer(introspect(client, alice(client, p_target=C2_URL)["access_token"], caller)) == INACTIVE


def test_confidential_schema_is_the_same_app(client: Any, cells: None) -> None:
    """Decision: ``#c`` (confidential client, notes §3.3) is ignored when comparing schemas; client_id
    still shows it."""
    caller = bearer(alice(client, **client_params(client))["access_token"])
    confidential = mint(client, TokenKind.RESIDENT_ACCESS, schema=f"{APP1}#c")
    assert answer(introspect(client, confidential, caller))["client_id"] == f"{APP1}#c"
    confidential_caller = bearer(mint(client, TokenKind.RESIDENT_ACCESS, schema=f"{APP1}#c"))
    public = alice(client, **client_params(client))["access_token"]
    assert answer(introspect(client, public, confidential_caller))["client_id"] == APP1


def test_visitor_bearer_with_schema(client: Any, cells: None) -> None:
    caller = bearer(mint(client, TokenKind.VISITOR_ACCESS, f"{C2_URL}#bob", schema=APP1))
    token = alice(client, **client_params(client))["access_token"]
    assert answer(introspect(client, token, caller))["active"] is True


def test_bearer_without_schema_is_403(client: Any, cells: None) -> None:
    """notes §3.6: a token without a schema → 403."""
    caller = bearer(alice(client)["access_token"])
    assert_error(introspect(client, alice(client)["access_token"], caller), 403, "PR403-AU-0002")


def test_visitor_bearer_without_schema_is_403(client: Any, cells: None) -> None:
    caller = bearer(mint(client, TokenKind.VISITOR_ACCESS, f"{C2_URL}#bob"))
    assert_error(introspect(client, alice(client)["access_token"], caller), 403, "PR403-AU-0002")


def test_trans_cell_bearer_without_schema_is_403(client: Any, cells: None) -> None:
    caller = bearer(token_response(client, "c2", "bob", p_target=CELL_URL)["access_token"])
    assert_error(introspect(client, alice(client)["access_token"], caller), 403, "PR403-AU-0002")


def test_master_token_sees_every_token(client: Any, cells: None) -> None:
    token = alice(client, **client_params(client))["access_token"]
    assert answer(introspect(client, token))["active"] is True


def test_owning_unit_user_sees_every_token(client: Any, cells: None) -> None:
    """A unit-user-type token counts for the cell its user owns (Personium ``isUnitUserToken``)."""
    response = introspect(client, alice(client)["access_token"], as_unit_user(OWNER))
    assert answer(response)["active"] is True


def test_other_unit_user_is_403(client: Any, cells: None) -> None:
    response = introspect(client, alice(client)["access_token"], as_unit_user(STRANGER))
    assert_error(response, 403, "PR403-AU-0002")


def test_unit_local_token_of_the_owner_sees_every_token(client: Any, cells: None) -> None:
    caller = bearer(mint(client, TokenKind.UNIT_LOCAL_UNIT_USER, OWNER, UNIT))
    assert answer(introspect(client, alice(client)["access_token"], caller))["active"] is True
    stranger = bearer(mint(client, TokenKind.UNIT_LOCAL_UNIT_USER, STRANGER, UNIT))
    assert_error(introspect(client, alice(client)["access_token"], stranger), 403, "PR403-AU-0002")


def test_expired_bearer_is_401(client: Any, cells: None) -> None:
    """Decision: an unusable bearer token is a 401 with its own code, as everywhere at cell level
    (notes §3.2); Personium's introspection would answer 403 here."""
    caller = bearer(mint(client, TokenKind.RESIDENT_ACCESS, schema=APP1, issued_at_ms=now_ms() - 2 * HOUR_MS))
    assert_unauthorized(introspect(client, alice(client)["access_token"], caller), "PR401-AU-0002")


def test_tampered_bearer_is_401(client: Any, cells: None) -> None:
    token = mint(client, TokenKind.RESIDENT_ACCESS, schema=APP1)
    tampered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    assert_unauthorized(introspect(client, alice(client)["access_token"], bearer(tampered)), "PR401-AU-0006")


def test_refresh_token_bearer_is_401(client: Any, cells: None) -> None:
    caller = bearer(alice(client, **client_params(client))["refresh_token"])
    assert_unauthorized(introspect(client, alice(client)["access_token"], caller), "PR401-AU-0007")


def test_password_change_token_bearer_is_401(client: Any, cells: None) -> None:
    """notes §3.2: AP~ is accepted only by ``__mypassword``."""
    caller = bearer(mint(client, TokenKind.PASSWORD_CHANGE, schema=APP1))
    assert_unauthorized(introspect(client, alice(client)["access_token"], caller), "PR401-AU-0012")


def test_unknown_scheme_is_401(client: Any, cells: None) -> None:
    response = introspect(client, alice(client)["access_token"], {"Authorization": "Digest x"})
    assert_unauthorized(response, "PR401-AU-0003")


# --- the caller check on its own (independent of the HTTP header size) --------------------------------------

def _schema_of(client: Any, authorization: str) -> str | None:
    services = client.app.state.services
    caller = Caller(AccessContext(AccessKind.INVALID, error_code="PR401-AU-0001", basic=True))
    user = introspection.IntrospectUser(INTROSPECT_USER, INTROSPECT_PASSWORD)
    return introspection.allowed_schema(caller, authorization, {"owner": OWNER}, CELL_URL, services.urls,
                                        services.keyring.unit.trusted_roots, user)


def test_basic_app_client_gives_its_schema(client: Any, cells: None) -> None:
    assert _schema_of(client, basic(APP1, app_secret(client))["Authorization"]) == APP1


def test_basic_confidential_app_client(client: Any, cells: None) -> None:
    """An app TCAT with the role ``confidentialClient`` authenticates ``{client_id}#c`` (notes §3.3)."""
    secret = mint_tcat(client, APP1, f"{APP1}#app", CELL_URL, roles=(f"{APP1}__role/__/confidentialClient",))
    assert _schema_of(client, basic(APP1, secret)["Authorization"]) == f"{APP1}#c"


@pytest.mark.parametrize("case", ["other target", "client_id mismatch", "expired", "not a token"])
def test_basic_app_client_failures_are_403(client: Any, cells: None, case: str) -> None:
    secret = {
        "other target": lambda: app_secret(client, target=C2_URL),
        "client_id mismatch": lambda: app_secret(client),
        "expired": lambda: mint_tcat(client, APP1, f"{APP1}#app", CELL_URL,
                                     issued_at_ms=now_ms() - 2 * HOUR_MS),
        "not a token": lambda: "secret",
    }[case]()
    client_id = APP2 if case == "client_id mismatch" else APP1
    with pytest.raises(PersoniumError) as raised:
        _schema_of(client, basic(client_id, secret)["Authorization"])
    assert raised.value.code == "PR403-AU-0002"


def test_introspection_user_unset_never_matches() -> None:
    unset = introspection.IntrospectUser("", "")
    assert not unset.matches("", "")
    assert introspection.IntrospectUser("u", "p").matches("u", "p")
    assert not introspection.IntrospectUser("u", "p").matches("u", "P")


# --- request format and resource ----------------------------------------------------------------------------

def test_content_type_is_ignored(client: Any, cells: None) -> None:
    """apiref/297: every request Content-Type is treated as application/x-www-form-urlencoded."""
    token = alice(client)["access_token"]
    response = client.post(PATH, content=f"token={token}".encode(),
                           headers={**MASTER_AUTH, "Content-Type": "application/json"})
    assert answer(response)["active"] is True
    response = client.post(PATH, content=f"token={token}".encode(), headers={"Authorization": MASTER_AUTH[
        "Authorization"]})
    assert answer(response)["active"] is True


def test_accept_is_ignored(client: Any, cells: None) -> None:
    """apiref/297: Accept is ignored; the response is always JSON."""
    response = introspect(client, alice(client)["access_token"],
                          {"Authorization": MASTER_AUTH["Authorization"], "Accept": "application/xml"})
    assert answer(response)["active"] is True


def test_first_token_parameter_wins(client: Any, cells: None) -> None:
    token = alice(client)["access_token"]
    response = client.post(PATH, content=f"token={token}&token=garbage".encode(), headers=MASTER_AUTH)
    assert answer(response)["active"] is True


def test_unknown_cell_is_404(client: Any, cells: None) -> None:
    assert_error(introspect(client, alice(client)["access_token"], cell="nosuchcell"), 404, "PR404-DV-0003")


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_other_methods_are_405(client: Any, cells: None, method: str) -> None:
    assert_error(client.request(method, PATH, headers=MASTER_AUTH), 405, "PR405-MC-0001")


def test_options_without_authorization(client: Any, cells: None) -> None:
    response = client.options(PATH)
    assert response.status_code == 200
    assert "POST" in response.headers["allow"]


def test_options_with_master_token(client: Any, cells: None) -> None:
    response = client.options(PATH, headers=MASTER_AUTH)
    assert response.status_code == 200, response.text
    assert response.headers["allow"] == "OPTIONS, POST"


def test_options_needs_auth_read(client: Any, cells: None) -> None:
    """Personium checks ``auth-read`` on OPTIONS; alice's roles have no ACL entry in c1."""
    assert_error(client.options(PATH, headers=bearer(alice(client)["access_token"])), 403, "PR403-AU-0002")
