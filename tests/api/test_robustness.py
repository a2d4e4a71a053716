"""Hostile and malformed input at unit level: none of it may give a 5xx, and every error keeps the
Personium body shape (notes §6.1). Limits from apiref/003 (URL ≤ 50 KB, header ≤ 4096 bytes) and
notes §5 (string property ≤ 51200 bytes), §6.1 (framework 404/405 → PR404-MC-0001 / PR405-MC-0001)."""

from __future__ import annotations

import json

import pytest

from tests.api._support import CELL_SET, assert_not_server_error, cell_path, list_cells, names, raw_request
from tests.helpers import MASTER_AUTH, as_unit_user, assert_error, make_cell

# --- malformed percent-encoding and odd bytes in paths ------------------------------------------------------

ODD_PATHS = [
    "/%ZZ",
    "/%",
    "/%C3%28/",
    "/%FF%FE/",
    "/__ctl/%ZZ",
    "/__ctl/%FF",
    "/__ctl/Cell('%ZZ')",
    "/__ctl/Cell('%C3%28')",
    "/__ctl/Cell('%FF')",
    "/__ctl/Cell('%00')",
    "/__ctl/Cell('a%00b')",
    "/__ctl/Cell(Name='%E2%80%AE')",
    "/__ctl/Cell('%F0%9F%98%80')",
    "/__ctl/Cell('\u00e9')",
    "/a%00b/",
    "/a%00b/__ctl/Box",
    "/%2e%2e/%2e%2e/etc/passwd",
    "/__ctl/Cell/../../",
    "/__ctl/Cell%2F",
    "/__ctl//Cell",
    "//",
    "/__ctl/Cell('a')('b')",
    "/__ctl/Cell('a')/x/y/z",
    "/__ctl/$metadata/extra",
    "/__ctl/Cell(",
    "/__ctl/Cell)",
    "/__ctl/Cell()",
    "/__ctl/(x)",
    "/__ctl/Cell(%27a%27%2C%27b%27)",
]


@pytest.mark.parametrize("path", ODD_PATHS)
@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_odd_paths_never_fail_the_server(client, path, method):
    make_cell(client, "cell1")
    response = client.request(method, path, json={"Name": "cell2"}, headers=MASTER_AUTH)
    assert_not_server_error(response)
    assert names(list_cells(client)) == ["cell1"]


@pytest.mark.parametrize("path", ["/%ZZ", "/%C3%28/"])
def test_undecodable_unit_paths_are_client_errors(client, path):
    response = client.get(path, headers=MASTER_AUTH)
    assert 400 <= response.status_code < 500


def test_nul_in_cell_name_of_cell_root_is_404(client):
    assert_error(client.get("/a%00b/", headers={"Accept": "application/json"}), 404, "PR404-DV-0003")


def test_nul_in_key_is_not_found(client):
    assert_error(client.get("/__ctl/Cell('a%00b')", headers=MASTER_AUTH), 404, "PR404-OD-0002")


# --- odd query strings --------------------------------------------------------------------------------------

ODD_QUERIES = [
    "$filter=%ZZ",
    "$filter=Name%20eq%20%27%00%27",
    "$filter=Name%20eq%20%27%FF%27",
    "$filter=Name%20eq%20%27a%5Cu00ZZ%27",
    "$filter=" + "(" * 5000 + "Name eq 'a'" + ")" * 5000,
    "$filter=" + "%20and%20".join(["Name eq 'a'"] * 2000),
    "$filter=startswith(Name,%27%25%27)",
    "$filter=substringof(%27_%27,Name)",
    "$filter=Name%20eq%20%27" + "x" * 20000 + "%27",
    "$filter=__published%20eq%2099999999999999999999999",
    "$filter=__published%20eq%201e400",
    "$filter=__published%20eq%20datetime%272017-02-30T00:00:00%27",
    "$filter=__published%20eq%20datetime%27garbage%27",
    "$orderby=" + ",".join(["Name desc"] * 500),
    "$orderby=%00",
    "$select=" + ",".join(["Name"] * 500),
    "$select=%00",
    "$top=%00",
    "$skip=%FF",
    "$inlinecount=%00",
    "$format=%00",
    "q=%00",
    "q=%25%25%25",
    "q=%5C",
    "q=" + "%E3%81%82" * 85,
    "$top=1&$top=2",
    "$expand=_Box",
    "$expand=%00",
    "$skiptoken=%00",
    "%ZZ=%ZZ",
    "&&&==&",
]


@pytest.mark.parametrize("query", ODD_QUERIES)
def test_odd_list_queries_never_fail_the_server(client, query):
    make_cell(client, "cell1")
    response = client.get(f"{CELL_SET}?{query}", headers=MASTER_AUTH)
    assert_not_server_error(response)


