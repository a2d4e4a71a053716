"""Rules shared by every cell control object (Account, Box, ExtCell, ExtRole, Relation, Role): who may call
them (for now the master token or the owning unit user; notes §2, §4.3, §6.1), headers (notes §1.5, §7.1),
entity-set and cell errors, isolation between cells, and cell deletion with control objects (notes §2.3)."""

from __future__ import annotations

import pytest

from tests.api._ctl_support import (
    CELL_URL,
    NO_AUTH,
    OWNER,
    SETS,
    STRANGER,
    account_key,
    assert_no_content,
    box_key,
    create_account,
    create_box,
    create_extcell,
    create_extrole,
    create_relation,
    create_role,
    extcell_key,
    extrole_key,
    get,
    link,
    merge,
    new_cell,
    new_owned_cell,
    path,
    post,
    put,
    relation_key,
    results,
    role_key,
    uri,
    values,
)
from tests.helpers import MASTER_AUTH, as_unit_user, assert_error, make_cell


@pytest.fixture
def cell(client):
    return new_cell(client)


@pytest.fixture
def owned_cell(client):
    return new_owned_cell(client)


EXT = "https://cell2.example/"
DOCTOR = "https://app.example/__role/__/doctor"

#: For each set: a body to create an entity, its key, a MERGE body and a PUT body.
SAMPLES = {
    "Account": ({"Name": "acc1"}, account_key("acc1"), {"Status": "deactivated"}, {"Name": "acc1"}),
    "Box": ({"Name": "box1"}, box_key("box1"), {"Schema": "urn:x:y"}, {"Name": "box1"}),
    "ExtCell": ({"Url": EXT}, extcell_key(EXT), {"Url": EXT}, {"Url": EXT}),
    "ExtRole": ({"ExtRole": DOCTOR, "_Relation.Name": "rel0"}, extrole_key(DOCTOR, "rel0"),
                {"ExtRole": DOCTOR},
                {"ExtRole": DOCTOR, "_Relation.Name": "rel0"}),
    "Relation": ({"Name": "rel1"}, relation_key("rel1"), {"Name": "rel1"}, {"Name": "rel1"}),
    "Role": ({"Name": "role1"}, role_key("role1"), {"Name": "role1"}, {"Name": "role1"}),
}


def prepare(client, entity_set, headers=MASTER_AUTH):
    """Create the prerequisites of a sample (ExtRole needs Relation 'rel0')."""
    if entity_set == "ExtRole":
        response = post(client, "Relation", {"Name": "rel0"}, headers)
        assert response.status_code == 201, response.text


def make_sample(client, entity_set, headers=MASTER_AUTH):
    prepare(client, entity_set, headers)
    response = post(client, entity_set, SAMPLES[entity_set][0], headers)
    assert response.status_code == 201, response.text
    return SAMPLES[entity_set][1]


def assert_unauthorized(response):
    assert_error(response, 401, "PR401-AU-0001")
    assert response.headers["www-authenticate"] == f'Bearer realm="{CELL_URL}"'


# --- no token → 401 (notes §4.3 step 4, §6.1) ---------------------------------------------------------------

@pytest.mark.parametrize("entity_set", SETS)
def test_list_without_token(client, cell, entity_set):
    assert_unauthorized(get(client, entity_set, headers=NO_AUTH))


@pytest.mark.parametrize("entity_set", SETS)
def test_create_without_token(client, cell, entity_set):
    prepare(client, entity_set)
    assert_unauthorized(post(client, entity_set, SAMPLES[entity_set][0], headers=NO_AUTH))
    assert values(get(client, entity_set), next(iter(SAMPLES[entity_set][0]))) == []


@pytest.mark.parametrize("entity_set", SETS)
def test_single_entity_operations_without_token(client, cell, entity_set):
    key = make_sample(client, entity_set)
    _, _, merge_body, put_body = SAMPLES[entity_set]
    assert_unauthorized(get(client, key, headers=NO_AUTH))
    assert_unauthorized(put(client, key, put_body, headers=NO_AUTH))
    assert_unauthorized(merge(client, key, merge_body, headers=NO_AUTH))
    assert_unauthorized(client.delete(path(key), headers=NO_AUTH))
    assert get(client, key).status_code == 200


