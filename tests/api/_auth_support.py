"""Shared helpers for the token endpoint and Bearer tests (apiref/293, 004; notes §2, §3, §4.6).

Cells are path-based under the test unit ``http://localhost:8080/``. Tokens come from ``POST
{cell}/__token``; where a kind, a time or a signer cannot be had through the API (expired tokens,
grant codes, foreign units) they are minted with the application's own codec and unit key, and
issued tokens are inspected by decoding them the same way.
"""

from __future__ import annotations

import base64
import dataclasses
import re
import string
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

import httpx
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import delete, insert
from starlette.testclient import TestClient

from cellar.app import build_services, create_app
from cellar.auth.authn import saml
from cellar.auth.authn.certs import generate_unit_ca_and_cert
from cellar.auth.authn.tokens import LocalToken, TokenKind
from cellar.settings import Settings
from cellar.storage import Storage
from cellar.storage.tables import cell_properties
from cellar.unit.cells import find_cell
from tests.api._ctl_support import account_key, extcell_key, extrole_key, lit, relation_key, role_key
from tests.conftest import UNIT
from tests.helpers import MASTER_AUTH, assert_error

__all__ = ["account_key", "extcell_key", "extrole_key", "lit", "relation_key", "role_key"]

PASSWORD = "pass-word_1"
SAML2 = "urn:ietf:params:oauth:grant-type:saml2-bearer"
HOUR_MS = 3_600_000
DAY_MS = 86_400_000
GRANT_CODE_MS = 600_000
PERSONIUM_NS = "urn:x-personium:xmlns"

#: notes §3.3 "OAuth error value per code".
OAUTH_ERROR = {
    "PR400-AN-0001": "unsupported_grant_type",
    **{f"PR400-AN-{n:04d}": "invalid_request" for n in (2, 16)},
    **{f"PR400-AN-{n:04d}": "invalid_client" for n in (3, 4, 5, 6, 7, 18, 22)},
    "PR401-AN-0020": "invalid_client",
    "PR401-AN-0021": "invalid_client",
    **{f"PR400-AN-{n:04d}": "invalid_grant" for n in (8, 9, 10, 11, 12, 13, 14, 15, 17, 19)},
    "PR401-AN-0023": "invalid_grant",
}

#: apiref/004 "Authentication API" messages; AN-0020 as notes §3.3 words it (the page's
#: "Client mismatch for refresh token. [{0}]" is the older text — notes win).
MESSAGES = {
    "PR400-AN-0001": "Unsupported grant type.",
    "PR400-AN-0002": "Invalid p_target.",
    "PR400-AN-0003": "Failed to parse client secret.",
    "PR400-AN-0004": "Client secret is expired and invalid.",
    "PR400-AN-0006": "Client secret issuer does not match the client_id.",
    "PR400-AN-0007": "Client secret target is wrong.",
    "PR400-AN-0008": "Trans-Cell access can not represent owner.",
    "PR400-AN-0009": "Token parse error.",
    "PR400-AN-0010": "Token expired or invalid.",
    "PR400-AN-0011": "Token dsig is invalid.",
    "PR400-AN-0012": "Token target is wrong. target=[{0}]",
    "PR400-AN-0013": "Not a refresh token.",
    "PR400-AN-0014": "Not allowed to represent owner.",
    "PR400-AN-0015": "Cell owner does not exist.",
    "PR400-AN-0016": "Required parameter [{0}] missing.",
    "PR400-AN-0017": "Authentication failed.",
    "PR400-AN-0018": "Authorization header is invalid.",
    "PR400-AN-0019": "Invalid grant code.",
    "PR401-AN-0020": "Client mismatch. [{0}] expected, but was [{1}]",
    "PR401-AN-0021": "Client Authentication is required.",
    "PR400-AN-0022": "Invalid Client Assertion Type. Acceptable Value is [{0}].",
    "PR401-AN-0023": "The password should be changed.",
}


# --- URLs ---------------------------------------------------------------------------------------------------

def cell_url(name: str) -> str:
    return f"{UNIT}{name}/"


def role_instance(cell: str, name: str, box: str | None = None) -> str:
    """``{cellUrl}__role/{box or __}/{name}`` (notes §3.1)."""
    return f"{cell_url(cell)}__role/{box or '__'}/{name}"


