"""Relation — apiref 234 (create), 235 (list), 236 (retrieve), 237 (update), 2AE (merge), 238 (delete),
243/244 (navigation); notes §5 (RELATION_NAME), §5.1, §5.2, §5.3, §5.4 (a Relation with ExtRoles → 409)."""

from __future__ import annotations

import pytest

from tests.api._ctl_support import (
    assert_all_navs,
    assert_core_navs,
    assert_created,
    assert_entity,
    assert_no_content,
    box_key,
    create_box,
    create_extcell,
    create_extrole,
    create_relation,
    create_role,
    delete,
    entity,
    etag_of,
    etag_parts,
    extcell_key,
    extrole_key,
    get,
    if_match,
    links_of,
    merge,
    must_link,
    new_cell,
    post,
    put,
    relation_key,
    results,
    role_key,
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
NURSE = "https://app.example/__role/__/nurse"


def relations(client, **params):
    return sorted((i["Name"], i["_Box.Name"] or "") for i in results(get(client, "Relation", **params)))


# --- create (page 234) --------------------------------------------------------------------------------------

def test_create_in_the_main_box(client, cell):
    response = post(client, "Relation", {"Name": "relation1"})
    item = assert_created(response, "Relation", relation_key("relation1"), {"Name": "relation1",
                                                                            "_Box.Name": None})
    assert_core_navs(item, "Relation")


def test_create_in_a_box_like_the_page_sample(client, cell):
    create_box(client, "box1")
    response = post(client, "Relation", {"Name": "relation1", "_Box.Name": "box1"})
    assert_created(response, "Relation", relation_key("relation1", "box1"),
                   {"Name": "relation1", "_Box.Name": "box1"})


def test_create_in_a_missing_box(client, cell):
    assert_error(post(client, "Relation", {"Name": "rel1", "_Box.Name": "nobox"}), 400, "PR400-OD-0024")
    assert relations(client) == []


# notes §5: RELATION_NAME = ^[a-zA-Z0-9-\+][a-zA-Z0-9-_\+:]{0,127}$. Page 234 only says the name may not
# start with "_" or ":"; the regex (notes) also lets it start with "-" or "+".
GOOD_NAMES = [
    pytest.param("r", id="length-1"),
    pytest.param("+", id="plus-only"),
    pytest.param("-", id="hyphen-only"),
    pytest.param("+friend", id="leading-plus"),
    pytest.param("-friend", id="leading-hyphen"),
    pytest.param("rel+1:x", id="plus-and-colon"),
    pytest.param("a:b:c", id="colons"),
    pytest.param("rel_1", id="underscore-inside"),
    pytest.param("R" * 128, id="length-128"),
    pytest.param("+" + ":" * 127, id="colons-after-first-128"),
]


@pytest.mark.parametrize("name", GOOD_NAMES)
def test_valid_names(client, cell, name):
    response = post(client, "Relation", {"Name": name})
    assert_created(response, "Relation", relation_key(name), {"Name": name, "_Box.Name": None})
    assert entity(client, relation_key(name))["Name"] == name


BAD_NAMES = [
    pytest.param("", id="empty"),
    pytest.param("R" * 129, id="length-129"),
    pytest.param("_rel", id="leading-underscore"),
    pytest.param(":rel", id="leading-colon"),
    pytest.param("rel.1", id="dot"),
    pytest.param("rel 1", id="space"),
    pytest.param("rel/1", id="slash"),
    pytest.param("rel@1", id="at"),
    pytest.param("rel!", id="bang"),
    pytest.param("rel'1", id="quote"),
    pytest.param("rél", id="non-ascii"),
]


@pytest.mark.parametrize("name", BAD_NAMES)
def test_invalid_names(client, cell, name):
    body = assert_error(post(client, "Relation", {"Name": name}), 400, "PR400-OD-0006")
    assert "Name" in body["message"]["value"]
    assert relations(client) == []


def test_missing_name(client, cell):
    assert_error(post(client, "Relation", {"_Box.Name": None}), 400, "PR400-OD-0009")


@pytest.mark.parametrize("field", ["Url", "ExtRole", "_Relation.Name"])
def test_unknown_property(client, cell, field):
    assert_error(post(client, "Relation", {"Name": "rel1", field: "x"}), 400, "PR400-OD-0007")


def test_duplicate(client, cell):
    create_relation(client, "rel1")
    assert_error(post(client, "Relation", {"Name": "rel1"}), 409, "PR409-OD-0003")


def test_same_name_in_main_box_and_box(client, cell):
    create_box(client, "box1")
    create_relation(client, "rel1")
    create_relation(client, "rel1", "box1")
    assert relations(client) == [("rel1", ""), ("rel1", "box1")]


# --- retrieve (page 236) ------------------------------------------------------------------------------------

def test_key_with_plus_and_colon_encoded(client, cell):
    """Keys are URL-encoded (notes §5.2): ``+`` → ``%2B``, ``:`` → ``%3A``."""
    created = create_relation(client, "rel+1:x")
    assert "Name='rel%2B1%3Ax'" in created["__metadata"]["uri"]
    response = client.get("/c1/__ctl/Relation('rel%2B1%3Ax')", headers=MASTER_AUTH)
    assert response.status_code == 200, response.text
    assert results(response)["Name"] == "rel+1:x"


def test_key_with_plus_and_colon_raw(client, cell):
    """A ``+`` in a path segment is a plus, not a space."""
    create_relation(client, "rel+1:x")
    response = client.get("/c1/__ctl/Relation(Name='rel+1:x')", headers=MASTER_AUTH)
    assert response.status_code == 200, response.text
    assert results(response)["Name"] == "rel+1:x"


def test_retrieve_by_metadata_uri(client, cell):
    create_box(client, "box1")
    created = create_relation(client, "+rel:1", "box1")
    response = client.get(created["__metadata"]["uri"], headers=MASTER_AUTH)
    assert_entity(results(response), "Relation", relation_key("+rel:1", "box1"),
                  {"Name": "+rel:1", "_Box.Name": "box1"})


@pytest.mark.parametrize("key", ["Relation('rel1')", "Relation(Name='rel1')",
                                 "Relation(Name='rel1',_Box.Name=null)"])
def test_main_box_key_forms(client, cell, key):
    create_relation(client, "rel1")
    assert results(get(client, key))["Name"] == "rel1"


def test_single_value_key_is_the_main_box(client, cell):
    create_box(client, "box1")
    create_relation(client, "rel1", "box1")
    assert_error(get(client, "Relation('rel1')"), 404, "PR404-OD-0002")
    assert results(get(client, "Relation(Name='rel1',_Box.Name='box1')"))["_Box.Name"] == "box1"


def test_retrieve_navigation_like_page_236(client, cell):
    create_relation(client, "rel1")
    assert_all_navs(entity(client, relation_key("rel1")), "Relation")


# --- list (page 235) ----------------------------------------------------------------------------------------

@pytest.fixture
def some_relations(client, cell):
    create_box(client, "box1")
    create_relation(client, "friend")
    create_relation(client, "family", "box1")
    create_relation(client, "+colleague:work")
    return client


def test_list(some_relations):
    items = results(get(some_relations, "Relation"))
    assert sorted((i["Name"], i["_Box.Name"] or "") for i in items) == [
        ("+colleague:work", ""), ("family", "box1"), ("friend", "")]
    for item in items:
        assert_entity(item, "Relation", relation_key(item["Name"], item["_Box.Name"]),
                      {"Name": item["Name"], "_Box.Name": item["_Box.Name"]})


def test_list_filter_orderby_top_count(some_relations):
    assert relations(some_relations, **{"$filter": "startswith(Name,'f')"}) == [("family", "box1"),
                                                                                ("friend", "")]
    assert relations(some_relations, **{"$filter": "Name eq '+colleague:work'"}) == [("+colleague:work", "")]
    body = get(some_relations, "Relation", **{"$orderby": "Name", "$top": "2",
                                              "$inlinecount": "allpages"}).json()
    assert [i["Name"] for i in body["d"]["results"]] == ["+colleague:work", "family"]
    assert body["d"]["__count"] == "3"


# --- update (page 237) --------------------------------------------------------------------------------------

def test_put_rename(client, cell):
    created = create_relation(client, "rel1")
    response = put(client, relation_key("rel1"), {"Name": "rel+2"})
    assert_no_content(response)
    assert etag_parts(response.headers["etag"])[0] == 2
    item = entity(client, relation_key("rel+2"))
    assert_entity(item, "Relation", relation_key("rel+2"), {"Name": "rel+2", "_Box.Name": None})
    assert item["__published"] == created["__published"]
    assert_error(get(client, relation_key("rel1")), 404, "PR404-OD-0002")


def test_put_rename_keeps_links_and_extroles(client, cell):
    """ExtRoles follow their Relation: ``_Relation.Name`` is part of their key."""
    create_relation(client, "rel1")
    create_role(client, "role1")
    create_extcell(client, EXT)
    create_extrole(client, DOCTOR, "rel1")
    must_link(client, relation_key("rel1"), "_Role", role_key("role1"))
    must_link(client, relation_key("rel1"), "_ExtCell", extcell_key(EXT))
    assert_no_content(put(client, relation_key("rel1"), {"Name": "rel2"}))
    assert links_of(client, relation_key("rel2"), "_Role") == uri_set([uri(role_key("role1"))])
    assert links_of(client, extcell_key(EXT), "_Relation") == uri_set([uri(relation_key("rel2"))])
    extrole = entity(client, extrole_key(DOCTOR, "rel2"))
    assert_entity(extrole, "ExtRole", extrole_key(DOCTOR, "rel2"),
                  {"ExtRole": DOCTOR, "_Relation.Name": "rel2", "_Relation._Box.Name": None})
    assert_error(get(client, extrole_key(DOCTOR, "rel1")), 404, "PR404-OD-0002")


def test_put_without_box_resets_to_the_main_box(client, cell):
    create_box(client, "box1")
    create_relation(client, "rel1", "box1")
    assert_no_content(put(client, relation_key("rel1", "box1"), {"Name": "rel1"}))
    assert relations(client) == [("rel1", "")]


def test_put_into_another_box(client, cell):
    create_box(client, "box1")
    create_box(client, "box2")
    create_relation(client, "rel1", "box1")
    assert_no_content(put(client, relation_key("rel1", "box1"), {"Name": "rel1", "_Box.Name": "box2"}))
    assert relations(client) == [("rel1", "box2")]


def test_put_onto_an_existing_key(client, cell):
    create_relation(client, "rel1")
    create_relation(client, "rel2")
    assert_error(put(client, relation_key("rel1"), {"Name": "rel2"}), 409, "PR409-OD-0003")


def test_put_invalid(client, cell):
    etag = create_relation(client, "rel1")["__metadata"]["etag"]
    assert_error(put(client, relation_key("rel1"), {"Name": ":rel"}), 400, "PR400-OD-0006")
    assert_error(put(client, relation_key("rel1"), {"Name": "rel1", "_Box.Name": "nobox"}), 400,
                 "PR400-OD-0024")
    assert etag_of(client, relation_key("rel1")) == etag


def test_put_if_match(client, cell):
    etag = create_relation(client, "rel1")["__metadata"]["etag"]
    assert_error(put(client, relation_key("rel1"), {"Name": "rel2"}, headers=if_match('W/"4-4"')),
                 412, "PR412-OD-0002")
    assert_no_content(put(client, relation_key("rel1"), {"Name": "rel2"}, headers=if_match(etag)))


def test_put_missing(client, cell):
    assert_error(put(client, relation_key("nope"), {"Name": "nope"}), 404, "PR404-OD-0002")


# --- partial update (page 2AE) ------------------------------------------------------------------------------

def test_merge_box_only(client, cell):
    create_box(client, "box1")
    create_relation(client, "rel1")
    response = merge(client, relation_key("rel1"), {"_Box.Name": "box1"})
    assert_no_content(response)
    assert etag_parts(response.headers["etag"])[0] == 2
    assert relations(client) == [("rel1", "box1")]


def test_merge_name_only_keeps_the_box(client, cell):
    create_box(client, "box1")
    create_relation(client, "rel1", "box1")
    assert_no_content(merge(client, relation_key("rel1", "box1"), {"Name": "rel:2"}))
    assert relations(client) == [("rel:2", "box1")]


def test_merge_into_a_box_with_the_same_name(client, cell):
    create_box(client, "box1")
    create_relation(client, "rel1")
    create_relation(client, "rel1", "box1")
    assert_error(merge(client, relation_key("rel1"), {"_Box.Name": "box1"}), 409, "PR409-OD-0003")


def test_merge_if_match(client, cell):
    create_relation(client, "rel1")
    assert_error(merge(client, relation_key("rel1"), {"Name": "x"}, headers=if_match('W/"1-3"')),
                 412, "PR412-OD-0002")


# --- delete (page 238; notes §5.4) --------------------------------------------------------------------------

def test_delete(client, cell):
    create_relation(client, "rel1")
    assert_no_content(delete(client, relation_key("rel1")))
    assert relations(client) == []


def test_delete_with_extroles_conflicts(client, cell):
    create_relation(client, "rel1")
    create_extrole(client, DOCTOR, "rel1")
    body = assert_error(delete(client, relation_key("rel1")), 409, "PR409-OD-0001")
    assert body["message"]["value"] == "This entity has related data."
    assert relations(client) == [("rel1", "")]


def test_delete_after_the_extroles_are_gone(client, cell):
    create_relation(client, "rel1")
    create_extrole(client, DOCTOR, "rel1")
    create_extrole(client, NURSE, "rel1")
    assert_no_content(delete(client, extrole_key(DOCTOR, "rel1")))
    assert_error(delete(client, relation_key("rel1")), 409, "PR409-OD-0001")
    assert_no_content(delete(client, extrole_key(NURSE, "rel1")))
    assert_no_content(delete(client, relation_key("rel1")))


def test_delete_drops_role_and_extcell_links(client, cell):
    create_relation(client, "rel1")
    create_role(client, "role1")
    create_extcell(client, EXT)
    must_link(client, relation_key("rel1"), "_Role", role_key("role1"))
    must_link(client, relation_key("rel1"), "_ExtCell", extcell_key(EXT))
    assert_no_content(delete(client, relation_key("rel1")))
    assert links_of(client, role_key("role1"), "_Relation") == []
    assert links_of(client, extcell_key(EXT), "_Relation") == []


def test_delete_missing(client, cell):
    assert_error(delete(client, relation_key("nope")), 404, "PR404-OD-0002")


def test_delete_if_match(client, cell):
    etag = create_relation(client, "rel1")["__metadata"]["etag"]
    assert_error(delete(client, relation_key("rel1"), headers=if_match('W/"2-2"')), 412,
                 "PR412-OD-0002")
    assert_no_content(delete(client, relation_key("rel1"), headers=if_match(etag)))


# --- navigation (pages 243, 244) ----------------------------------------------------------------------------

def test_create_extrole_via_navigation(client, cell):
    """The ExtRole belongs to the Relation it is created under (1:N)."""
    create_box(client, "box1")
    create_relation(client, "rel1", "box1")
    response = post(client, f"{relation_key('rel1', 'box1')}/_ExtRole", {"ExtRole": DOCTOR})
    assert_created(response, "ExtRole", extrole_key(DOCTOR, "rel1", "box1"),
                   {"ExtRole": DOCTOR, "_Relation.Name": "rel1", "_Relation._Box.Name": "box1"})
    assert values(get(client, f"{relation_key('rel1', 'box1')}/_ExtRole"), "ExtRole") == [DOCTOR]


def test_create_role_via_navigation(client, cell):
    create_relation(client, "rel1")
    response = post(client, f"{relation_key('rel1')}/_Role", {"Name": "role1"})
    assert_created(response, "Role", role_key("role1"), {"Name": "role1", "_Box.Name": None})
    assert links_of(client, relation_key("rel1"), "_Role") == uri_set([uri(role_key("role1"))])


def test_create_extcell_via_navigation(client, cell):
    create_relation(client, "rel1")
    response = post(client, f"{relation_key('rel1')}/_ExtCell", {"Url": EXT})
    assert_created(response, "ExtCell", extcell_key(EXT), {"Url": EXT})
    assert links_of(client, relation_key("rel1"), "_ExtCell") == uri_set([uri(extcell_key(EXT))])


def test_list_via_navigation(client, cell):
    create_relation(client, "rel1")
    create_relation(client, "rel2")
    create_extrole(client, DOCTOR, "rel1")
    create_extrole(client, NURSE, "rel1")
    create_extrole(client, DOCTOR, "rel2")
    items = results(get(client, f"{relation_key('rel1')}/_ExtRole"))
    assert sorted(i["ExtRole"] for i in items) == [DOCTOR, NURSE]
    for item in items:
        assert_entity(item, "ExtRole", extrole_key(item["ExtRole"], "rel1"),
                      {"ExtRole": item["ExtRole"], "_Relation.Name": "rel1", "_Relation._Box.Name": None})
    body = get(client, f"{relation_key('rel1')}/_ExtRole",
               **{"$filter": f"ExtRole eq '{NURSE}'", "$inlinecount": "allpages"}).json()
    assert [i["ExtRole"] for i in body["d"]["results"]] == [NURSE]
    assert body["d"]["__count"] == "1"


def test_expand(client, cell):
    create_box(client, "box1")
    create_relation(client, "rel1", "box1")
    create_extrole(client, DOCTOR, "rel1", "box1")
    item = results(get(client, relation_key("rel1", "box1"), **{"$expand": "_Box,_ExtRole,_Role,_ExtCell"}))
    assert isinstance(item["_Box"], list), item["_Box"]  # N:1 inlined as an array too (see test_ctl_role)
    assert [b["Name"] for b in item["_Box"]] == ["box1"]
    assert [e["ExtRole"] for e in item["_ExtRole"]] == [DOCTOR]
    assert item["_Role"] == [] and item["_ExtCell"] == []
    listed = results(get(client, "Relation", **{"$expand": "_ExtRole"}))[0]
    assert [e["ExtRole"] for e in listed["_ExtRole"]] == [DOCTOR]
    assert_error(get(client, "Relation", **{"$expand": "_Box,_ExtRole,_Role"}), 400, "PR400-OD-0039")


def test_box_navigation_lists_relations(client, cell):
    create_box(client, "box1")
    create_relation(client, "rel1", "box1")
    assert values(get(client, f"{box_key('box1')}/_Relation")) == ["rel1"]
