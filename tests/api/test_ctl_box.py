"""Box — apiref 256 (create), 257 (list), 258 (retrieve), 259 (update), 2B0 (merge), 260 (delete),
265/266 (navigation); notes §5 (NAME, ``schema-uri``), §5.1 (Schema unique), §5.4, §5.5, §7."""

from __future__ import annotations

import pytest

from tests.api._ctl_support import (
    assert_all_navs,
    assert_core_navs,
    assert_created,
    assert_entity,
    assert_no_content,
    box_key,
    create,
    create_box,
    create_relation,
    create_role,
    date_ms,
    delete,
    entity,
    etag_of,
    etag_parts,
    get,
    if_match,
    list_values,
    merge,
    new_cell,
    post,
    put,
    relation_key,
    results,
    role_key,
    uri,
    values,
)
from tests.helpers import MASTER_AUTH, assert_error


@pytest.fixture
def cell(client):
    return new_cell(client)


APP = "https://app.example/"


# --- create (page 256) --------------------------------------------------------------------------------------

def test_create_box_without_schema(client, cell):
    response = post(client, "Box", {"Name": "box1"})
    assert_created(response, "Box", box_key("box1"), {"Name": "box1", "Schema": None})


def test_create_box_with_schema(client, cell):
    response = post(client, "Box", {"Name": "box1", "Schema": APP})
    assert_created(response, "Box", box_key("box1"), {"Name": "box1", "Schema": APP})


def test_create_box_with_explicit_null_schema(client, cell):
    response = post(client, "Box", {"Name": "box1", "Schema": None})
    assert_created(response, "Box", box_key("box1"), {"Name": "box1", "Schema": None})


def test_create_box_response_carries_deferred_navigation(client, cell):
    item = post(client, "Box", {"Name": "box1"}).json()["d"]["results"]
    assert_core_navs(item, "Box")


def test_created_box_is_retrievable(client, cell):
    created = create_box(client, "box1", APP)
    response = get(client, box_key("box1"))
    assert response.status_code == 200
    assert response.headers["etag"] == created["__metadata"]["etag"]
    assert response.headers["dataserviceversion"] == "2.0"
    item = results(response)
    assert_entity(item, "Box", box_key("box1"), {"Name": "box1", "Schema": APP})
    assert item["__published"] == created["__published"]


GOOD_NAMES = [
    pytest.param("a", id="length-1"),
    pytest.param("0", id="digit"),
    pytest.param("B", id="uppercase"),
    pytest.param("a" * 128, id="length-128"),
    pytest.param("box-1_X", id="hyphen-underscore"),
    pytest.param("a-", id="trailing-hyphen"),
    pytest.param("a_", id="trailing-underscore"),
    pytest.param("9" + "_-" * 63 + "z", id="signs-after-first-128"),
]


@pytest.mark.parametrize("name", GOOD_NAMES)
def test_valid_box_names(client, cell, name):
    response = post(client, "Box", {"Name": name})
    assert_created(response, "Box", box_key(name), {"Name": name, "Schema": None})
    assert results(get(client, box_key(name)))["Name"] == name


BAD_NAMES = [
    pytest.param("", id="empty"),
    pytest.param("a" * 129, id="length-129"),
    pytest.param("-box", id="leading-hyphen"),
    pytest.param("_box", id="leading-underscore"),
    pytest.param("__", id="main-box-name"),
    pytest.param("box.1", id="dot"),
    pytest.param("box 1", id="space"),
    pytest.param("box/1", id="slash"),
    pytest.param("box:1", id="colon"),
    pytest.param("box+1", id="plus"),
    pytest.param("box'1", id="quote"),
    pytest.param("box@1", id="at"),
    pytest.param("bóx", id="non-ascii"),
    pytest.param("box\n", id="trailing-newline"),
]


@pytest.mark.parametrize("name", BAD_NAMES)
def test_invalid_box_names(client, cell, name):
    body = assert_error(post(client, "Box", {"Name": name}), 400, "PR400-OD-0006")
    assert "Name" in body["message"]["value"]
    assert values(get(client, "Box")) == []


