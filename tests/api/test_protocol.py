"""Cross-cutting HTTP behaviour — apiref/002_CORS_Support.md,
003_Common_Limitations_on_HTTP_Implementation.md,
the common request headers of pages 100–105; notes §1.5 (X-Personium-Version, DataServiceVersion),
§8.1 (X-HTTP-Method-Override, X-Override, X-Personium-RequestKey), §8.2 (CORS, OPTIONS)."""

from __future__ import annotations

import gzip
import re

import pytest

from tests.api._support import ALL_METHODS, CELL_SET, cell_path, get_cell, list_cells, make_cells, names
from tests.conftest import MASTER
from tests.helpers import MASTER_AUTH, assert_error, make_cell

ORIGIN = "https://app.example.org"

#: A spread of responses: success, OData and non-OData, errors of several kinds.
REQUESTS = [
    pytest.param("GET", "/", {}, id="unit-root"),
    pytest.param("GET", CELL_SET, MASTER_AUTH, id="list"),
    pytest.param("GET", cell_path("cell1"), MASTER_AUTH, id="entity"),
    pytest.param("GET", "/__ctl/$metadata", {}, id="metadata"),
    pytest.param("GET", "/cell1/", {"Accept": "application/json"}, id="cell-root"),
    pytest.param("GET", CELL_SET, {"Accept": "application/json"}, id="401"),
    pytest.param("GET", cell_path("nosuch"), MASTER_AUTH, id="404"),
    pytest.param("GET", CELL_SET + "?$top=x", MASTER_AUTH, id="400"),
    pytest.param("PATCH", CELL_SET, MASTER_AUTH, id="405"),
    pytest.param("DELETE", "/cell1/", MASTER_AUTH, id="412"),
]


# --- X-Personium-Version (notes §1.5) -------------------------------------------------------------------

@pytest.mark.parametrize(("method", "path", "headers"), REQUESTS)
def test_every_response_carries_the_personium_version(client, method, path, headers):
    make_cell(client, "cell1")
    response = client.request(method, path, headers=headers)
    assert response.headers["x-personium-version"] == "1.8.4"


def test_version_on_304_and_options(client):
    make_cell(client, "cell1")
    etag = get_cell(client, "cell1").headers["etag"]
    not_modified = client.get(cell_path("cell1"), headers={**MASTER_AUTH, "If-None-Match": etag})
    assert not_modified.status_code == 304
    assert not_modified.headers["x-personium-version"] == "1.8.4"
    assert client.options("/").headers["x-personium-version"] == "1.8.4"


# --- DataServiceVersion on OData responses (notes §1.5) -----------------------------------------------------

def test_dataserviceversion_on_every_odata_response(client):
    created = make_cell(client, "cell1")
    responses = [
        created,
        list_cells(client),
        get_cell(client, "cell1"),
        client.put(cell_path("cell1"), json={"Name": "cell2"}, headers=MASTER_AUTH),
        client.request("MERGE", cell_path("cell2"), json={"Name": "cell1"}, headers=MASTER_AUTH),
        client.get("/__ctl/$metadata"),
        client.get("/__ctl/", headers=MASTER_AUTH),
        client.delete(cell_path("cell1"), headers=MASTER_AUTH),
    ]
    for response in responses:
        assert response.status_code < 300, response.text
        assert response.headers["dataserviceversion"] == "2.0", response.request.url


# --- CORS (page 002, notes §8.2) ----------------------------------------------------------------------------

@pytest.mark.parametrize(("method", "path", "headers"), REQUESTS)
def test_without_origin_allow_origin_is_star(client, method, path, headers):
    make_cell(client, "cell1")
    response = client.request(method, path, headers=headers)
    assert response.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in response.headers
    assert "access-control-expose-headers" not in response.headers  # removed without Origin (notes §8.2)


@pytest.mark.parametrize(("method", "path", "headers"), REQUESTS)
def test_with_origin_the_origin_is_echoed(client, method, path, headers):
    """Doc mismatch: page 002 says '*' always; notes §8.2 (the code) echo the Origin with credentials."""
    make_cell(client, "cell1")
    response = client.request(method, path, headers={**headers, "Origin": ORIGIN})
    assert response.headers["access-control-allow-origin"] == ORIGIN
    assert response.headers["access-control-allow-credentials"] == "true"
    assert response.headers["access-control-max-age"] == "86400"
    exposed = [h.strip().lower() for h in response.headers["access-control-expose-headers"].split(",")]
    assert "x-personium-version" in exposed


