"""``$links`` between cell control objects — apiref 206–209, 217–220, 228–231, 239–242, 250–253, 261–264;
notes §5.3 (the link table and its error table), §1.5 (N:1 links rewrite the child: version + 1), §7.1."""

from __future__ import annotations

import pytest

from tests.api._ctl_support import (
    CTL,
    account_key,
    assert_no_content,
    box_key,
    create_account,
    create_box,
    create_extcell,
    create_extrole,
    create_relation,
    create_role,
    entity,
    etag_of,
    etag_parts,
    extcell_key,
    extrole_key,
    get,
    link,
    links_of,
    must_link,
    new_cell,
    path,
    relation_key,
    results,
    role_key,
    unlink,
    uri,
    uri_set,
    values,
)
from tests.helpers import MASTER_AUTH, assert_error


@pytest.fixture
def cell(client):
    return new_cell(client)


EXT = "https://cell2.example/"
DOCTOR = "https://app.example/__role/__/doctor"

KEYS = {
    "Account": account_key("acc1"),
    "Box": box_key("box1"),
    "ExtCell": extcell_key(EXT),
    "ExtRole": extrole_key(DOCTOR, "rel1"),
    "Relation": relation_key("rel1"),
    "Role": role_key("role1"),
}


@pytest.fixture
def objects(client, cell):
    """One entity of each type; the role and the relation live in the main box."""
    create_account(client, "acc1")
    create_box(client, "box1")
    create_extcell(client, EXT)
    create_relation(client, "rel1")
    create_extrole(client, DOCTOR, "rel1")
    create_role(client, "role1")
    return client


# notes §5.3: the N:N pairs of CellCtl (Account–ReceivedMessage is outside this family).
MANY_TO_MANY = [
    pytest.param("Account", "_Role", "Role", "_Account", id="Account-Role"),
    pytest.param("Role", "_Account", "Account", "_Role", id="Role-Account"),
    pytest.param("ExtCell", "_Role", "Role", "_ExtCell", id="ExtCell-Role"),
    pytest.param("Role", "_ExtCell", "ExtCell", "_Role", id="Role-ExtCell"),
    pytest.param("ExtCell", "_Relation", "Relation", "_ExtCell", id="ExtCell-Relation"),
    pytest.param("Relation", "_ExtCell", "ExtCell", "_Relation", id="Relation-ExtCell"),
    pytest.param("ExtRole", "_Role", "Role", "_ExtRole", id="ExtRole-Role"),
    pytest.param("Role", "_ExtRole", "ExtRole", "_Role", id="Role-ExtRole"),
    pytest.param("Relation", "_Role", "Role", "_Relation", id="Relation-Role"),
    pytest.param("Role", "_Relation", "Relation", "_Role", id="Role-Relation"),
]


# --- N:N: create, list, duplicate, delete -------------------------------------------------------------------

@pytest.mark.parametrize("source,nav,target,back", MANY_TO_MANY)
def test_link_is_listed_from_both_sides(objects, source, nav, target, back):
    response = link(objects, KEYS[source], nav, uri(KEYS[target]))
    assert_no_content(response)
    assert response.headers["dataserviceversion"] == "2.0"
    assert links_of(objects, KEYS[source], nav) == uri_set([uri(KEYS[target])])
    assert links_of(objects, KEYS[target], back) == uri_set([uri(KEYS[source])])


@pytest.mark.parametrize("source,nav,target,back", MANY_TO_MANY)
def test_navigation_lists_the_linked_entity(objects, source, nav, target, back):
    must_link(objects, KEYS[source], nav, KEYS[target])
    items = results(get(objects, f"{KEYS[source]}/{nav}"))
    assert uri_set([i["__metadata"]["uri"] for i in items]) == uri_set([uri(KEYS[target])])
    assert all(i["__metadata"]["type"] == f"CellCtl.{target}" for i in items)


@pytest.mark.parametrize("source,nav,target,back", MANY_TO_MANY)
def test_duplicate_link_from_either_side(objects, source, nav, target, back):
    must_link(objects, KEYS[source], nav, KEYS[target])
    body = assert_error(link(objects, KEYS[source], nav, uri(KEYS[target])), 409, "PR409-OD-0002")
    assert body["message"]["value"] == "Links exists already."
    assert_error(link(objects, KEYS[target], back, uri(KEYS[source])), 409, "PR409-OD-0002")
    assert links_of(objects, KEYS[source], nav) == uri_set([uri(KEYS[target])])