def role_class(base_url: str, name: str) -> str:
    """``{schema or cellUrl}__role/__/{name}`` (notes §3.1)."""
    return f"{base_url}__role/__/{name}"


# --- a client on other settings -----------------------------------------------------------------------------

@contextmanager
def variant_client(settings: Settings, storage: Storage, **changes: Any) -> Iterator[TestClient]:
    """A second app on the same database with some settings changed (lock times, unit user issuers)."""
    changed = dataclasses.replace(settings, **changes)
    hooks = dict(storage.before_record)
    app = create_app(changed, services=build_services(changed, storage))
    try:
        with TestClient(app, base_url=UNIT.rstrip("/"), raise_server_exceptions=True) as client:
            yield client
    finally:
        storage.before_record.update(hooks)


# --- control objects ----------------------------------------------------------------------------------------

def make_cell(client: Any, name: str, headers: dict[str, str] | None = None) -> str:
    response = client.post("/__ctl/Cell", json={"Name": name}, headers=headers or MASTER_AUTH)
    assert response.status_code == 201, response.text
    return cell_url(name)


def create(client: Any, cell: str, entity_set: str, body: dict[str, Any],
           headers: dict[str, str] | None = None) -> dict[str, Any]:
    response = client.post(f"/{cell}/__ctl/{entity_set}", json=body, headers=headers or MASTER_AUTH)
    assert response.status_code == 201, response.text
    return response.json()["d"]["results"]


def make_account(client: Any, cell: str, name: str, password: str | None = PASSWORD, **props: Any) -> None:
    headers = dict(MASTER_AUTH)
    if password is not None:
        headers["X-Personium-Credential"] = password
    create(client, cell, "Account", {"Name": name, **props}, headers)


def update_account(client: Any, cell: str, name: str, **props: Any) -> None:
    response = client.request("MERGE", f"/{cell}/__ctl/{account_key(name)}", json=props, headers=MASTER_AUTH)
    assert response.status_code == 204, response.text


def make_box(client: Any, cell: str, name: str, schema: str | None = None) -> None:
    create(client, cell, "Box", {"Name": name, **({"Schema": schema} if schema else {})})


def make_role(client: Any, cell: str, name: str, box: str | None = None) -> None:
    create(client, cell, "Role", {"Name": name, **({"_Box.Name": box} if box else {})})


def make_extcell(client: Any, cell: str, url: str) -> None:
    create(client, cell, "ExtCell", {"Url": url})


def make_relation(client: Any, cell: str, name: str, box: str | None = None) -> None:
    create(client, cell, "Relation", {"Name": name, **({"_Box.Name": box} if box else {})})


def make_extrole(client: Any, cell: str, extrole: str, relation: str, box: str | None = None) -> None:
    body: dict[str, Any] = {"ExtRole": extrole, "_Relation.Name": relation}
    if box:
        body["_Relation._Box.Name"] = box
    create(client, cell, "ExtRole", body)


def link(client: Any, cell: str, source_key: str, nav: str, target_key: str) -> None:
    """``POST {cell}/__ctl/{source}/$links/{nav}`` with the target entity's URI."""
    response = client.post(f"/{cell}/__ctl/{source_key}/$links/{nav}",
                           json={"uri": f"{cell_url(cell)}__ctl/{target_key}"}, headers=MASTER_AUTH)
    assert response.status_code == 204, response.text


def grant_role(client: Any, cell: str, account: str, role: str, box: str | None = None) -> None:
    link(client, cell, account_key(account), "_Role", role_key(role, box))


# --- cell properties (no PROPPATCH needed) ------------------------------------------------------------------

def set_cell_property(client: Any, cell: str, name: str, xml: str) -> None:
    storage = client.app.state.services.storage
    with storage.transaction("test.cell_property") as tx:
        cell_id = find_cell(tx, cell)["id"]
        t = cell_properties
        tx.conn.execute(delete(t).where(t.c.cell_id == cell_id, t.c.name == name,
                                        t.c.namespace == PERSONIUM_NS))
        tx.conn.execute(insert(t).values(cell_id=cell_id, name=name, namespace=PERSONIUM_NS, xml=xml))


