"""ExtRole — apiref 245 (create), 246 (list), 247 (retrieve), 248 (update), 2AF (merge), 249 (delete),
250/251/253 ($links), 254/255 (navigation); notes §5 (format ``uri``), §5.1 (keys ExtRole +
_Relation.Name (required) + _Relation._Box.Name), §5.2, §5.3, §5.4."""

from __future__ import annotations

import pytest

from tests.api._ctl_support import (
    assert_all_navs,
    assert_core_navs,
    assert_created,
    assert_entity,
    assert_no_content,
    create_box,
    create_extrole,
    create_relation,
    create_role,
    delete,
    entity,
    etag_of,
    etag_parts,
    extrole_key,
    get,
    if_match,
    link,
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


ROLE1 = "https://cell2.unit1.example/__role/__/role1"
ROLE2 = "https://cell2.unit1.example/__role/__/role2"


def props(extrole, relation, box=None):
    return {"ExtRole": extrole, "_Relation.Name": relation, "_Relation._Box.Name": box}


def extroles(client, **params):
    return sorted(values(get(client, "ExtRole", **params), "ExtRole"))


# --- create (page 245) --------------------------------------------------------------------------------------

def test_create_like_the_page_sample(client, cell):
    create_box(client, "box1")
    create_relation(client, "relation1", "box1")
    body = {"ExtRole": ROLE1, "_Relation.Name": "relation1", "_Relation._Box.Name": "box1"}
    response = post(client, "ExtRole", body)
    item = assert_created(response, "ExtRole", extrole_key(ROLE1, "relation1", "box1"), body)
    assert_core_navs(item, "ExtRole")
    # page 245: the ExtRole part of the key is URL-encoded
    assert "ExtRole='https%3A%2F%2Fcell2.unit1.example%2F__role%2F__%2Frole1'" in item["__metadata"]["uri"]


def test_create_under_a_main_box_relation(client, cell):
    create_relation(client, "rel1")
    response = post(client, "ExtRole", {"ExtRole": ROLE1, "_Relation.Name": "rel1"})
    assert_created(response, "ExtRole", extrole_key(ROLE1, "rel1"), props(ROLE1, "rel1"))


def test_create_with_explicit_null_relation_box(client, cell):
    create_relation(client, "rel1")
    response = post(client, "ExtRole", {"ExtRole": ROLE1, "_Relation.Name": "rel1",
                                        "_Relation._Box.Name": None})
    assert_created(response, "ExtRole", extrole_key(ROLE1, "rel1"), props(ROLE1, "rel1"))


GOOD_EXTROLES = [
    pytest.param("https://app.example/__role/__/doctor", id="https"),
    pytest.param("http://app.example/__role/__/doctor", id="http"),
    pytest.param("http://localhost:8080/app/__role/__/doctor", id="path-based"),
    pytest.param("urn:x-personium:role:doctor", id="urn"),
    pytest.param("personium-localunit:/app/__role/__/doctor", id="localunit"),
    pytest.param("personium-localunit:app:/__role/__/doctor", id="localunit-double-colon"),
    pytest.param("https://app.example/" + "r" * 1004, id="length-1024"),
]


@pytest.mark.parametrize("extrole", GOOD_EXTROLES)
def test_valid_extrole_urls(client, cell, extrole):
    create_relation(client, "rel1")
    response = post(client, "ExtRole", {"ExtRole": extrole, "_Relation.Name": "rel1"})
    assert_created(response, "ExtRole", extrole_key(extrole, "rel1"), props(extrole, "rel1"))
    assert entity(client, extrole_key(extrole, "rel1"))["ExtRole"] == extrole


BAD_EXTROLES = [
    pytest.param("ftp://app.example/__role/__/doctor", id="ftp"),
    pytest.param("mailto:doctor@app.example", id="mailto"),
    pytest.param("personium-localcell:/__role/__/doctor", id="localcell"),
    pytest.param("doctor", id="no-scheme"),
    pytest.param("/__role/__/doctor", id="relative"),
    pytest.param("", id="empty"),
    pytest.param("https://app.example/" + "r" * 1005, id="length-1025"),
    pytest.param("https://app.example/__role/__/doc tor", id="space"),
]


@pytest.mark.parametrize("extrole", BAD_EXTROLES)
def test_invalid_extrole_urls(client, cell, extrole):
    create_relation(client, "rel1")
    body = assert_error(post(client, "ExtRole", {"ExtRole": extrole, "_Relation.Name": "rel1"}), 400,
                        "PR400-OD-0006")
    assert "ExtRole" in body["message"]["value"]
    assert extroles(client) == []


def test_missing_extrole(client, cell):
    create_relation(client, "rel1")
    body = assert_error(post(client, "ExtRole", {"_Relation.Name": "rel1"}), 400, "PR400-OD-0009")
    assert body["message"]["value"] == "[ExtRole] is required."


def test_missing_relation_name(client, cell):
    """notes §5.1: ``_Relation.Name`` is required (the N:1 link to Relation is mandatory)."""
    create_relation(client, "rel1")
    body = assert_error(post(client, "ExtRole", {"ExtRole": ROLE1}), 400, "PR400-OD-0009")
    assert body["message"]["value"] == "[_Relation.Name] is required."


def test_null_relation_name(client, cell):
    create_relation(client, "rel1")
    assert_error(post(client, "ExtRole", {"ExtRole": ROLE1, "_Relation.Name": None}), 400, "PR400-OD-0009")


def test_missing_relation(client, cell):
    assert_error(post(client, "ExtRole", {"ExtRole": ROLE1, "_Relation.Name": "norel"}), 400, "PR400-OD-0024")


def test_relation_in_the_wrong_box(client, cell):
    create_box(client, "box1")
    create_relation(client, "rel1")
    body = {"ExtRole": ROLE1, "_Relation.Name": "rel1", "_Relation._Box.Name": "box1"}
    assert_error(post(client, "ExtRole", body), 400, "PR400-OD-0024")
    assert extroles(client) == []


@pytest.mark.parametrize("name", ["_rel", ":rel", "rel.1", "r" * 129])
def test_invalid_relation_name(client, cell, name):
    assert_error(post(client, "ExtRole", {"ExtRole": ROLE1, "_Relation.Name": name}), 400, "PR400-OD-0006")


@pytest.mark.parametrize("field", ["Name", "_Box.Name", "Url"])
def test_unknown_property(client, cell, field):
    create_relation(client, "rel1")
    assert_error(post(client, "ExtRole", {"ExtRole": ROLE1, "_Relation.Name": "rel1", field: "x"}), 400,
                 "PR400-OD-0007")


def test_duplicate(client, cell):
    create_relation(client, "rel1")
    create_extrole(client, ROLE1, "rel1")
    assert_error(post(client, "ExtRole", {"ExtRole": ROLE1, "_Relation.Name": "rel1"}), 409, "PR409-OD-0003")


def test_same_extrole_under_different_relations(client, cell):
    create_box(client, "box1")
    create_relation(client, "rel1")
    create_relation(client, "rel2")
    create_relation(client, "rel1", "box1")
    create_extrole(client, ROLE1, "rel1")
    create_extrole(client, ROLE1, "rel2")
    create_extrole(client, ROLE1, "rel1", "box1")
    keys = sorted((i["_Relation.Name"], i["_Relation._Box.Name"] or "") for i in results(get(client,
                                                                                             "ExtRole")))
    assert keys == [("rel1", ""), ("rel1", "box1"), ("rel2", "")]


# --- retrieve (page 247) ------------------------------------------------------------------------------------

ENCODED = "https%3A%2F%2Fcell2.unit1.example%2F__role%2F__%2Frole1"


@pytest.mark.parametrize("key", [
    f"ExtRole(ExtRole='{ENCODED}',_Relation.Name='rel1',_Relation._Box.Name=null)",
    f"ExtRole(ExtRole='{ENCODED}',_Relation.Name='rel1')",
    f"ExtRole(_Relation.Name='rel1',ExtRole='{ENCODED}')",
])
def test_main_box_relation_key_forms(client, cell, key):
    create_relation(client, "rel1")
    created = create_extrole(client, ROLE1, "rel1")
    response = get(client, key)
    assert response.status_code == 200, response.text
    assert response.headers["etag"] == created["__metadata"]["etag"]
    assert_entity(results(response), "ExtRole", extrole_key(ROLE1, "rel1"), props(ROLE1, "rel1"))


def test_boxed_relation_key(client, cell):
    create_box(client, "box1")
    create_relation(client, "rel1", "box1")
    create_extrole(client, ROLE1, "rel1", "box1")
    key = f"ExtRole(ExtRole='{ENCODED}',_Relation.Name='rel1',_Relation._Box.Name='box1')"
    assert_entity(results(get(client, key)), "ExtRole", extrole_key(ROLE1, "rel1", "box1"),
                  props(ROLE1, "rel1", "box1"))
    assert_error(get(client, f"ExtRole(ExtRole='{ENCODED}',_Relation.Name='rel1')"), 404, "PR404-OD-0002")


def test_retrieve_by_metadata_uri(client, cell):
    create_relation(client, "rel+1:x")
    created = create_extrole(client, ROLE1, "rel+1:x")
    response = client.get(created["__metadata"]["uri"], headers=MASTER_AUTH)
    assert results(response)["_Relation.Name"] == "rel+1:x"


def test_key_without_relation_is_malformed(client, cell):
    """``_Relation.Name`` is a non-nullable key part, so ``ExtRole('x')`` cannot name an entity."""
    create_relation(client, "rel1")
    create_extrole(client, ROLE1, "rel1")
    assert_error(get(client, f"ExtRole('{ENCODED}')"), 400, "PR400-OD-0004")


def test_retrieve_navigation_like_page_247(client, cell):
    create_relation(client, "rel1")
    create_extrole(client, ROLE1, "rel1")
    assert_all_navs(entity(client, extrole_key(ROLE1, "rel1")), "ExtRole")


def test_retrieve_missing(client, cell):
    create_relation(client, "rel1")
    assert_error(get(client, extrole_key(ROLE1, "rel1")), 404, "PR404-OD-0002")


# --- list (page 246) ----------------------------------------------------------------------------------------

@pytest.fixture
def some_extroles(client, cell):
    create_relation(client, "rel1")
    create_relation(client, "rel2")
    create_extrole(client, ROLE1, "rel1")
    create_extrole(client, ROLE2, "rel1")
    create_extrole(client, "urn:x-personium:role:3", "rel2")
    return client


def test_list(some_extroles):
    items = results(get(some_extroles, "ExtRole"))
    assert len(items) == 3
    for item in items:
        assert_entity(item, "ExtRole", extrole_key(item["ExtRole"], item["_Relation.Name"]),
                      props(item["ExtRole"], item["_Relation.Name"]))
        assert_core_navs(item, "ExtRole")


def test_list_filter_orderby_top_count(some_extroles):
    assert extroles(some_extroles, **{"$filter": f"ExtRole eq '{ROLE2}'"}) == [ROLE2]
    assert extroles(some_extroles, **{"$filter": "startswith(ExtRole,'https://cell2')"}) == [ROLE1, ROLE2]
    body = get(some_extroles, "ExtRole", **{"$orderby": "ExtRole desc", "$top": "1",
                                            "$inlinecount": "allpages"}).json()
    assert [i["ExtRole"] for i in body["d"]["results"]] == ["urn:x-personium:role:3"]
    assert body["d"]["__count"] == "3"


# --- update (page 248) --------------------------------------------------------------------------------------

def test_put_changes_the_url(client, cell):
    create_relation(client, "rel1")
    created = create_extrole(client, ROLE1, "rel1")
    response = put(client, extrole_key(ROLE1, "rel1"), {"ExtRole": ROLE2, "_Relation.Name": "rel1"})
    assert_no_content(response)
    assert etag_parts(response.headers["etag"])[0] == 2
    item = entity(client, extrole_key(ROLE2, "rel1"))
    assert_entity(item, "ExtRole", extrole_key(ROLE2, "rel1"), props(ROLE2, "rel1"))
    assert item["__published"] == created["__published"]
    assert_error(get(client, extrole_key(ROLE1, "rel1")), 404, "PR404-OD-0002")


def test_put_moves_to_another_relation(client, cell):
    create_box(client, "box1")
    create_relation(client, "rel1")
    create_relation(client, "rel2", "box1")
    create_extrole(client, ROLE1, "rel1")
    body = {"ExtRole": ROLE1, "_Relation.Name": "rel2", "_Relation._Box.Name": "box1"}
    assert_no_content(put(client, extrole_key(ROLE1, "rel1"), body))
    assert entity(client, extrole_key(ROLE1, "rel2", "box1"))["_Relation.Name"] == "rel2"
    assert values(get(client, f"{relation_key('rel1')}/_ExtRole"), "ExtRole") == []
    assert_no_content(delete(client, relation_key("rel1")))  # no ExtRole left under it


def test_put_keeps_role_links(client, cell):
    create_relation(client, "rel1")
    create_role(client, "role1")
    create_extrole(client, ROLE1, "rel1")
    must_link(client, extrole_key(ROLE1, "rel1"), "_Role", role_key("role1"))
    assert_no_content(put(client, extrole_key(ROLE1, "rel1"), {"ExtRole": ROLE2, "_Relation.Name": "rel1"}))
    assert links_of(client, extrole_key(ROLE2, "rel1"), "_Role") == uri_set([uri(role_key("role1"))])
    assert links_of(client, role_key("role1"), "_ExtRole") == uri_set([uri(extrole_key(ROLE2, "rel1"))])


def test_put_without_relation_name(client, cell):
    create_relation(client, "rel1")
    etag = create_extrole(client, ROLE1, "rel1")["__metadata"]["etag"]
    assert_error(put(client, extrole_key(ROLE1, "rel1"), {"ExtRole": ROLE2}), 400, "PR400-OD-0009")
    assert etag_of(client, extrole_key(ROLE1, "rel1")) == etag


def test_put_to_a_missing_relation(client, cell):
    create_relation(client, "rel1")
    create_extrole(client, ROLE1, "rel1")
    assert_error(put(client, extrole_key(ROLE1, "rel1"), {"ExtRole": ROLE1, "_Relation.Name": "norel"}), 400,
                 "PR400-OD-0024")


def test_put_onto_an_existing_key(client, cell):
    create_relation(client, "rel1")
    create_extrole(client, ROLE1, "rel1")
    create_extrole(client, ROLE2, "rel1")
    assert_error(put(client, extrole_key(ROLE1, "rel1"), {"ExtRole": ROLE2, "_Relation.Name": "rel1"}), 409,
                 "PR409-OD-0003")


def test_put_invalid_url(client, cell):
    create_relation(client, "rel1")
    create_extrole(client, ROLE1, "rel1")
    assert_error(put(client, extrole_key(ROLE1, "rel1"), {"ExtRole": "ftp://x/", "_Relation.Name": "rel1"}),
                 400,
                 "PR400-OD-0006")


def test_put_if_match(client, cell):
    create_relation(client, "rel1")
    etag = create_extrole(client, ROLE1, "rel1")["__metadata"]["etag"]
    body = {"ExtRole": ROLE2, "_Relation.Name": "rel1"}
    assert_error(put(client, extrole_key(ROLE1, "rel1"), body, headers=if_match('W/"1-5"')), 412,
                 "PR412-OD-0002")
    assert_no_content(put(client, extrole_key(ROLE1, "rel1"), body, headers=if_match(etag)))


# --- partial update (page 2AF) ------------------------------------------------------------------------------

def test_merge_url_only(client, cell):
    create_box(client, "box1")
    create_relation(client, "rel1", "box1")
    create_extrole(client, ROLE1, "rel1", "box1")
    response = merge(client, extrole_key(ROLE1, "rel1", "box1"), {"ExtRole": ROLE2})
    assert_no_content(response)
    assert etag_parts(response.headers["etag"])[0] == 2
    assert_entity(entity(client, extrole_key(ROLE2, "rel1", "box1")), "ExtRole",
                  extrole_key(ROLE2, "rel1", "box1"), props(ROLE2, "rel1", "box1"))


def test_merge_relation_only(client, cell):
    create_relation(client, "rel1")
    create_relation(client, "rel2")
    create_extrole(client, ROLE1, "rel1")
    assert_no_content(merge(client, extrole_key(ROLE1, "rel1"), {"_Relation.Name": "rel2"}))
    assert entity(client, extrole_key(ROLE1, "rel2"))["ExtRole"] == ROLE1


def test_merge_invalid(client, cell):
    create_relation(client, "rel1")
    create_extrole(client, ROLE1, "rel1")
    assert_error(merge(client, extrole_key(ROLE1, "rel1"), {"ExtRole": "nourl"}), 400, "PR400-OD-0006")
    assert_error(merge(client, extrole_key(ROLE1, "rel1"), {"_Relation.Name": "norel"}), 400, "PR400-OD-0024")
    assert extroles(client) == [ROLE1]


def test_merge_if_match(client, cell):
    create_relation(client, "rel1")
    create_extrole(client, ROLE1, "rel1")
    assert_error(merge(client, extrole_key(ROLE1, "rel1"), {"ExtRole": ROLE2},
                       headers=if_match('W/"8-8"')), 412, "PR412-OD-0002")


# --- delete (page 249) --------------------------------------------------------------------------------------

def test_delete(client, cell):
    create_relation(client, "rel1")
    create_extrole(client, ROLE1, "rel1")
    assert_no_content(delete(client, extrole_key(ROLE1, "rel1")))
    assert_error(get(client, extrole_key(ROLE1, "rel1")), 404, "PR404-OD-0002")


def test_delete_drops_role_links(client, cell):
    create_relation(client, "rel1")
    create_role(client, "role1")
    create_extrole(client, ROLE1, "rel1")
    must_link(client, extrole_key(ROLE1, "rel1"), "_Role", role_key("role1"))
    assert_no_content(delete(client, extrole_key(ROLE1, "rel1")))
    assert links_of(client, role_key("role1"), "_ExtRole") == []


def test_delete_missing(client, cell):
    create_relation(client, "rel1")
    assert_error(delete(client, extrole_key(ROLE1, "rel1")), 404, "PR404-OD-0002")


def test_delete_if_match(client, cell):
    create_relation(client, "rel1")
    etag = create_extrole(client, ROLE1, "rel1")["__metadata"]["etag"]
    assert_error(delete(client, extrole_key(ROLE1, "rel1"), headers=if_match('W/"5-1"')),
                 412,
                 "PR412-OD-0002")
    assert_no_content(delete(client, extrole_key(ROLE1, "rel1"), headers=if_match(etag)))


# --- links and navigation (pages 250–255) -------------------------------------------------------------------

def test_link_and_list_roles(client, cell):
    create_relation(client, "rel1")
    create_box(client, "box1")
    create_role(client, "role1")
    create_role(client, "role2", "box1")
    create_extrole(client, ROLE1, "rel1")
    must_link(client, extrole_key(ROLE1, "rel1"), "_Role", role_key("role1"))
    must_link(client, extrole_key(ROLE1, "rel1"), "_Role", role_key("role2", "box1"))
    assert links_of(client, extrole_key(ROLE1, "rel1"), "_Role") == uri_set(
        [uri(role_key("role1")), uri(role_key("role2", "box1"))])
    items = results(get(client, f"{extrole_key(ROLE1, 'rel1')}/_Role"))
    assert sorted((i["Name"], i["_Box.Name"] or "") for i in items) == [("role1", ""), ("role2", "box1")]


def test_relation_link_is_listed(client, cell):
    create_relation(client, "rel1")
    create_extrole(client, ROLE1, "rel1")
    assert links_of(client, extrole_key(ROLE1, "rel1"), "_Relation") == uri_set([uri(relation_key("rel1"))])
    assert links_of(client, relation_key("rel1"), "_ExtRole") == uri_set([uri(extrole_key(ROLE1, "rel1"))])


def test_relation_side_is_already_linked(client, cell):
    """Every ExtRole already has its one Relation: another N:1 link → 409 PR409-OD-0002 (notes §5.3)."""
    create_relation(client, "rel1")
    create_relation(client, "rel2")
    create_extrole(client, ROLE1, "rel1")
    response = link(client, extrole_key(ROLE1, "rel1"), "_Relation", uri(relation_key("rel2")))
    assert_error(response, 409, "PR409-OD-0002")
    assert entity(client, extrole_key(ROLE1, "rel1"))["_Relation.Name"] == "rel1"


def test_create_role_via_navigation(client, cell):
    """Page 254: registration via the ExtRole navigation property only creates Roles."""
    create_box(client, "box2")
    create_relation(client, "rel1")
    create_extrole(client, ROLE1, "rel1")
    response = post(client, f"{extrole_key(ROLE1, 'rel1')}/_Role", {"Name": "role2", "_Box.Name": "box2"})
    assert_created(response, "Role", role_key("role2", "box2"), {"Name": "role2", "_Box.Name": "box2"})
    assert links_of(client, extrole_key(ROLE1, "rel1"), "_Role") == uri_set([uri(role_key("role2", "box2"))])


def test_expand(client, cell):
    create_relation(client, "rel1")
    create_role(client, "role1")
    create_extrole(client, ROLE1, "rel1")
    must_link(client, extrole_key(ROLE1, "rel1"), "_Role", role_key("role1"))
    item = results(get(client, extrole_key(ROLE1, "rel1"), **{"$expand": "_Relation,_Role"}))
    assert isinstance(item["_Relation"],
                      list), item["_Relation"]  # N:1 inlined as an array (see test_ctl_role)
    assert [r["Name"] for r in item["_Relation"]] == ["rel1"]
    assert [r["Name"] for r in item["_Role"]] == ["role1"]
    listed = results(get(client, "ExtRole", **{"$expand": "_Role"}))[0]
    assert [r["Name"] for r in listed["_Role"]] == ["role1"]
