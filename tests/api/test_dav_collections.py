"""WebDAV collections in a box — apiref 306 (MKCOL), 309 (MOVE), 310 (DELETE), 295 (box recursive delete);
the WebDAV digest (``docs/webdav-behaviour.md``) §1.2–1.3 (MKCOL), §5 (GET), §6 (DELETE), §7 (MOVE), §11 (limits);
notes §8.1 (X-Personium-Recursive), §9.2 (limits).

Where the digest and the API pages disagree the digest wins; the test says so.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from lxml import etree

from tests.api._auth_support import make_box, make_cell, make_role
from tests.api._ctl_support import box_key, role_key
from tests.api._dav_support import (
    AUTH,
    BOX_PATH,
    BOX_URL,
    CELL_URL,
    COLLECTION,
    DAV,
    NS,
    ODATA,
    SERVICE,
    delete,
    get,
    mkcol,
    move,
    must_mkcol,
    must_put,
    new_box,
    only_prop,
    propfind,
    put_file,
    resource_types,
    responses,
    strong_etag,
    url,
)
from tests.helpers import MASTER_AUTH, assert_error


@pytest.fixture
def box(client):
    return new_box(client)


def intermediate_message(param: str) -> str:
    return f"intermediate collection [{param}] should be created first."


# --- MKCOL (page 306; digest §1.2) -------------------------------------------------------------------------

def test_mkcol_without_body_is_201_with_etag(client, box):
    response = mkcol(client, "col")
    assert response.status_code == 201, response.text
    assert strong_etag(response.headers.get("etag"))[0] == 1
    assert response.content == b""
    assert "location" not in response.headers


def test_mkcol_makes_a_plain_collection(client, box):
    must_mkcol(client, "col")
    assert resource_types(only_prop(client, "col")) == {COLLECTION}


def test_mkcol_etag_is_the_propfind_etag(client, box):
    etag = must_mkcol(client, "col")
    assert propfind(client, "col").headers["etag"] == etag


@pytest.mark.parametrize(("kind", "types"), [("webdav", {COLLECTION}), ("odata", {COLLECTION, ODATA}),
                                             ("service", {COLLECTION, SERVICE})])
def test_extended_mkcol(client, box, kind, types):
    response = mkcol(client, "col", kind)
    assert response.status_code == 201, response.text
    strong_etag(response.headers.get("etag"))
    assert resource_types(only_prop(client, "col")) == types


def test_service_collection_gets_a_src_child(client, box):
    must_mkcol(client, "svc", "service")
    found = responses(propfind(client, "svc", "1"))
    assert set(found) == {url("svc"), url("svc/__src")}, list(found)
    assert resource_types(found[url("svc/__src")]) == {COLLECTION}


def test_odata_collection_lists_no_children(client, box):
    must_mkcol(client, "od", "odata")
    assert list(responses(propfind(client, "od", "1"))) == [url("od")]


def test_mkcol_nested(client, box):
    must_mkcol(client, "a")
    must_mkcol(client, "a/b")
    must_mkcol(client, "a/b/c")
    assert set(responses(propfind(client, "a/b", "1"))) == {url("a/b"), url("a/b/c")}


def test_mkcol_trailing_slash(client, box):
    """Digest §1.1: ``col/`` and ``col`` are the same resource; generated URLs have no slash."""
    response = client.request("MKCOL", f"{BOX_PATH}/col/", headers=AUTH)
    assert response.status_code == 201, response.text
    assert list(responses(propfind(client, "col", "0"))) == [url("col")]


def test_mkcol_with_empty_body_and_content_type_is_plain(client, box):
    """Digest §1.2: only a body with Content-Length > 0 (or chunked) is parsed."""
    response = mkcol(client, "col", body=b"")
    assert response.status_code == 201, response.text
    assert resource_types(only_prop(client, "col")) == {COLLECTION}


def test_mkcol_on_existing_collection_is_405(client, box):
    must_mkcol(client, "col")
    assert_error(mkcol(client, "col"), 405, "PR405-DV-0001")


def test_mkcol_on_existing_service_collection_is_405(client, box):
    must_mkcol(client, "svc", "service")
    assert_error(mkcol(client, "svc"), 405, "PR405-DV-0001")


def test_mkcol_on_existing_file_is_405(client, box):
    """Digest §1.3: a file has no MKCOL handler → 405 (exact code unverified)."""
    must_put(client, "f.txt", b"x")
    response = mkcol(client, "f.txt")
    assert response.status_code == 405, response.text
    assert response.json()["code"].startswith("PR405-"), response.text
    assert get(client, "f.txt").content == b"x"


def test_mkcol_with_missing_intermediate_is_409(client, box):
    """Digest §1.2: param = the parent's full URL."""
    body = assert_error(mkcol(client, "a/b"), 409, "PR409-DV-0001")
    assert body["message"]["value"] == intermediate_message(url("a"))