# Doc mismatch: page 256 describes Schema like a Name ("1 - 128 ... alphanumeric"); the notes (§5.1 format
# ``schema-uri``: a URN, or a normalised http(s)/localunit cell URL with a trailing slash) win.
GOOD_SCHEMAS = [
    pytest.param("https://app.example/", id="https"),
    pytest.param("http://app.example/", id="http"),
    pytest.param("https://app.example:8443/", id="port"),
    pytest.param("http://localhost:8080/appcell/", id="path-based-cell"),
    pytest.param("urn:x-personium:app", id="urn"),
    pytest.param("urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66", id="urn-uuid"),
    pytest.param("personium-localunit:/appcell/", id="localunit-path"),
    pytest.param("personium-localunit:appcell:/", id="localunit-double-colon"),
    pytest.param("https://app.example/" + "a" * 1003 + "/", id="length-1024"),
]


@pytest.mark.parametrize("schema", GOOD_SCHEMAS)
def test_valid_schemas(client, cell, schema):
    response = post(client, "Box", {"Name": "box1", "Schema": schema})
    assert_created(response, "Box", box_key("box1"), {"Name": "box1", "Schema": schema})


BAD_SCHEMAS = [
    pytest.param("https://app.example", id="no-trailing-slash"),
    pytest.param("https://app.example/path", id="path-without-trailing-slash"),
    pytest.param("https://app.example/a/../", id="dot-dot-segment"),
    pytest.param("https://app.example/./", id="dot-segment"),
    pytest.param("ftp://app.example/", id="ftp"),
    pytest.param("mailto:app@example/", id="mailto"),
    pytest.param("app", id="bare-name"),
    pytest.param("/app/", id="relative"),
    pytest.param("", id="empty"),
    pytest.param("personium-localunit:/appcell", id="localunit-no-slash"),
    pytest.param("https://app.example/" + "a" * 1004 + "/", id="length-1025"),
    pytest.param("https://app example/", id="space"),
]


@pytest.mark.parametrize("schema", BAD_SCHEMAS)
def test_invalid_schemas(client, cell, schema):
    body = assert_error(post(client, "Box", {"Name": "box1", "Schema": schema}), 400, "PR400-OD-0050")
    assert "Schema" in body["message"]["value"]
    assert_error(get(client, box_key("box1")), 404, "PR404-OD-0002")


@pytest.mark.parametrize("value", [123, True, {"uri": APP}, [APP]])
def test_non_string_schema(client, cell, value):
    assert_error(post(client, "Box", {"Name": "box1", "Schema": value}), 400, "PR400-OD-0006")


@pytest.mark.parametrize("value", [123, 1.5, True, {"x": "box1"}, ["box1"]])
def test_non_string_name(client, cell, value):
    assert_error(post(client, "Box", {"Name": value}), 400, "PR400-OD-0006")


def test_missing_name(client, cell):
    body = assert_error(post(client, "Box", {"Schema": APP}), 400, "PR400-OD-0009")
    assert body["message"]["value"] == "[Name] is required."


def test_null_name(client, cell):
    assert_error(post(client, "Box", {"Name": None}), 400, "PR400-OD-0009")


@pytest.mark.parametrize("field", ["Foo", "_Box.Name", "Url"])
def test_unknown_property(client, cell, field):
    body = assert_error(post(client, "Box", {"Name": "box1", field: "x"}), 400, "PR400-OD-0007")
    assert field in body["message"]["value"]
    assert values(get(client, "Box")) == []


@pytest.mark.parametrize("field", ["__published", "__updated"])
def test_management_fields_cannot_be_sent(client, cell, field):
    assert_error(post(client, "Box", {"Name": "box1", field: "/Date(0)/"}), 400, "PR400-OD-0007")


@pytest.mark.parametrize("raw", [b"", b"{", b'{"Name":"box1",}', b"Name=box1"])
def test_invalid_json(client, cell, raw):
    response = client.post("/c1/__ctl/Box", content=raw, headers=MASTER_AUTH)
    assert_error(response, 400, "PR400-OD-0001")


