"""ExtCell — apiref 223 (create; also the seed page seeds/000_24233d2faf9f04d0.txt), 224 (list),
225 (retrieve), 226 (update), 2AD (merge), 227 (delete), 232/233 (navigation); notes §5 (format
``cell-url`` → PR400-OD-0049), §5.1, §5.2 (URL-encoded keys), §5.4, §5.5."""

from __future__ import annotations

import pytest

from tests.api._ctl_support import (
    assert_all_navs,
    assert_core_navs,
    assert_created,
    assert_entity,
    assert_no_content,
    create_account,
    create_extcell,
    create_relation,
    create_role,
    delete,
    entity,
    etag_of,
    etag_parts,
    extcell_key,
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


EXT = "https://cell2.unit1.example/"
EXT2 = "http://cell3.example/"


def urls(client, **params):
    return sorted(values(get(client, "ExtCell", **params), "Url"))


# --- create (page 223 / seed page) --------------------------------------------------------------------------

def test_create_like_the_page_sample(client, cell):
    response = post(client, "ExtCell", {"Url": EXT})
    item = assert_created(response, "ExtCell", extcell_key(EXT), {"Url": EXT})
    # page 223: uri = .../__ctl/ExtCell('https%3A%2F%2Fcell2.unit1.example%2F')
    expected = "http://localhost:8080/c1/__ctl/ExtCell('https%3A%2F%2Fcell2.unit1.example%2F')"
    assert item["__metadata"]["uri"] == expected
    assert response.headers["location"] == expected
    assert_core_navs(item, "ExtCell")


GOOD_URLS = [
    pytest.param("https://cell2.example/", id="https"),
    pytest.param("http://cell2.example/", id="http"),
    pytest.param("https://cell2.example:8443/", id="port"),
    pytest.param("http://localhost:8080/cell2/", id="path-based-same-unit"),
    pytest.param("https://unit.example/cell2/", id="path-based-other-unit"),
    pytest.param("https://cell2.example/" + "a" * 1001 + "/", id="length-1024"),
    pytest.param("personium-localunit:/cell2/", id="localunit-path"),
    pytest.param("personium-localunit:cell2:/", id="localunit-double-colon"),
    pytest.param("https://192.168.0.10/", id="ip-host"),
]


@pytest.mark.parametrize("url", GOOD_URLS)
def test_valid_urls(client, cell, url):
    response = post(client, "ExtCell", {"Url": url})
    assert_created(response, "ExtCell", extcell_key(url), {"Url": url})
    assert entity(client, extcell_key(url))["Url"] == url


BAD_URLS = [
    pytest.param("ftp://cell2.example/", id="ftp"),
    pytest.param("https://cell2.example", id="no-trailing-slash"),
    pytest.param("https://cell2.example/cell", id="path-without-trailing-slash"),
    pytest.param("https://cell2.example/" + "a" * 1002 + "/", id="length-1025"),
    pytest.param("https://cell2.example/a/../", id="dot-dot-segment"),
    pytest.param("https://cell2.example/./", id="dot-segment"),
    pytest.param("urn:x-personium:cell2/", id="urn"),
    pytest.param("mailto:cell2@example/", id="mailto"),
    pytest.param("cell2.example/", id="no-scheme"),
    pytest.param("/cell2/", id="relative"),
    pytest.param("", id="empty"),
    pytest.param("personium-localunit:/cell2", id="localunit-no-trailing-slash"),
    pytest.param("personium-localcell:/", id="localcell"),
    pytest.param("https://cell 2.example/", id="space"),
]


@pytest.mark.parametrize("url", BAD_URLS)
def test_invalid_urls(client, cell, url):
    body = assert_error(post(client, "ExtCell", {"Url": url}), 400, "PR400-OD-0049")
    assert "Url" in body["message"]["value"]
    assert urls(client) == []


@pytest.mark.parametrize("value", [1, True, ["https://cell2.example/"], {"Url": EXT}])
def test_non_string_url(client, cell, value):
    assert_error(post(client, "ExtCell", {"Url": value}), 400, "PR400-OD-0006")


def test_missing_url(client, cell):
    body = assert_error(post(client, "ExtCell", {}), 400, "PR400-OD-0009")
    assert body["message"]["value"] == "[Url] is required."


@pytest.mark.parametrize("field", ["Name", "_Box.Name", "Foo"])
def test_unknown_property(client, cell, field):
    assert_error(post(client, "ExtCell", {"Url": EXT, field: "x"}), 400, "PR400-OD-0007")


def test_duplicate(client, cell):
    create_extcell(client, EXT)
    assert_error(post(client, "ExtCell", {"Url": EXT}), 409, "PR409-OD-0003")
    assert urls(client) == [EXT]


def test_http_and_https_are_different_cells(client, cell):
    create_extcell(client, "https://cell2.example/")
    create_extcell(client, "http://cell2.example/")
    assert urls(client) == ["http://cell2.example/", "https://cell2.example/"]


# --- retrieve (page 225) ------------------------------------------------------------------------------------

@pytest.mark.parametrize("key", ["ExtCell('https%3A%2F%2Fcell2.unit1.example%2F')",
                                 "ExtCell(Url='https%3A%2F%2Fcell2.unit1.example%2F')"])
def test_key_forms(client, cell, key):
    created = create_extcell(client, EXT)
    response = get(client, key)
    assert response.status_code == 200, response.text
    assert response.headers["etag"] == created["__metadata"]["etag"]
    assert_entity(results(response), "ExtCell", extcell_key(EXT), {"Url": EXT})


def test_retrieve_by_metadata_uri(client, cell):
    created = create_extcell(client, EXT)
    response = client.get(created["__metadata"]["uri"], headers=MASTER_AUTH)
    assert results(response)["Url"] == EXT


def test_retrieve_navigation_like_page_225(client, cell):
    create_extcell(client, EXT)
    assert_all_navs(entity(client, extcell_key(EXT)), "ExtCell")


def test_retrieve_missing(client, cell):
    create_extcell(client, EXT)
    assert_error(get(client, extcell_key("https://cell9.example/")), 404, "PR404-OD-0002")
    assert_error(get(client, extcell_key("https://cell2.unit1.example")), 404, "PR404-OD-0002")


# --- list (page 224) ----------------------------------------------------------------------------------------

@pytest.fixture
def extcells(client, cell):
    for url in ("https://a.example/", "https://b.example/", "http://c.example/"):
        create_extcell(client, url)
    return client


def test_list(extcells):
    items = results(get(extcells, "ExtCell"))
    assert sorted(i["Url"] for i in items) == ["http://c.example/", "https://a.example/",
                                               "https://b.example/"]
    for item in items:
        assert_entity(item, "ExtCell", extcell_key(item["Url"]), {"Url": item["Url"]})
        assert_core_navs(item, "ExtCell")


def test_list_filter(extcells):
    assert urls(extcells, **{"$filter": "Url eq 'https://b.example/'"}) == ["https://b.example/"]
    assert urls(extcells, **{"$filter": "startswith(Url,'https')"}) == ["https://a.example/",
                                                                        "https://b.example/"]
    assert_error(get(extcells, "ExtCell", **{"$filter": "Name eq 'x'"}), 400, "PR400-OD-0045")


def test_list_orderby_top_skip_count(extcells):
    body = get(extcells, "ExtCell", **{"$orderby": "Url desc", "$top": "2", "$skip": "1",
                                       "$inlinecount": "allpages"}).json()
    assert [i["Url"] for i in body["d"]["results"]] == ["https://a.example/", "http://c.example/"]
    assert body["d"]["__count"] == "3"


# --- update (page 226) --------------------------------------------------------------------------------------

def test_put_changes_the_url(client, cell):
    created = create_extcell(client, EXT)
    response = put(client, extcell_key(EXT), {"Url": EXT2})
    assert_no_content(response)
    assert etag_parts(response.headers["etag"])[0] == 2
    assert_error(get(client, extcell_key(EXT)), 404, "PR404-OD-0002")
    item = entity(client, extcell_key(EXT2))
    assert_entity(item, "ExtCell", extcell_key(EXT2), {"Url": EXT2})
    assert item["__published"] == created["__published"]


def test_put_keeps_links(client, cell):
    create_extcell(client, EXT)
    create_role(client, "role1")
    create_relation(client, "rel1")
    must_link(client, extcell_key(EXT), "_Role", role_key("role1"))
    must_link(client, extcell_key(EXT), "_Relation", relation_key("rel1"))
    assert_no_content(put(client, extcell_key(EXT), {"Url": EXT2}))
    assert links_of(client, extcell_key(EXT2), "_Role") == uri_set([uri(role_key("role1"))])
    assert links_of(client, relation_key("rel1"), "_ExtCell") == uri_set([uri(extcell_key(EXT2))])


def test_put_invalid_url(client, cell):
    etag = create_extcell(client, EXT)["__metadata"]["etag"]
    assert_error(put(client, extcell_key(EXT), {"Url": "https://cell3.example"}), 400, "PR400-OD-0049")
    assert etag_of(client, extcell_key(EXT)) == etag


def test_put_onto_an_existing_url(client, cell):
    create_extcell(client, EXT)
    create_extcell(client, EXT2)
    assert_error(put(client, extcell_key(EXT), {"Url": EXT2}), 409, "PR409-OD-0003")


def test_put_without_url(client, cell):
    create_extcell(client, EXT)
    assert_error(put(client, extcell_key(EXT), {}), 400, "PR400-OD-0009")


def test_put_missing(client, cell):
    assert_error(put(client, extcell_key(EXT), {"Url": EXT}), 404, "PR404-OD-0002")


def test_put_if_match(client, cell):
    etag = create_extcell(client, EXT)["__metadata"]["etag"]
    assert_error(put(client, extcell_key(EXT), {"Url": EXT2}, headers=if_match('W/"2-0"')), 412,
                 "PR412-OD-0002")
    assert_no_content(put(client, extcell_key(EXT), {"Url": EXT2}, headers=if_match(etag)))


# --- partial update (page 2AD) ------------------------------------------------------------------------------

def test_merge_url(client, cell):
    create_extcell(client, EXT)
    response = merge(client, extcell_key(EXT), {"Url": EXT2})
    assert_no_content(response)
    assert etag_parts(response.headers["etag"])[0] == 2
    assert urls(client) == [EXT2]


def test_merge_empty_body(client, cell):
    create_extcell(client, EXT)
    assert_no_content(merge(client, extcell_key(EXT), {}))
    assert urls(client) == [EXT]


def test_merge_invalid_url(client, cell):
    create_extcell(client, EXT)
    assert_error(merge(client, extcell_key(EXT), {"Url": "ftp://x.example/"}), 400, "PR400-OD-0049")
    assert urls(client) == [EXT]


def test_merge_if_match(client, cell):
    create_extcell(client, EXT)
    assert_error(merge(client, extcell_key(EXT), {"Url": EXT2}, headers=if_match('W/"1-1"')),
                 412, "PR412-OD-0002")


# --- delete (page 227) --------------------------------------------------------------------------------------

def test_delete(client, cell):
    create_extcell(client, EXT)
    assert_no_content(delete(client, extcell_key(EXT)))
    assert_error(get(client, extcell_key(EXT)), 404, "PR404-OD-0002")
    assert urls(client) == []


def test_delete_drops_links_silently(client, cell):
    create_extcell(client, EXT)
    create_role(client, "role1")
    create_relation(client, "rel1")
    must_link(client, extcell_key(EXT), "_Role", role_key("role1"))
    must_link(client, extcell_key(EXT), "_Relation", relation_key("rel1"))
    assert_no_content(delete(client, extcell_key(EXT)))
    assert links_of(client, role_key("role1"), "_ExtCell") == []
    assert links_of(client, relation_key("rel1"), "_ExtCell") == []


def test_delete_missing(client, cell):
    assert_error(delete(client, extcell_key(EXT)), 404, "PR404-OD-0002")


def test_delete_if_match(client, cell):
    etag = create_extcell(client, EXT)["__metadata"]["etag"]
    assert_error(delete(client, extcell_key(EXT), headers=if_match('W/"3-1"')), 412,
                 "PR412-OD-0002")
    assert_no_content(delete(client, extcell_key(EXT), headers=if_match(etag)))


# --- navigation (pages 232, 233) ----------------------------------------------------------------------------

def test_create_role_via_navigation(client, cell):
    create_extcell(client, EXT)
    response = post(client, f"{extcell_key(EXT)}/_Role", {"Name": "role1"})
    assert_created(response, "Role", role_key("role1"), {"Name": "role1", "_Box.Name": None})
    assert links_of(client, extcell_key(EXT), "_Role") == uri_set([uri(role_key("role1"))])


def test_create_relation_via_navigation(client, cell):
    create_extcell(client, EXT)
    response = post(client, f"{extcell_key(EXT)}/_Relation", {"Name": "rel+1"})
    assert_created(response, "Relation", relation_key("rel+1"), {"Name": "rel+1", "_Box.Name": None})
    assert links_of(client, relation_key("rel+1"), "_ExtCell") == uri_set([uri(extcell_key(EXT))])


def test_list_via_navigation(client, cell):
    create_extcell(client, EXT)
    create_extcell(client, EXT2)
    create_role(client, "role1")
    create_role(client, "role2")
    create_relation(client, "rel1")
    must_link(client, extcell_key(EXT), "_Role", role_key("role1"))
    must_link(client, extcell_key(EXT), "_Relation", relation_key("rel1"))
    must_link(client, extcell_key(EXT2), "_Role", role_key("role2"))
    assert values(get(client, f"{extcell_key(EXT)}/_Role")) == ["role1"]
    assert values(get(client, f"{extcell_key(EXT)}/_Relation")) == ["rel1"]
    assert values(get(client, f"{role_key('role2')}/_ExtCell"), "Url") == [EXT2]
    body = get(client, f"{extcell_key(EXT)}/_Role", **{"$inlinecount": "allpages"}).json()
    assert body["d"]["__count"] == "1"


def test_expand_on_the_list(client, cell):
    create_extcell(client, EXT)
    create_role(client, "role1")
    create_relation(client, "rel1")
    must_link(client, extcell_key(EXT), "_Role", role_key("role1"))
    must_link(client, extcell_key(EXT), "_Relation", relation_key("rel1"))
    item = results(get(client, "ExtCell", **{"$expand": "_Role,_Relation"}))[0]
    assert [r["Name"] for r in item["_Role"]] == ["role1"]
    assert [r["Name"] for r in item["_Relation"]] == ["rel1"]
    single = results(get(client, extcell_key(EXT), **{"$expand": "_Role"}))
    assert_entity(single["_Role"][0], "Role", role_key("role1"), {"Name": "role1", "_Box.Name": None})


def test_account_is_not_related_to_extcell(client, cell):
    create_extcell(client, EXT)
    create_account(client, "acc1")
    assert_error(get(client, f"{extcell_key(EXT)}/_Account"), 404, "PR404-OD-0003")