def test_mkcol_missing_parent_wins_over_bad_name(client, box):
    """Digest §1.2: for MKCOL the parent check precedes the name check (opposite of PUT)."""
    assert_error(mkcol(client, "nocol/a:b"), 409, "PR409-DV-0001")
    assert_error(put_file(client, "nocol/a:b"), 403, "PR403-DV-0004")


@pytest.mark.parametrize("name", ["a%20b", "a:b", "a*b", "a%01b", "x" * 257])
def test_mkcol_invalid_name_is_403(client, box, name):
    assert_error(mkcol(client, name), 403, "PR403-DV-0004")


def test_mkcol_256_character_name_is_ok(client, box):
    assert mkcol(client, "c" * 256).status_code == 201


@pytest.mark.parametrize("body", ["<D:mkcol xmlns:D='DAV:'><D:set>", "not xml at all",
                                  "<D:other xmlns:D='DAV:'/>"],
                         ids=["truncated", "text", "wrong-root"])
def test_mkcol_malformed_body_is_400(client, box, body):
    assert_error(mkcol(client, "col", body=body), 400, "PR400-DV-0001")
    assert get(client, "col").status_code == 404


def mkcol_error(response) -> tuple[etree._Element, str]:
    """Digest §1.2: a 403 whose body is an XML ``mkcol-response`` (not a JSON error)."""
    assert response.status_code == 403, response.text
    root = etree.fromstring(response.content)
    assert root.tag == f"{{{DAV}}}mkcol-response", root.tag
    propstats = root.findall("D:propstat", NS)
    assert len(propstats) == 1, response.text
    assert propstats[0].findtext("D:status", namespaces=NS) == "HTTP/1.1 403 Forbidden", response.text
    assert propstats[0].find("D:error/D:valid-resourcetype", NS) is not None, response.text
    description = propstats[0].findtext("D:responsedescription", namespaces=NS)
    if description is None:
        description = root.findtext(".//D:responsedescription", namespaces=NS)
    assert description is not None, response.text
    return root, description


def test_mkcol_without_collection_element_is_403_xml(client, box):
    body = ('<D:mkcol xmlns:D="DAV:" xmlns:p="urn:x-personium:xmlns"><D:set><D:prop><D:resourcetype>'
            "<p:odata/></D:resourcetype></D:prop></D:set></D:mkcol>")
    _, description = mkcol_error(mkcol(client, "col", body=body))
    assert description.strip() == "collection should be included in request. See RFC5689 : extended MKCOL"
    assert get(client, "col").status_code == 404


def test_mkcol_with_unknown_personium_extension_is_403_xml(client, box):
    _, description = mkcol_error(mkcol(client, "col", "calendar"))
    assert description.strip() == "such DC1 extension not supported on this server"
    assert get(client, "col").status_code == 404


def test_mkcol_without_resourcetype_is_403_xml(client, box):
    body = '<D:mkcol xmlns:D="DAV:"><D:set><D:prop><D:displayname>x</D:displayname></D:prop></D:set></D:mkcol>'
    _, description = mkcol_error(mkcol(client, "col", body=body))
    assert description.strip() == ("resourcetype should be defined in mkcol request, "
                                   "See RFC5689 : extended MKCOL")


def test_mkcol_with_two_extensions_is_403_xml(client, box):
    body = ('<D:mkcol xmlns:D="DAV:" xmlns:p="urn:x-personium:xmlns"><D:set><D:prop><D:resourcetype>'
            "<D:collection/><p:odata/><p:service/></D:resourcetype></D:prop></D:set></D:mkcol>")
    _, description = mkcol_error(mkcol(client, "col", body=body))
    assert description.strip() == "only 1 extension to collection specified in RFC5689 is allowed on this server."