def test_duplicate_name(client, cell):
    create_box(client, "box1")
    body = assert_error(post(client, "Box", {"Name": "box1"}), 409, "PR409-OD-0003")
    assert body["message"]["value"] == "The entity already exists."


def test_names_are_case_sensitive(client, cell):
    create_box(client, "box1")
    create_box(client, "Box1")
    assert list_values(client, "Box") == ["Box1", "box1"]


def test_duplicate_schema(client, cell):
    """notes §5.1: Schema is unique within the cell (``uk_box_schema``) → 409 PR409-OD-0003."""
    create_box(client, "box1", APP)
    assert_error(post(client, "Box", {"Name": "box2", "Schema": APP}), 409, "PR409-OD-0003")
    assert list_values(client, "Box") == ["box1"]


def test_schema_uniqueness_is_exact(client, cell):
    create_box(client, "box1", APP)
    create_box(client, "box2", "https://app.example/other/")
    create_box(client, "box3", "http://app.example/")
    assert list_values(client, "Box") == ["box1", "box2", "box3"]


def test_null_schemas_do_not_collide(client, cell):
    create_box(client, "box1")
    create_box(client, "box2")
    create_box(client, "box3", None)
    assert values(get(client, "Box"), "Schema") == [None, None, None]


def test_same_schema_in_another_cell_is_fine(client, cell):
    client.post("/__ctl/Cell", json={"Name": "c2"}, headers=MASTER_AUTH)
    create_box(client, "box1", APP)
    response = client.post("/c2/__ctl/Box", json={"Name": "box1", "Schema": APP}, headers=MASTER_AUTH)
    assert response.status_code == 201, response.text


# --- retrieve (page 258) ------------------------------------------------------------------------------------

def test_retrieve_with_named_key(client, cell):
    create_box(client, "box1")
    assert results(get(client, "Box(Name='box1')"))["Name"] == "box1"


def test_retrieve_shows_every_navigation_property(client, cell):
    create_box(client, "box1")
    item = entity(client, box_key("box1"))
    assert_core_navs(item, "Box")


def test_retrieve_shows_message_and_rule_navigation_like_page_258(client, cell):
    """Page 258's sample: _Role, _Relation, _ReceivedMessage, _SentMessage, _Rule (notes §5.1)."""
    create_box(client, "box1")
    assert_all_navs(entity(client, box_key("box1")), "Box")


def test_retrieve_missing(client, cell):
    body = assert_error(get(client, box_key("nope")), 404, "PR404-OD-0002")
    assert body["message"]["value"] == "No such entity."


def test_retrieve_is_case_sensitive(client, cell):
    create_box(client, "box1")
    assert_error(get(client, box_key("BOX1")), 404, "PR404-OD-0002")


def test_retrieve_with_matching_if_none_match(client, cell):
    etag = create_box(client, "box1")["__metadata"]["etag"]
    response = get(client, box_key("box1"), headers={**MASTER_AUTH, "If-None-Match": etag})
    assert response.status_code == 304


def test_retrieve_with_stale_if_none_match(client, cell):
    create_box(client, "box1")
    response = get(client, box_key("box1"), headers={**MASTER_AUTH, "If-None-Match": 'W/"9-1"'})
    assert response.status_code == 200


@pytest.mark.parametrize("key", ["Box(1)", "Box(Name=1)", "Box('box1'", "Box(Foo='box1')"])
def test_malformed_keys(client, cell, key):
    create_box(client, "box1")
    assert_error(get(client, key), 400, "PR400-OD-0004")


def test_unknown_entity_set(client, cell):
    assert_error(get(client, "Boxes"), 404, "PR404-OD-0001")


# --- list (page 257; queries 400–407) -----------------------------------------------------------------------

def test_empty_list(client, cell):
    response = get(client, "Box")
    assert response.status_code == 200
    assert response.headers["dataserviceversion"] == "2.0"
    assert response.json() == {"d": {"results": []}}


