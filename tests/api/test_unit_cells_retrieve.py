"""Retrieve Cell — apiref/102_Retrieve_Cell.md; keys in URLs (notes §5.2), If-None-Match (§8.1),
formats (§7.1), unknown sets and entities (§5.5, §6)."""

from __future__ import annotations

import pytest
from lxml import etree

from tests.api._support import CELL_SET, cell_path, cell_uri, date_ms, etag_parts, get_cell, make_cells
from tests.helpers import MASTER_AUTH, assert_error, make_cell

ATOM = "{http://www.w3.org/2005/Atom}"
METADATA_NS = "{http://schemas.microsoft.com/ado/2007/08/dataservices/metadata}"
DATA_NS = "{http://schemas.microsoft.com/ado/2007/08/dataservices}"


def test_retrieve_returns_the_entity(client):
    created = make_cell(client, "cell1")
    response = get_cell(client, "cell1")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["dataserviceversion"] == "2.0"
    assert response.headers["x-personium-version"] == "1.8.4"
    entity = response.json()["d"]["results"]
    assert isinstance(entity, dict)
    assert entity == created.json()["d"]["results"]


def test_retrieve_metadata(client):
    make_cell(client, "cell1")
    entity = get_cell(client, "cell1").json()["d"]["results"]
    # notes §11: __metadata.uri uses Cell('x'); the page sample's Cell(Name='x') is a doc mismatch
    assert entity["__metadata"] == {"uri": cell_uri("cell1"), "etag": entity["__metadata"]["etag"],
                                    "type": "UnitCtl.Cell"}
    assert set(entity) == {"__metadata", "Name", "__published", "__updated"}


def test_retrieve_etag_header_matches_body(client):
    make_cell(client, "cell1")
    response = get_cell(client, "cell1")
    etag = response.headers["etag"]
    assert etag == response.json()["d"]["results"]["__metadata"]["etag"]
    version, millis = etag_parts(etag)
    assert version == 1
    assert date_ms(response.json()["d"]["results"]["__updated"]) == millis


# --- key forms (page 102, notes §5.2) --------------------------------------------------------------------

KEY_FORMS = [
    pytest.param("/__ctl/Cell('cell1')", id="single"),
    pytest.param("/__ctl/Cell(Name='cell1')", id="named"),
    pytest.param("/__ctl/Cell(%27cell1%27)", id="percent-encoded-quotes"),
    pytest.param("/__ctl/Cell(Name=%27cell1%27)", id="named-percent-encoded"),
    pytest.param("/__ctl/Cell%28%27cell1%27%29", id="percent-encoded-parentheses"),
]


@pytest.mark.parametrize("path", KEY_FORMS)
def test_both_key_forms_address_the_same_cell(client, path):
    make_cell(client, "cell1")
    response = client.get(path, headers=MASTER_AUTH)
    assert response.status_code == 200, response.text
    assert response.json()["d"]["results"]["Name"] == "cell1"
    assert response.json()["d"]["results"]["__metadata"]["uri"] == cell_uri("cell1")


def test_128_character_key(client):
    make_cell(client, "a" * 128)
    assert get_cell(client, "a" * 128).json()["d"]["results"]["Name"] == "a" * 128


BAD_KEYS = [  # PR400-OD-0004 "OData EntityKey Parse error."
    pytest.param("Cell(1)", id="number"),
    pytest.param("Cell(1.5)", id="decimal"),
    pytest.param("Cell(true)", id="boolean"),
    pytest.param("Cell(Name=1)", id="named-number"),
    pytest.param("Cell(cell1)", id="unquoted"),
    pytest.param("Cell('cell1'", id="missing-close-paren"),
    pytest.param("Cell('cell1)", id="unterminated-string"),
    pytest.param("Cell('a','b')", id="two-values"),
    pytest.param("Cell(Name='a'", id="named-missing-close-paren"),
    pytest.param("Cell(Name=)", id="named-no-value"),
    pytest.param("Cell('a'x)", id="trailing-garbage"),
]


@pytest.mark.parametrize("segment", BAD_KEYS)
def test_malformed_keys(client, segment):
    make_cell(client, "cell1")
    body = assert_error(client.get(f"/__ctl/{segment}", headers=MASTER_AUTH), 400, "PR400-OD-0004")
    assert body["message"]["value"] == "OData EntityKey Parse error."


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
def test_malformed_keys_on_writes(client, method):
    make_cell(client, "cell1")
    response = client.request(method, "/__ctl/Cell(1)", json={"Name": "cell2"}, headers=MASTER_AUTH)
    assert_error(response, 400, "PR400-OD-0004")


# --- not found ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["nosuch", "Cell1", "cell1-", "a''b", "x" * 200])
def test_unknown_cell_is_404(client, name):
    make_cell(client, "cell1")
    body = assert_error(get_cell(client, name), 404, "PR404-OD-0002")
    assert body["message"]["value"] == "No such entity."


def test_unknown_cell_by_named_key_is_404(client):
    assert_error(client.get("/__ctl/Cell(Name='nosuch')", headers=MASTER_AUTH), 404, "PR404-OD-0002")


@pytest.mark.parametrize("entity_set", ["Box", "Account", "Role", "cell", "CELL", "Cells", "Nope"])
def test_unknown_entity_set_is_404(client, entity_set):
    body = assert_error(client.get(f"/__ctl/{entity_set}", headers=MASTER_AUTH), 404, "PR404-OD-0001")
    assert body["message"]["value"] == "No such entity set."