@pytest.mark.parametrize("query", ["$select=%00", "$format=%00", "$expand=%00", "$select=" + "x" * 10000])
def test_odd_entity_queries_never_fail_the_server(client, query):
    make_cell(client, "cell1")
    response = client.get(f"{cell_path('cell1')}?{query}", headers=MASTER_AUTH)
    assert_not_server_error(response)


def test_filter_with_like_wildcards_matches_literally(client):
    """``%`` and ``_`` in startswith/substringof are literal characters, not SQL wildcards."""
    make_cell(client, "cell1")
    response = list_cells(client, **{"$filter": "startswith(Name,'%')"})
    assert names(response) == []
    response = list_cells(client, **{"$filter": "substringof('_',Name)"})
    assert names(response) == []


def test_q_with_like_wildcards_matches_literally(client):
    make_cell(client, "cell1")
    assert names(list_cells(client, q="%")) == []
    assert names(list_cells(client, q="_")) == []


def test_sql_injection_attempts_are_just_strings(client):
    make_cell(client, "cell1")
    for expression in ["Name eq 'x'' OR ''1''=''1'", "Name eq 'x''); DROP TABLE cells; --'"]:
        assert names(list_cells(client, **{"$filter": expression})) == []
    assert names(list_cells(client, q="' OR 1=1 --")) == []
    assert names(list_cells(client)) == ["cell1"]


# --- huge inputs (page 003) ---------------------------------------------------------------------------------

def test_huge_url_path_is_a_client_error(client):
    response = client.get("/__ctl/Cell('" + "a" * 60_000 + "')", headers=MASTER_AUTH)
    assert_not_server_error(response)
    assert 400 <= response.status_code < 500


def test_huge_query_string_is_a_client_error(client):
    response = client.get(CELL_SET + "?$filter=Name%20eq%20%27" + "a" * 60_000 + "%27", headers=MASTER_AUTH)
    assert_not_server_error(response)
    assert 400 <= response.status_code < 500


def test_huge_header_is_a_client_error(client):
    headers = {**MASTER_AUTH, "X-Something": "a" * 10_000}
    response = client.get(CELL_SET, headers=headers)
    assert_not_server_error(response)
    assert 400 <= response.status_code < 500


def test_huge_unit_user_header_is_a_client_error(client):
    response = client.post(CELL_SET, json={"Name": "cell1"}, headers=as_unit_user("u" * 10_000))
    assert_not_server_error(response)
    assert 400 <= response.status_code < 500
    assert names(list_cells(client)) == []


def test_long_but_legal_unit_user_works(client):
    """Unit user names are URLs (≤ 1024 characters per notes §5 'uri')."""
    user = "http://localhost:8080/admin/#" + "u" * 990
    make_cell(client, "cell1", as_unit_user(user))
    assert names(list_cells(client, as_unit_user(user))) == ["cell1"]


@pytest.mark.parametrize("size", [2 * 1024 * 1024, 20 * 1024 * 1024])
def test_huge_body_is_a_client_error(client, size):
    body = b'{"Name":"' + b"a" * size + b'"}'
    response = client.post(CELL_SET, content=body, headers=MASTER_AUTH)
    assert_not_server_error(response)
    assert 400 <= response.status_code < 500
    assert names(list_cells(client)) == []


def test_huge_body_on_put_is_a_client_error(client):
    make_cell(client, "cell1")
    body = b'{"Name":"' + b"a" * (2 * 1024 * 1024) + b'"}'
    response = client.put(cell_path("cell1"), content=body, headers=MASTER_AUTH)
    assert_not_server_error(response)
    assert 400 <= response.status_code < 500


def test_many_properties_are_rejected_quickly(client):
    body = {"Name": "cell1", **{f"p{i}": i for i in range(10_000)}}
    assert_error(client.post(CELL_SET, json=body, headers=MASTER_AUTH), 400, "PR400-OD-0007")


def test_string_just_over_51200_bytes_is_a_format_error(client):
    """notes §5: any string longer than 51200 bytes → PR400-OD-0006 (multi-byte counts in bytes)."""
    response = client.post(CELL_SET, json={"Name": "あ" * 17_067}, headers=MASTER_AUTH)
    assert_error(response, 400, "PR400-OD-0006")


# --- wrong JSON types and odd JSON --------------------------------------------------------------------------

ODD_BODIES = [
    b'{"Name":{"Name":{"Name":"x"}}}',
    b'{"Name":[[[[[]]]]]}',
    b"[" * 100_000 + b"]" * 100_000,
    b'{"a":' * 10_000 + b"1" + b"}" * 10_000,
    b'{"Name":"\\ud800"}',
    b'{"Name":"\\u0000"}',
    b'{"Name":1e999}',
    b'{"Name":-0}',
    b'{"Name":123456789012345678901234567890}',
    b'{"Name":NaN}',
    b'{"Name":Infinity}',
    b'{"Name":"cell1","Name":"cell2"}',
    b'{"":""}',
    b'{"\\u0000":1}',
    b"\xef\xbb\xbf{\"Name\":\"cell1\"}",
    b"\x00\x00\x00{",
    b'{"Name":"cell1"}\x00',
    json.dumps({"Name": "x" * 51_201}).encode(),
]


