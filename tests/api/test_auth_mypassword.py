"""Change Password ``PUT {CellURL}__mypassword`` — apiref/294; notes §3.1, §3.2, §3.5, §3.6, §6.

The cell under test is ``c1`` (``http://localhost:8080/c1/``). Tokens come from ``POST /c1/__token``
(password grant) or are minted with the app's own codec when a kind or a time cannot be obtained
through the API (expired tokens, visitor tokens, unit-local tokens).
"""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from cellar.auth.authn.tokens import LocalToken, TokenKind
from cellar.storage import tables
from tests.api._ctl_support import (
    CELL,
    CELL_URL,
    account_key,
    create_account,
    etag_of,
    etag_parts,
    get,
    new_cell,
)
from tests.conftest import UNIT
from tests.helpers import MASTER_AUTH, as_unit_user, assert_error, make_cell

PATH = f"/{CELL}/__mypassword"
OLD, NEW = "old-Pass_1", "new-Pass_2"
HOUR_MS = 3_600_000
REALM = f'Bearer realm="{CELL_URL}"'


@pytest.fixture
def cell(client: Any) -> str:
    new_cell(client)
    create_account(client, "alice", OLD)
    return CELL_URL


# --- helpers ------------------------------------------------------------------------------------------------

def login(client: Any, username: str, password: str, cell: str = CELL, **params: str) -> httpx.Response:
    return client.post(f"/{cell}/__token",
                       data={"grant_type": "password", "username": username, "password": password, **params})


def access_token(client: Any, username: str = "alice", password: str = OLD, **params: str) -> str:
    response = login(client, username, password, **params)
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def change(client: Any, token: str | None, password: str | bytes | None = NEW,
           headers: dict[str, str] | None = None) -> httpx.Response:
    sent: dict[str, str | bytes] = dict(headers or {})
    if token is not None:
        sent["Authorization"] = f"Bearer {token}"
    if password is not None:
        sent["X-Personium-Credential"] = password
    return client.put(PATH, headers=sent)


def mint(client: Any, kind: TokenKind, subject: str = "alice", issuer: str = CELL_URL, *,
         issued_at_ms: int | None = None, lifespan_ms: int = HOUR_MS, **fields: Any) -> str:
    codec = client.app.state.services.keyring.codec
    issued = issued_at_ms if issued_at_ms is not None else int(time.time() * 1000)
    return codec.encode(LocalToken(kind, issuer, subject, issued, lifespan_ms, **fields))


def stored_account(client: Any, name: str = "alice") -> Any:
    a = tables.accounts
    with client.app.state.services.storage.transaction("test.account", write=False) as tx:
        return tx.conn.execute(select(a.c.hashed_credential, a.c.hash_algorithm, a.c.status, a.c.version)
                               .where(a.c.name == name)).one()


def assert_unauthorized(response: httpx.Response, code: str) -> None:
    assert_error(response, 401, code)
    assert response.headers["www-authenticate"] == REALM


def assert_password(client: Any, password: str, username: str = "alice") -> None:
    """The password logs in (``__token`` 200). Checked before any failing attempt: a failed login
    sets the one-second interval lock (notes §3.3 step 3)."""
    response = login(client, username, password)
    assert response.status_code == 200, response.text


def assert_not_password(client: Any, password: str, username: str = "alice") -> None:
    response = login(client, username, password)
    assert response.status_code == 400, response.text
    assert response.json()["error_description"].startswith("[PR400-AN-0017]")


# --- success ------------------------------------------------------------------------------------------------

def test_resident_token_changes_the_password(client: Any, cell: str) -> None:
    response = change(client, access_token(client))
    assert response.status_code == 204, response.text
    assert response.content == b""
    assert_password(client, NEW)
    assert_not_password(client, OLD)


def test_hash_is_replaced_with_argon2(client: Any, cell: str) -> None:
    before = stored_account(client)
    assert change(client, access_token(client)).status_code == 204
    after = stored_account(client)
    assert after.hashed_credential != before.hashed_credential
    assert after.hashed_credential.startswith("$argon2id$")
    assert NEW not in after.hashed_credential
    assert after.hash_algorithm == "argon2id"


def test_version_and_etag_change(client: Any, cell: str) -> None:
    key = account_key("alice")
    before = etag_of(client, key)
    assert change(client, access_token(client)).status_code == 204
    after = etag_of(client, key)
    assert after != before
    (v0, updated0), (v1, updated1) = etag_parts(before), etag_parts(after)
    assert v1 == v0 + 1
    assert updated1 >= updated0