def test_list_envelope(client, cell):
    create_box(client, "box1", APP)
    create_box(client, "box2")
    response = get(client, "Box")
    body = response.json()
    assert "__count" not in body["d"]
    by_name = {item["Name"]: item for item in body["d"]["results"]}
    assert sorted(by_name) == ["box1", "box2"]
    assert_entity(by_name["box1"], "Box", box_key("box1"), {"Name": "box1", "Schema": APP})
    assert_entity(by_name["box2"], "Box", box_key("box2"), {"Name": "box2", "Schema": None})
    for item in by_name.values():
        assert_core_navs(item, "Box")


def test_list_does_not_contain_the_main_box(client, cell):
    """The main box ``__`` has no Box entity (notes §1.2)."""
    assert values(get(client, "Box")) == []


def test_list_is_per_cell(client, cell):
    client.post("/__ctl/Cell", json={"Name": "c2"}, headers=MASTER_AUTH)
    client.post("/c2/__ctl/Box", json={"Name": "other"}, headers=MASTER_AUTH)
    create_box(client, "box1")
    assert values(get(client, "Box")) == ["box1"]


@pytest.fixture
def boxes(client, cell):
    create_box(client, "alpha", "https://alpha.example/")
    create_box(client, "beta", "urn:x-personium:beta")
    create_box(client, "gamma")
    return client


def test_filter_by_name(boxes):
    assert values(get(boxes, "Box", **{"$filter": "Name eq 'beta'"})) == ["beta"]


def test_filter_by_schema(boxes):
    assert values(get(boxes, "Box", **{"$filter": "Schema eq 'urn:x-personium:beta'"})) == ["beta"]


def test_filter_schema_null(boxes):
    assert values(get(boxes, "Box", **{"$filter": "Schema eq null"})) == ["gamma"]


def test_filter_startswith(boxes):
    assert sorted(values(get(boxes, "Box", **{"$filter": "startswith(Name,'a') or Name eq 'gamma'"}))) == [
        "alpha", "gamma"]


def test_filter_unknown_property(boxes):
    """notes §7.2: unknown property → 400 PR400-OD-0045 (doc mismatch: page 403 says it is ignored)."""
    assert_error(get(boxes, "Box", **{"$filter": "Foo eq 'x'"}), 400, "PR400-OD-0045")


def test_orderby(boxes):
    assert values(get(boxes, "Box", **{"$orderby": "Name desc"})) == ["gamma", "beta", "alpha"]
    assert values(get(boxes, "Box", **{"$orderby": "Name"})) == ["alpha", "beta", "gamma"]


def test_top_skip_and_inlinecount(boxes):
    body = get(boxes, "Box", **{"$orderby": "Name", "$top": "1", "$skip": "1",
                                "$inlinecount": "allpages"}).json()
    assert [item["Name"] for item in body["d"]["results"]] == ["beta"]
    assert body["d"]["__count"] == "3"


def test_select(boxes):
    item = results(get(boxes, "Box", **{"$select": "Name", "$filter": "Name eq 'alpha'"}))[0]
    assert item["Name"] == "alpha"
    assert "Schema" not in item
    assert {"__metadata", "__published", "__updated"} <= set(item)


def test_q_full_text(boxes):
    assert values(get(boxes, "Box", q="gamma")) == ["gamma"]


# --- update (page 259) --------------------------------------------------------------------------------------

def test_put_returns_204_with_new_etag(client, cell):
    created = create_box(client, "box1", APP)
    response = put(client, box_key("box1"), {"Name": "box1", "Schema": "https://app2.example/"})
    assert_no_content(response)
    assert response.headers["dataserviceversion"] == "2.0"
    version, updated = etag_parts(response.headers["etag"])
    assert version == 2
    item = entity(client, box_key("box1"))
    assert item["__metadata"]["etag"] == response.headers["etag"]
    assert item["Schema"] == "https://app2.example/"
    assert item["__published"] == created["__published"]
    assert date_ms(item["__updated"]) == updated >= date_ms(created["__updated"])