@pytest.mark.parametrize("source,nav,target,back", MANY_TO_MANY)
def test_unlink_from_the_other_side(objects, source, nav, target, back):
    must_link(objects, KEYS[source], nav, KEYS[target])
    response = unlink(objects, KEYS[target], back, KEYS[source])
    assert_no_content(response)
    assert response.headers["dataserviceversion"] == "2.0"
    assert links_of(objects, KEYS[source], nav) == []
    assert links_of(objects, KEYS[target], back) == []
    assert entity(objects, KEYS[source])["__metadata"]["type"] == f"CellCtl.{source}"
    assert entity(objects, KEYS[target])["__metadata"]["type"] == f"CellCtl.{target}"


@pytest.mark.parametrize("source,nav,target,back", MANY_TO_MANY)
def test_relink_after_unlink(objects, source, nav, target, back):
    must_link(objects, KEYS[source], nav, KEYS[target])
    assert_no_content(unlink(objects, KEYS[source], nav, KEYS[target]))
    must_link(objects, KEYS[target], back, KEYS[source])
    assert links_of(objects, KEYS[source], nav) == uri_set([uri(KEYS[target])])


@pytest.mark.parametrize("source,nav,target,back", MANY_TO_MANY)
def test_many_to_many_links_leave_the_entities_unchanged(objects, source, nav, target, back):
    """N:N links are separate documents (notes §9.1): neither entity is rewritten, so ETags stay."""
    before = (etag_of(objects, KEYS[source]), etag_of(objects, KEYS[target]))
    must_link(objects, KEYS[source], nav, KEYS[target])
    assert (etag_of(objects, KEYS[source]), etag_of(objects, KEYS[target])) == before
    assert_no_content(unlink(objects, KEYS[source], nav, KEYS[target]))
    assert (etag_of(objects, KEYS[source]), etag_of(objects, KEYS[target])) == before


def test_link_with_a_service_relative_uri(objects):
    """notes §5.3: the body ``uri`` may be absolute or service-relative."""
    assert_no_content(link(objects, KEYS["Role"], "_Account", "Account('acc1')"))
    assert links_of(objects, KEYS["Role"], "_Account") == uri_set([uri(KEYS["Account"])])


def test_link_with_the_short_role_key_form(objects):
    assert_no_content(link(objects, KEYS["Account"], "_Role", f"{CTL}Role('role1')"))
    assert links_of(objects, KEYS["Account"], "_Role") == uri_set([uri(KEYS["Role"])])


@pytest.mark.parametrize("key", ["Role('role1')", "Role(Name='role1')", "Role(Name='role1',_Box.Name=null)"])
def test_source_key_forms(objects, key):
    assert_no_content(link(objects, key, "_Account", uri(KEYS["Account"])))
    assert links_of(objects, KEYS["Role"], "_Account") == uri_set([uri(KEYS["Account"])])


@pytest.mark.parametrize("target_key", ["Account('acc1')", "Account(Name='acc1')"])
def test_unlink_key_forms(objects, target_key):
    must_link(objects, KEYS["Role"], "_Account", KEYS["Account"])
    assert_no_content(objects.delete(path(f"Role('role1')/$links/_{target_key}"), headers=MASTER_AUTH))
    assert links_of(objects, KEYS["Role"], "_Account") == []


def test_links_list_supports_top_and_skip(objects):
    for name in ("acc2", "acc3", "acc4"):
        create_account(objects, name)
    for name in ("acc1", "acc2", "acc3", "acc4"):
        must_link(objects, KEYS["Role"], "_Account", account_key(name))
    everything = links_of(objects, KEYS["Role"], "_Account")
    assert everything == uri_set([uri(account_key(n)) for n in ("acc1", "acc2", "acc3", "acc4")])
    assert len(links_of(objects, KEYS["Role"], "_Account", **{"$top": "2"})) == 2
    assert len(links_of(objects, KEYS["Role"], "_Account", **{"$skip": "3"})) == 1
    assert links_of(objects, KEYS["Role"], "_Account", **{"$top": "0"}) == []


def test_links_list_envelope(objects):
    must_link(objects, KEYS["Role"], "_Account", KEYS["Account"])
    response = objects.get(path(f"{KEYS['Role']}/$links/_Account"), headers=MASTER_AUTH)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["dataserviceversion"] == "2.0"
    assert response.json() == {"d": {"results": [{"uri": uri(KEYS["Account"])}]}}


def test_links_of_an_unlinked_entity(objects):
    assert links_of(objects, KEYS["Account"], "_Role") == []


def test_links_only_join_the_given_pair(objects):
    create_account(objects, "acc2")
    create_role(objects, "role2")
    must_link(objects, KEYS["Account"], "_Role", KEYS["Role"])
    assert links_of(objects, account_key("acc2"), "_Role") == []
    assert links_of(objects, role_key("role2"), "_Account") == []


