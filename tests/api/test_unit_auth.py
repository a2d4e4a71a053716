"""Authentication at unit level — notes §2.1 (error codes), §6.1 (WWW-Authenticate), §10 (master token);
pages 100–104 "Only unit users permitted"."""

from __future__ import annotations

import pytest

from tests.api._support import CELL_SET, cell_path, list_cells, names
from tests.conftest import MASTER
from tests.helpers import assert_error, make_cell

REALM = 'Bearer realm="http://localhost:8080/"'

#: Every unit control operation, as (method, path, JSON body).
OPERATIONS = [
    pytest.param("GET", CELL_SET, None, id="list"),
    pytest.param("POST", CELL_SET, {"Name": "cell2"}, id="create"),
    pytest.param("GET", cell_path("cell1"), None, id="retrieve"),
    pytest.param("PUT", cell_path("cell1"), {"Name": "cell2"}, id="update"),
    pytest.param("MERGE", cell_path("cell1"), {"Name": "cell2"}, id="merge"),
    pytest.param("DELETE", cell_path("cell1"), None, id="delete"),
    pytest.param("GET", cell_path("nosuch"), None, id="retrieve-unknown"),
]


def call(client, method, path, body, headers):
    return client.request(method, path, json=body, headers=headers)


def assert_untouched(client):
    assert names(list_cells(client)) == ["cell1"]


@pytest.mark.parametrize(("method", "path", "body"), OPERATIONS)
def test_no_authorization_is_401(client, method, path, body):
    make_cell(client, "cell1")
    response = call(client, method, path, body, {"Accept": "application/json"})
    envelope = assert_error(response, 401, "PR401-AU-0001")
    assert envelope["message"]["value"] == "Authorization required."
    assert response.headers["www-authenticate"] == REALM
    assert_untouched(client)


WRONG_BEARERS = [
    pytest.param("Bearer wrong-token", id="wrong-value"),
    pytest.param(f"Bearer {MASTER}x", id="master-plus-suffix"),
    pytest.param(f"Bearer {MASTER[:-1]}", id="master-prefix"),
    pytest.param(f"Bearer {MASTER.upper()}", id="master-upper-case"),
    pytest.param("Bearer ", id="empty-value"),
    pytest.param("Bearer AR~not-a-real-token", id="cell-local-token-shape"),
]


@pytest.mark.parametrize("authorization", WRONG_BEARERS)
@pytest.mark.parametrize(("method", "path", "body"), OPERATIONS[:4])
def test_wrong_bearer_is_401(client, authorization, method, path, body):
    """Any Bearer value other than the master token (or a valid token) → 401 PR401-AU-* with a Bearer
    challenge (notes §2.1: cell-local or unparsable tokens → PR401-AU-0006 at unit level)."""
    make_cell(client, "cell1")
    headers = {"Authorization": authorization, "Accept": "application/json"}
    response = call(client, method, path, body, headers)
    assert response.status_code == 401, response.text
    assert response.json()["code"].startswith("PR401-AU-")
    assert response.headers["www-authenticate"] == REALM
    assert_untouched(client)


def test_cell_local_token_is_a_parse_error_at_unit_level(client):
    """notes §2.1: cell-local tokens (AR~, ...) cannot be parsed without a cell → 401 PR401-AU-0006."""
    headers = {"Authorization": "Bearer AR~abcdefg", "Accept": "application/json"}
    assert_error(client.get(CELL_SET, headers=headers), 401, "PR401-AU-0006")


BASIC = [
    pytest.param("Basic dXNlcjpwYXNz", id="well-formed"),
    pytest.param("Basic " + "dGVzdC1tYXN0ZXItdG9rZW46", id="master-token-as-user"),
    pytest.param("Basic !!!", id="not-base64"),
]


@pytest.mark.parametrize("authorization", BASIC)
@pytest.mark.parametrize(("method", "path", "body"), OPERATIONS[:3])
def test_basic_auth_is_always_invalid_at_unit_level(client, authorization, method, path, body):
    """notes §2.1: Basic auth → 401 PR401-AU-0011 (always invalid at unit level)."""
    make_cell(client, "cell1")
    headers = {"Authorization": authorization, "Accept": "application/json"}
    response = call(client, method, path, body, headers)
    assert_error(response, 401, "PR401-AU-0011")
    assert response.headers["www-authenticate"].startswith("Bearer realm=")
    assert_untouched(client)


@pytest.mark.parametrize("authorization", ["Token abc", "Digest username=x", "Negotiate abc", "abc",
                                           f"{MASTER}", f"MAC {MASTER}"])
def test_unknown_scheme_is_401(client, authorization):
    """notes §6.2: PR401-AU-0003 'Invalid authentication scheme.'"""
    make_cell(client, "cell1")
    response = client.get(CELL_SET, headers={"Authorization": authorization, "Accept": "application/json"})
    body = assert_error(response, 401, "PR401-AU-0003")
    assert body["message"]["value"] == "Invalid authentication scheme."
    assert response.headers["www-authenticate"] == REALM


def test_master_token_works(client):
    make_cell(client, "cell1")
    assert list_cells(client).status_code == 200


def test_master_token_with_trailing_garbage_is_401(client):
    """notes §2.1/§10: the bearer value is compared with the master token literally."""
    headers = {"Authorization": f"Bearer  {MASTER} x", "Accept": "application/json"}
    assert list_cells(client, headers).status_code == 401


def test_wrong_token_with_unit_user_header_is_401(client):
    headers = {"Authorization": "Bearer wrong", "Accept": "application/json",
               "X-Personium-Unit-User": "http://localhost:8080/admin/#alice"}
    response = client.post(CELL_SET, json={"Name": "cell1"}, headers=headers)
    assert response.status_code == 401
    assert names(list_cells(client)) == []


def test_401_carries_the_common_headers(client):
    response = client.get(CELL_SET, headers={"Accept": "application/json", "Origin": "https://app.example"})
    assert response.status_code == 401
    assert response.headers["x-personium-version"] == "1.8.4"
    assert response.headers["access-control-allow-origin"] == "https://app.example"


# --- resources that need no authentication ------------------------------------------------------------------

def test_metadata_needs_no_authentication(client):
    """notes §7.1: ``{root}$metadata`` needs no authentication at ``__ctl``."""
    assert client.get("/__ctl/$metadata").status_code == 200


def test_unit_root_needs_no_authentication(client):
    """Page 107: Required Privileges: None."""
    assert client.get("/", headers={"Accept": "application/json"}).status_code == 200


def test_cell_root_needs_no_authentication(client):
    """Page 296: Required Privileges: None."""
    make_cell(client, "cell1")
    assert client.get("/cell1/", headers={"Accept": "application/json"}).status_code == 200