def test_put_resets_omitted_schema(client, cell):
    create_box(client, "box1", APP)
    assert_no_content(put(client, box_key("box1"), {"Name": "box1"}))
    assert entity(client, box_key("box1"))["Schema"] is None


def test_put_keeping_its_own_schema(client, cell):
    create_box(client, "box1", APP)
    assert_no_content(put(client, box_key("box1"), {"Name": "box1", "Schema": APP}))


def test_put_to_a_schema_of_another_box(client, cell):
    create_box(client, "box1", APP)
    create_box(client, "box2")
    assert_error(put(client, box_key("box2"), {"Name": "box2", "Schema": APP}), 409, "PR409-OD-0003")
    assert entity(client, box_key("box2"))["Schema"] is None


def test_put_rename(client, cell):
    created = create_box(client, "box1")
    assert_no_content(put(client, box_key("box1"), {"Name": "box2"}))
    assert_error(get(client, box_key("box1")), 404, "PR404-OD-0002")
    item = entity(client, box_key("box2"))
    assert_entity(item, "Box", box_key("box2"), {"Name": "box2", "Schema": None})
    assert item["__published"] == created["__published"]


def test_rename_keeps_children_in_sync(client, cell):
    """Roles and Relations follow their box: their ``_Box.Name`` key part is the new name."""
    create_box(client, "box1")
    create_role(client, "role1", "box1")
    create_relation(client, "rel1", "box1")
    assert_no_content(put(client, box_key("box1"), {"Name": "box2"}))
    role = entity(client, role_key("role1", "box2"))
    assert_entity(role, "Role", role_key("role1", "box2"), {"Name": "role1", "_Box.Name": "box2"})
    assert entity(client, relation_key("rel1", "box2"))["_Box.Name"] == "box2"
    assert_error(get(client, role_key("role1", "box1")), 404, "PR404-OD-0002")
    assert values(get(client, f"{box_key('box2')}/_Role")) == ["role1"]


def test_put_rename_to_existing_name(client, cell):
    create_box(client, "box1")
    create_box(client, "box2")
    assert_error(put(client, box_key("box1"), {"Name": "box2"}), 409, "PR409-OD-0003")
    assert list_values(client, "Box") == ["box1", "box2"]


def test_put_missing_box(client, cell):
    assert_error(put(client, box_key("nope"), {"Name": "nope"}), 404, "PR404-OD-0002")


def test_put_without_name(client, cell):
    create_box(client, "box1")
    assert_error(put(client, box_key("box1"), {"Schema": APP}), 400, "PR400-OD-0009")


def test_put_invalid_schema_changes_nothing(client, cell):
    etag = create_box(client, "box1", APP)["__metadata"]["etag"]
    assert_error(put(client, box_key("box1"), {"Name": "box1", "Schema": "https://x.example"}), 400,
                 "PR400-OD-0050")
    assert etag_of(client, box_key("box1")) == etag


def test_put_with_matching_if_match(client, cell):
    etag = create_box(client, "box1")["__metadata"]["etag"]
    response = put(client, box_key("box1"), {"Name": "box1"}, headers=if_match(etag))
    assert_no_content(response)


@pytest.mark.parametrize("stale", ['W/"2-1"', "W/\"1-0\"", '"garbage"'])
def test_put_with_mismatched_if_match(client, cell, stale):
    etag = create_box(client, "box1", APP)["__metadata"]["etag"]
    response = put(client, box_key("box1"), {"Name": "box1"}, headers=if_match(stale))
    body = assert_error(response, 412, "PR412-OD-0002")
    assert body["message"]["value"] == "ETag does not match."
    assert etag_of(client, box_key("box1")) == etag
    assert entity(client, box_key("box1"))["Schema"] == APP


def test_put_with_the_strong_form_of_the_etag(client, cell):
    """notes §8.3: If-Match must look like ``W/"{version}-{updated}"``; the strong form does not match."""
    etag = create_box(client, "box1")["__metadata"]["etag"]
    response = put(client, box_key("box1"), {"Name": "box1"}, headers=if_match(etag[2:]))
    assert_error(response, 412, "PR412-OD-0002")