# --- N:1 from both sides: Role→_Box and Box→_Role (notes §5.3) ----------------------------------------------

def test_role_to_box_link_moves_the_role(objects):
    before = etag_parts(etag_of(objects, KEYS["Role"]))[0]
    assert_no_content(link(objects, KEYS["Role"], "_Box", uri(KEYS["Box"])))
    item = entity(objects, role_key("role1", "box1"))
    assert item["_Box.Name"] == "box1"
    # notes §1.5: creating an N:1 link rewrites the child document: version + 1
    assert etag_parts(item["__metadata"]["etag"])[0] == before + 1
    assert_error(get(objects, KEYS["Role"]), 404, "PR404-OD-0002")
    assert links_of(objects, role_key("role1", "box1"), "_Box") == uri_set([uri(KEYS["Box"])])
    assert links_of(objects, KEYS["Box"], "_Role") == uri_set([uri(role_key("role1", "box1"))])


def test_box_to_role_link_moves_the_role(objects):
    assert_no_content(link(objects, KEYS["Box"], "_Role", uri(KEYS["Role"])))
    assert entity(objects, role_key("role1", "box1"))["_Box.Name"] == "box1"
    assert values(get(objects, f"{KEYS['Box']}/_Role")) == ["role1"]


def test_box_to_relation_link_moves_the_relation(objects):
    create_relation(objects, "rel2")
    assert_no_content(link(objects, KEYS["Box"], "_Relation", uri(relation_key("rel2"))))
    assert entity(objects, relation_key("rel2", "box1"))["_Box.Name"] == "box1"
    assert links_of(objects, relation_key("rel2", "box1"), "_Box") == uri_set([uri(KEYS["Box"])])


def test_relation_to_box_link_moves_the_relation_and_its_extroles(objects):
    assert_no_content(link(objects, KEYS["Relation"], "_Box", uri(KEYS["Box"])))
    assert entity(objects, relation_key("rel1", "box1"))["_Box.Name"] == "box1"
    assert entity(objects, extrole_key(DOCTOR, "rel1", "box1"))["_Relation._Box.Name"] == "box1"


def test_main_box_role_has_no_box_link(objects):
    assert links_of(objects, KEYS["Role"], "_Box") == []


def test_already_linked_role_from_the_role_side(objects):
    create_box(objects, "box2")
    create_role(objects, "role2", "box1")
    response = link(objects, role_key("role2", "box1"), "_Box", uri(box_key("box2")))
    assert_error(response, 409, "PR409-OD-0002")
    assert entity(objects, role_key("role2", "box1"))["_Box.Name"] == "box1"


def test_already_linked_role_from_the_box_side(objects):
    create_box(objects, "box2")
    create_role(objects, "role2", "box1")
    response = link(objects, box_key("box2"), "_Role", uri(role_key("role2", "box1")))
    assert_error(response, 409, "PR409-OD-0002")
    assert values(get(objects, f"{box_key('box2')}/_Role")) == []


def test_linking_to_the_same_box_again(objects):
    create_role(objects, "role2", "box1")
    assert_error(link(objects, KEYS["Box"], "_Role", uri(role_key("role2", "box1"))), 409, "PR409-OD-0002")


def test_link_that_duplicates_a_key_from_the_role_side(objects):
    """notes §5.3: Role('r') → Box 'b' while Role(r,b) exists → 409 PR409-OD-0005."""
    create_role(objects, "role1", "box1")
    response = link(objects, KEYS["Role"], "_Box", uri(KEYS["Box"]))
    assert_error(response, 409, "PR409-OD-0005")
    assert entity(objects, KEYS["Role"])["_Box.Name"] is None


def test_link_that_duplicates_a_key_from_the_box_side(objects):
    create_role(objects, "role1", "box1")
    assert_error(link(objects, KEYS["Box"], "_Role", uri(KEYS["Role"])), 409, "PR409-OD-0005")


def test_relation_link_that_duplicates_a_key(objects):
    create_relation(objects, "rel1", "box1")
    assert_error(link(objects, KEYS["Relation"], "_Box", uri(KEYS["Box"])), 409, "PR409-OD-0005")


def test_unlink_box_from_the_role_side(objects):
    create_role(objects, "role2", "box1")
    before = etag_parts(etag_of(objects, role_key("role2", "box1")))[0]
    assert_no_content(unlink(objects, role_key("role2", "box1"), "_Box", KEYS["Box"]))
    item = entity(objects, role_key("role2"))
    assert item["_Box.Name"] is None
    assert etag_parts(item["__metadata"]["etag"])[0] == before + 1
    assert values(get(objects, f"{KEYS['Box']}/_Role")) == []


