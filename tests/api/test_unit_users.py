"""Unit users at unit level — notes §2.1 (who may call), §2.3 (Owner, isolation, PR403-AU-0003);
pages 100–105 "Only unit users permitted"."""

from __future__ import annotations

import pytest

from tests.api._support import CELL_SET, cell_path, get_cell, list_cells, make_cells, names
from tests.helpers import MASTER_AUTH, as_unit_user, assert_error, make_cell

ALICE = "http://localhost:8080/admin/#alice"
BOB = "http://localhost:8080/admin/#bob"
AS_ALICE = as_unit_user(ALICE)
AS_BOB = as_unit_user(BOB)
NOT_YOURS = "PR403-AU-0003"


@pytest.fixture
def owned(client):
    """alice owns a1 and a2, bob owns b1, the master token created m1 (no owner)."""
    make_cells(client, "a1", "a2", headers=AS_ALICE)
    make_cells(client, "b1", headers=AS_BOB)
    make_cells(client, "m1")
    return client


# --- create and list ---------------------------------------------------------------------------------

def test_unit_user_can_create_a_cell(client):
    response = make_cell(client, "a1", AS_ALICE)
    entity = response.json()["d"]["results"]
    assert entity["Name"] == "a1"
    assert "Owner" not in entity  # hidden (notes §2.3)


def test_unit_user_lists_only_own_cells(owned):
    assert sorted(names(list_cells(owned, AS_ALICE))) == ["a1", "a2"]
    assert names(list_cells(owned, AS_BOB)) == ["b1"]


def test_unit_user_count_covers_only_own_cells(owned):
    body = list_cells(owned, AS_ALICE, **{"$inlinecount": "allpages"}).json()
    assert body["d"]["__count"] == "2"


def test_unit_user_filter_cannot_reach_other_cells(owned):
    assert names(list_cells(owned, AS_ALICE, **{"$filter": "Name eq 'b1' or Name eq 'm1'"})) == []


def test_unit_user_without_cells_sees_an_empty_list(owned):
    assert names(list_cells(owned, as_unit_user("http://localhost:8080/admin/#carol"))) == []


def test_master_sees_every_cell(owned):
    assert sorted(names(list_cells(owned))) == ["a1", "a2", "b1", "m1"]


def test_owner_is_compared_exactly(owned):
    """Owner equality is exact: a user name differing in case or a trailing slash is another user."""
    assert names(list_cells(owned, as_unit_user(ALICE.upper()))) == []
    assert names(list_cells(owned, as_unit_user(ALICE + "/"))) == []


@pytest.mark.parametrize(("creator", "reader"), [
    pytest.param(ALICE, "personium-localunit:/admin/#alice", id="http-then-localunit"),
    pytest.param("personium-localunit:/admin/#alice", ALICE, id="localunit-then-http"),
])
def test_owner_matches_in_either_url_form(client, creator, reader):
    """notes §2.3/§1.4: Owner is stored in localunit form and matched against the subject "(either form)"."""
    make_cell(client, "a1", as_unit_user(creator))
    assert names(list_cells(client, as_unit_user(reader))) == ["a1"]
    assert get_cell(client, "a1", as_unit_user(reader)).status_code == 200


def test_cell_names_are_unique_across_users(owned):
    """Cell names are unit-wide keys: bob cannot create alice's name, even though he cannot see it."""
    response = owned.post(CELL_SET, json={"Name": "a1"}, headers=AS_BOB)
    assert_error(response, 409, "PR409-OD-0003")
    response = owned.post(CELL_SET, json={"Name": "m1"}, headers=AS_BOB)
    assert_error(response, 409, "PR409-OD-0003")


def test_master_sees_cells_created_by_unit_users(client):
    make_cell(client, "a1", AS_ALICE)
    assert get_cell(client, "a1").status_code == 200


# --- retrieve / update / delete of one's own cells ----------------------------------------------------------

def test_unit_user_retrieves_own_cell(owned):
    response = get_cell(owned, "a1", AS_ALICE)
    assert response.status_code == 200
    assert response.json()["d"]["results"]["Name"] == "a1"