def test_merge_rename_onto_an_existing_box(client, cell):
    create_box(client, "box1")
    create_box(client, "box2")
    assert_error(merge(client, box_key("box1"), {"Name": "box2"}), 409, "PR409-OD-0003")
    assert list_values(client, "Box") == ["box1", "box2"]


def test_put_with_an_old_etag_after_an_update(client, cell):
    first = create_box(client, "box1")["__metadata"]["etag"]
    assert_no_content(put(client, box_key("box1"), {"Name": "box1", "Schema": APP}))
    response = put(client, box_key("box1"), {"Name": "box1"}, headers=if_match(first))
    assert_error(response, 412, "PR412-OD-0002")


def test_put_with_if_match_star(client, cell):
    create_box(client, "box1")
    assert_no_content(put(client, box_key("box1"), {"Name": "box1"}, headers=if_match("*")))


# --- partial update (page 2B0) ------------------------------------------------------------------------------

def test_merge_changes_only_given_properties(client, cell):
    created = create_box(client, "box1", APP)
    response = merge(client, box_key("box1"), {"Name": "box2"})
    assert_no_content(response)
    assert etag_parts(response.headers["etag"])[0] == 2
    item = entity(client, box_key("box2"))
    assert_entity(item, "Box", box_key("box2"), {"Name": "box2", "Schema": APP})
    assert item["__published"] == created["__published"]


def test_merge_schema_only(client, cell):
    create_box(client, "box1", APP)
    assert_no_content(merge(client, box_key("box1"), {"Schema": "urn:x-personium:other"}))
    assert entity(client, box_key("box1"))["Schema"] == "urn:x-personium:other"


def test_merge_schema_to_null(client, cell):
    create_box(client, "box1", APP)
    assert_no_content(merge(client, box_key("box1"), {"Schema": None}))
    assert entity(client, box_key("box1"))["Schema"] is None


def test_merge_to_duplicate_schema(client, cell):
    create_box(client, "box1", APP)
    create_box(client, "box2")
    assert_error(merge(client, box_key("box2"), {"Schema": APP}), 409, "PR409-OD-0003")


def test_merge_invalid_schema(client, cell):
    create_box(client, "box1", APP)
    assert_error(merge(client, box_key("box1"), {"Schema": "ftp://x.example/"}), 400, "PR400-OD-0050")
    assert entity(client, box_key("box1"))["Schema"] == APP


def test_successive_writes_increment_the_version(client, cell):
    create_box(client, "box1")
    versions = []
    for schema in ("urn:a:1", "urn:a:2", "urn:a:3"):
        versions.append(etag_parts(merge(client, box_key("box1"), {"Schema": schema}).headers["etag"])[0])
    versions.append(etag_parts(put(client, box_key("box1"), {"Name": "box1"}).headers["etag"])[0])
    assert versions == [2, 3, 4, 5]
    assert etag_parts(etag_of(client, box_key("box1")))[0] == 5


def test_merge_via_method_override(client, cell):
    create_box(client, "box1", APP)
    response = client.post("/c1/__ctl/Box('box1')", json={"Name": "box2"},
                           headers={**MASTER_AUTH, "X-HTTP-Method-Override": "MERGE"})
    assert_no_content(response)
    assert entity(client, box_key("box2"))["Schema"] == APP


def test_merge_mismatched_if_match(client, cell):
    create_box(client, "box1")
    response = merge(client, box_key("box1"), {"Schema": APP}, headers=if_match('W/"7-7"'))
    assert_error(response, 412, "PR412-OD-0002")
    assert entity(client, box_key("box1"))["Schema"] is None


def test_merge_missing(client, cell):
    assert_error(merge(client, box_key("nope"), {"Schema": APP}), 404, "PR404-OD-0002")


def test_merge_unknown_property(client, cell):
    create_box(client, "box1")
    assert_error(merge(client, box_key("box1"), {"Foo": 1}), 400, "PR400-OD-0007")