def test_unlink_role_from_the_box_side(objects):
    create_role(objects, "role2", "box1")
    assert_no_content(unlink(objects, KEYS["Box"], "_Role", role_key("role2", "box1")))
    assert entity(objects, role_key("role2"))["_Box.Name"] is None
    assert links_of(objects, KEYS["Box"], "_Role") == []


def test_n_to_1_link_keeps_the_n_to_n_links(objects):
    must_link(objects, KEYS["Role"], "_Account", KEYS["Account"])
    must_link(objects, KEYS["Role"], "_Box", KEYS["Box"])
    assert links_of(objects, KEYS["Account"], "_Role") == uri_set([uri(role_key("role1", "box1"))])


# --- the error table of notes §5.3 --------------------------------------------------------------------------

UNKNOWN_NAVS = [
    pytest.param("Role", "_Foo", id="Role-_Foo"),
    pytest.param("Role", "_Role", id="Role-_Role"),
    pytest.param("Role", "Account", id="Role-no-underscore"),
    pytest.param("Account", "_Box", id="Account-_Box"),
    pytest.param("Account", "_ExtCell", id="Account-_ExtCell"),
    pytest.param("Account", "_Relation", id="Account-_Relation"),
    pytest.param("Box", "_Account", id="Box-_Account"),
    pytest.param("Box", "_ExtCell", id="Box-_ExtCell"),
    pytest.param("Box", "_ExtRole", id="Box-_ExtRole"),
    pytest.param("ExtCell", "_Box", id="ExtCell-_Box"),
    pytest.param("ExtCell", "_Account", id="ExtCell-_Account"),
    pytest.param("ExtCell", "_ExtRole", id="ExtCell-_ExtRole"),
    pytest.param("ExtRole", "_Box", id="ExtRole-_Box"),
    pytest.param("ExtRole", "_ExtCell", id="ExtRole-_ExtCell"),
    pytest.param("Relation", "_Account", id="Relation-_Account"),
]


@pytest.mark.parametrize("source,nav", UNKNOWN_NAVS)
def test_unknown_navigation_property_on_post(objects, source, nav):
    body = assert_error(link(objects, KEYS[source], nav, uri(KEYS["Account"])), 400, "PR400-OD-0008")
    assert body["message"]["value"] == "No such association."


@pytest.mark.parametrize("source,nav", UNKNOWN_NAVS)
def test_unknown_navigation_property_on_get(objects, source, nav):
    response = objects.get(path(f"{KEYS[source]}/$links/{nav}"), headers=MASTER_AUTH)
    assert_error(response, 400, "PR400-OD-0008")


def test_unknown_navigation_property_on_delete(objects):
    response = objects.delete(path(f"{KEYS['Role']}/$links/_Foo('x')"), headers=MASTER_AUTH)
    assert_error(response, 400, "PR400-OD-0008")


def test_key_given_on_post(objects):
    response = objects.post(path(f"{KEYS['Role']}/$links/_Account('acc1')"),
                            json={"uri": uri(KEYS["Account"])},
                            headers=MASTER_AUTH)
    body = assert_error(response, 400, "PR400-OD-0010")
    assert body["message"]["value"] == "Key for Navigation Property should not be specified in $links POST."
    assert links_of(objects, KEYS["Role"], "_Account") == []


def test_key_missing_on_delete(objects):
    must_link(objects, KEYS["Role"], "_Account", KEYS["Account"])
    response = objects.delete(path(f"{KEYS['Role']}/$links/_Account"), headers=MASTER_AUTH)
    body = assert_error(response, 400, "PR400-OD-0011")
    assert body["message"]["value"] == "Key for Navigation Property should be specified in $links."
    assert links_of(objects, KEYS["Role"], "_Account") == uri_set([uri(KEYS["Account"])])


def test_put_without_key(objects):
    response = objects.put(path(f"{KEYS['Role']}/$links/_Account"), json={"uri": uri(KEYS["Account"])},
                           headers=MASTER_AUTH)
    assert_error(response, 400, "PR400-OD-0011")


def test_put_with_key_is_not_implemented(objects):
    """notes §5.3: ``$links`` PUT → 501 (pages 208/219/230/241/252/263: 'Update ... links')."""
    must_link(objects, KEYS["Role"], "_Account", KEYS["Account"])
    response = objects.put(path(f"{KEYS['Role']}/$links/_Account('acc1')"),
                           json={"uri": uri(KEYS["Account"])},
                           headers=MASTER_AUTH)
    assert_error(response, 501, "PR501-MC-0001")