def test_mkcol_echoes_the_requested_prop(client, box):
    root, _ = mkcol_error(mkcol(client, "col", "calendar"))
    prop = root.find("D:propstat/D:prop", NS)
    assert prop is not None
    rt = prop.find("D:resourcetype", NS)
    assert rt is not None and {c.tag for c in rt} == {COLLECTION, "{urn:x-personium:xmlns}calendar"}


def test_mkcol_on_main_box_root_is_405(client, box):
    """Digest §1.1: the main box cannot be bar-installed."""
    assert_error(client.request("MKCOL", "/c1/__", headers=AUTH), 405, "PR405-MC-0001")


def test_mkcol_through_method_override(client, box):
    """Notes §8.1: ``X-HTTP-Method-Override`` on a POST replaces the method before routing."""
    response = client.post(f"{BOX_PATH}/col", headers={**AUTH, "X-HTTP-Method-Override": "MKCOL"})
    assert response.status_code == 201, response.text
    assert get(client, "col").text == f"URL : {url('col')}\n"


def test_mkcol_under_src_is_405(client, box):
    """The real server answers 405 PR405-DV-0001 to a MKCOL in ``__src`` (400 PR400-DV-0018 is its
    answer to a MOVE of a collection there, tested below)."""
    must_mkcol(client, "svc", "service")
    assert_error(mkcol(client, "svc/__src/sub"), 405, "PR405-DV-0001")


# --- limits (digest §11) -----------------------------------------------------------------------------------

def test_collection_depth_limit(client, box):
    """Collections may be created at depths 1..50 (``box/c1/…/c50``); the 51st level → 400."""
    rel = ""
    for level in range(1, 51):
        rel = f"{rel}/c{level}" if rel else f"c{level}"
        response = mkcol(client, rel)
        assert response.status_code == 201, (level, response.text)
    assert_error(mkcol(client, f"{rel}/c51"), 400, "PR400-DV-0008")
    # Only MKCOL checks the depth: a file at depth 51 is fine.
    assert put_file(client, f"{rel}/f.txt", b"deep").status_code == 201
    assert get(client, f"{rel}/f.txt").content == b"deep"


def test_child_count_limit(client, box):
    """At most 1024 children per collection; the 1025th (file or collection) → 400 PR400-DV-0007."""
    must_mkcol(client, "col")
    for index in range(1024):
        response = put_file(client, f"col/{index}", b"")
        assert response.status_code == 201, (index, response.text)
    assert_error(put_file(client, "col/one-more", b""), 400, "PR400-DV-0007")
    assert_error(mkcol(client, "col/one-more"), 400, "PR400-DV-0007")
    must_mkcol(client, "other")
    assert_error(move(client, "other", url("col/moved")), 400, "PR400-DV-0007")
    # Updating an existing child is not a new child.
    assert put_file(client, "col/0", b"x").status_code == 204


# --- GET on a collection (digest §5) -----------------------------------------------------------------------

def test_get_collection(client, box):
    must_mkcol(client, "col")
    response = get(client, "col")
    assert response.status_code == 200
    assert response.text == f"URL : {url('col')}\n"
    assert response.text.startswith("URL : ")


def test_get_service_collection_is_405(client, box):
    """Digest §5: a service collection has no GET handler."""
    must_mkcol(client, "svc", "service")
    response = get(client, "svc")
    assert response.status_code == 405, response.text


def test_get_nested_collection(client, box):
    must_mkcol(client, "a")
    must_mkcol(client, "a/b")
    assert get(client, "a/b").text == f"URL : {url('a/b')}\n"


# --- DELETE (page 310; digest §6) --------------------------------------------------------------------------

def test_delete_empty_collection(client, box):
    must_mkcol(client, "col")
    response = delete(client, "col")
    assert response.status_code == 204
    assert response.content == b""
    assert_error(get(client, "col"), 404, "PR404-DV-0001")
    assert_error(propfind(client, "col"), 404, "PR404-DV-0001")


def test_delete_non_empty_collection_is_403(client, box):
    must_mkcol(client, "col")
    must_put(client, "col/f.txt", b"x")
    assert_error(delete(client, "col"), 403, "PR403-DV-0003")
    assert get(client, "col/f.txt").content == b"x"


