"""``grant_type=authorization_code`` at ``POST {CellURL}__token`` — apiref/293; notes §3.3
authorization_code, §3.1 (GC~: account, schema, scopes; 600 s; id_token).

Grant codes are minted with the application's codec (``GC~``, issuer = the cell, subject = the
account, schema = the app), as ``__authz`` would issue them.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from cellar.auth.authn.tokens import TokenKind
from tests.api._auth_support import (
    DAY_MS,
    GRANT_CODE_MS,
    HOUR_MS,
    app_secret,
    assert_accepted,
    assert_oauth_error,
    body_positions,
    cell_url,
    decode,
    expired_at,
    flip,
    grant_role,
    make_cells,
    make_role,
    mint,
    now_ms,
    ok,
    parse_tcat,
    role_class,
    token,
)

ALICE, BOB, APP, APP2 = cell_url("alice"), cell_url("bob"), cell_url("app"), cell_url("app2")
CODE_FIELDS = {"access_token", "token_type", "expires_in", "scope", "refresh_token",
               "refresh_token_expires_in"}


@pytest.fixture
def cells(client: Any) -> Any:
    return make_cells(client, "alice", "bob", "app", "app2",
                      accounts={"alice": "me", "app": "appuser", "app2": "appuser"})


def code_for(client: Any, *, schema: str = APP, scopes: tuple[str, ...] = ("root",), subject: str = "me",
             issuer: str = ALICE, issued_at_ms: int | None = None) -> str:
    return mint(client, TokenKind.GRANT_CODE, issuer, subject, issued_at_ms=issued_at_ms,
                lifespan_ms=GRANT_CODE_MS, schema=schema, scopes=scopes)


def exchange(client: Any, code: str | None, *, app: str | None = "app", cell: str = "alice",
             **extra: str) -> Any:
    params = {"grant_type": "authorization_code", **extra}
    if code is not None:
        params["code"] = code
    if app is not None:
        params.update(client_id=cell_url(app), client_secret=app_secret(client, app, cell_url(cell)))
    return token(client, cell, params)


def jwt_part(jwt: str, index: int) -> dict[str, Any]:
    part = jwt.split(".")[index]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


# --- success ------------------------------------------------------------------------------------------------

def test_code_grant_issues_resident_tokens(cells):
    before = now_ms()
    body = ok(exchange(cells, code_for(cells)))
    assert set(body) == CODE_FIELDS, body
    assert body["access_token"].startswith("AR~") and body["refresh_token"].startswith("RR~")
    assert body["token_type"] == "Bearer"
    assert (body["expires_in"], body["refresh_token_expires_in"]) == (3600, 86400)
    assert body["scope"] == "root"
    access, refresh = decode(cells, body["access_token"], ALICE), decode(cells, body["refresh_token"], ALICE)
    assert (access.subject, access.schema, access.lifespan_ms) == ("me", APP, HOUR_MS)
    assert (refresh.subject, refresh.schema, refresh.lifespan_ms) == ("me", APP, DAY_MS)
    assert access.issued_at_ms >= before
    assert_accepted(cells, "alice", body["access_token"])


def test_scopes_come_from_the_code(cells):
    body = ok(exchange(cells, code_for(cells, scopes=("auth-read", "message")), scope="root"))
    assert sorted(body["scope"].split(" ")) == ["auth-read", "message"]
    assert sorted(decode(cells, body["access_token"], ALICE).scopes) == ["auth-read", "message"]
    assert sorted(decode(cells, body["refresh_token"], ALICE).scopes) == ["auth-read", "message"]


def test_code_without_scopes_gives_no_scope(cells):
    body = ok(exchange(cells, code_for(cells, scopes=())))
    assert "scope" not in body


def test_openid_scope_adds_an_id_token(cells):
    """notes §3.1: id_token = JWT RS256 with kid; iss = cell URL, sub = account, aud = client schema,
    exp = iat + 3600."""
    before = now_ms() // 1000
    body = ok(exchange(cells, code_for(cells, scopes=("openid", "root"))))
    assert set(body) == CODE_FIELDS | {"id_token"}
    header, payload = jwt_part(body["id_token"], 0), jwt_part(body["id_token"], 1)
    assert header["alg"] == "RS256" and header["kid"]
    assert payload["iss"] == ALICE
    assert payload["sub"] == "me"
    assert payload["aud"] == APP
    assert payload["exp"] - payload["iat"] == 3600
    assert before - 1 <= payload["iat"] <= now_ms() // 1000 + 1


def test_id_token_audience_is_the_schema_without_the_confidential_marker(cells):
    make_role(cells, "app", "confidentialClient")
    grant_role(cells, "app", "appuser", "confidentialClient")
    body = ok(exchange(cells, code_for(cells, schema=f"{APP}#c", scopes=("openid",))))
    assert jwt_part(body["id_token"], 1)["aud"] == APP


def test_code_grant_with_p_target(cells):
    make_role(cells, "alice", "r1")
    grant_role(cells, "alice", "me", "r1")
    response = exchange(cells, code_for(cells), p_target=BOB)
    body = ok(response)
    assert set(body) == CODE_FIELDS | {"p_target"}
    assert body["p_target"] == BOB and response.headers["location"] == f"{BOB}__token"
    tcat = parse_tcat(cells, body["access_token"])
    assert (tcat.issuer, tcat.subject, tcat.target, tcat.schema) == (ALICE, f"{ALICE}#me", BOB, APP)
    assert tcat.roles == (role_class(ALICE, "r1"),)
    assert body["refresh_token"].startswith("RR~")


def test_code_grant_with_lifetimes(cells):
    body = ok(exchange(cells, code_for(cells), expires_in="30", refresh_token_expires_in="40"))
    assert (body["expires_in"], body["refresh_token_expires_in"]) == (30, 40)
    assert decode(cells, body["access_token"], ALICE).lifespan_ms == 30_000
    assert decode(cells, body["refresh_token"], ALICE).lifespan_ms == 40_000


def test_confidential_client_may_use_a_plain_code(cells):
    """notes §3.3: the code's schema is compared with the client schema with ``#c`` stripped."""
    make_role(cells, "app", "confidentialClient")
    grant_role(cells, "app", "appuser", "confidentialClient")
    assert ok(exchange(cells, code_for(cells, schema=APP)))["access_token"].startswith("AR~")
    assert ok(exchange(cells, code_for(cells, schema=f"{APP}#c")))["access_token"].startswith("AR~")