def test_links_and_navigation_without_token(client, cell):
    create_role(client, "role1")
    create_account(client, "acc1")
    assert_unauthorized(link(client, role_key("role1"), "_Account", uri(account_key("acc1")),
                             headers=NO_AUTH))
    assert_unauthorized(client.get(path(f"{role_key('role1')}/$links/_Account"), headers=NO_AUTH))
    assert_unauthorized(get(client, f"{role_key('role1')}/_Account", headers=NO_AUTH))
    assert_unauthorized(post(client, f"{role_key('role1')}/_Account", {"Name": "acc2"}, headers=NO_AUTH))


def test_unknown_token_is_not_the_master_token(client, cell):
    response = get(client, "Role", headers={"Authorization": "Bearer not-the-master-token",
                                            "Accept": "application/json"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == f'Bearer realm="{CELL_URL}"'


# --- unit users: only with a CellContents role, and only in their own cells (notes §2.2, §4.3) -------------
# Until cell ACLs existed, the owner acting through the master token could do everything here. With
# access control in place the real server's rule applies: a unit user context (master token plus
# X-Personium-Unit-User included) reaches cell contents only with CellContentsReader/Admin, which
# that context does not carry; the cell ACL then decides, and an empty ACL grants nothing.

@pytest.mark.parametrize("entity_set", SETS)
def test_owner_without_cell_contents_role_is_refused(client, owned_cell, entity_set):
    headers = as_unit_user(OWNER)
    key = make_sample(client, entity_set)
    _, _, merge_body, put_body = SAMPLES[entity_set]
    for response in (get(client, entity_set, headers=headers), get(client, key, headers=headers),
                     merge(client, key, merge_body, headers=headers), put(client, key, put_body, headers=headers),
                     client.delete(path(key), headers=headers)):
        assert_error(response, 403, "PR403-AU-0002")
    assert get(client, key).status_code == 200


def test_owner_without_cell_contents_role_may_not_link(client, owned_cell):
    create_role(client, "role1")
    create_account(client, "acc1")
    headers = as_unit_user(OWNER)
    assert_error(link(client, role_key("role1"), "_Account", uri(account_key("acc1")), headers=headers), 403,
                 "PR403-AU-0002")
    assert_error(client.get(path(f"{role_key('role1')}/$links/_Account"), headers=headers), 403, "PR403-AU-0002")


@pytest.mark.parametrize("entity_set", SETS)
def test_master_token_works_on_an_owned_cell(client, owned_cell, entity_set):
    key = make_sample(client, entity_set)
    assert get(client, key).status_code == 200


@pytest.mark.parametrize("entity_set", SETS)
def test_another_unit_user_is_refused(client, owned_cell, entity_set):
    key = make_sample(client, entity_set)
    stranger = as_unit_user(STRANGER)
    _, _, merge_body, put_body = SAMPLES[entity_set]
    for response in (
        get(client, entity_set, headers=stranger),
        get(client, key, headers=stranger),
        post(client, entity_set, SAMPLES[entity_set][0], headers=stranger),
        put(client, key, put_body, headers=stranger),
        merge(client, key, merge_body, headers=stranger),
        client.delete(path(key), headers=stranger),
    ):
        body = assert_error(response, 403, "PR403-AU-0002")
        assert body["message"]["value"] == "Necessary privilege is lacking."
    assert get(client, key).status_code == 200


def test_another_unit_user_cannot_link(client, owned_cell):
    create_role(client, "role1")
    create_account(client, "acc1")
    stranger = as_unit_user(STRANGER)
    assert_error(link(client, role_key("role1"), "_Account", uri(account_key("acc1")), headers=stranger), 403,
                 "PR403-AU-0002")
    assert_error(client.get(path(f"{role_key('role1')}/$links/_Account"), headers=stranger), 403,
                 "PR403-AU-0002")
    assert_error(post(client, f"{role_key('role1')}/_Account", {"Name": "acc2"}, headers=stranger), 403,
                 "PR403-AU-0002")
    assert values(get(client, "Account")) == ["acc1"]


# --- headers ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("entity_set", SETS)
def test_odata_headers_on_every_operation(client, cell, entity_set):
    """notes §1.5: DataServiceVersion on entity, list, POST, PUT, MERGE and DELETE;
    X-Personium-Version always."""
    prepare(client, entity_set)
    key = SAMPLES[entity_set][1]
    _, _, merge_body, put_body = SAMPLES[entity_set]
    for response in (
        post(client, entity_set, SAMPLES[entity_set][0]),
        get(client, entity_set),
        get(client, key),
        put(client, key, put_body),
        merge(client, key, merge_body),
        client.delete(path(key), headers=MASTER_AUTH),
    ):
        assert response.status_code in (200, 201, 204), response.text
        assert response.headers["dataserviceversion"] == "2.0"
        assert response.headers["x-personium-version"] == "1.8.4"


@pytest.mark.parametrize("entity_set", SETS)
def test_post_answers_json_even_when_atom_is_accepted(client, cell, entity_set):
    """notes §5.5 (and every create page): POST answers JSON regardless of Accept."""
    prepare(client, entity_set)
    response = post(client, entity_set, SAMPLES[entity_set][0], headers={**MASTER_AUTH,
                                                                         "Accept": "application/atom+xml"})
    assert response.status_code == 201, response.text
    assert response.headers["content-type"].startswith("application/json")


@pytest.mark.parametrize("entity_set", SETS)
def test_list_as_atom(client, cell, entity_set):
    make_sample(client, entity_set)
    response = get(client, entity_set, **{"$format": "atom"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/atom+xml")


@pytest.mark.parametrize("entity_set", SETS)
def test_etag_header_matches_metadata_on_get(client, cell, entity_set):
    key = make_sample(client, entity_set)
    response = get(client, key)
    assert response.headers["etag"] == results(response)["__metadata"]["etag"]


@pytest.mark.parametrize("entity_set", SETS)
def test_if_none_match_on_get(client, cell, entity_set):
    """notes §5.5: a matching If-None-Match → 304; a stale one → 200."""
    key = make_sample(client, entity_set)
    etag = get(client, key).headers["etag"]
    assert get(client, key, headers={**MASTER_AUTH, "If-None-Match": etag}).status_code == 304
    assert get(client, key, headers={**MASTER_AUTH, "If-None-Match": 'W/"99-1"'}).status_code == 200


@pytest.mark.parametrize("entity_set", SETS)
def test_list_has_no_count_unless_asked(client, cell, entity_set):
    make_sample(client, entity_set)
    body = get(client, entity_set).json()
    assert "__count" not in body["d"]
    body = get(client, entity_set, **{"$inlinecount": "allpages"}).json()
    assert body["d"]["__count"] == "1"
    assert_error(get(client, entity_set, **{"$inlinecount": "some"}), 400, "PR400-OD-0013")


@pytest.mark.parametrize("entity_set", SETS)
def test_management_fields_are_rejected_on_put_and_merge(client, cell, entity_set):
    key = make_sample(client, entity_set)
    _, _, merge_body, put_body = SAMPLES[entity_set]
    assert_error(put(client, key, {**put_body, "__published": "/Date(0)/"}), 400, "PR400-OD-0007")
    assert_error(merge(client, key, {**merge_body, "__updated": "/Date(0)/"}), 400, "PR400-OD-0007")


@pytest.mark.parametrize("entity_set", SETS)
def test_invalid_json_on_put_and_merge(client, cell, entity_set):
    key = make_sample(client, entity_set)
    assert_error(client.put(path(key), content=b"{", headers=MASTER_AUTH), 400, "PR400-OD-0001")
    assert_error(client.request("MERGE", path(key), content=b"[", headers=MASTER_AUTH), 400, "PR400-OD-0001")


@pytest.mark.parametrize("entity_set", SETS)
def test_top_query_errors(client, cell, entity_set):
    assert_error(get(client, entity_set, **{"$top": "10001"}), 400, "PR400-OD-0029")
    assert_error(get(client, entity_set, **{"$top": "x"}), 400, "PR400-OD-0036")
    assert_error(get(client, entity_set, **{"$skip": "-1"}), 400, "PR400-OD-0029")


def test_default_page_size_is_25(client, cell):
    for i in range(30):
        create_role(client, f"role{i:02d}")
    assert len(results(get(client, "Role"))) == 25
    assert len(results(get(client, "Role", **{"$top": "30"}))) == 30


# --- sets, cells and isolation ------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["Cell", "Roles", "role", "ReceivedMessages", "Foo"])
def test_unknown_entity_set(client, cell, name):
    body = assert_error(get(client, name), 404, "PR404-OD-0001")
    assert body["message"]["value"] == "No such entity set."


@pytest.mark.parametrize("entity_set", SETS)
def test_missing_cell(client, entity_set):
    response = client.get(f"/nocell/__ctl/{entity_set}", headers=MASTER_AUTH)
    body = assert_error(response, 404, "PR404-DV-0003")
    assert body["message"]["value"] == "Cell not found."


@pytest.mark.parametrize("entity_set", SETS)
def test_cells_do_not_see_each_others_objects(client, cell, entity_set):
    make_cell(client, "c2")
    key = make_sample(client, entity_set)
    prop = next(iter(SAMPLES[entity_set][0]))
    response = client.get(f"/c2/__ctl/{entity_set}", headers=MASTER_AUTH)
    assert results(response) == []
    response = client.get(f"/c2/__ctl/{key}", headers=MASTER_AUTH)
    assert_error(response, 404, "PR404-OD-0002")
    assert len(values(get(client, entity_set), prop)) == 1


@pytest.mark.parametrize("entity_set", SETS)
def test_same_key_in_two_cells(client, cell, entity_set):
    make_cell(client, "c2")
    make_sample(client, entity_set)
    if entity_set == "ExtRole":
        client.post("/c2/__ctl/Relation", json={"Name": "rel0"}, headers=MASTER_AUTH)
    response = client.post(f"/c2/__ctl/{entity_set}", json=SAMPLES[entity_set][0], headers=MASTER_AUTH)
    assert response.status_code == 201, response.text
    assert response.json()["d"]["results"]["__metadata"]["uri"].startswith("http://localhost:8080/c2/__ctl/")


@pytest.mark.parametrize("entity_set", SETS)
def test_cell_with_a_control_object_is_not_empty(client, cell, entity_set):
    """notes §2.3: ``DELETE __ctl/Cell('x')`` needs an empty cell → 409 PR409-OD-0001."""
    key = make_sample(client, entity_set)
    response = client.delete("/__ctl/Cell('c1')", headers=MASTER_AUTH)
    assert_error(response, 409, "PR409-OD-0001")
    assert get(client, key).status_code == 200
    assert_no_content(client.delete(path(key), headers=MASTER_AUTH))
    if entity_set == "ExtRole":
        assert_no_content(client.delete(path(relation_key("rel0")), headers=MASTER_AUTH))
    assert_no_content(client.delete("/__ctl/Cell('c1')", headers=MASTER_AUTH))


def test_recursive_delete_removes_every_control_object(client, cell):
    create_box(client, "box1")
    create_role(client, "role1", "box1")
    create_account(client, "acc1", "Password1")
    create_extcell(client, EXT)
    create_relation(client, "rel1", "box1")
    create_extrole(client, DOCTOR, "rel1", "box1")
    response = client.delete("/c1/", headers={**MASTER_AUTH, "X-Personium-Recursive": "true"})
    assert response.status_code == 204, response.text
    assert_error(client.get("/__ctl/Cell('c1')", headers=MASTER_AUTH), 404, "PR404-OD-0002")
    assert_error(get(client, "Role"), 404, "PR404-DV-0003")
    make_cell(client, "c1")
    for entity_set in SETS:
        assert results(get(client, entity_set)) == [], entity_set
    assert_error(get(client, account_key("acc1")), 404, "PR404-OD-0002")