def test_delete_collection_with_empty_subcollection_is_403(client, box):
    must_mkcol(client, "col")
    must_mkcol(client, "col/sub")
    assert_error(delete(client, "col"), 403, "PR403-DV-0003")


@pytest.mark.parametrize("value", ["false", "FALSE"])
def test_delete_non_recursive_values(client, box, value):
    must_mkcol(client, "col")
    must_put(client, "col/f.txt", b"x")
    assert_error(delete(client, "col", headers={"X-Personium-Recursive": value}), 403, "PR403-DV-0003")
    must_mkcol(client, "empty")
    assert delete(client, "empty", headers={"X-Personium-Recursive": value}).status_code == 204


@pytest.mark.parametrize("value", ["true", "True", "TRUE"])
def test_recursive_delete_removes_the_subtree(client, box, value):
    must_mkcol(client, "col")
    must_mkcol(client, "col/sub")
    must_put(client, "col/sub/f.txt", b"x")
    must_put(client, "col/g.txt", b"y")
    must_mkcol(client, "col/svc", "service")
    must_mkcol(client, "col/od", "odata")
    response = delete(client, "col", headers={"X-Personium-Recursive": value})
    assert response.status_code == 204, response.text
    for rel in ("col", "col/sub", "col/sub/f.txt", "col/g.txt", "col/svc", "col/od"):
        assert_error(get(client, rel), 404, "PR404-DV-0001")
    # The name is free again.
    assert mkcol(client, "col").status_code == 201
    assert list(responses(propfind(client, "col", "1"))) == [url("col")]


@pytest.mark.parametrize("value", ["yes", "1", "t", ""])
def test_delete_bad_recursive_header_is_400(client, box, value):
    must_mkcol(client, "col")
    body = assert_error(delete(client, "col", headers={"X-Personium-Recursive": value}), 400, "PR400-DV-0009")
    if value:
        assert body["message"]["value"] == f"Request header X-Personium-Recursive value is invalid [{value}]."
    assert get(client, "col").status_code == 200


def test_delete_bad_recursive_header_is_checked_before_auth(client, box):
    must_mkcol(client, "col")
    assert_error(delete(client, "col", headers={"X-Personium-Recursive": "maybe"}, auth={}), 400,
                 "PR400-DV-0009")


def test_delete_collection_ignores_if_match(client, box):
    """Digest §2: DELETE of a collection ignores If-Match."""
    must_mkcol(client, "col")
    assert delete(client, "col", headers={"If-Match": '"9-9"'}).status_code == 204


def test_delete_service_collection(client, box):
    """Digest §6: a service collection whose ``__src`` is empty counts as empty; ``__src`` goes with it."""
    must_mkcol(client, "svc", "service")
    assert delete(client, "svc").status_code == 204
    assert get(client, "svc/__src").status_code == 404
    assert mkcol(client, "svc").status_code == 201


def test_delete_service_collection_with_source_is_403(client, box):
    must_mkcol(client, "svc", "service")
    must_put(client, "svc/__src/s.js", b"function(){}", "text/javascript")
    assert_error(delete(client, "svc"), 403, "PR403-DV-0003")


def test_delete_empty_odata_collection(client, box):
    must_mkcol(client, "od", "odata")
    assert delete(client, "od").status_code == 204
    assert_error(propfind(client, "od"), 404, "PR404-DV-0001")


def test_delete_missing_collection_is_404(client, box):
    body = assert_error(delete(client, "nocol"), 404, "PR404-DV-0001")
    assert body["message"]["value"] == f"Resource not found. [{url('nocol')}]."


# --- MOVE (page 309; digest §7) ----------------------------------------------------------------------------

def test_move_renames_a_file(client, box):
    etag = must_put(client, "a.txt", b"content", "text/csv")
    response = move(client, "a.txt", url("b.txt"))
    assert response.status_code == 201, response.text
    assert response.headers["location"] == url("b.txt")
    assert response.headers["etag"] == etag
    assert response.content == b""
    assert_error(get(client, "a.txt"), 404, "PR404-DV-0001")
    moved = get(client, "b.txt")
    assert moved.content == b"content"
    assert moved.headers["content-type"].startswith("text/csv")
    # Digest §2: MOVE rewrites no metadata — the moved file keeps its ETag.
    assert moved.headers["etag"] == etag