def test_get_with_a_key_is_rejected(objects):
    """notes §5.3: a key in the path of a ``$links`` GET → 400 (Java answers in plain text)."""
    must_link(objects, KEYS["Role"], "_Account", KEYS["Account"])
    response = objects.get(path(f"{KEYS['Role']}/$links/_Account('acc1')"), headers=MASTER_AUTH)
    assert response.status_code == 400


@pytest.mark.parametrize("source,nav,target", [
    pytest.param("Role", "_Account", "Account", id="Role-_Account"),
    pytest.param("Account", "_Role", "Role", id="Account-_Role"),
    pytest.param("ExtCell", "_Relation", "Relation", id="ExtCell-_Relation"),
    pytest.param("Relation", "_Role", "Role", id="Relation-_Role"),
])
def test_already_existing_link_conflicts(objects, source, nav, target):
    """N:N case; the N:1 cases are test_already_linked_role_from_the_*_side and
    test_linking_to_the_same_box_again."""
    must_link(objects, KEYS[source], nav, KEYS[target])
    assert_error(link(objects, KEYS[source], nav, uri(KEYS[target])), 409, "PR409-OD-0002")


BAD_URIS = [
    pytest.param("not a uri", id="garbage"),
    pytest.param("", id="empty"),
    pytest.param(f"{CTL}Account", id="entity-set-without-key"),
    pytest.param(f"{CTL}Account('nobody')", id="missing-target"),
    pytest.param(f"{CTL}Box('box1')", id="entity-set-mismatch"),
    pytest.param(f"{CTL}Role('role1')", id="source-type"),
    pytest.param("http://localhost:8080/c2/__ctl/Account('acc1')", id="other-cell"),
    pytest.param("http://localhost:8080/__ctl/Cell('c1')", id="unit-level-entity"),
    pytest.param(f"{CTL}Account(Name=1)", id="bad-key"),
    pytest.param(f"{CTL}Foo('acc1')", id="unknown-set"),
]


@pytest.mark.parametrize("target_uri", BAD_URIS)
def test_bad_uri_in_the_body(objects, target_uri):
    objects.post("/__ctl/Cell", json={"Name": "c2"}, headers=MASTER_AUTH)
    objects.post("/c2/__ctl/Account", json={"Name": "acc1"}, headers=MASTER_AUTH)
    body = assert_error(link(objects, KEYS["Role"], "_Account", target_uri), 400, "PR400-OD-0006")
    assert "uri" in body["message"]["value"]
    assert links_of(objects, KEYS["Role"], "_Account") == []


def test_bad_uri_for_an_n_to_1_link(objects):
    assert_error(link(objects, KEYS["Role"], "_Box", f"{CTL}Box('nobox')"), 400, "PR400-OD-0006")
    assert_error(link(objects, KEYS["Box"], "_Role", f"{CTL}Account('acc1')"), 400, "PR400-OD-0006")
    assert entity(objects, KEYS["Role"])["_Box.Name"] is None


def test_body_that_is_not_json(objects):
    response = objects.post(path(f"{KEYS['Role']}/$links/_Account"), content=b"{uri:", headers=MASTER_AUTH)
    assert_error(response, 400, "PR400-OD-0001")


@pytest.mark.parametrize("missing", [
    pytest.param("Role('nobody')", id="Role"),
    pytest.param("Account('nobody')", id="Account"),
    pytest.param("Box('nobox')", id="Box"),
    pytest.param("ExtCell('https%3A%2F%2Fnowhere.example%2F')", id="ExtCell"),
])
def test_missing_source_on_post(objects, missing):
    nav, target = ("_Role", KEYS["Role"]) if not missing.startswith("Role") else ("_Account", KEYS["Account"])
    assert_error(link(objects, missing, nav, uri(target)), 404, "PR404-OD-0000")


def test_missing_source_on_get(objects):
    response = objects.get(path("Role('nobody')/$links/_Account"), headers=MASTER_AUTH)
    assert_error(response, 404, "PR404-OD-0000")


def test_missing_source_on_delete(objects):
    response = objects.delete(path("Role('nobody')/$links/_Account('acc1')"), headers=MASTER_AUTH)
    assert_error(response, 404, "PR404-OD-0000")


def test_source_in_the_wrong_box_is_missing(objects):
    assert_error(link(objects, role_key("role1", "box1"), "_Account", uri(KEYS["Account"])), 404,
                 "PR404-OD-0000")