def test_unit_user_renames_own_cell_and_keeps_it(owned):
    response = owned.put(cell_path("a1"), json={"Name": "a3"}, headers=AS_ALICE)
    assert response.status_code == 204
    assert sorted(names(list_cells(owned, AS_ALICE))) == ["a2", "a3"]
    assert names(list_cells(owned, AS_BOB)) == ["b1"]


def test_unit_user_cannot_rename_onto_anothers_cell(owned):
    response = owned.put(cell_path("a1"), json={"Name": "b1"}, headers=AS_ALICE)
    assert_error(response, 409, "PR409-OD-0003")


def test_unit_user_deletes_own_cell(owned):
    assert owned.delete(cell_path("a1"), headers=AS_ALICE).status_code == 204
    assert names(list_cells(owned, AS_ALICE)) == ["a2"]


def test_unit_user_unknown_cell_is_404(owned):
    assert_error(get_cell(owned, "nosuch", AS_ALICE), 404, "PR404-OD-0002")


# --- other users' cells → 403 PR403-AU-0003 (notes §2.3) ----------------------------------------------------

OTHERS = [
    pytest.param(AS_ALICE, "b1", id="alice-on-bobs"),
    pytest.param(AS_BOB, "a1", id="bob-on-alices"),
    pytest.param(AS_ALICE, "m1", id="alice-on-ownerless"),
]


@pytest.mark.parametrize(("headers", "name"), OTHERS)
def test_retrieve_other_users_cell_is_403(owned, headers, name):
    body = assert_error(get_cell(owned, name, headers), 403, NOT_YOURS)
    assert body["message"]["value"] == (
        "This resource can not be accessed by the Unit User specified in authorization header.")


@pytest.mark.parametrize(("headers", "name"), OTHERS)
def test_update_other_users_cell_is_403(owned, headers, name):
    response = owned.put(cell_path(name), json={"Name": "stolen"}, headers=headers)
    assert_error(response, 403, NOT_YOURS)
    assert name in names(list_cells(owned, **{"$top": "100"}))
    assert "stolen" not in names(list_cells(owned))


@pytest.mark.parametrize(("headers", "name"), OTHERS)
def test_merge_other_users_cell_is_403(owned, headers, name):
    response = owned.request("MERGE", cell_path(name), json={"Name": "stolen"}, headers=headers)
    assert_error(response, 403, NOT_YOURS)


@pytest.mark.parametrize(("headers", "name"), OTHERS)
def test_delete_other_users_cell_is_403(owned, headers, name):
    assert_error(owned.delete(cell_path(name), headers=headers), 403, NOT_YOURS)
    assert name in names(list_cells(owned))


@pytest.mark.parametrize(("headers", "name"), OTHERS)
def test_recursive_delete_other_users_cell_is_403(owned, headers, name):
    response = owned.delete(f"/{name}/", headers={**headers, "X-Personium-Recursive": "true"})
    assert_error(response, 403, NOT_YOURS)
    assert name in names(list_cells(owned))


def test_if_none_match_does_not_leak_other_users_cells(owned):
    etag = get_cell(owned, "b1").headers["etag"]
    response = owned.get(cell_path("b1"), headers={**AS_ALICE, "If-None-Match": etag})
    assert_error(response, 403, NOT_YOURS)


def test_master_can_touch_unit_user_cells(owned):
    assert owned.put(cell_path("a1"), json={"Name": "a9"}, headers=MASTER_AUTH).status_code == 204
    assert owned.delete(cell_path("b1"), headers=MASTER_AUTH).status_code == 204
    assert names(list_cells(owned, AS_ALICE, **{"$orderby": "Name"})) == ["a2", "a9"]
    assert names(list_cells(owned, AS_BOB)) == []


def test_unit_user_header_without_master_token_is_not_honoured(client):
    """notes §8.1: X-Personium-Unit-User is honoured only with the master token (or a UnitAdmin UUT)."""
    headers = {"Accept": "application/json", "X-Personium-Unit-User": ALICE}
    response = client.get(CELL_SET, headers=headers)
    assert_error(response, 401, "PR401-AU-0001")