def allow_owner_representatives(client: Any, cell: str, *accounts: str) -> None:
    """``p:ownerRepresentativeAccounts`` (apiref/106, notes §2.4)."""
    inner = "".join(f"<p:account>{a}</p:account>" for a in accounts)
    set_cell_property(client, cell, "ownerRepresentativeAccounts",
                      f'<p:ownerRepresentativeAccounts xmlns:p="{PERSONIUM_NS}">{inner}'
                      "</p:ownerRepresentativeAccounts>")


def stop_recording_history(client: Any, cell: str, *accounts: str) -> None:
    """``p:accountsnotrecordingauthhistory`` (apiref/293 "Record of authentication history")."""
    set_cell_property(client, cell, "accountsnotrecordingauthhistory",
                      f'<p:accountsnotrecordingauthhistory xmlns:p="{PERSONIUM_NS}">{",".join(accounts)}'
                      "</p:accountsnotrecordingauthhistory>")


# --- the token endpoint -------------------------------------------------------------------------------------

def token(client: Any, cell: str, params: dict[str, str], headers: dict[str, str] | None = None
          ) -> httpx.Response:
    """``POST {cell}/__token`` with a form body."""
    return client.post(f"/{cell}/__token", data=params, headers=headers or {})


def password_params(username: str = "me", password: str = PASSWORD, **extra: str) -> dict[str, str]:
    return {"grant_type": "password", "username": username, "password": password, **extra}


def login(client: Any, cell: str, username: str = "me", password: str = PASSWORD,
          headers: dict[str, str] | None = None, **extra: str) -> dict[str, Any]:
    response = token(client, cell, password_params(username, password, **extra), headers)
    assert response.status_code == 200, response.text
    return response.json()


def app_secret(client: Any, app: str = "app", target: str | None = None, account: str = "appuser") -> str:
    """An app's client secret: its account's trans-cell token addressed to ``target`` (notes §3.3)."""
    return login(client, app, account, p_target=target or cell_url("alice"))["access_token"]


def make_cells(client: Any, *names: str, accounts: dict[str, str] | None = None) -> Any:
    """Cells with one account each where given (``{"alice": "me", "app": "appuser"}``); returns the client."""
    for name in names:
        make_cell(client, name)
    for cell, account in (accounts or {}).items():
        make_account(client, cell, account)
    return client


def ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json"), response.headers
    return response.json()


def assert_oauth_error(response: httpx.Response, code: str, *params: str, exact: bool = True,
                       extra_keys: tuple[str, ...] = ()) -> dict[str, Any]:
    """The OAuth error shape of notes §3.3: status from the code, ``error`` from the table,
    ``error_description`` = ``[code] - message``. ``exact=False`` checks only the code prefix
    (messages whose parameters the notes do not fix)."""
    status = int(code[2:5])
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/json"), response.headers
    body = response.json()
    assert set(body) == {"error", "error_description", *extra_keys}, body
    assert body["error"] == OAUTH_ERROR[code], body
    if exact:
        message = MESSAGES[code]
        for index, value in enumerate(params):
            message = message.replace(f"{{{index}}}", value)
        assert body["error_description"] == f"[{code}] - {message}", body
    else:
        assert body["error_description"].startswith(f"[{code}] - "), body
    return body


# --- Bearer probes ------------------------------------------------------------------------------------------

