"""Cell Recursive Delete — apiref/105_Cell_Recursive_Delete.md; notes §2.3 (exact lower-case ``true``,
who may do it), §8.1 (X-Personium-Recursive), §6.1 (realm of cell-level 401s)."""

from __future__ import annotations

import pytest

from tests.api._support import CELL_SET, cell_url, get_cell, list_cells, names
from tests.helpers import MASTER_AUTH, as_unit_user, assert_error, make_cell

RECURSIVE = {"X-Personium-Recursive": "true"}
ALICE = "http://localhost:8080/admin/#alice"


def delete_cell_root(client, name, headers):
    return client.delete(f"/{name}/", headers=headers)


def test_recursive_delete_returns_204(client):
    make_cell(client, "cell1")
    response = delete_cell_root(client, "cell1", {**MASTER_AUTH, **RECURSIVE})
    assert response.status_code == 204
    assert response.content == b""
    assert response.headers["x-personium-version"] == "1.8.4"
    assert response.headers["access-control-allow-origin"] == "*"


def test_recursively_deleted_cell_is_gone(client):
    make_cell(client, "cell1")
    make_cell(client, "cell2")
    delete_cell_root(client, "cell1", {**MASTER_AUTH, **RECURSIVE})
    assert_error(get_cell(client, "cell1"), 404, "PR404-OD-0002")
    assert names(list_cells(client)) == ["cell2"]
    assert_error(client.get("/cell1/", headers={"Accept": "application/json"}), 404, "PR404-DV-0003")


def test_name_is_free_again_after_recursive_delete(client):
    make_cell(client, "cell1")
    delete_cell_root(client, "cell1", {**MASTER_AUTH, **RECURSIVE})
    assert client.post(CELL_SET, json={"Name": "cell1"}, headers=MASTER_AUTH).status_code == 201


@pytest.mark.parametrize("value", [None, "True", "TRUE", "false", "False", "", "1", "yes", " true", "true "])
def test_anything_but_exact_true_is_412(client, value):
    """notes §2.3: exact lower-case ``true``; otherwise 412 PR412-MC-0001.
    Page 105 writes 'True' in its table; the notes (the code) win: only ``true`` works."""
    make_cell(client, "cell1")
    headers = dict(MASTER_AUTH)
    if value is not None:
        headers["X-Personium-Recursive"] = value
    body = assert_error(delete_cell_root(client, "cell1", headers), 412, "PR412-MC-0001")
    assert body["message"]["value"] == "Precondition failed [Header: X-Personium-Recursive]."
    assert names(list_cells(client)) == ["cell1"]


def test_no_token_is_401_with_cell_realm(client):
    """notes §6.1: cell-level 401s carry ``Bearer realm="{cellUrl}"``."""
    make_cell(client, "cell1")
    response = delete_cell_root(client, "cell1", {"Accept": "application/json", **RECURSIVE})
    assert_error(response, 401, "PR401-AU-0001")
    assert response.headers["www-authenticate"] == f'Bearer realm="{cell_url("cell1")}"'
    assert names(list_cells(client)) == ["cell1"]


def test_wrong_token_is_401(client):
    make_cell(client, "cell1")
    headers = {"Authorization": "Bearer nope", "Accept": "application/json", **RECURSIVE}
    response = delete_cell_root(client, "cell1", headers)
    assert response.status_code == 401
    assert response.json()["code"].startswith("PR401-AU-")
    assert names(list_cells(client)) == ["cell1"]


def test_basic_auth_is_401(client):
    make_cell(client, "cell1")
    headers = {"Authorization": "Basic dXNlcjpwYXNz", "Accept": "application/json", **RECURSIVE}
    response = delete_cell_root(client, "cell1", headers)
    assert response.status_code == 401
    assert names(list_cells(client)) == ["cell1"]


def test_owning_unit_user_may_delete(client):
    make_cell(client, "cell1", as_unit_user(ALICE))
    response = delete_cell_root(client, "cell1", {**as_unit_user(ALICE), **RECURSIVE})
    assert response.status_code == 204
    assert names(list_cells(client)) == []


