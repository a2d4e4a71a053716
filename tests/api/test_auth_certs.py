"""Retrieve Cell Public Key info ``GET {CellURL}__certs`` — apiref/298; notes §3.1 (id_token), §6, §8.2.

The JWK set must let a relying party verify the cell's OpenID Connect id_token (RS256, ``kid`` =
the cell key's id). The id_token is obtained the way an app gets it: ``authorization_code`` with a
scope containing ``openid`` and client authentication by the app's trans-cell token (notes §3.3).
"""

from __future__ import annotations

import base64
import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from cellar.auth.authn.tokens import LocalToken, TokenKind
from tests.api._ctl_support import CELL, CELL_URL, create_account, new_cell
from tests.conftest import UNIT
from tests.helpers import MASTER_AUTH, assert_error, make_cell

PATH = f"/{CELL}/__certs"
APP = f"{UNIT}app1/"
PASSWORD = "password-1"


@pytest.fixture
def cell(client: Any) -> str:
    new_cell(client)
    return CELL_URL


def jwks(client: Any, cell: str = CELL, headers: dict[str, str] | None = None) -> dict[str, Any]:
    response = client.get(f"/{cell}/__certs", headers=headers or {})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    return response.json()


def b64url_uint(text: str) -> int:
    assert "=" not in text and "+" not in text and "/" not in text, text
    return int.from_bytes(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)), "big")


def id_token_for(client: Any, account: str = "alice") -> str:
    """An id_token from ``authorization_code`` + ``openid`` (the code is minted: no ``__authz`` needed)."""
    response = client.post("/app1/__token", data={"grant_type": "password", "username": "app",
                                                  "password": PASSWORD, "p_target": CELL_URL})
    assert response.status_code == 200, response.text
    secret = response.json()["access_token"]
    codec = client.app.state.services.keyring.codec
    code = codec.encode(LocalToken(TokenKind.GRANT_CODE, CELL_URL, account, int(time.time() * 1000), 600_000,
                                   APP, ("openid", "root")))
    response = client.post(f"/{CELL}/__token", data={"grant_type": "authorization_code", "code": code,
                                                     "client_id": APP, "client_secret": secret})
    assert response.status_code == 200, response.text
    return response.json()["id_token"]


@pytest.fixture
def app_and_account(client: Any, cell: str) -> None:
    create_account(client, "alice", PASSWORD)
    make_cell(client, "app1")
    response = client.post("/app1/__ctl/Account", json={"Name": "app"},
                           headers={**MASTER_AUTH, "X-Personium-Credential": PASSWORD})
    assert response.status_code == 201, response.text


# --- the JWK set --------------------------------------------------------------------------------------------

def test_shape(client: Any, cell: str) -> None:
    """apiref/298: {"keys": [{kty, alg, kid, n, e}]} (RFC 7517); ``use: sig`` is allowed extra."""
    body = jwks(client)
    assert set(body) == {"keys"}
    assert len(body["keys"]) == 1
    key = body["keys"][0]
    assert {"kty", "alg", "kid", "n", "e"} <= set(key) <= {"kty", "alg", "kid", "n", "e", "use"}
    assert key["kty"] == "RSA"
    assert key["alg"] == "RS256"
    assert key.get("use", "sig") == "sig"
    assert isinstance(key["kid"], str) and key["kid"]
    assert key["e"] == "AQAB"
    modulus = b64url_uint(key["n"])
    assert modulus.bit_length() >= 2048
    assert not key["n"].startswith("AA")  # Base64urlUInt: minimal length, no leading zero octet


def test_no_private_parts(client: Any, cell: str) -> None:
    key = jwks(client)["keys"][0]
    assert not {"d", "p", "q", "dp", "dq", "qi", "k"} & set(key)


def test_key_is_a_usable_rsa_public_key(client: Any, cell: str) -> None:
    key = RSAAlgorithm.from_jwk(jwks(client)["keys"][0])
    assert isinstance(key, rsa.RSAPublicKey)
    assert key.key_size >= 2048


def test_key_is_stable(client: Any, cell: str) -> None:
    """The key is made on first use and kept."""
    first, second = jwks(client), jwks(client)
    assert first == second


def test_cells_have_their_own_keys(client: Any, cell: str) -> None:
    make_cell(client, "c2")
    mine, theirs = jwks(client)["keys"][0], jwks(client, "c2")["keys"][0]
    assert mine["kid"] != theirs["kid"]
    assert mine["n"] != theirs["n"]