def test_move_file_into_another_collection(client, box):
    must_mkcol(client, "src")
    must_mkcol(client, "dst")
    etag = must_put(client, "src/f.txt", b"x")
    response = move(client, "src/f.txt", url("dst/f.txt"))
    assert response.status_code == 201, response.text
    assert response.headers["location"] == url("dst/f.txt")
    assert response.headers["etag"] == etag
    assert get(client, "dst/f.txt").content == b"x"
    assert get(client, "src/f.txt").status_code == 404
    assert list(responses(propfind(client, "src", "1"))) == [url("src")]


def test_move_file_from_collection_to_box_root(client, box):
    must_mkcol(client, "src")
    must_put(client, "src/f.txt", b"x")
    assert move(client, "src/f.txt", url("f.txt")).status_code == 201
    assert get(client, "f.txt").content == b"x"


def test_move_overwrite_defaults_to_f(client, box):
    """Digest §7 / page 309: Overwrite defaults to F (not RFC 4918's T)."""
    must_put(client, "a.txt", b"a")
    must_put(client, "b.txt", b"b")
    assert_error(move(client, "a.txt", url("b.txt")), 412, "PR412-DV-0002")
    assert get(client, "a.txt").content == b"a"
    assert get(client, "b.txt").content == b"b"


def test_move_overwrite_f_explicit(client, box):
    must_put(client, "a.txt", b"a")
    must_put(client, "b.txt", b"b")
    assert_error(move(client, "a.txt", url("b.txt"), {"Overwrite": "F"}), 412, "PR412-DV-0002")


@pytest.mark.parametrize("value", ["T", "t"])
def test_move_overwrite_t_replaces_a_file(client, box, value):
    etag = must_put(client, "a.txt", b"a")
    must_put(client, "b.txt", b"b")
    response = move(client, "a.txt", url("b.txt"), {"Overwrite": value})
    assert response.status_code == 204, response.text
    assert response.headers["location"] == url("b.txt")
    assert response.headers["etag"] == etag
    assert get(client, "b.txt").content == b"a"
    assert get(client, "a.txt").status_code == 404


def test_move_onto_existing_collection_is_400(client, box):
    must_put(client, "a.txt", b"a")
    must_mkcol(client, "col")
    assert_error(move(client, "a.txt", url("col"), {"Overwrite": "T"}), 400, "PR400-DV-0012")
    assert get(client, "a.txt").content == b"a"


def test_move_collection_onto_existing_collection_is_400(client, box):
    must_mkcol(client, "a")
    must_mkcol(client, "b")
    assert_error(move(client, "a", url("b"), {"Overwrite": "T"}), 400, "PR400-DV-0012")


def test_move_without_destination_is_400(client, box):
    must_put(client, "a.txt", b"a")
    body = assert_error(move(client, "a.txt", None), 400, "PR400-DV-0010")
    assert body["message"]["value"] == "Header Destination is required."


def test_move_with_empty_destination_is_400(client, box):
    must_put(client, "a.txt", b"a")
    assert_error(move(client, "a.txt", ""), 400, "PR400-DV-0010")


def test_move_onto_itself_is_403(client, box):
    must_put(client, "a.txt", b"a")
    body = assert_error(move(client, "a.txt", url("a.txt")), 403, "PR403-DV-0005")
    assert body["message"]["value"] == f"Destination header value [{url('a.txt')}] equals request URL."


@pytest.mark.parametrize("destination", [f"{CELL_URL}box2/a.txt", f"{CELL_URL}__/a.txt",
                                         "http://localhost:8080/c2/box1/a.txt", "http://other.example/c1/box1/a.txt",
                                         "not a url"],
                         ids=["other-box", "main-box", "other-cell", "other-host", "garbage"])
def test_move_outside_the_box_is_400(client, box, destination):
    make_box(client, "c1", "box2")
    make_cell(client, "c2")
    make_box(client, "c2", "box1")
    must_put(client, "a.txt", b"a")
    body = assert_error(move(client, "a.txt", destination), 400, "PR400-DV-0009")
    assert body["message"]["value"] == f"Request header Destination value is invalid [{destination}]."
    assert get(client, "a.txt").content == b"a"


@pytest.mark.parametrize("depth", ["0", "1", "2"])
def test_move_depth_other_than_infinity_is_400(client, box, depth):
    must_put(client, "a.txt", b"a")
    body = assert_error(move(client, "a.txt", url("b.txt"), {"Depth": depth}), 400, "PR400-DV-0003")
    assert body["message"]["value"] == f"Invalid depth header value:[{depth}]."


