"""Role — apiref 201 (create), 202 (list), 203 (retrieve), 204 (update), 2AB (merge), 205 (delete),
210/211 (navigation); notes §5 (NAME), §5.1, §5.2 (compound keys), §5.3, §5.4, §5.5, §7."""

from __future__ import annotations

import pytest

from tests.api._ctl_support import (
    account_key,
    assert_all_navs,
    assert_core_navs,
    assert_created,
    assert_entity,
    assert_no_content,
    box_key,
    create_account,
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
EXT_ROLE = "https://app.example/__role/__/doctor"


def roles(client, **params):
    return sorted((item["Name"], item["_Box.Name"] or "") for item in results(get(client, "Role", **params)))


# --- create (page 201) --------------------------------------------------------------------------------------

def test_create_role_in_the_main_box(client, cell):
    response = post(client, "Role", {"Name": "role1"})
    item = assert_created(response, "Role", role_key("role1"), {"Name": "role1", "_Box.Name": None})
    # notes §5.2: an absent or null key part is written _Box.Name=null
    assert "_Box.Name=null" in item["__metadata"]["uri"]
    assert_core_navs(item, "Role")


def test_create_role_with_explicit_null_box(client, cell):
    response = post(client, "Role", {"Name": "role1", "_Box.Name": None})
    assert_created(response, "Role", role_key("role1"), {"Name": "role1", "_Box.Name": None})


def test_create_role_in_a_box(client, cell):
    create_box(client, "box1")
    response = post(client, "Role", {"Name": "role1", "_Box.Name": "box1"})
    assert_created(response, "Role", role_key("role1", "box1"), {"Name": "role1", "_Box.Name": "box1"})


def test_create_role_in_a_missing_box(client, cell):
    """notes §5.3: a missing parent → 400 PR400-OD-0024; {0} is the given name (Java's RoleCreateTest)."""
    body = assert_error(post(client, "Role", {"Name": "role1", "_Box.Name": "nobox"}), 400, "PR400-OD-0024")
    assert body["message"]["value"] == "[nobox] does not exist."
    assert roles(client) == []


@pytest.mark.parametrize("box", ["-box", "_box", "a" * 129, "", "box.1"])
def test_create_role_with_invalid_box_name(client, cell, box):
    assert_error(post(client, "Role", {"Name": "role1", "_Box.Name": box}), 400, "PR400-OD-0006")


GOOD_NAMES = [
    pytest.param("a", id="length-1"),
    pytest.param("7", id="digit"),
    pytest.param("Z", id="uppercase"),
    pytest.param("r" * 128, id="length-128"),
    pytest.param("role-1_A", id="hyphen-underscore"),
    pytest.param("a" + "-_" * 63 + "b", id="signs-after-first-128"),
]


@pytest.mark.parametrize("name", GOOD_NAMES)
def test_valid_role_names(client, cell, name):
    response = post(client, "Role", {"Name": name})
    assert_created(response, "Role", role_key(name), {"Name": name, "_Box.Name": None})
    assert entity(client, role_key(name))["Name"] == name


BAD_NAMES = [
    pytest.param("", id="empty"),
    pytest.param("r" * 129, id="length-129"),
    pytest.param("-role", id="leading-hyphen"),
    pytest.param("_role", id="leading-underscore"),
    pytest.param("role.1", id="dot"),
    pytest.param("role 1", id="space"),
    pytest.param("role/1", id="slash"),
    pytest.param("role:1", id="colon"),
    pytest.param("role+1", id="plus"),
    pytest.param("role@1", id="at"),
    pytest.param("röle", id="non-ascii"),
]


@pytest.mark.parametrize("name", BAD_NAMES)
def test_invalid_role_names(client, cell, name):
    body = assert_error(post(client, "Role", {"Name": name}), 400, "PR400-OD-0006")
    assert "Name" in body["message"]["value"]
    assert roles(client) == []


def test_missing_name(client, cell):
    body = assert_error(post(client, "Role", {"_Box.Name": None}), 400, "PR400-OD-0009")
    assert body["message"]["value"] == "[Name] is required."


@pytest.mark.parametrize("value", [1, True, ["role1"], {"Name": "role1"}])
def test_non_string_name(client, cell, value):
    assert_error(post(client, "Role", {"Name": value}), 400, "PR400-OD-0006")


@pytest.mark.parametrize("field", ["Box", "_Box", "Schema", "__metadata"])
def test_unknown_property(client, cell, field):
    assert_error(post(client, "Role", {"Name": "role1", field: "x"}), 400, "PR400-OD-0007")


def test_duplicate_in_the_main_box(client, cell):
    create_role(client, "role1")
    assert_error(post(client, "Role", {"Name": "role1"}), 409, "PR409-OD-0003")


def test_duplicate_in_a_box(client, cell):
    create_box(client, "box1")
    create_role(client, "role1", "box1")
    assert_error(post(client, "Role", {"Name": "role1", "_Box.Name": "box1"}), 409, "PR409-OD-0003")


def test_same_name_in_different_boxes(client, cell):
    create_box(client, "box1")
    create_box(client, "box2")
    create_role(client, "role1")
    create_role(client, "role1", "box1")
    create_role(client, "role1", "box2")
    assert roles(client) == [("role1", ""), ("role1", "box1"), ("role1", "box2")]


# --- retrieve (page 203): key forms (notes §5.2) ------------------------------------------------------------

@pytest.mark.parametrize("key", ["Role('role1')", "Role(Name='role1')", "Role(Name='role1',_Box.Name=null)",
                                 "Role(_Box.Name=null,Name='role1')"])
def test_main_box_key_forms(client, cell, key):
    create_role(client, "role1")
    response = get(client, key)
    assert response.status_code == 200, response.text
    assert_entity(results(response), "Role", role_key("role1"), {"Name": "role1", "_Box.Name": None})


@pytest.mark.parametrize("key", ["Role(Name='role1',_Box.Name='box1')",
                                 "Role(_Box.Name='box1',Name='role1')"])
def test_box_key_forms(client, cell, key):
    create_box(client, "box1")
    created = create_role(client, "role1", "box1")
    response = get(client, key)
    assert response.status_code == 200, response.text
    assert response.headers["etag"] == created["__metadata"]["etag"]
    assert_entity(results(response), "Role", role_key("role1", "box1"), {"Name": "role1",
                                                                         "_Box.Name": "box1"})


def test_single_value_key_means_the_main_box(client, cell):
    """``Role('r')`` is the main-box role, not a role of that name in some box (notes §5.2)."""
    create_box(client, "box1")
    create_role(client, "role1", "box1")
    assert_error(get(client, "Role('role1')"), 404, "PR404-OD-0002")


def test_retrieve_in_the_wrong_box(client, cell):
    create_box(client, "box1")
    create_box(client, "box2")
    create_role(client, "role1", "box1")
    assert_error(get(client, role_key("role1", "box2")), 404, "PR404-OD-0002")


def test_retrieve_shows_the_navigation_properties_of_page_203(client, cell):
    create_role(client, "role1")
    item = entity(client, role_key("role1"))
    assert_all_navs(item, "Role")
    assert_core_navs(item, "Role")


@pytest.mark.parametrize("key", ["Role(1)", "Role(Name=1)", "Role(Name='role1',_Box.Name=2)",
                                 "Role(Nome='r')",
                                 "Role(Name='r1',Name='r2')"])
def test_malformed_keys(client, cell, key):
    create_role(client, "role1")
    assert_error(get(client, key), 400, "PR400-OD-0004")


# --- list (page 202) ----------------------------------------------------------------------------------------

@pytest.fixture
def some_roles(client, cell):
    create_box(client, "box1")
    create_role(client, "alpha")
    create_role(client, "beta", "box1")
    create_role(client, "gamma", "box1")
    create_role(client, "alpha", "box1")
    return client


def test_list(some_roles):
    items = results(get(some_roles, "Role"))
    assert sorted((i["Name"], i["_Box.Name"] or "") for i in items) == [
        ("alpha", ""), ("alpha", "box1"), ("beta", "box1"), ("gamma", "box1")]
    for item in items:
        assert_entity(item, "Role", role_key(item["Name"], item["_Box.Name"]),
                      {"Name": item["Name"], "_Box.Name": item["_Box.Name"]})
        assert_core_navs(item, "Role")


def test_list_filter(some_roles):
    assert roles(some_roles, **{"$filter": "Name eq 'alpha'"}) == [("alpha", ""), ("alpha", "box1")]
    assert roles(some_roles, **{"$filter": "startswith(Name,'g')"}) == [("gamma", "box1")]
    assert roles(some_roles, **{"$filter": "Name eq 'beta' or Name eq 'gamma'"}) == [
        ("beta", "box1"), ("gamma", "box1")]
    assert roles(some_roles, **{"$filter": "Name ne 'alpha'"}) == [("beta", "box1"), ("gamma", "box1")]


def test_list_orderby_top_skip_count(some_roles):
    body = get(some_roles, "Role", **{"$orderby": "Name desc", "$top": "2",
                                      "$inlinecount": "allpages"}).json()
    assert [i["Name"] for i in body["d"]["results"]] == ["gamma", "beta"]
    assert body["d"]["__count"] == "4"
    assert values(get(some_roles, "Role", **{"$orderby": "Name desc", "$skip": "2"})) == ["alpha", "alpha"]


def test_list_inlinecount_with_filter(some_roles):
    body = get(some_roles, "Role", **{"$filter": "Name eq 'alpha'", "$inlinecount": "allpages",
                                      "$top": "0"}).json()
    assert body["d"]["results"] == []
    assert body["d"]["__count"] == "2"


def test_list_select_keeps_the_key(some_roles):
    """$select returns the selected properties plus the whole key (Java's createOEntity always adds keys)."""
    items = results(get(some_roles, "Role", **{"$select": "Name", "$filter": "Name eq 'beta'"}))
    assert items[0]["Name"] == "beta"
    assert items[0]["_Box.Name"] == "box1"


def test_list_filter_unknown_property(some_roles):
    assert_error(get(some_roles, "Role", **{"$filter": "Schema eq 'x'"}), 400, "PR400-OD-0045")


# --- update (page 204) --------------------------------------------------------------------------------------

def test_put_rename(client, cell):
    created = create_role(client, "role1")
    response = put(client, role_key("role1"), {"Name": "role2"})
    assert_no_content(response)
    assert etag_parts(response.headers["etag"])[0] == 2
    assert_error(get(client, role_key("role1")), 404, "PR404-OD-0002")
    item = entity(client, role_key("role2"))
    assert_entity(item, "Role", role_key("role2"), {"Name": "role2", "_Box.Name": None})
    assert item["__published"] == created["__published"]
    assert item["__metadata"]["etag"] == response.headers["etag"]


def test_put_rename_keeps_links(client, cell):
    create_role(client, "role1")
    create_account(client, "acc1")
    create_extcell(client, EXT)
    create_relation(client, "rel1")
    must_link(client, role_key("role1"), "_Account", account_key("acc1"))
    must_link(client, role_key("role1"), "_ExtCell", extcell_key(EXT))
    must_link(client, role_key("role1"), "_Relation", relation_key("rel1"))
    assert_no_content(put(client, role_key("role1"), {"Name": "role2"}))
    assert links_of(client, role_key("role2"), "_Account") == uri_set([uri(account_key("acc1"))])
    assert links_of(client, role_key("role2"), "_ExtCell") == uri_set([uri(extcell_key(EXT))])
    assert links_of(client, account_key("acc1"), "_Role") == uri_set([uri(role_key("role2"))])
    assert links_of(client, relation_key("rel1"), "_Role") == uri_set([uri(role_key("role2"))])


def test_put_moves_the_role_to_another_box(client, cell):
    create_box(client, "box1")
    create_box(client, "box2")
    create_role(client, "role1", "box1")
    assert_no_content(put(client, role_key("role1", "box1"), {"Name": "role1", "_Box.Name": "box2"}))
    assert entity(client, role_key("role1", "box2"))["_Box.Name"] == "box2"
    assert_error(get(client, role_key("role1", "box1")), 404, "PR404-OD-0002")


def test_put_without_box_resets_to_the_main_box(client, cell):
    """notes §5.5: PUT replaces the whole entity; the omitted ``_Box.Name`` becomes null
    (notes §5.3: the role moves)."""
    create_box(client, "box1")
    create_role(client, "role1", "box1")
    assert_no_content(put(client, role_key("role1", "box1"), {"Name": "role1"}))
    assert entity(client, role_key("role1"))["_Box.Name"] is None
    assert values(get(client, f"{box_key('box1')}/_Role")) == []


def test_put_into_a_missing_box(client, cell):
    create_role(client, "role1")
    assert_error(put(client, role_key("role1"), {"Name": "role1", "_Box.Name": "nobox"}), 400,
                 "PR400-OD-0024")
    assert entity(client, role_key("role1"))["_Box.Name"] is None


def test_put_onto_an_existing_key(client, cell):
    create_role(client, "role1")
    create_role(client, "role2")
    assert_error(put(client, role_key("role1"), {"Name": "role2"}), 409, "PR409-OD-0003")


def test_put_invalid_name(client, cell):
    etag = create_role(client, "role1")["__metadata"]["etag"]
    assert_error(put(client, role_key("role1"), {"Name": "_x"}), 400, "PR400-OD-0006")
    assert etag_of(client, role_key("role1")) == etag


def test_put_missing_role(client, cell):
    assert_error(put(client, role_key("nope"), {"Name": "nope"}), 404, "PR404-OD-0002")


def test_put_if_match(client, cell):
    etag = create_role(client, "role1")["__metadata"]["etag"]
    stale = {**MASTER_AUTH, "If-Match": 'W/"1-1"'}
    assert_error(put(client, role_key("role1"), {"Name": "role2"}, headers=stale), 412, "PR412-OD-0002")
    assert entity(client, role_key("role1"))["Name"] == "role1"
    response = put(client, role_key("role1"), {"Name": "role2"}, headers=if_match(etag))
    assert_no_content(response)


# --- partial update (page 2AB) ------------------------------------------------------------------------------

def test_merge_name_keeps_the_box(client, cell):
    create_box(client, "box1")
    create_role(client, "role1", "box1")
    response = merge(client, role_key("role1", "box1"), {"Name": "role2"})
    assert_no_content(response)
    assert etag_parts(response.headers["etag"])[0] == 2
    assert_entity(entity(client, role_key("role2", "box1")), "Role", role_key("role2", "box1"),
                  {"Name": "role2", "_Box.Name": "box1"})


def test_merge_box_moves_the_role(client, cell):
    create_box(client, "box1")
    create_role(client, "role1")
    assert_no_content(merge(client, role_key("role1"), {"_Box.Name": "box1"}))
    assert entity(client, role_key("role1", "box1"))["Name"] == "role1"
    assert_error(get(client, role_key("role1")), 404, "PR404-OD-0002")


def test_merge_box_to_null(client, cell):
    create_box(client, "box1")
    create_role(client, "role1", "box1")
    assert_no_content(merge(client, role_key("role1", "box1"), {"_Box.Name": None}))
    assert entity(client, role_key("role1"))["_Box.Name"] is None


def test_merge_empty_body_changes_nothing(client, cell):
    create_box(client, "box1")
    create_role(client, "role1", "box1")
    response = merge(client, role_key("role1", "box1"), {})
    assert_no_content(response)
    assert entity(client, role_key("role1", "box1"))["_Box.Name"] == "box1"


def test_merge_into_a_box_with_the_same_role_name(client, cell):
    create_box(client, "box1")
    create_role(client, "role1")
    create_role(client, "role1", "box1")
    assert_error(merge(client, role_key("role1"), {"_Box.Name": "box1"}), 409, "PR409-OD-0003")


def test_merge_into_a_missing_box(client, cell):
    create_role(client, "role1")
    assert_error(merge(client, role_key("role1"), {"_Box.Name": "nobox"}), 400, "PR400-OD-0024")


def test_merge_if_match(client, cell):
    create_role(client, "role1")
    assert_error(merge(client, role_key("role1"), {"Name": "x"}, headers=if_match('W/"3-3"')),
                 412, "PR412-OD-0002")


def test_merge_missing(client, cell):
    assert_error(merge(client, role_key("nope"), {"Name": "x"}), 404, "PR404-OD-0002")


# --- delete (page 205; notes §5.4) --------------------------------------------------------------------------

def test_delete(client, cell):
    create_role(client, "role1")
    response = delete(client, role_key("role1"))
    assert_no_content(response)
    assert_error(get(client, role_key("role1")), 404, "PR404-OD-0002")


@pytest.mark.parametrize("key", ["Role('role1')", "Role(Name='role1')"])
def test_delete_with_short_keys(client, cell, key):
    create_role(client, "role1")
    assert_no_content(delete(client, key))
    assert roles(client) == []


def test_delete_in_a_box(client, cell):
    create_box(client, "box1")
    create_role(client, "role1", "box1")
    create_role(client, "role1")
    assert_no_content(delete(client, role_key("role1", "box1")))
    assert roles(client) == [("role1", "")]


def test_delete_missing(client, cell):
    assert_error(delete(client, role_key("nope")), 404, "PR404-OD-0002")


def test_delete_drops_every_link_silently(client, cell):
    """notes §5.4: deleting a Role drops its Account, ExtCell, Relation and ExtRole links."""
    create_role(client, "role1")
    create_account(client, "acc1")
    create_extcell(client, EXT)
    create_relation(client, "rel1")
    create_extrole(client, EXT_ROLE, "rel1")
    must_link(client, role_key("role1"), "_Account", account_key("acc1"))
    must_link(client, role_key("role1"), "_ExtCell", extcell_key(EXT))
    must_link(client, role_key("role1"), "_Relation", relation_key("rel1"))
    must_link(client, role_key("role1"), "_ExtRole", extrole_key(EXT_ROLE, "rel1"))
    assert_no_content(delete(client, role_key("role1")))
    assert links_of(client, account_key("acc1"), "_Role") == []
    assert links_of(client, extcell_key(EXT), "_Role") == []
    assert links_of(client, relation_key("rel1"), "_Role") == []
    assert links_of(client, extrole_key(EXT_ROLE, "rel1"), "_Role") == []
    assert entity(client, account_key("acc1"))["Name"] == "acc1"


def test_a_recreated_role_has_no_old_links(client, cell):
    create_role(client, "role1")
    create_account(client, "acc1")
    must_link(client, role_key("role1"), "_Account", account_key("acc1"))
    assert_no_content(delete(client, role_key("role1")))
    create_role(client, "role1")
    assert links_of(client, role_key("role1"), "_Account") == []


def test_delete_if_match(client, cell):
    etag = create_role(client, "role1")["__metadata"]["etag"]
    assert_error(delete(client, role_key("role1"), headers=if_match('W/"1-2"')), 412,
                 "PR412-OD-0002")
    assert_no_content(delete(client, role_key("role1"), headers=if_match(etag)))


# --- navigation (pages 210, 211) ----------------------------------------------------------------------------

def test_create_account_via_navigation(client, cell):
    create_role(client, "role1")
    response = post(client, f"{role_key('role1')}/_Account", {"Name": "acc1"})
    assert_created(response, "Account", account_key("acc1"),
                   {"Name": "acc1", "Type": "basic", "Cell": None, "IPAddressRange": None,
                    "Status": "active"})
    assert links_of(client, role_key("role1"), "_Account") == uri_set([uri(account_key("acc1"))])


def test_create_extcell_via_navigation(client, cell):
    create_role(client, "role1")
    response = post(client, f"{role_key('role1')}/_ExtCell", {"Url": EXT})
    assert_created(response, "ExtCell", extcell_key(EXT), {"Url": EXT})
    assert links_of(client, extcell_key(EXT), "_Role") == uri_set([uri(role_key("role1"))])


def test_create_relation_via_navigation(client, cell):
    create_box(client, "box1")
    create_role(client, "role1", "box1")
    response = post(client, f"{role_key('role1', 'box1')}/_Relation", {"Name": "rel1", "_Box.Name": "box1"})
    assert_created(response, "Relation", relation_key("rel1", "box1"), {"Name": "rel1", "_Box.Name": "box1"})
    assert links_of(client, role_key("role1", "box1"), "_Relation") == uri_set([uri(relation_key("rel1",
                                                                                                 "box1"))])


def test_create_extrole_via_navigation(client, cell):
    create_role(client, "role1")
    create_relation(client, "rel1")
    response = post(client, f"{role_key('role1')}/_ExtRole", {"ExtRole": EXT_ROLE, "_Relation.Name": "rel1"})
    assert_created(response, "ExtRole", extrole_key(EXT_ROLE, "rel1"),
                   {"ExtRole": EXT_ROLE, "_Relation.Name": "rel1", "_Relation._Box.Name": None})
    assert links_of(client, role_key("role1"), "_ExtRole") == uri_set([uri(extrole_key(EXT_ROLE, "rel1"))])


def test_create_via_navigation_duplicate_creates_no_link(client, cell):
    create_role(client, "role1")
    create_account(client, "acc1")
    assert_error(post(client, f"{role_key('role1')}/_Account", {"Name": "acc1"}), 409, "PR409-OD-0003")
    assert links_of(client, role_key("role1"), "_Account") == []


def test_list_accounts_via_navigation(client, cell):
    create_role(client, "role1")
    create_role(client, "role2")
    for name in ("acc1", "acc2", "acc3"):
        create_account(client, name)
    must_link(client, role_key("role1"), "_Account", account_key("acc1"))
    must_link(client, role_key("role1"), "_Account", account_key("acc2"))
    must_link(client, role_key("role2"), "_Account", account_key("acc3"))
    response = get(client, f"{role_key('role1')}/_Account")
    assert response.status_code == 200
    items = results(response)
    assert sorted(i["Name"] for i in items) == ["acc1", "acc2"]
    for item in items:
        assert_entity(item, "Account", account_key(item["Name"]),
                      {"Name": item["Name"], "Type": "basic", "Cell": None, "IPAddressRange": None,
                       "Status": "active"})
    body = get(client, f"{role_key('role1')}/_Account", **{"$filter": "Name eq 'acc2'",
                                                           "$inlinecount": "allpages"}).json()
    assert [i["Name"] for i in body["d"]["results"]] == ["acc2"]
    assert body["d"]["__count"] == "1"


def test_list_via_navigation_of_a_box_role(client, cell):
    create_box(client, "box1")
    create_role(client, "role1", "box1")
    create_extcell(client, EXT)
    must_link(client, role_key("role1", "box1"), "_ExtCell", extcell_key(EXT))
    assert values(get(client, "Role(Name='role1',_Box.Name='box1')/_ExtCell"), "Url") == [EXT]


# --- $expand (page 405) -------------------------------------------------------------------------------------

def test_expand_box_on_the_list(client, cell):
    create_box(client, "box1")
    create_role(client, "role1", "box1")
    create_role(client, "role2")
    items = {i["Name"]: i for i in results(get(client, "Role", **{"$expand": "_Box"}))}
    # Java (OEntityDocHandler.createOEntity) inlines N:1 targets with relatedEntitiesInline too, and
    # PersoniumJsonFormatWriter writes those as a JSON array; notes §7.1 just say "entity/array".
    assert isinstance(items["role1"]["_Box"], list), items["role1"]["_Box"]
    assert [b["Name"] for b in items["role1"]["_Box"]] == ["box1"]
    assert_entity(items["role1"]["_Box"][0], "Box", box_key("box1"), {"Name": "box1", "Schema": None})
    assert items["role2"]["_Box"] == []


def test_expand_all_five_on_a_single_role(client, cell):
    """Up to 10 navigation properties on a single GET (notes §7.2)."""
    create_role(client, "role1")
    create_account(client, "acc1")
    create_extcell(client, EXT)
    must_link(client, role_key("role1"), "_Account", account_key("acc1"))
    must_link(client, role_key("role1"), "_ExtCell", extcell_key(EXT))
    item = results(get(client, role_key("role1"), **{"$expand": "_Box,_Account,_ExtCell,_ExtRole,_Relation"}))
    assert [a["Name"] for a in item["_Account"]] == ["acc1"]
    assert [e["Url"] for e in item["_ExtCell"]] == [EXT]
    assert item["_Box"] == [] and item["_ExtRole"] == [] and item["_Relation"] == []


def test_expand_two_on_the_list(client, cell):
    create_role(client, "role1")
    create_account(client, "acc1")
    must_link(client, role_key("role1"), "_Account", account_key("acc1"))
    item = results(get(client, "Role", **{"$expand": "_Box,_Account"}))[0]
    assert [a["Name"] for a in item["_Account"]] == ["acc1"]


def test_expand_three_on_the_list_is_too_many(client, cell):
    """notes §7.2: a list may expand at most 2 navigation properties → 400 PR400-OD-0039."""
    create_role(client, "role1")
    assert_error(get(client, "Role", **{"$expand": "_Box,_Account,_ExtCell"}), 400, "PR400-OD-0039")


def test_expand_unknown(client, cell):
    create_role(client, "role1")
    assert_error(get(client, role_key("role1"), **{"$expand": "_Rule"}), 400, "PR400-OD-0026")