def test_hash_is_never_exposed_after_the_change(client: Any, cell: str) -> None:
    assert change(client, access_token(client)).status_code == 204
    body = get(client, account_key("alice")).json()["d"]["results"]
    assert not {"HashedCredential", "HashAlgorithm", "hashed_credential"} & set(body)
    assert body["Status"] == "active"


def test_scope_auth_is_enough(client: Any, cell: str) -> None:
    token = access_token(client, scope="auth")
    assert change(client, token).status_code == 204
    assert_password(client, NEW)


def test_scope_root_includes_auth(client: Any, cell: str) -> None:
    """notes §3.5: the default ROPC scope is ``root``, which includes ``auth``."""
    response = login(client, "alice", OLD, scope="root")
    assert response.json()["scope"] == "root"
    assert change(client, response.json()["access_token"]).status_code == 204


def test_password_change_token_resets_status(client: Any, cell: str) -> None:
    """notes §3.3: Status passwordChangeRequired → 401 PR401-AN-0023 with an AP~ token; apiref/294:
    the change sets the Status back to active, after which the new password logs in normally."""
    create_account(client, "bob", OLD, Status="passwordChangeRequired")
    refused = login(client, "bob", OLD)
    assert refused.status_code == 401, refused.text
    body = refused.json()
    assert body["error_description"].startswith("[PR401-AN-0023]")
    assert body["url"] == f"{CELL_URL}__mypassword"
    token = body["access_token"]
    assert token.startswith("AP~")

    response = change(client, token)
    assert response.status_code == 204, response.text
    assert get(client, account_key("bob")).json()["d"]["results"]["Status"] == "active"
    assert stored_account(client, "bob").status == "active"
    issued = login(client, "bob", NEW)
    assert issued.status_code == 200, issued.text
    assert issued.json()["access_token"].startswith("AR~")


def test_resident_token_resets_password_change_required(client: Any, cell: str) -> None:
    """The Status is reset whichever accepted token is used."""
    create_account(client, "carol", OLD, Status="passwordChangeRequired")
    token = mint(client, TokenKind.RESIDENT_ACCESS, "carol", scopes=("root",))
    assert change(client, token).status_code == 204
    assert stored_account(client, "carol").status == "active"


def test_other_status_is_kept(client: Any, cell: str) -> None:
    """Only passwordChangeRequired is reset; a deactivated account stays deactivated."""
    create_account(client, "dave", OLD, Status="deactivated")
    token = mint(client, TokenKind.RESIDENT_ACCESS, "dave", scopes=("root",))
    assert change(client, token).status_code == 204
    assert stored_account(client, "dave").status == "deactivated"


def test_only_the_token_subject_changes(client: Any, cell: str) -> None:
    create_account(client, "erin", OLD)
    erin_before = stored_account(client, "erin")
    assert change(client, access_token(client)).status_code == 204
    erin_after = stored_account(client, "erin")
    assert erin_after.hashed_credential == erin_before.hashed_credential
    assert erin_after.version == erin_before.version
    assert_password(client, OLD, "erin")


def test_boundary_passwords_are_accepted(client: Any, cell: str) -> None:
    """Default policy (apiref/294): 6–32 characters of ``A-Za-z0-9`` and ``-_!$*=^`{|}~.@``."""
    token = access_token(client)
    for password in ("abcdef", "x" * 32, "-_!$*=^`{|}~.@"):
        response = change(client, token, password)
        assert response.status_code == 204, (password, response.text)
    assert_password(client, "-_!$*=^`{|}~.@")


# --- authentication and token kinds -------------------------------------------------------------------------

def test_anonymous_is_401(client: Any, cell: str) -> None:
    assert_unauthorized(change(client, None), "PR401-AU-0001")


def test_anonymous_without_credential_is_401_first(client: Any, cell: str) -> None:
    """Authorization is checked before the header: no token and no credential → 401, not 400."""
    assert_unauthorized(change(client, None, None), "PR401-AU-0001")


def test_basic_is_401(client: Any, cell: str) -> None:
    """notes §3.2/§3.6: Basic is not accepted at cell level, even with the right password."""
    response = client.put(PATH, headers={"X-Personium-Credential": NEW}, auth=("alice", OLD))
    assert_unauthorized(response, "PR401-AU-0001")
    assert_password(client, OLD)