@pytest.mark.parametrize("depth", ["infinity", "Infinity"])
def test_move_depth_infinity_is_accepted(client, box, depth):
    must_put(client, "a.txt", b"a")
    assert move(client, "a.txt", url("b.txt"), {"Depth": depth}).status_code == 201


@pytest.mark.parametrize("value", ["X", "true", "yes"])
def test_move_bad_overwrite_is_400(client, box, value):
    must_put(client, "a.txt", b"a")
    body = assert_error(move(client, "a.txt", url("b.txt"), {"Overwrite": value}), 400, "PR400-DV-0009")
    assert body["message"]["value"] == f"Request header Overwrite value is invalid [{value}]."


def test_move_overwrite_t_to_a_new_name_is_201(client, box):
    must_put(client, "a.txt", b"a")
    response = move(client, "a.txt", url("b.txt"), {"Overwrite": "T"})
    assert response.status_code == 201, response.text
    assert get(client, "b.txt").content == b"a"


def test_move_if_match_is_checked_before_the_destination(client, box):
    """Digest §7: If-Match on the source (step 3) precedes the destination walk (step 4)."""
    must_put(client, "a.txt", b"a")
    assert_error(move(client, "a.txt", url("nocol/a.txt"), {"If-Match": '"7-7"'}), 412, "PR412-DV-0001")


def test_move_headers_are_checked_before_the_destination_header(client, box):
    """Digest §7 step 2: Depth, then Overwrite, then Destination."""
    must_put(client, "a.txt", b"a")
    assert_error(move(client, "a.txt", None, {"Depth": "1", "Overwrite": "X"}), 400, "PR400-DV-0003")
    body = assert_error(move(client, "a.txt", None, {"Overwrite": "X"}), 400, "PR400-DV-0009")
    assert "Overwrite" in body["message"]["value"], body


def test_move_into_missing_parent_is_409(client, box):
    """Digest §7: the param is the missing segment's bare name (not a URL)."""
    must_put(client, "a.txt", b"a")
    body = assert_error(move(client, "a.txt", url("nocol/a.txt")), 409, "PR409-DV-0001")
    assert body["message"]["value"] == intermediate_message("nocol")


def test_move_into_missing_deeper_parent_is_409(client, box):
    must_put(client, "a.txt", b"a")
    must_mkcol(client, "col")
    body = assert_error(move(client, "a.txt", url("col/nocol/a.txt")), 409, "PR409-DV-0001")
    assert body["message"]["value"] == intermediate_message("nocol")


def test_move_overwrite_carries_the_source_properties(client, box):
    must_put(client, "a.txt", b"a", "text/csv")
    must_put(client, "b.txt", b"bb", "application/json")
    assert move(client, "a.txt", url("b.txt"), {"Overwrite": "T"}).status_code == 204
    got = get(client, "b.txt")
    assert got.content == b"a"
    assert got.headers["content-type"].startswith("text/csv")


def test_move_into_file_is_400(client, box):
    must_put(client, "a.txt", b"a")
    must_put(client, "f.txt", b"f")
    assert_error(move(client, "a.txt", url("f.txt/a.txt")), 400, "PR400-DV-0014")


def test_move_into_odata_collection_is_400(client, box):
    must_put(client, "a.txt", b"a")
    must_mkcol(client, "od", "odata")
    assert_error(move(client, "a.txt", url("od/a.txt")), 400, "PR400-DV-0013")


def test_move_into_service_collection_is_400(client, box):
    must_put(client, "a.txt", b"a")
    must_mkcol(client, "svc", "service")
    assert_error(move(client, "a.txt", url("svc/a.txt")), 400, "PR400-DV-0016")


def test_move_file_into_src_is_allowed(client, box):
    must_put(client, "s.js", b"x", "text/javascript")
    must_mkcol(client, "svc", "service")
    assert move(client, "s.js", url("svc/__src/s.js")).status_code == 201
    assert get(client, "svc/__src/s.js").content == b"x"


def test_move_collection_into_src_is_400(client, box):
    must_mkcol(client, "col")
    must_mkcol(client, "svc", "service")
    assert_error(move(client, "col", url("svc/__src/col")), 400, "PR400-DV-0018")