def test_unknown_entity_set_with_key_is_404(client):
    assert_error(client.get("/__ctl/Box('x')", headers=MASTER_AUTH), 404, "PR404-OD-0001")


def test_unknown_entity_set_on_post_is_404(client):
    assert_error(client.post("/__ctl/Box", json={"Name": "x"}, headers=MASTER_AUTH), 404, "PR404-OD-0001")


# --- If-None-Match (page 102, notes §8.1) ----------------------------------------------------------------

def test_if_none_match_with_current_etag_is_304(client):
    make_cell(client, "cell1")
    etag = get_cell(client, "cell1").headers["etag"]
    response = client.get(cell_path("cell1"), headers={**MASTER_AUTH, "If-None-Match": etag})
    assert response.status_code == 304
    assert response.content == b""
    assert response.headers["etag"] == etag


def test_if_none_match_with_other_etag_is_200(client):
    make_cell(client, "cell1")
    version, millis = etag_parts(get_cell(client, "cell1").headers["etag"])
    stale = f'W/"{version + 1}-{millis}"'
    response = client.get(cell_path("cell1"), headers={**MASTER_AUTH, "If-None-Match": stale})
    assert response.status_code == 200
    assert response.json()["d"]["results"]["Name"] == "cell1"


def test_if_none_match_with_an_old_etag_after_update_is_200(client):
    make_cell(client, "cell1")
    old = get_cell(client, "cell1").headers["etag"]
    assert client.put(cell_path("cell1"), json={"Name": "cell1"}, headers=MASTER_AUTH).status_code == 204
    response = client.get(cell_path("cell1"), headers={**MASTER_AUTH, "If-None-Match": old})
    assert response.status_code == 200
    assert response.headers["etag"] != old


def test_if_none_match_on_unknown_cell_is_still_404(client):
    response = client.get(cell_path("nosuch"), headers={**MASTER_AUTH, "If-None-Match": 'W/"1-1"'})
    assert_error(response, 404, "PR404-OD-0002")


# --- formats and $select on a single entity ---------------------------------------------------------------

@pytest.mark.parametrize("accept", [None, "*/*", "application/atom+xml", "application/xml"])
def test_retrieve_atom_entry(client, accept):
    make_cell(client, "cell1")
    headers = {"Authorization": MASTER_AUTH["Authorization"]}
    if accept:
        headers["Accept"] = accept
    response = client.get(cell_path("cell1"), headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/atom+xml")
    entry = etree.fromstring(response.content)
    assert entry.tag == f"{ATOM}entry"
    assert entry.find(f"{ATOM}id").text == cell_uri("cell1")
    assert entry.find(f"{ATOM}content/{METADATA_NS}properties/{DATA_NS}Name").text == "cell1"
    assert entry.get(f"{METADATA_NS}etag") == response.headers["etag"]
    assert entry.find(f"{ATOM}category").get("term") == "UnitCtl.Cell"


def test_retrieve_format_json_beats_missing_accept(client):
    make_cell(client, "cell1")
    response = client.get(cell_path("cell1"), params={"$format": "json"},
                          headers={"Authorization": MASTER_AUTH["Authorization"]})
    assert response.json()["d"]["results"]["Name"] == "cell1"


def test_retrieve_format_atom_beats_json_accept(client):
    make_cell(client, "cell1")
    response = client.get(cell_path("cell1"), params={"$format": "atom"}, headers=MASTER_AUTH)
    assert response.headers["content-type"].startswith("application/atom+xml")


def test_retrieve_invalid_format(client):
    make_cell(client, "cell1")
    response = client.get(cell_path("cell1"), params={"$format": "csv"}, headers=MASTER_AUTH)
    assert_error(response, 400, "PR400-OD-0005")


def test_retrieve_unacceptable_accept(client):
    make_cell(client, "cell1")
    response = client.get(cell_path("cell1"), headers={**MASTER_AUTH, "Accept": "text/csv"})
    assert_error(response, 406, "PR406-OD-0001")


def test_retrieve_select(client):
    make_cell(client, "cell1")
    response = client.get(cell_path("cell1"), params={"$select": "__published"}, headers=MASTER_AUTH)
    entity = response.json()["d"]["results"]
    # The key is always returned too (the real server's OEntityDocHandler adds key properties).
    assert {"__metadata", "__published", "__updated", "Name"} == set(entity)


def test_retrieve_select_empty_is_an_error(client):
    make_cell(client, "cell1")
    response = client.get(cell_path("cell1"), params={"$select": ""}, headers=MASTER_AUTH)
    assert_error(response, 400, "PR400-OD-0017")


def test_navigation_below_a_cell_is_404(client):
    """Cell has no navigation properties: ``Cell('x')/_Box`` → 404 PR404-OD-0003."""
    make_cell(client, "cell1")
    response = client.get(f"{CELL_SET}('cell1')/_Box", headers=MASTER_AUTH)
    assert_error(response, 404, "PR404-OD-0003")


def test_list_and_entity_agree(client):
    make_cells(client, "cell1")
    listed = client.get(CELL_SET, headers=MASTER_AUTH).json()["d"]["results"][0]
    assert listed == get_cell(client, "cell1").json()["d"]["results"]