def test_unknown_scheme_is_401(client: Any, cell: str) -> None:
    response = client.put(PATH, headers={"Authorization": "Digest abc", "X-Personium-Credential": NEW})
    assert_unauthorized(response, "PR401-AU-0003")


def test_expired_token_is_401(client: Any, cell: str) -> None:
    expired = mint(client, TokenKind.RESIDENT_ACCESS, scopes=("root",),
                   issued_at_ms=int(time.time() * 1000) - 2 * HOUR_MS)
    assert_unauthorized(change(client, expired), "PR401-AU-0002")
    assert_password(client, OLD)


def test_expired_password_change_token_is_401(client: Any, cell: str) -> None:
    expired = mint(client, TokenKind.PASSWORD_CHANGE, issued_at_ms=int(time.time() * 1000) - 2 * HOUR_MS)
    assert_unauthorized(change(client, expired), "PR401-AU-0002")


def test_tampered_token_is_401(client: Any, cell: str) -> None:
    token = access_token(client)
    middle = len(token) // 2
    tampered = token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1:]
    assert_unauthorized(change(client, tampered), "PR401-AU-0006")
    assert_password(client, OLD)


def test_garbage_token_is_401(client: Any, cell: str) -> None:
    assert_unauthorized(change(client, "AR~not-a-token"), "PR401-AU-0006")


def test_token_of_another_cell_is_401(client: Any, cell: str) -> None:
    """notes §3.1: a local token of another cell does not parse here."""
    make_cell(client, "c2")
    response = client.post("/c2/__ctl/Account", json={"Name": "alice"},
                           headers={**MASTER_AUTH, "X-Personium-Credential": OLD})
    assert response.status_code == 201, response.text
    other = login(client, "alice", OLD, cell="c2").json()["access_token"]
    assert_unauthorized(change(client, other), "PR401-AU-0006")
    assert_password(client, OLD)


def test_refresh_token_is_401(client: Any, cell: str) -> None:
    refresh = login(client, "alice", OLD).json()["refresh_token"]
    assert_unauthorized(change(client, refresh), "PR401-AU-0007")


def test_grant_code_is_401(client: Any, cell: str) -> None:
    code = mint(client, TokenKind.GRANT_CODE, scopes=("root",))
    assert_unauthorized(change(client, code), "PR401-AU-0006")


def test_master_token_is_403(client: Any, cell: str) -> None:
    """apiref/294: a cell-local token of the account is mandatory, not a unit user token."""
    assert_error(change(client, None, headers=MASTER_AUTH), 403, "PR403-AU-0002")
    assert_password(client, OLD)


def test_unit_user_is_403(client: Any, cell: str) -> None:
    owner = "http://localhost:8080/admincell/#owner"
    make_cell(client, "owned", as_unit_user(owner))
    headers = {**as_unit_user(owner), "X-Personium-Credential": NEW}
    response = client.put("/owned/__mypassword", headers=headers)
    assert_error(response, 403, "PR403-AU-0002")


def test_unit_local_token_is_403(client: Any, cell: str) -> None:
    token = mint(client, TokenKind.UNIT_LOCAL_UNIT_USER, "http://localhost:8080/admincell/#owner", UNIT)
    assert_error(change(client, token), 403, "PR403-AU-0002")


def test_visitor_token_is_403(client: Any, cell: str) -> None:
    token = mint(client, TokenKind.VISITOR_ACCESS, "http://localhost:8080/c2/#alice", scopes=("root",))
    assert_error(change(client, token), 403, "PR403-AU-0002")


def test_trans_cell_token_is_403(client: Any, cell: str) -> None:
    """A TCAT issued by another cell for c1, used directly as Bearer: "trans" access → 403."""
    make_cell(client, "c2")
    response = client.post("/c2/__ctl/Account", json={"Name": "zed"},
                           headers={**MASTER_AUTH, "X-Personium-Credential": OLD})
    assert response.status_code == 201, response.text
    tcat = login(client, "zed", OLD, cell="c2", p_target=CELL_URL).json()["access_token"]
    assert_error(change(client, tcat), 403, "PR403-AU-0002")


