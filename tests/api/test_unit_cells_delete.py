"""Delete Cell — apiref/104_Delete_Cell.md; If-Match (notes §8.3); delete semantics (notes §2.3, §5.4)."""

from __future__ import annotations

import pytest

from tests.api._support import cell_path, current_etag, etag_parts, get_cell, list_cells, names
from tests.helpers import MASTER_AUTH, assert_error, make_cell


def delete_cell(client, name, headers=None):
    return client.delete(cell_path(name), headers=headers or MASTER_AUTH)


def test_delete_returns_204(client):
    make_cell(client, "cell1")
    response = delete_cell(client, "cell1")
    assert response.status_code == 204
    assert response.content == b""
    assert response.headers["dataserviceversion"] == "2.0"
    assert response.headers["x-personium-version"] == "1.8.4"


def test_deleted_cell_is_gone(client):
    make_cell(client, "cell1")
    make_cell(client, "cell2")
    delete_cell(client, "cell1")
    assert_error(get_cell(client, "cell1"), 404, "PR404-OD-0002")
    assert names(list_cells(client)) == ["cell2"]
    assert_error(client.get("/cell1/", headers={"Accept": "application/json"}), 404, "PR404-DV-0003")


def test_delete_via_named_key(client):
    make_cell(client, "cell1")
    assert client.delete("/__ctl/Cell(Name='cell1')", headers=MASTER_AUTH).status_code == 204
    assert names(list_cells(client)) == []


def test_delete_unknown_cell_is_404(client):
    body = assert_error(delete_cell(client, "nosuch"), 404, "PR404-OD-0002")
    assert body["message"]["value"] == "No such entity."


def test_delete_twice_is_404_the_second_time(client):
    make_cell(client, "cell1")
    assert delete_cell(client, "cell1").status_code == 204
    assert_error(delete_cell(client, "cell1"), 404, "PR404-OD-0002")


def test_delete_after_rename_uses_the_new_name(client):
    make_cell(client, "cell1")
    client.put(cell_path("cell1"), json={"Name": "cell2"}, headers=MASTER_AUTH)
    assert_error(delete_cell(client, "cell1"), 404, "PR404-OD-0002")
    assert delete_cell(client, "cell2").status_code == 204


def test_delete_on_the_entity_set_is_not_allowed(client):
    make_cell(client, "cell1")
    assert_error(client.delete("/__ctl/Cell", headers=MASTER_AUTH), 405, "PR405-MC-0001")
    assert names(list_cells(client)) == ["cell1"]


# --- If-Match (page 104: "[*] by default"; notes §8.3) ------------------------------------------------------

def test_delete_with_matching_if_match(client):
    make_cell(client, "cell1")
    etag = current_etag(client, "cell1")
    assert delete_cell(client, "cell1", {**MASTER_AUTH, "If-Match": etag}).status_code == 204


def test_delete_with_if_match_star(client):
    """The page's own cURL sample sends ``If-Match: *``."""
    make_cell(client, "cell1")
    assert delete_cell(client, "cell1", {**MASTER_AUTH, "If-Match": "*"}).status_code == 204


@pytest.mark.parametrize("kind", ["version", "millis", "garbage"])
def test_delete_with_mismatching_if_match_is_412(client, kind):
    make_cell(client, "cell1")
    version, millis = etag_parts(current_etag(client, "cell1"))
    wrong = {"version": f'W/"{version + 1}-{millis}"', "millis": f'W/"{version}-{millis - 1}"',
             "garbage": "nonsense"}[kind]
    assert_error(delete_cell(client, "cell1", {**MASTER_AUTH, "If-Match": wrong}), 412, "PR412-OD-0002")
    assert names(list_cells(client)) == ["cell1"]


def test_delete_with_etag_from_before_an_update_is_412(client):
    make_cell(client, "cell1")
    stale = current_etag(client, "cell1")
    client.put(cell_path("cell1"), json={"Name": "cell1"}, headers=MASTER_AUTH)
    assert_error(delete_cell(client, "cell1", {**MASTER_AUTH, "If-Match": stale}), 412, "PR412-OD-0002")
    fresh = current_etag(client, "cell1")
    assert delete_cell(client, "cell1", {**MASTER_AUTH, "If-Match": fresh}).status_code == 204


def test_delete_with_if_match_on_unknown_cell_is_404(client):
    response = delete_cell(client, "nosuch", {**MASTER_AUTH, "If-Match": 'W/"1-1"'})
    assert_error(response, 404, "PR404-OD-0002")


# --- a cell must be empty (page 104, notes §2.3) ------------------------------------------------------------

CONTENTS = [
    pytest.param("Box", {"Name": "box1"}, id="box"),
    pytest.param("Account", {"Name": "account1"}, id="account"),
    pytest.param("Role", {"Name": "role1"}, id="role"),
    pytest.param("Relation", {"Name": "relation1"}, id="relation"),
    pytest.param("ExtCell", {"Url": "https://other.example/cell2/"}, id="extcell"),
]


@pytest.mark.parametrize(("entity_set", "body"), CONTENTS)
def test_delete_of_a_non_empty_cell_is_409(client, entity_set, body):
    """Page 104: a cell with Box, Account, Role, ExtCell, ExtRole or Relation → 409 PR409-OD-0001."""
    make_cell(client, "cell1")
    created = client.post(f"/cell1/__ctl/{entity_set}", json=body, headers=MASTER_AUTH)
    assert created.status_code == 201, created.text
    response = delete_cell(client, "cell1")
    body = assert_error(response, 409, "PR409-OD-0001")
    assert body["message"]["value"] == "This entity has related data."
    assert names(list_cells(client)) == ["cell1"]
    assert etag_parts(current_etag(client, "cell1"))[0] == 1


def test_delete_succeeds_once_the_cell_is_emptied(client):
    make_cell(client, "cell1")
    client.post("/cell1/__ctl/Role", json={"Name": "role1"}, headers=MASTER_AUTH)
    assert_error(delete_cell(client, "cell1"), 409, "PR409-OD-0001")
    assert client.delete("/cell1/__ctl/Role('role1')", headers=MASTER_AUTH).status_code == 204
    assert delete_cell(client, "cell1").status_code == 204


def test_wrong_if_match_on_a_non_empty_cell_changes_nothing(client):
    """Either refusal (412 or 409) is fine; the order of the two checks is not specified."""
    make_cell(client, "cell1")
    client.post("/cell1/__ctl/Box", json={"Name": "box1"}, headers=MASTER_AUTH)
    response = delete_cell(client, "cell1", {**MASTER_AUTH, "If-Match": 'W/"99-1"'})
    assert response.status_code in (409, 412)
    assert names(list_cells(client)) == ["cell1"]