def test_no_authentication_needed_or_checked(client: Any, cell: str) -> None:
    """apiref/298: no privilege required; credentials, even unusable ones, are not looked at."""
    expected = jwks(client)
    assert jwks(client, headers=MASTER_AUTH) == expected
    assert jwks(client, headers={"Authorization": "Bearer AR~garbage"}) == expected
    assert jwks(client, headers={"Authorization": "Basic Zm9vOmJhcg=="}) == expected


def test_accept_json(client: Any, cell: str) -> None:
    assert jwks(client, headers={"Accept": "application/json"})["keys"]


def test_common_headers(client: Any, cell: str) -> None:
    """apiref/298 lists X-Personium-Version and ``Access-Control-Allow-Origin: *``; notes §8.2 (which win)
    say the request Origin is echoed, and only when an Origin was sent."""
    response = client.get(PATH, headers={"Origin": "https://app.example"})
    assert response.status_code == 200
    assert response.headers["x-personium-version"]
    assert response.headers["access-control-allow-origin"] == "https://app.example"


# --- verifying an id_token ----------------------------------------------------------------------------------

def test_id_token_verifies_with_the_published_key(client: Any, app_and_account: None) -> None:
    token = id_token_for(client)
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "RS256"
    keys = {key["kid"]: key for key in jwks(client)["keys"]}
    assert header["kid"] in keys
    public = RSAAlgorithm.from_jwk(keys[header["kid"]])
    claims = jwt.decode(token, public, algorithms=["RS256"], audience=APP, issuer=CELL_URL)
    assert claims["sub"] == "alice"
    assert claims["exp"] == claims["iat"] + 3600


def test_certs_before_the_first_id_token_publish_the_same_key(client: Any, app_and_account: None) -> None:
    """The key made by ``__certs`` on first use is the one that later signs id_tokens."""
    kid = jwks(client)["keys"][0]["kid"]
    assert jwt.get_unverified_header(id_token_for(client))["kid"] == kid


def test_pyjwk_set_verifies(client: Any, app_and_account: None) -> None:
    """A stock JWKS client reads the set as published."""
    key_set = jwt.PyJWKSet.from_dict(jwks(client))
    token = id_token_for(client)
    key = next(k for k in key_set.keys if k.key_id == jwt.get_unverified_header(token)["kid"])
    assert jwt.decode(token, key.key, algorithms=["RS256"], audience=APP)["iss"] == CELL_URL


def test_id_token_does_not_verify_with_another_cells_key(client: Any, app_and_account: None) -> None:
    make_cell(client, "c2")
    token = id_token_for(client)
    other = RSAAlgorithm.from_jwk(jwks(client, "c2")["keys"][0])
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, other, algorithms=["RS256"], audience=APP)


def test_tampered_id_token_does_not_verify(client: Any, app_and_account: None) -> None:
    token = id_token_for(client)
    head, payload, signature = token.split(".")
    claims = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).replace(b'"alice"', b'"mallory"')
    forged = ".".join([head, base64.urlsafe_b64encode(claims).rstrip(b"=").decode(), signature])
    public = RSAAlgorithm.from_jwk(jwks(client)["keys"][0])
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(forged, public, algorithms=["RS256"], audience=APP)


# --- resource -----------------------------------------------------------------------------------------------

def test_unknown_cell_is_404(client: Any, cell: str) -> None:
    assert_error(client.get("/nosuchcell/__certs"), 404, "PR404-DV-0003")


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
def test_other_methods_are_405(client: Any, cell: str, method: str) -> None:
    assert_error(client.request(method, PATH), 405, "PR405-MC-0001")


def test_options_without_authorization(client: Any, cell: str) -> None:
    response = client.options(PATH)
    assert response.status_code == 200
    assert "GET" in response.headers["allow"]


def test_options_with_authorization(client: Any, cell: str) -> None:
    response = client.options(PATH, headers=MASTER_AUTH)
    assert response.status_code == 200, response.text
    assert response.headers["allow"] == "OPTIONS, GET"
    assert response.headers["access-control-allow-methods"] == "OPTIONS, GET"


def test_options_on_unknown_cell_with_authorization_is_404(client: Any, cell: str) -> None:
    assert_error(client.options("/nosuchcell/__certs", headers=MASTER_AUTH), 404, "PR404-DV-0003")