# --- delete (page 260; notes §5.4) --------------------------------------------------------------------------

def test_delete_box(client, cell):
    create_box(client, "box1")
    response = delete(client, box_key("box1"))
    assert_no_content(response)
    assert response.headers["dataserviceversion"] == "2.0"
    assert_error(get(client, box_key("box1")), 404, "PR404-OD-0002")
    assert values(get(client, "Box")) == []


def test_delete_missing_box(client, cell):
    assert_error(delete(client, box_key("nope")), 404, "PR404-OD-0002")


def test_delete_box_with_a_role(client, cell):
    create_box(client, "box1")
    create_role(client, "role1", "box1")
    body = assert_error(delete(client, box_key("box1")), 409, "PR409-OD-0001")
    assert body["message"]["value"] == "This entity has related data."
    assert entity(client, box_key("box1"))["Name"] == "box1"


def test_delete_box_with_a_relation(client, cell):
    create_box(client, "box1")
    create_relation(client, "rel1", "box1")
    assert_error(delete(client, box_key("box1")), 409, "PR409-OD-0001")


def test_delete_box_after_its_children_are_gone(client, cell):
    create_box(client, "box1")
    create_role(client, "role1", "box1")
    assert_no_content(delete(client, role_key("role1", "box1")))
    assert_no_content(delete(client, box_key("box1")))


def test_main_box_roles_do_not_block_a_box_delete(client, cell):
    create_box(client, "box1")
    create_role(client, "role1")
    assert_no_content(delete(client, box_key("box1")))


def test_delete_with_if_match(client, cell):
    etag = create_box(client, "box1")["__metadata"]["etag"]
    assert_error(delete(client, box_key("box1"), headers=if_match('W/"2-1"')), 412,
                 "PR412-OD-0002")
    assert_no_content(delete(client, box_key("box1"), headers=if_match(etag)))


def test_name_can_be_reused_after_delete(client, cell):
    create_box(client, "box1", APP)
    assert_no_content(delete(client, box_key("box1")))
    again = create_box(client, "box1", APP)
    assert etag_parts(again["__metadata"]["etag"])[0] == 1


# --- navigation (pages 265, 266) ----------------------------------------------------------------------------

def test_create_role_via_navigation(client, cell):
    create_box(client, "box1")
    response = post(client, f"{box_key('box1')}/_Role", {"Name": "role1"})
    assert_created(response, "Role", role_key("role1", "box1"), {"Name": "role1", "_Box.Name": "box1"})
    assert entity(client, role_key("role1", "box1"))["_Box.Name"] == "box1"


def test_create_relation_via_navigation(client, cell):
    create_box(client, "box1")
    response = post(client, f"{box_key('box1')}/_Relation", {"Name": "rel1"})
    assert_created(response, "Relation", relation_key("rel1", "box1"), {"Name": "rel1", "_Box.Name": "box1"})


def test_create_via_navigation_duplicate(client, cell):
    create_box(client, "box1")
    create_role(client, "role1", "box1")
    assert_error(post(client, f"{box_key('box1')}/_Role", {"Name": "role1"}), 409, "PR409-OD-0003")


def test_create_via_navigation_validates_the_body(client, cell):
    create_box(client, "box1")
    assert_error(post(client, f"{box_key('box1')}/_Role", {"Name": "-bad"}), 400, "PR400-OD-0006")


def test_list_roles_via_navigation(client, cell):
    create_box(client, "box1")
    create_box(client, "box2")
    create_role(client, "role1", "box1")
    create_role(client, "role2", "box1")
    create_role(client, "role3", "box2")
    create_role(client, "role4")
    response = get(client, f"{box_key('box1')}/_Role")
    assert response.status_code == 200
    assert response.headers["dataserviceversion"] == "2.0"
    items = {item["Name"]: item for item in results(response)}
    assert sorted(items) == ["role1", "role2"]
    assert_entity(items["role1"], "Role", role_key("role1", "box1"), {"Name": "role1", "_Box.Name": "box1"})