@pytest.mark.parametrize("raw", ODD_BODIES, ids=[f"body{i}" for i in range(len(ODD_BODIES))])
@pytest.mark.parametrize("method", ["POST", "PUT", "MERGE"])
def test_odd_json_never_fails_the_server(client, raw, method):
    make_cell(client, "cell0")
    path = CELL_SET if method == "POST" else cell_path("cell0")
    response = client.request(method, path, content=raw, headers=MASTER_AUTH)
    assert_not_server_error(response)


def test_duplicate_json_keys_do_not_create_two_cells(client):
    client.post(CELL_SET, content=b'{"Name":"cell1","Name":"cell2"}', headers=MASTER_AUTH)
    assert len(names(list_cells(client))) <= 1


# --- methods -----------------------------------------------------------------------------------------------

UNKNOWN_METHODS = ["PATCH", "BREW", "TRACE", "PROPFIND", "MKCOL", "LOCK", "REPORT", "MOVE", "ACL"]


@pytest.mark.parametrize("method", UNKNOWN_METHODS)
@pytest.mark.parametrize("path", [CELL_SET, cell_path("cell1"), "/__ctl/$metadata", "/__ctl/"])
def test_unknown_methods_are_405(client, method, path):
    """notes §6.1: a framework 405 → PR405-MC-0001 'Method not allowed.'"""
    make_cell(client, "cell1")
    response = client.request(method, path, headers=MASTER_AUTH)
    assert_error(response, 405, "PR405-MC-0001")
    assert names(list_cells(client)) == ["cell1"]


@pytest.mark.parametrize(("method", "path"),
                         [("PUT", CELL_SET), ("MERGE", CELL_SET), ("POST", cell_path("cell1"))])
def test_methods_not_supported_by_the_resource_are_405(client, method, path):
    make_cell(client, "cell1")
    response = client.request(method, path, json={"Name": "cell2"}, headers=MASTER_AUTH)
    assert_error(response, 405, "PR405-MC-0001")
    assert names(list_cells(client)) == ["cell1"]


@pytest.mark.parametrize("method", ["G E T", "GET\t", "X" * 100, "DELETE/1.1"])
def test_odd_method_tokens_never_fail_the_server(client, method):
    make_cell(client, "cell1")
    response = client.request(method, cell_path("cell1"), headers=MASTER_AUTH)
    assert_not_server_error(response)
    assert names(list_cells(client)) == ["cell1"]


@pytest.mark.parametrize("override", ["", " ", "get", "PUT PUT", "P\u00dcT".encode("latin-1"), "X" * 100])
def test_odd_method_overrides_never_fail_the_server(client, override):
    make_cell(client, "cell1")
    response = client.post(cell_path("cell1"), json={"Name": "cell2"},
                           headers={**MASTER_AUTH, "X-HTTP-Method-Override": override})
    assert_not_server_error(response)


# --- odd headers --------------------------------------------------------------------------------------------

ODD_HEADERS = [
    {"Authorization": "Bearer"},
    {"Authorization": "Bearer \u00e9".encode("latin-1")},
    {"Authorization": "Basic"},
    {"Authorization": ""},
    {"If-Match": ""},
    {"If-Match": "W/\"" + "9" * 100 + "-" + "9" * 100 + "\""},
    {"If-None-Match": "W/\"" + "9" * 100 + "-1\""},
    {"Accept": ""},
    {"Accept": ",,,;;;"},
    {"Accept": "application/json;q=abc"},
    {"Origin": "null"},
    {"Origin": "\u00e9".encode("latin-1")},
    {"X-Personium-Unit-User": "\u00e9t\u00e9".encode("latin-1")},
    {"X-Personium-Unit-User": "'; DROP TABLE cells; --"},
    {"X-Personium-Recursive": "\u00e9".encode("latin-1")},
    {"X-Override": "X-Override: Accept: text/html"},
    {"Content-Length": "abc"},
    {"Content-Type": "application/json; charset=klingon"},
]


@pytest.mark.parametrize("extra", ODD_HEADERS, ids=[f"h{i}" for i in range(len(ODD_HEADERS))])
@pytest.mark.parametrize(("method", "path"), [("GET", CELL_SET), ("GET", cell_path("cell1")),
                                              ("PUT", cell_path("cell1")), ("DELETE", "/cell1/"),
                                              ("GET", "/cell1/")])
def test_odd_headers_never_fail_the_server(client, extra, method, path):
    make_cell(client, "cell1")
    headers = {**MASTER_AUTH, "Content-Type": "application/json", **extra}
    # Raw ASGI: httpx cannot read back a response that echoes non-ASCII header bytes.
    response = raw_request(client, method, path, headers, json.dumps({"Name": "cell1"}).encode())
    assert_not_server_error(response)
