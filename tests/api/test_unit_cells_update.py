"""Update Cell — apiref/103_Update_Cell.md; PUT replaces, the key may change (rename, notes §5.5);
If-Match (notes §8.3); ETag version counting (notes §1.5)."""

from __future__ import annotations

import json

import pytest

from tests.api._support import (
    cell_path,
    cell_url,
    current_etag,
    date_ms,
    etag_parts,
    get_cell,
    list_cells,
    names,
)
from tests.helpers import MASTER_AUTH, assert_error, make_cell


def put_cell(client, name, body, headers=None):
    return client.put(cell_path(name), content=json.dumps(body), headers=headers or MASTER_AUTH)


# --- success ------------------------------------------------------------------------------------------

def test_put_rename_returns_204_with_new_etag(client):
    make_cell(client, "cell1")
    response = put_cell(client, "cell1", {"Name": "cell2"})
    assert response.status_code == 204, response.text
    assert response.content == b""
    assert response.headers["dataserviceversion"] == "2.0"
    assert response.headers["x-personium-version"] == "1.8.4"
    assert etag_parts(response.headers["etag"])[0] == 2


def test_rename_moves_the_cell(client):
    make_cell(client, "cell1")
    put_cell(client, "cell1", {"Name": "cell2"})
    assert_error(get_cell(client, "cell1"), 404, "PR404-OD-0002")
    assert get_cell(client, "cell2").json()["d"]["results"]["Name"] == "cell2"
    assert names(list_cells(client)) == ["cell2"]


def test_rename_keeps_published_and_advances_updated(client):
    created = make_cell(client, "cell1").json()["d"]["results"]
    put_cell(client, "cell1", {"Name": "cell2"})
    renamed = get_cell(client, "cell2").json()["d"]["results"]
    assert renamed["__published"] == created["__published"]
    assert date_ms(renamed["__updated"]) >= date_ms(created["__updated"])
    version, millis = etag_parts(renamed["__metadata"]["etag"])
    assert version == 2
    assert millis == date_ms(renamed["__updated"])


def test_put_etag_matches_the_stored_entity(client):
    make_cell(client, "cell1")
    etag = put_cell(client, "cell1", {"Name": "cell2"}).headers["etag"]
    assert get_cell(client, "cell2").headers["etag"] == etag


def test_put_same_name_is_a_write(client):
    make_cell(client, "cell1")
    response = put_cell(client, "cell1", {"Name": "cell1"})
    assert response.status_code == 204
    assert etag_parts(response.headers["etag"])[0] == 2


def test_every_write_increments_the_version(client):
    make_cell(client, "cell1")
    versions = [etag_parts(current_etag(client, "cell1"))[0]]
    for _ in range(3):
        response = put_cell(client, "cell1", {"Name": "cell1"})
        versions.append(etag_parts(response.headers["etag"])[0])
    assert versions == [1, 2, 3, 4]
    assert etag_parts(current_etag(client, "cell1"))[0] == 4


def test_rename_back_and_forth(client):
    make_cell(client, "cell1")
    put_cell(client, "cell1", {"Name": "cell2"})
    response = put_cell(client, "cell2", {"Name": "cell1"})
    assert response.status_code == 204
    assert etag_parts(response.headers["etag"])[0] == 3
    assert names(list_cells(client)) == ["cell1"]


def test_put_via_named_key(client):
    make_cell(client, "cell1")
    response = client.put("/__ctl/Cell(Name='cell1')", json={"Name": "cell2"}, headers=MASTER_AUTH)
    assert response.status_code == 204
    assert get_cell(client, "cell2").status_code == 200


def test_renamed_cell_root_moves_too(client):
    make_cell(client, "cell1")
    put_cell(client, "cell1", {"Name": "cell2"})
    headers = {"Accept": "application/json"}
    assert client.get("/cell2/", headers=headers).json()["cell"]["url"] == cell_url("cell2")
    assert_error(client.get("/cell1/", headers=headers), 404, "PR404-DV-0003")


def test_merge_renames(client):
    """notes §5.5: MERGE changes only the given properties → 204 with ETag."""
    make_cell(client, "cell1")
    response = client.request("MERGE", cell_path("cell1"), json={"Name": "cell2"}, headers=MASTER_AUTH)
    assert response.status_code == 204, response.text
    assert etag_parts(response.headers["etag"])[0] == 2
    assert names(list_cells(client)) == ["cell2"]


def test_merge_with_empty_body_keeps_the_name_and_counts_a_write(client):
    make_cell(client, "cell1")
    response = client.request("MERGE", cell_path("cell1"), json={}, headers=MASTER_AUTH)
    assert response.status_code == 204, response.text
    assert etag_parts(response.headers["etag"])[0] == 2
    assert names(list_cells(client)) == ["cell1"]


# --- conflicts and not found ---------------------------------------------------------------------------

def test_rename_onto_an_existing_cell_conflicts(client):
    make_cell(client, "cell1")
    make_cell(client, "cell2")
    assert_error(put_cell(client, "cell1", {"Name": "cell2"}), 409, "PR409-OD-0003")
    assert names(list_cells(client, **{"$orderby": "Name"})) == ["cell1", "cell2"]
    assert etag_parts(current_etag(client, "cell1"))[0] == 1
    assert etag_parts(current_etag(client, "cell2"))[0] == 1