def test_move_onto_src_is_400(client, box):
    must_put(client, "a.txt", b"a")
    must_mkcol(client, "svc", "service")
    assert_error(move(client, "a.txt", url("svc/__src"), {"Overwrite": "T"}), 400, "PR400-DV-0017")


def test_move_box_root_is_400(client, box):
    response = client.request("MOVE", BOX_PATH, headers={**AUTH, "Destination": f"{CELL_URL}box9"})
    assert_error(response, 400, "PR400-DV-0015")


@pytest.mark.parametrize("destination", ["personium-localunit:/c1/box1/b.txt", "personium-localunit:c1:/box1/b.txt"],
                         ids=["localunit", "localunit-cell"])
def test_move_localunit_destination(client, box, destination):
    """Digest §7: ``personium-localunit:`` destinations are accepted; Location is the http URL."""
    must_put(client, "a.txt", b"a")
    response = move(client, "a.txt", destination)
    assert response.status_code == 201, response.text
    assert response.headers["location"] == url("b.txt")
    assert get(client, "b.txt").content == b"a"


def test_move_missing_source_is_404(client, box):
    body = assert_error(move(client, "nosuch", url("other")), 404, "PR404-DV-0001")
    assert body["message"]["value"] == f"Resource not found. [{url('nosuch')}]."


def test_move_if_match_mismatch_is_412(client, box):
    etag = must_put(client, "a.txt", b"a")
    assert_error(move(client, "a.txt", url("b.txt"), {"If-Match": '"7-7"'}), 412, "PR412-DV-0001")
    assert move(client, "a.txt", url("b.txt"), {"If-Match": etag}).status_code == 201


def test_move_collection_moves_its_children(client, box):
    must_mkcol(client, "a")
    must_mkcol(client, "a/sub")
    must_put(client, "a/sub/f.txt", b"deep")
    must_put(client, "a/g.txt", b"shallow")
    must_mkcol(client, "dst")
    etag = propfind(client, "a").headers["etag"]
    response = move(client, "a", url("dst/b"))
    assert response.status_code == 201, response.text
    assert response.headers["location"] == url("dst/b")
    assert response.headers["etag"] == etag
    assert get(client, "dst/b/sub/f.txt").content == b"deep"
    assert get(client, "dst/b/g.txt").content == b"shallow"
    for rel in ("a", "a/sub", "a/sub/f.txt", "a/g.txt"):
        assert_error(get(client, rel), 404, "PR404-DV-0001")
    assert set(responses(propfind(client, "dst/b", "1"))) == {url("dst/b"), url("dst/b/sub"), url("dst/b/g.txt")}


def test_move_odata_and_service_collections(client, box):
    must_mkcol(client, "od", "odata")
    must_mkcol(client, "svc", "service")
    assert move(client, "od", url("od2")).status_code == 201
    assert move(client, "svc", url("svc2")).status_code == 201
    assert resource_types(only_prop(client, "od2")) == {COLLECTION, ODATA}
    assert resource_types(only_prop(client, "svc2")) == {COLLECTION, SERVICE}
    assert set(responses(propfind(client, "svc2", "1"))) == {url("svc2"), url("svc2/__src")}


def test_move_src_is_400(client, box):
    must_mkcol(client, "svc", "service")
    assert_error(move(client, "svc/__src", url("src2")), 400, "PR400-DV-0011")


def test_move_destination_with_trailing_slash(client, box):
    """Digest §7: only an exactly equal Destination is refused; a trailing slash is the same resource."""
    must_mkcol(client, "col")
    response = move(client, "col", url("col2") + "/")
    assert response.status_code == 201, response.text
    assert get(client, "col2").status_code == 200


# --- box recursive delete (page 295; digest §6) ------------------------------------------------------------

@pytest.mark.parametrize("headers", [{}, {"X-Personium-Recursive": "false"}, {"X-Personium-Recursive": "yes"}],
                         ids=["absent", "false", "other"])
def test_box_delete_needs_recursive_header(client, box, headers):
    body = assert_error(client.delete(BOX_PATH, headers={**AUTH, **headers}), 412, "PR412-MC-0001")
    assert body["message"]["value"] == "Precondition failed [Header: X-Personium-Recursive]."
    assert get(client).status_code == 200