@pytest.mark.parametrize("scope", ["message", "auth-read", "openid", "social box"])
def test_resident_token_without_auth_scope_is_403(client: Any, cell: str, scope: str) -> None:
    """notes §3.5: ``__mypassword`` with an AR~ token needs a scope that includes ``auth``."""
    response = login(client, "alice", OLD, scope=scope)
    assert response.status_code == 200, response.text
    body = assert_error(change(client, response.json()["access_token"]), 403, "PR403-AU-0007")
    assert "[auth]" in body["message"]["value"]
    assert_password(client, OLD)


def test_resident_token_with_no_scope_is_403(client: Any, cell: str) -> None:
    """An AR~ with an empty scope (as ``__authz`` response_type=token issues, notes §3.6)."""
    token = mint(client, TokenKind.RESIDENT_ACCESS)
    body = assert_error(change(client, token), 403, "PR403-AU-0007")
    assert "[auth]" in body["message"]["value"]


# --- the new password ---------------------------------------------------------------------------------------

def test_missing_credential_is_400(client: Any, cell: str) -> None:
    assert_error(change(client, access_token(client), None), 400, "PR400-AU-0003")
    assert_password(client, OLD)


def test_missing_credential_with_password_change_token_is_400(client: Any, cell: str) -> None:
    assert_error(change(client, mint(client, TokenKind.PASSWORD_CHANGE), None), 400, "PR400-AU-0003")


@pytest.mark.parametrize("password", [
    "", "abcde", "x" * 33, "with space", "non-ascii-é1".encode(), "semi;colon", "quote'1234", "#hash1234",
    "a" * 257,
])
def test_policy_violation_is_400(client: Any, cell: str, password: str | bytes) -> None:
    token = access_token(client)
    before = stored_account(client)
    response = change(client, token, password)
    assert_error(response, 400, "PR400-AU-0001")
    after = stored_account(client)
    assert (after.hashed_credential, after.version) == (before.hashed_credential, before.version)


def test_policy_violation_keeps_password_change_required(client: Any, cell: str) -> None:
    create_account(client, "bob", OLD, Status="passwordChangeRequired")
    token = mint(client, TokenKind.PASSWORD_CHANGE, "bob")
    assert_error(change(client, token, "short"), 400, "PR400-AU-0001")
    assert stored_account(client, "bob").status == "passwordChangeRequired"


def test_token_of_a_deleted_account_is_404(client: Any, cell: str) -> None:
    """Decision: the token outlived its account → 404 PR404-OD-0002 (Personium's updatePassword
    looks the account up by key and reports "No such entity")."""
    create_account(client, "gone", OLD)
    token = access_token(client, "gone", OLD)
    assert client.delete(f"/{CELL}/__ctl/Account('gone')", headers=MASTER_AUTH).status_code == 204
    assert_error(change(client, token), 404, "PR404-OD-0002")


# --- resource -----------------------------------------------------------------------------------------------

def test_unknown_cell_is_404(client: Any, cell: str) -> None:
    headers = {"Authorization": f"Bearer {access_token(client)}", "X-Personium-Credential": NEW}
    response = client.put("/nosuchcell/__mypassword", headers=headers)
    assert_error(response, 404, "PR404-DV-0003")


@pytest.mark.parametrize("method", ["GET", "POST", "DELETE", "MERGE"])
def test_other_methods_are_405(client: Any, cell: str, method: str) -> None:
    response = client.request(method, PATH, headers={"Authorization": f"Bearer {access_token(client)}",
                                                     "X-Personium-Credential": NEW})
    assert_error(response, 405, "PR405-MC-0001")
    assert_password(client, OLD)


def test_options_without_authorization(client: Any, cell: str) -> None:
    """notes §8.2: unauthenticated OPTIONS is answered before routing."""
    response = client.options(PATH)
    assert response.status_code == 200
    assert "PUT" in response.headers["allow"]


def test_options_with_authorization(client: Any, cell: str) -> None:
    response = client.options(PATH, headers={"Authorization": f"Bearer {access_token(client)}"})
    assert response.status_code == 200, response.text
    assert response.headers["allow"] == "OPTIONS, PUT"
    assert response.headers["access-control-allow-methods"] == "OPTIONS, PUT"


def test_method_override_put(client: Any, cell: str) -> None:
    """``X-HTTP-Method-Override`` on POST reaches the PUT handler (apiref/003)."""
    response = client.post(PATH, headers={"Authorization": f"Bearer {access_token(client)}",
                                          "X-Personium-Credential": NEW, "X-HTTP-Method-Override": "PUT"})
    assert response.status_code == 204, response.text
    assert_password(client, NEW)