def test_merge_rename_onto_an_existing_cell_conflicts(client):
    make_cell(client, "cell1")
    make_cell(client, "cell2")
    response = client.request("MERGE", cell_path("cell1"), json={"Name": "cell2"}, headers=MASTER_AUTH)
    assert_error(response, 409, "PR409-OD-0003")


def test_put_unknown_cell_is_404(client):
    assert_error(put_cell(client, "nosuch", {"Name": "cell2"}), 404, "PR404-OD-0002")
    assert names(list_cells(client)) == []


# --- body validation (same rules as create) --------------------------------------------------------------

@pytest.mark.parametrize("name", ["", "A", "-a", "a_b", "a" * 129, "é"])
def test_put_invalid_name(client, name):
    make_cell(client, "cell1")
    assert_error(put_cell(client, "cell1", {"Name": name}), 400, "PR400-OD-0006")
    assert names(list_cells(client)) == ["cell1"]


@pytest.mark.parametrize("value", [1, True, {"a": 1}, ["cell2"]])
def test_put_non_string_name(client, value):
    make_cell(client, "cell1")
    assert_error(put_cell(client, "cell1", {"Name": value}), 400, "PR400-OD-0006")


@pytest.mark.parametrize("body", [{}, {"Name": None}])
def test_put_without_name(client, body):
    """PUT replaces the whole entity; the required key is missing → PR400-OD-0009."""
    make_cell(client, "cell1")
    assert_error(put_cell(client, "cell1", body), 400, "PR400-OD-0009")
    assert names(list_cells(client)) == ["cell1"]


@pytest.mark.parametrize("body", [
    {"Name": "cell1", "Foo": 1},
    {"Name": "cell1", "__published": "/Date(0)/"},
    {"Name": "cell1", "__updated": "/Date(0)/"},
    {"Name": "cell1", "__metadata": {}},
])
def test_put_unknown_or_management_property(client, body):
    make_cell(client, "cell1")
    assert_error(put_cell(client, "cell1", body), 400, "PR400-OD-0007")


@pytest.mark.parametrize("raw", [b"", b"{", b"[]", b'"cell2"', b"null"])
def test_put_invalid_json(client, raw):
    make_cell(client, "cell1")
    response = client.put(cell_path("cell1"), content=raw, headers=MASTER_AUTH)
    assert_error(response, 400, "PR400-OD-0001")


def test_merge_invalid_name(client):
    make_cell(client, "cell1")
    response = client.request("MERGE", cell_path("cell1"), json={"Name": "BAD"}, headers=MASTER_AUTH)
    assert_error(response, 400, "PR400-OD-0006")


# --- If-Match (notes §8.3) ---------------------------------------------------------------------------------

def test_put_with_matching_if_match(client):
    make_cell(client, "cell1")
    etag = current_etag(client, "cell1")
    response = put_cell(client, "cell1", {"Name": "cell2"}, {**MASTER_AUTH, "If-Match": etag})
    assert response.status_code == 204


def test_put_with_if_match_star(client):
    make_cell(client, "cell1")
    response = put_cell(client, "cell1", {"Name": "cell2"}, {**MASTER_AUTH, "If-Match": "*"})
    assert response.status_code == 204


def _mismatches(etag: str) -> list[str]:
    version, millis = etag_parts(etag)
    return [
        f'W/"{version + 1}-{millis}"',  # wrong version
        f'W/"{version}-{millis + 1}"',  # wrong timestamp
        f'"{version}-{millis}"',  # strong form of the right value
        f"W/{version}-{millis}",  # unquoted
        "garbage",
        'W/"x-y"',
    ]


@pytest.mark.parametrize("index", range(6))
def test_put_with_mismatching_if_match_is_412(client, index):
    make_cell(client, "cell1")
    wrong = _mismatches(current_etag(client, "cell1"))[index]
    response = put_cell(client, "cell1", {"Name": "cell2"}, {**MASTER_AUTH, "If-Match": wrong})
    body = assert_error(response, 412, "PR412-OD-0002")
    assert body["message"]["value"] == "ETag does not match."
    assert names(list_cells(client)) == ["cell1"]
    assert etag_parts(current_etag(client, "cell1"))[0] == 1


def test_put_with_a_stale_etag_is_412(client):
    make_cell(client, "cell1")
    stale = current_etag(client, "cell1")
    put_cell(client, "cell1", {"Name": "cell1"})
    response = put_cell(client, "cell1", {"Name": "cell2"}, {**MASTER_AUTH, "If-Match": stale})
    assert_error(response, 412, "PR412-OD-0002")


def test_put_with_the_etag_returned_by_the_previous_put(client):
    make_cell(client, "cell1")
    etag = put_cell(client, "cell1", {"Name": "cell2"}).headers["etag"]
    response = put_cell(client, "cell2", {"Name": "cell3"}, {**MASTER_AUTH, "If-Match": etag})
    assert response.status_code == 204


def test_merge_with_mismatching_if_match_is_412(client):
    make_cell(client, "cell1")
    headers = {**MASTER_AUTH, "If-Match": 'W/"99-1"'}
    response = client.request("MERGE", cell_path("cell1"), json={"Name": "cell2"}, headers=headers)
    assert_error(response, 412, "PR412-OD-0002")


def test_if_match_on_unknown_cell_is_404(client):
    response = put_cell(client, "nosuch", {"Name": "x"}, {**MASTER_AUTH, "If-Match": 'W/"1-1"'})
    assert_error(response, 404, "PR404-OD-0002")