def test_other_unit_user_is_403(client):
    make_cell(client, "cell1", as_unit_user(ALICE))
    headers = {**as_unit_user("http://localhost:8080/admin/#bob"), **RECURSIVE}
    assert_error(delete_cell_root(client, "cell1", headers), 403, "PR403-AU-0003")
    assert names(list_cells(client)) == ["cell1"]


def test_unit_user_cannot_delete_an_ownerless_cell(client):
    """notes §2.3: cells without an owner can only be touched by master or admin."""
    make_cell(client, "cell1")
    headers = {**as_unit_user(ALICE), **RECURSIVE}
    assert_error(delete_cell_root(client, "cell1", headers), 403, "PR403-AU-0003")


def test_master_may_delete_a_unit_users_cell(client):
    make_cell(client, "cell1", as_unit_user(ALICE))
    assert delete_cell_root(client, "cell1", {**MASTER_AUTH, **RECURSIVE}).status_code == 204


def test_unknown_cell_is_404(client):
    response = delete_cell_root(client, "nosuch", {**MASTER_AUTH, **RECURSIVE})
    body = assert_error(response, 404, "PR404-DV-0003")
    assert body["message"]["value"] == "Cell not found."


def test_deleting_twice_is_404_the_second_time(client):
    make_cell(client, "cell1")
    assert delete_cell_root(client, "cell1", {**MASTER_AUTH, **RECURSIVE}).status_code == 204
    assert_error(delete_cell_root(client, "cell1", {**MASTER_AUTH, **RECURSIVE}), 404, "PR404-DV-0003")


def test_recursive_delete_via_method_override(client):
    make_cell(client, "cell1")
    headers = {**MASTER_AUTH, **RECURSIVE, "X-HTTP-Method-Override": "DELETE"}
    assert client.post("/cell1/", headers=headers).status_code == 204
    assert names(list_cells(client)) == []


def test_recursive_header_via_x_override(client):
    make_cell(client, "cell1")
    headers = {**MASTER_AUTH, "X-Override": "X-Personium-Recursive: true"}
    assert delete_cell_root(client, "cell1", headers).status_code == 204


def test_only_the_named_cell_is_deleted(client):
    for name in ("cell1", "cell10", "cell1-a"):
        make_cell(client, name)
    delete_cell_root(client, "cell1", {**MASTER_AUTH, **RECURSIVE})
    assert names(list_cells(client, **{"$orderby": "Name"})) == ["cell1-a", "cell10"]


def test_recursive_delete_removes_the_cell_contents(client):
    """Page 105: deletes Box, Account, Role, Relation, ExtCell, ... and the cell itself."""
    make_cell(client, "cell1")
    for entity_set, body in [("Box", {"Name": "box1"}), ("Account", {"Name": "account1"}),
                             ("Role", {"Name": "role1"}), ("Relation", {"Name": "relation1"}),
                             ("ExtCell", {"Url": "https://other.example/cell2/"})]:
        assert client.post(f"/cell1/__ctl/{entity_set}", json=body, headers=MASTER_AUTH).status_code == 201
    assert delete_cell_root(client, "cell1", {**MASTER_AUTH, **RECURSIVE}).status_code == 204
    assert names(list_cells(client)) == []
    # a new cell of the same name starts empty
    make_cell(client, "cell1")
    for entity_set in ("Box", "Account", "Role", "Relation", "ExtCell"):
        response = client.get(f"/cell1/__ctl/{entity_set}", headers=MASTER_AUTH)
        assert response.status_code == 200, response.text
        assert response.json()["d"]["results"] == [], entity_set
    assert client.delete("/__ctl/Cell('cell1')", headers=MASTER_AUTH).status_code == 204


def test_recursive_delete_leaves_other_cells_alone(client):
    make_cell(client, "cell1")
    make_cell(client, "cell2")
    client.post("/cell2/__ctl/Box", json={"Name": "box1"}, headers=MASTER_AUTH)
    delete_cell_root(client, "cell1", {**MASTER_AUTH, **RECURSIVE})
    boxes = client.get("/cell2/__ctl/Box", headers=MASTER_AUTH).json()["d"]["results"]
    assert [b["Name"] for b in boxes] == ["box1"]