def test_requested_headers_are_echoed(client):
    """Page 002: 'if you specify the Access-Control-Request-Headers ... it returns the
    Access-Control-Allow-Headers'."""
    response = client.get(CELL_SET, headers={**MASTER_AUTH, "Origin": ORIGIN,
                                             "Access-Control-Request-Headers": "sample"})
    assert response.headers["access-control-allow-headers"] == "sample"


def test_requested_headers_echoed_on_preflight(client):
    headers = {"Origin": ORIGIN, "Access-Control-Request-Method": "PUT",
               "Access-Control-Request-Headers": "authorization,content-type,x-personium-unit-user"}
    response = client.options(CELL_SET, headers=headers)
    assert response.status_code == 200
    assert response.headers["access-control-allow-headers"] == headers["Access-Control-Request-Headers"]
    assert response.headers["access-control-allow-origin"] == ORIGIN


# --- OPTIONS (page 002, notes §8.2) ----------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/", "/__ctl/Cell", "/__ctl/Cell('cell1')", "/__ctl/Nope",
                                  "/__ctl/$metadata",
                                  "/cell1/", "/nosuch/", "/nosuch/box/path/file.txt", "/__nothing"])
def test_options_without_authorization_lists_every_method(client, path):
    """OPTIONS without Authorization short-circuits before routing: 200 even for unknown paths."""
    response = client.options(path)
    assert response.status_code == 200
    assert response.headers["allow"] == ALL_METHODS
    assert response.headers["access-control-allow-methods"] == ALL_METHODS
    assert response.headers["access-control-allow-origin"] == "*"