def test_box_delete_header_is_checked_before_auth(client, box):
    assert_error(client.delete(BOX_PATH), 412, "PR412-MC-0001")


def test_box_delete_anonymous_with_header_is_401(client, box):
    assert_error(client.delete(BOX_PATH, headers={"X-Personium-Recursive": "true"}), 401, "PR401-AU-0001")
    assert get(client).status_code == 200


@pytest.mark.parametrize("value", ["true", "TRUE"])
def test_box_recursive_delete(client, box, value):
    make_role(client, "c1", "boxrole", "box1")
    make_role(client, "c1", "cellrole")
    must_mkcol(client, "col")
    must_put(client, "col/f.txt", b"x")
    must_put(client, "top.txt", b"y")
    must_mkcol(client, "od", "odata")
    must_mkcol(client, "svc", "service")
    response = client.delete(BOX_PATH, headers={**AUTH, "X-Personium-Recursive": value})
    assert response.status_code == 204, response.text
    assert response.content == b""
    assert_error(client.get(f"/c1/__ctl/{box_key('box1')}", headers=MASTER_AUTH), 404, "PR404-OD-0002")
    assert_error(get(client), 404, "PR404-DV-0002")
    # Page 295: box-bound roles go with the box; cell roles stay.
    assert_error(client.get(f"/c1/__ctl/{role_key('boxrole', 'box1')}", headers=MASTER_AUTH), 404, "PR404-OD-0002")
    assert client.get(f"/c1/__ctl/{role_key('cellrole')}", headers=MASTER_AUTH).status_code == 200
    # A new box of the same name starts empty.
    make_box(client, "c1", "box1")
    for rel in ("col", "col/f.txt", "top.txt", "od", "svc"):
        assert_error(get(client, rel), 404, "PR404-DV-0001")
    assert list(responses(propfind(client, "", "1"))) == [BOX_URL]


def test_box_recursive_delete_leaves_other_boxes(client, box):
    make_box(client, "c1", "box2")
    assert client.put("/c1/box2/f.txt", content=b"keep", headers=AUTH).status_code == 201
    must_put(client, "f.txt", b"gone")
    assert client.delete(BOX_PATH, headers={**AUTH, "X-Personium-Recursive": "true"}).status_code == 204
    assert client.get("/c1/box2/f.txt", headers=AUTH).content == b"keep"


def test_box_recursive_delete_of_missing_box_is_404(client, box):
    response = client.delete("/c1/nobox", headers={**AUTH, "X-Personium-Recursive": "true"})
    assert_error(response, 404, "PR404-DV-0002")


def test_plain_box_delete_with_files_is_409(client, box):
    """Page 260 / notes §5.4: ``DELETE __ctl/Box('b')`` refuses a box that still holds WebDAV data."""
    must_put(client, "f.txt", b"x")
    response = client.delete(f"/c1/__ctl/{box_key('box1')}", headers=MASTER_AUTH)
    assert_error(response, 409, "PR409-OD-0001")
    assert get(client, "f.txt").content == b"x"


def test_plain_box_delete_with_a_collection_is_409(client, box):
    must_mkcol(client, "col")
    assert_error(client.delete(f"/c1/__ctl/{box_key('box1')}", headers=MASTER_AUTH), 409, "PR409-OD-0001")


def test_plain_box_delete_after_emptying_is_204(client, box):
    must_put(client, "f.txt", b"x")
    assert delete(client, "f.txt").status_code == 204
    assert client.delete(f"/c1/__ctl/{box_key('box1')}", headers=MASTER_AUTH).status_code == 204


class TestConfiguredChildLimit:
    """``CELLAR_DAV_MAX_CHILDREN`` is Personium's ``dav.childresource.maxnum`` (default 1024)."""

    @pytest.fixture
    def settings(self, database_url, backend):
        return replace(backend.settings, dav_max_children=3)

    def test_the_configured_limit_holds_for_put_mkcol_and_move(self, client, box):
        must_mkcol(client, "col")
        for name in ("a", "b", "c"):
            assert put_file(client, f"col/{name}", b"").status_code == 201
        assert_error(put_file(client, "col/d", b""), 400, "PR400-DV-0007")
        assert_error(mkcol(client, "col/d"), 400, "PR400-DV-0007")
        must_mkcol(client, "other")
        assert_error(move(client, "other", url("col/d")), 400, "PR400-DV-0007")