def test_code_grant_does_not_report_login_history(cells):
    body = ok(exchange(cells, code_for(cells)))
    assert "last_authenticated" not in body and "failed_count" not in body


def test_code_just_before_its_expiry(cells):
    code = code_for(cells, issued_at_ms=now_ms() - GRANT_CODE_MS + 30_000)
    assert ok(exchange(cells, code))["access_token"].startswith("AR~")


# --- errors, in the order of notes §3.3 ---------------------------------------------------------------------

@pytest.mark.parametrize("code", [None, "", "garbage", "AR~abc", "RR~abc", "gc~abc"])
def test_missing_code_or_code_without_the_gc_prefix(cells, code):
    assert_oauth_error(exchange(cells, code), "PR400-AN-0019")


def test_code_prefix_is_checked_before_client_authentication(cells):
    assert_oauth_error(exchange(cells, "garbage", app=None), "PR400-AN-0019")
    assert_oauth_error(exchange(cells, None, app=None), "PR400-AN-0019")


def test_code_grant_requires_client_authentication(cells):
    """notes §3.3: 401 PR401-AN-0021 with ``WWW-Authenticate: Basic realm="{cellUrl}"``."""
    response = exchange(cells, code_for(cells), app=None)
    assert_oauth_error(response, "PR401-AN-0021")
    assert response.headers["www-authenticate"] == f'Basic realm="{ALICE}"'


def test_client_authentication_is_checked_before_parsing_the_code(cells):
    response = exchange(cells, "GC~garbage", app=None)
    assert_oauth_error(response, "PR401-AN-0021")


def test_p_owner_is_refused(cells):
    assert_oauth_error(exchange(cells, code_for(cells), p_owner="true"), "PR400-AN-0008")


def test_code_prefix_is_checked_before_p_owner(cells):
    assert_oauth_error(exchange(cells, "garbage", p_owner="true"), "PR400-AN-0019")
    assert_oauth_error(exchange(cells, None, p_owner="true"), "PR400-AN-0019")


def test_p_owner_is_checked_before_parsing_the_code(cells):
    assert_oauth_error(exchange(cells, "GC~garbage", p_owner="true"), "PR400-AN-0008")


def test_client_authentication_is_checked_before_p_owner(cells):
    response = exchange(cells, code_for(cells), app=None, p_owner="true")
    assert_oauth_error(response, "PR401-AN-0021")


@pytest.mark.parametrize("code", ["GC~", "GC~garbage", "GC~" + "A" * 100])
def test_unparsable_code(cells, code):
    assert_oauth_error(exchange(cells, code), "PR400-AN-0019")


def test_tampered_code(cells):
    code = code_for(cells)
    for index in body_positions(code):
        assert_oauth_error(exchange(cells, flip(code, index)), "PR400-AN-0019")
    assert ok(exchange(cells, code))


def test_code_of_another_cell(cells):
    code = code_for(cells, issuer=BOB)
    assert_oauth_error(exchange(cells, code), "PR400-AN-0019")


def test_expired_code(cells):
    """notes §3.1: grant codes live 600 s."""
    code = code_for(cells, issued_at_ms=expired_at(GRANT_CODE_MS))
    assert_oauth_error(exchange(cells, code), "PR400-AN-0010")


def test_code_of_another_app(cells):
    """notes §3.3: code's schema ≠ client schema → 401 PR401-AN-0020 with the realm challenge."""
    response = exchange(cells, code_for(cells, schema=APP2))
    assert_oauth_error(response, "PR401-AN-0020", exact=False)
    assert response.headers["www-authenticate"] == f'Basic realm="{ALICE}"'


def test_code_without_a_schema(cells):
    response = exchange(cells, code_for(cells, schema=""))
    assert_oauth_error(response, "PR401-AN-0020", exact=False)


def test_expiry_is_checked_before_the_schema(cells):
    code = code_for(cells, schema=APP2, issued_at_ms=expired_at(GRANT_CODE_MS))
    assert_oauth_error(exchange(cells, code), "PR400-AN-0010")


def test_bad_client_secret(cells):
    params = {"grant_type": "authorization_code", "code": code_for(cells), "client_id": APP,
              "client_secret": "garbage"}
    assert_oauth_error(token(cells, "alice", params), "PR400-AN-0003")