def test_list_via_navigation_with_query_options(client, cell):
    create_box(client, "box1")
    for name in ("r1", "r2", "r3"):
        create_role(client, name, "box1")
    body = get(client, f"{box_key('box1')}/_Role", **{"$orderby": "Name desc", "$top": "2",
                                                      "$inlinecount": "allpages"}).json()
    assert [item["Name"] for item in body["d"]["results"]] == ["r3", "r2"]
    assert body["d"]["__count"] == "3"
    assert values(get(client, f"{box_key('box1')}/_Role", **{"$filter": "Name eq 'r2'"})) == ["r2"]


def test_list_relations_via_navigation(client, cell):
    create_box(client, "box1")
    create_relation(client, "rel1", "box1")
    create_relation(client, "rel2")
    assert values(get(client, f"{box_key('box1')}/_Relation")) == ["rel1"]


def test_navigation_with_a_key_is_rejected(client, cell):
    """notes §5.3: ``{src}/_Nav({key})`` → 400 PR400-OD-0010."""
    create_box(client, "box1")
    create_role(client, "role1", "box1")
    assert_error(get(client, f"{box_key('box1')}/_Role('role1')"), 400, "PR400-OD-0010")


def test_unknown_navigation_property(client, cell):
    create_box(client, "box1")
    assert_error(get(client, f"{box_key('box1')}/_Account"), 404, "PR404-OD-0003")


# --- $expand (page 405) -------------------------------------------------------------------------------------

def test_expand_roles_on_a_single_box(client, cell):
    """Expanded related entities are an array (Java's OEntityDocHandler inlines every multiplicity
    as a list)."""
    create_box(client, "box1")
    create_role(client, "role1", "box1")
    create_role(client, "role2", "box1")
    create_role(client, "role3")
    item = results(get(client, box_key("box1"), **{"$expand": "_Role"}))
    assert sorted(role["Name"] for role in item["_Role"]) == ["role1", "role2"]
    for role in item["_Role"]:
        assert_entity(role, "Role", role_key(role["Name"], "box1"), {"Name": role["Name"],
                                                                     "_Box.Name": "box1"})
    assert "__deferred" in item["_Relation"]


def test_expand_two_properties_on_the_list(client, cell):
    create_box(client, "box1")
    create_box(client, "box2")
    create_role(client, "role1", "box1")
    create_relation(client, "rel1", "box2")
    items = {item["Name"]: item for item in results(get(client, "Box", **{"$expand": "_Role,_Relation"}))}
    assert [role["Name"] for role in items["box1"]["_Role"]] == ["role1"]
    assert items["box1"]["_Relation"] == []
    assert items["box2"]["_Role"] == []
    assert [rel["Name"] for rel in items["box2"]["_Relation"]] == ["rel1"]


def test_expand_unknown_navigation_property(client, cell):
    create_box(client, "box1")
    assert_error(get(client, "Box", **{"$expand": "_Account"}), 400, "PR400-OD-0026")
    assert_error(get(client, box_key("box1"), **{"$expand": "_Nope"}), 400, "PR400-OD-0026")


def test_expand_top_limit(client, cell):
    """notes §7.2: with $expand, $top ≤ 100."""
    create_box(client, "box1")
    assert results(get(client, "Box", **{"$expand": "_Role", "$top": "100"}))[0]["Name"] == "box1"
    assert_error(get(client, "Box", **{"$expand": "_Role", "$top": "101"}), 400, "PR400-OD-0029")


def test_create_with_same_name_in_other_cell_does_not_show_up(client, cell):
    client.post("/__ctl/Cell", json={"Name": "c2"}, headers=MASTER_AUTH)
    client.post("/c2/__ctl/Box", json={"Name": "box1"}, headers=MASTER_AUTH)
    assert_error(get(client, box_key("box1")), 404, "PR404-OD-0002")
    create(client, "Box", {"Name": "box1"})
    assert uri(box_key("box1")).startswith("http://localhost:8080/c1/")