def bearer(text: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {text}", "Accept": "application/json"}


def probe(client: Any, cell: str, text: str) -> httpx.Response:
    """``GET {cell}/__ctl/Account`` with the token: 403 PR403-AU-0002 for a valid token without
    privileges, 401 + code + ``WWW-Authenticate`` for a rejected one."""
    return client.get(f"/{cell}/__ctl/Account", headers=bearer(text))


def assert_accepted(client: Any, cell: str, text: str) -> None:
    """The token is valid here (it authenticates; no ACL grants it anything): 403 PR403-AU-0002."""
    assert_error(probe(client, cell, text), 403, "PR403-AU-0002")


def assert_rejected(client: Any, cell: str, text: str, code: str) -> None:
    response = probe(client, cell, text)
    assert_error(response, 401, code)
    assert response.headers["www-authenticate"] == f'Bearer realm="{cell_url(cell)}"', response.headers


# --- decoding and minting with the app's own keys -----------------------------------------------------------

def now_ms() -> int:
    return int(time.time() * 1000)


def keyring(client: Any) -> Any:
    return client.app.state.services.keyring


def decode(client: Any, text: str, issuer: str) -> LocalToken:
    return keyring(client).codec.decode(text, issuer)


def parse_tcat(client: Any, text: str) -> saml.TransCellToken:
    return saml.parse(text, keyring(client).unit.trusted_roots, now_ms())


def mint(client: Any, kind: TokenKind, issuer: str, subject: str, *, issued_at_ms: int | None = None,
         lifespan_ms: int = HOUR_MS, **fields: Any) -> str:
    issued = issued_at_ms if issued_at_ms is not None else now_ms()
    return keyring(client).codec.encode(LocalToken(kind, issuer, subject, issued, lifespan_ms, **fields))


def expired_at(lifespan_ms: int) -> int:
    """An issue time that makes a token of this lifespan a minute past its expiry."""
    return now_ms() - lifespan_ms - 60_000


@lru_cache(maxsize=1)
def foreign_unit() -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    """A unit whose CA the test unit does not trust (same host name, so only the CA differs)."""
    _, _, key, cert = generate_unit_ca_and_cert("localhost")
    return key, cert


def mint_tcat(client: Any, issuer: str, subject: str, target: str, *, issued_at_ms: int | None = None,
              lifespan_ms: int = HOUR_MS, schema: str = "", roles: tuple[str, ...] = (),
              scopes: tuple[str, ...] = (), foreign: bool = False) -> str:
    """A trans-cell token signed with the unit's key (or an untrusted unit's key)."""
    issued = issued_at_ms if issued_at_ms is not None else now_ms()
    tcat = saml.TransCellToken.new(issuer, subject, target, now_ms=issued, schema=schema, roles=roles,
                                   scopes=scopes, lifespan_ms=lifespan_ms)
    if foreign:
        key, cert = foreign_unit()
    else:
        key, cert = keyring(client).unit.key, keyring(client).unit.cert
    return saml.issue(tcat, key, cert)


# --- tampering ----------------------------------------------------------------------------------------------

B64URL = string.ascii_uppercase + string.ascii_lowercase + string.digits + "-_"


def flip(text: str, index: int) -> str:
    """Change one base64url character so that the top bit of its six changes: that bit is always a
    data bit (the unused low bits of a last character could otherwise decode to the same bytes)."""
    char = text[index]
    flipped = B64URL[B64URL.index(char) ^ 0b100000]
    return text[:index] + flipped + text[index + 1:]


def body_positions(text: str, prefix_length: int = 3) -> list[int]:
    """Several positions in a token's body: first, early, middle, late, last."""
    start, end = prefix_length, len(text) - 1
    middle = (start + end) // 2
    return sorted({start, start + 5, middle, (middle + end) // 2, end})


def tcat_xml(text: str) -> bytes:
    return saml.decode_token(text)


def tcat_from_xml(xml: bytes) -> str:
    return base64.urlsafe_b64encode(xml).rstrip(b"=").decode("ascii")


def tamper_tcat(text: str, old: str, new: str) -> str:
    """Replace the first ``old`` in the token's XML by ``new`` (same signature kept)."""
    xml = tcat_xml(text).decode("utf-8")
    assert old in xml, (old, xml[:400])
    return tcat_from_xml(xml.replace(old, new, 1).encode("utf-8"))


def alter(value: str) -> str:
    """The value with one letter or digit near its middle replaced by another (same length, still base64)."""
    index = len(value) // 2
    while not value[index].isalnum():
        index += 1
    replacement = "A" if value[index] != "A" else "B"
    return value[:index] + replacement + value[index + 1:]


def tamper_element(text: str, local_name: str) -> str:
    """The TCAT with one character of the first ``local_name`` element's text changed."""
    value = element_text(text, local_name)
    return tamper_tcat(text, f">{value}<", f">{alter(value)}<")


def element_text(text: str, local_name: str) -> str:
    """The text of the first element with this local name in the token's XML."""
    xml = tcat_xml(text).decode("utf-8")
    match = re.search(rf"<{local_name}(\s[^>]*)?>", xml)
    assert match, (local_name, xml[:400])
    return xml[match.end():xml.index("<", match.end())]