def test_preflight_with_origin(client):
    response = client.options(CELL_SET, headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST"})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == ORIGIN
    assert response.headers["access-control-allow-credentials"] == "true"
    assert response.headers["access-control-allow-methods"] == ALL_METHODS


def test_options_with_authorization_on_the_entity_set(client):
    """notes §8.2: with Authorization the resource's own list: ``__ctl/{Set}`` → OPTIONS, GET, POST."""
    response = client.options(CELL_SET, headers=MASTER_AUTH)
    assert response.status_code == 200
    assert response.headers["access-control-allow-methods"] == "OPTIONS, GET, POST"


def test_options_with_authorization_on_an_entity(client):
    make_cell(client, "cell1")
    response = client.options(cell_path("cell1"), headers=MASTER_AUTH)
    assert response.status_code == 200
    assert response.headers["access-control-allow-methods"] == "OPTIONS, GET, PUT, MERGE, DELETE"


def test_options_with_invalid_authorization_is_401(client):
    """Page 002: '401: The content of the Authorization header is invalid'."""
    headers = {"Authorization": "Bearer nope", "Accept": "application/json"}
    response = client.options(CELL_SET, headers=headers)
    assert response.status_code == 401
    assert response.json()["code"].startswith("PR401-AU-")


def test_options_does_not_change_anything(client):
    make_cell(client, "cell1")
    client.options(cell_path("cell1"))
    client.options(cell_path("cell1"), headers=MASTER_AUTH)
    assert names(list_cells(client)) == ["cell1"]


# --- X-HTTP-Method-Override (pages 100–105, notes §8.1) -----------------------------------------------------

def test_post_overridden_to_put_renames(client):
    make_cell(client, "cell1")
    headers = {**MASTER_AUTH, "X-HTTP-Method-Override": "PUT"}
    response = client.post(cell_path("cell1"), json={"Name": "cell2"}, headers=headers)
    assert response.status_code == 204
    assert names(list_cells(client)) == ["cell2"]


def test_post_overridden_to_merge(client):
    make_cell(client, "cell1")
    headers = {**MASTER_AUTH, "X-HTTP-Method-Override": "MERGE"}
    response = client.post(cell_path("cell1"), json={"Name": "cell2"}, headers=headers)
    assert response.status_code == 204
    assert names(list_cells(client)) == ["cell2"]


def test_post_overridden_to_delete(client):
    make_cell(client, "cell1")
    response = client.post(cell_path("cell1"), headers={**MASTER_AUTH, "X-HTTP-Method-Override": "DELETE"})
    assert response.status_code == 204
    assert names(list_cells(client)) == []


def test_post_overridden_to_get_lists(client):
    make_cell(client, "cell1")
    response = client.post(CELL_SET, headers={**MASTER_AUTH, "X-HTTP-Method-Override": "GET"})
    assert response.status_code == 200
    assert names(response) == ["cell1"]


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_override_is_ignored_unless_the_method_is_post(client, method):
    """notes §8.1: applied only when the real method is POST."""
    make_cell(client, "cell1")
    headers = {**MASTER_AUTH, "X-HTTP-Method-Override": "DELETE" if method != "DELETE" else "GET"}
    client.request(method, cell_path("cell1"), json={"Name": "cell1"}, headers=headers)
    expected = [] if method == "DELETE" else ["cell1"]
    assert names(list_cells(client)) == expected


def test_override_to_an_unsupported_method_is_405(client):
    make_cell(client, "cell1")
    response = client.post(cell_path("cell1"), headers={**MASTER_AUTH, "X-HTTP-Method-Override": "BREW"})
    assert_error(response, 405, "PR405-MC-0001")
    assert names(list_cells(client)) == ["cell1"]


# --- X-Override (pages 100–105, notes §8.1) ---------------------------------------------------------------

def test_x_override_replaces_a_header(client):
    make_cell(client, "cell1")
    headers = {**MASTER_AUTH, "Accept": "application/atom+xml", "X-Override": "Accept: application/json"}
    response = get_cell(client, "cell1", headers)
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["d"]["results"]["Name"] == "cell1"


def test_x_override_is_repeatable(client):
    make_cell(client, "cell1")
    headers = [("X-Override", f"Authorization: Bearer {MASTER}"), ("X-Override", "Accept: application/json")]
    response = client.get(CELL_SET, headers=headers)
    assert response.status_code == 200
    assert names(response) == ["cell1"]


def test_x_override_can_supply_if_match(client):
    make_cell(client, "cell1")
    headers = {**MASTER_AUTH, "X-Override": 'If-Match: W/"99-1"'}
    assert_error(client.delete(cell_path("cell1"), headers=headers), 412, "PR412-OD-0002")


def test_x_override_replaces_rather_than_appends(client):
    """An overridden Authorization replaces the real one (a wrong real token does not matter)."""
    make_cell(client, "cell1")
    headers = {"Authorization": "Bearer wrong", "Accept": "application/json",
               "X-Override": f"Authorization: Bearer {MASTER}"}
    assert list_cells(client, headers).status_code == 200


@pytest.mark.parametrize("value", ["Accept application/json", ": application/json", "", ":"])
def test_malformed_x_override_entries_are_ignored(client, value):
    """notes §8.1: entries without ':' or with ':' at position 0 are ignored."""
    make_cell(client, "cell1")
    response = client.get(CELL_SET, headers={**MASTER_AUTH, "X-Override": value})
    assert response.status_code == 200
    assert names(response) == ["cell1"]


# --- X-Personium-RequestKey (pages 100–105, notes §8.1) -----------------------------------------------------

@pytest.mark.parametrize("key", ["abc", "A-b_9", "a" * 128, "0123_abcdefghijklmnopqrstuv", "-", "_"])
def test_valid_request_keys_are_accepted(client, key):
    response = client.get(CELL_SET, headers={**MASTER_AUTH, "X-Personium-RequestKey": key})
    assert response.status_code == 200


def test_supplied_request_key_is_returned(client):
    """Cellar returns the request key on the response. Note: notes §8.1 say Java does *not* echo it;
    returning it is a Cellar addition (harmless; it correlates the response with the event log)."""
    response = client.get(CELL_SET, headers={**MASTER_AUTH, "X-Personium-RequestKey": "my-key_1"})
    assert response.headers["x-personium-requestkey"] == "my-key_1"


def test_generated_request_key_has_the_documented_shape(client):
    """Pages 100–105: default '${4 digits}_${22 digits} Base64url characters'."""
    first = client.get(CELL_SET, headers=MASTER_AUTH).headers["x-personium-requestkey"]
    second = client.get(CELL_SET, headers=MASTER_AUTH).headers["x-personium-requestkey"]
    for key in (first, second):
        assert re.fullmatch(r"[0-9]{4}_[A-Za-z0-9_-]{22}", key), key
    assert first != second


BAD_REQUEST_KEYS = [
    pytest.param("a" * 129, id="129-chars"),
    pytest.param("abc!", id="bang"),
    pytest.param("a b", id="space"),
    pytest.param("a.b", id="dot"),
    pytest.param("a/b", id="slash"),
    pytest.param("ключ".encode(), id="non-ascii"),
]


@pytest.mark.parametrize("key", BAD_REQUEST_KEYS)
@pytest.mark.parametrize(("method", "path"), [("GET", CELL_SET), ("GET", "/"), ("POST", CELL_SET),
                                              ("GET", "/cell1/")])
def test_invalid_request_keys_are_400(client, method, path, key):
    make_cell(client, "cell1")
    headers = {**MASTER_AUTH, "X-Personium-RequestKey": key}
    response = client.request(method, path, json={"Name": "cell2"}, headers=headers)
    body = assert_error(response, 400, "PR400-EV-0002")
    assert body["message"]["value"] == "Request header is invalid [X-Personium-RequestKey]."
    assert response.headers["x-personium-version"] == "1.8.4"
    assert names(list_cells(client)) == ["cell1"]


# --- gzip (page 003: Accept-Encoding / Content-Encoding) ----------------------------------------------------

def test_gzip_when_asked(client):
    make_cells(client, *(f"cell-with-a-rather-long-name-{i:02d}" for i in range(20)))
    response = client.get(CELL_SET, headers={**MASTER_AUTH, "Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["content-encoding"] == "gzip"
    assert len(names(response)) == 20  # httpx decoded it


def test_gzip_body_is_really_gzip(client):
    make_cells(client, *(f"cell-with-a-rather-long-name-{i:02d}" for i in range(20)))
    with client.stream("GET", CELL_SET, headers={**MASTER_AUTH, "Accept-Encoding": "gzip"}) as response:
        raw = b"".join(response.iter_raw())
    assert b'"results"' in gzip.decompress(raw)


def test_no_gzip_when_not_asked(client):
    make_cells(client, *(f"cell-with-a-rather-long-name-{i:02d}" for i in range(20)))
    response = client.get(CELL_SET, headers={**MASTER_AUTH, "Accept-Encoding": "identity"})
    assert "content-encoding" not in response.headers
    assert len(names(response)) == 20


def test_responses_say_they_vary_by_accept_encoding(client):
    """Whether compressed or not, a cache must key the response by Accept-Encoding (RFC 9110 §12.5.5)."""
    make_cells(client, *(f"cell-with-a-rather-long-name-{i:02d}" for i in range(20)))
    plain = client.get(CELL_SET, headers={**MASTER_AUTH, "Accept-Encoding": "identity"})
    packed = client.get(CELL_SET, headers={**MASTER_AUTH, "Accept-Encoding": "gzip"})
    assert plain.headers.get_list("vary") == ["Accept-Encoding"]
    assert "Accept-Encoding" in packed.headers["vary"]


def test_an_unexpected_failure_is_a_pr500_without_its_trace(client, backend, monkeypatch):
    """Never a stack trace on the wire: PR500-SV-9999 naming an incident the log has the trace of."""
    from starlette.testclient import TestClient

    from cellar.http import unit

    async def broken(request, ctx):
        raise RuntimeError("secret detail")

    monkeypatch.setattr(unit, "unit_root", broken)
    plain = TestClient(backend.app, base_url=str(client.base_url), raise_server_exceptions=False)
    response = plain.get("/", headers=MASTER_AUTH)
    body = assert_error(response, 500, "PR500-SV-9999")
    assert "secret detail" not in response.text and "Traceback" not in response.text
    assert re.fullmatch(r"Unknown Exception \[[0-9a-f]{8}\] ", body["message"]["value"]), body
