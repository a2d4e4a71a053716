"""WebDAV files in a box — apiref 311 (GET), 312 (PUT), 314 (DELETE); the WebDAV digest
(``docs/webdav-behaviour.md``) §1 (resolution, names), §2 (ETag, conditional headers), §5 (GET), §6 (DELETE),
§9 (access); notes §8.1 (Range, If-None-Match), §8.3 (If-Match), §9.2 (names, limits).

Where the digest and the API pages disagree the digest wins; the test says so.
"""

from __future__ import annotations

import pytest

from tests.api._auth_support import grant_role, make_account, make_box, make_cell, make_role, password_params
from tests.api._dav_support import (
    AUTH,
    CELL_URL,
    delete,
    get,
    mkcol,
    must_mkcol,
    must_put,
    new_box,
    path,
    put_file,
    strong_etag,
    url,
    weak,
)
from tests.helpers import assert_error

CONTENT = b"abcdefghijklmnopqrstuvwxyz"  # 26 bytes: a..z, so byte n is chr(97 + n)


@pytest.fixture
def box(client):
    return new_box(client)


def not_found_message(rel: str) -> str:
    return f"Resource not found. [{url(rel)}]."


# --- PUT (page 312) -----------------------------------------------------------------------------------------

def test_put_new_file_is_201_with_etag(client, box):
    response = put_file(client, "f.txt", CONTENT)
    assert response.status_code == 201, response.text
    version, _ = strong_etag(response.headers.get("etag"))
    assert version == 1
    assert response.content == b""


def test_put_new_file_has_no_location(client, box):
    """Digest §1.2/§2: no Location on a PUT 201."""
    response = put_file(client, "f.txt", CONTENT)
    assert response.status_code == 201, response.text
    assert "location" not in response.headers


def test_put_existing_file_is_204_with_new_etag(client, box):
    first = must_put(client, "f.txt", b"one")
    response = put_file(client, "f.txt", b"two")
    assert response.status_code == 204, response.text
    assert response.content == b""
    second = response.headers.get("etag")
    assert strong_etag(second)[0] == strong_etag(first)[0] + 1
    assert second != first
    assert strong_etag(second)[1] >= strong_etag(first)[1]


def test_put_update_replaces_content(client, box):
    must_put(client, "f.txt", b"one")
    must_put(client, "f.txt", b"second version")
    response = get(client, "f.txt")
    assert response.status_code == 200
    assert response.content == b"second version"


def test_each_put_raises_the_version(client, box):
    versions = [strong_etag(must_put(client, "f.txt", str(i)))[0] for i in range(4)]
    assert versions == [1, 2, 3, 4]


def test_content_type_round_trip(client, box):
    must_put(client, "data.json", b'{"a":1}', "application/json")
    response = get(client, "data.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.content == b'{"a":1}'


def test_content_type_changes_on_update(client, box):
    must_put(client, "f", b"<a/>", "application/xml")
    must_put(client, "f", b"plain", "text/csv")
    assert get(client, "f").headers["content-type"].startswith("text/csv")


def test_empty_file(client, box):
    assert put_file(client, "empty.txt", b"").status_code == 201
    response = get(client, "empty.txt")
    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["content-length"] == "0"


def test_binary_content_round_trip(client, box):
    data = bytes(range(256)) * 40
    must_put(client, "blob.bin", data, "application/octet-stream")
    response = get(client, "blob.bin")
    assert response.content == data
    assert response.headers["content-length"] == str(len(data))


def test_put_in_a_collection(client, box):
    must_mkcol(client, "col")
    assert put_file(client, "col/f.txt", CONTENT).status_code == 201
    assert get(client, "col/f.txt").content == CONTENT


def test_put_into_missing_parent_is_409(client, box):
    """Digest §1.2: param = the parent's full URL."""
    body = assert_error(put_file(client, "nocol/f.txt", CONTENT), 409, "PR409-DV-0001")
    assert body["message"]["value"] == f"intermediate collection [{url('nocol')}] should be created first."


def test_put_below_a_missing_grandparent_is_409(client, box):
    assert_error(put_file(client, "a/b/f.txt", CONTENT), 409, "PR409-DV-0001")


def test_put_on_existing_collection_is_405(client, box):
    """Digest §1.3: a collection has no PUT handler → 405 (the exact code is unverified)."""
    must_mkcol(client, "col")
    response = put_file(client, "col", CONTENT)
    assert response.status_code == 405, response.text
    assert response.json()["code"].startswith("PR405-"), response.text


def test_put_on_a_collection_keeps_it_a_collection(client, box):
    must_mkcol(client, "col")
    put_file(client, "col", CONTENT)
    response = get(client, "col")
    assert response.status_code == 200
    assert response.text.startswith("URL : ")


def test_put_new_file_ignores_if_match(client, box):
    """Digest §2: If-Match is ignored when the PUT creates the file."""
    response = put_file(client, "f.txt", CONTENT, headers={"If-Match": '"9-9"'})
    assert response.status_code == 201, response.text


# --- names (digest §1.4; notes §9.2 says 255, the digest's 256 wins) ----------------------------------------

@pytest.mark.parametrize("name", ["a%20b", "a:b", "a*b", "a%01b", "a%3Fb", "a%22b", "a%3Cb", "a%3Eb", "a%7Cb",
                                  "a%5Cb", "a%E2%80%8Bb", "x" * 257],
                         ids=["space", "colon", "star", "control", "question", "quote", "lt", "gt", "pipe",
                              "backslash", "zero-width-space", "257-chars"])
def test_put_invalid_name_is_403(client, box, name):
    assert_error(put_file(client, name, CONTENT), 403, "PR403-DV-0004")


def test_put_invalid_name_creates_nothing(client, box):
    put_file(client, "a:b", CONTENT)
    assert get(client, "a:b").status_code == 404


def test_put_256_character_name_is_ok(client, box):
    """Digest §1.4: MAX_RESOURCE_LENGTH = 256 (notes §9.2's 255 is corrected by the digest)."""
    name = "x" * 256
    assert put_file(client, name, CONTENT).status_code == 201
    assert get(client, name).content == CONTENT


@pytest.mark.parametrize("name", ["ok-name_1.txt", "日本語.txt", "a%2Bb", "a'b", "(x)", "%40home"])
def test_put_other_names_are_ok(client, box, name):
    assert put_file(client, name, CONTENT).status_code == 201, name
    assert get(client, name).content == CONTENT


# --- GET (page 311; digest §5) -----------------------------------------------------------------------------

def test_get_file(client, box):
    etag = must_put(client, "f.txt", CONTENT, "text/plain")
    response = get(client, "f.txt")
    assert response.status_code == 200
    assert response.content == CONTENT
    assert response.headers["content-type"].startswith("text/plain")
    assert response.headers["etag"] == etag
    assert response.headers["accept-ranges"] == "bytes"
    assert response.headers["content-length"] == str(len(CONTENT))


def test_get_etag_follows_updates(client, box):
    must_put(client, "f.txt", b"one")
    second = must_put(client, "f.txt", b"two")
    assert get(client, "f.txt").headers["etag"] == second


def test_get_does_not_send_last_modified(client, box):
    """Digest §5: no Last-Modified on GET (only getlastmodified in PROPFIND)."""
    must_put(client, "f.txt", CONTENT)
    assert "last-modified" not in get(client, "f.txt").headers


def test_head_file(client, box):
    etag = must_put(client, "f.txt", CONTENT)
    response = client.head(path("f.txt"), headers=AUTH)
    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["etag"] == etag


def test_get_missing_file_is_404_with_full_url(client, box):
    body = assert_error(get(client, "nosuch.txt"), 404, "PR404-DV-0001")
    assert body["message"]["value"] == not_found_message("nosuch.txt")


def test_get_below_missing_collection_is_404(client, box):
    body = assert_error(get(client, "nocol/f.txt"), 404, "PR404-DV-0001")
    assert body["message"]["value"] == not_found_message("nocol/f.txt")


def test_head_missing_file_is_404(client, box):
    response = client.head(path("nosuch.txt"), headers=AUTH)
    assert response.status_code == 404
    assert response.content == b""


def test_post_to_missing_resource_is_404(client, box):
    """Digest §1.2: POST on a null resource → 404 PR404-DV-0001 (after ``write`` auth)."""
    body = assert_error(client.post(path("nosuch"), content=b"x", headers=AUTH), 404, "PR404-DV-0001")
    assert body["message"]["value"] == not_found_message("nosuch")


# --- If-None-Match (digest §2; notes §8.1) -----------------------------------------------------------------

def test_if_none_match_matching_is_304(client, box):
    etag = must_put(client, "f.txt", CONTENT)
    response = get(client, "f.txt", headers={"If-None-Match": etag})
    assert response.status_code == 304
    assert response.content == b""
    assert response.headers["etag"] == etag


def test_if_none_match_weak_form_is_304(client, box):
    etag = must_put(client, "f.txt", CONTENT)
    assert get(client, "f.txt", headers={"If-None-Match": weak(etag)}).status_code == 304


def test_if_none_match_not_matching_is_200(client, box):
    etag = must_put(client, "f.txt", CONTENT)
    version, updated = strong_etag(etag)
    response = get(client, "f.txt", headers={"If-None-Match": f'"{version + 1}-{updated}"'})
    assert response.status_code == 200
    assert response.content == CONTENT


def test_if_none_match_old_etag_is_200(client, box):
    old = must_put(client, "f.txt", b"one")
    must_put(client, "f.txt", b"two")
    response = get(client, "f.txt", headers={"If-None-Match": old})
    assert response.status_code == 200
    assert response.content == b"two"


def test_if_none_match_star_is_200(client, box):
    """Digest §2: ``*`` does not match (apiref/311 lists ``"*"`` as a value; the digest wins)."""
    must_put(client, "f.txt", CONTENT)
    assert get(client, "f.txt", headers={"If-None-Match": "*"}).status_code == 200


def test_if_none_match_list_is_200(client, box):
    """Digest §2: the header is compared as a whole string; lists never match."""
    etag = must_put(client, "f.txt", CONTENT)
    assert get(client, "f.txt", headers={"If-None-Match": f'"0-0", {etag}'}).status_code == 200


# --- Range (page 311; digest §5) ---------------------------------------------------------------------------

@pytest.mark.parametrize(("spec", "start", "end"), [("bytes=10-20", 10, 20), ("bytes=10-", 10, 25),
                                                    ("bytes=-5", 21, 25), ("bytes=0-0", 0, 0),
                                                    ("bytes=20-100", 20, 25)])
def test_single_range_is_206(client, box, spec, start, end):
    etag = must_put(client, "f.txt", CONTENT, "text/plain")
    response = get(client, "f.txt", headers={"Range": spec})
    assert response.status_code == 206, response.text
    assert response.content == CONTENT[start:end + 1]
    assert response.headers["content-range"] == f"bytes {start}-{end}/{len(CONTENT)}"
    assert response.headers["content-length"] == str(end - start + 1)
    assert response.headers["content-type"].startswith("text/plain")
    assert response.headers["etag"] == etag
    assert response.headers["accept-ranges"] == "bytes"


@pytest.mark.parametrize("spec", ["bytes=20-10", "items=0-5", "bytes=abc", "bytes=", "0-5"])
def test_invalid_range_is_ignored(client, box, spec):
    """Page 311 / digest §5: a syntactically invalid range (start after end, other unit) → full 200."""
    must_put(client, "f.txt", CONTENT)
    response = get(client, "f.txt", headers={"Range": spec})
    assert response.status_code == 200, response.text
    assert response.content == CONTENT
    assert "content-range" not in response.headers


@pytest.mark.parametrize("spec", ["bytes=26-", "bytes=100-200"])
def test_unsatisfiable_range_is_416(client, box, spec):
    must_put(client, "f.txt", CONTENT)
    response = get(client, "f.txt", headers={"Range": spec})
    assert_error(response, 416, "PR416-DV-0001")
    assert "content-range" not in response.headers


def test_multi_range_is_501(client, box):
    must_put(client, "f.txt", CONTENT)
    body = assert_error(get(client, "f.txt", headers={"Range": "bytes=0-1,5-6"}), 501, "PR501-MC-0002")
    assert "Range-MultiPart" in body["message"]["value"], body


def test_if_none_match_wins_over_range(client, box):
    """Digest §5: auth → If-None-Match (→ 304) → content."""
    etag = must_put(client, "f.txt", CONTENT)
    response = get(client, "f.txt", headers={"If-None-Match": etag, "Range": "bytes=0-3"})
    assert response.status_code == 304


# --- If-Match on PUT / DELETE (digest §2; notes §8.3) ------------------------------------------------------

def test_put_if_match_mismatch_is_412(client, box):
    etag = must_put(client, "f.txt", b"one")
    version, updated = strong_etag(etag)
    response = put_file(client, "f.txt", b"two", headers={"If-Match": f'"{version}-{updated + 1}"'})
    assert_error(response, 412, "PR412-DV-0001")
    assert get(client, "f.txt").content == b"one"


def test_put_if_match_old_etag_is_412(client, box):
    old = must_put(client, "f.txt", b"one")
    must_put(client, "f.txt", b"two")
    assert_error(put_file(client, "f.txt", b"three", headers={"If-Match": old}), 412, "PR412-DV-0001")


@pytest.mark.parametrize("form", ["strong", "weak", "star"])
def test_put_if_match_accepted_forms(client, box, form):
    etag = must_put(client, "f.txt", b"one")
    value = {"strong": etag, "weak": weak(etag), "star": "*"}[form]
    response = put_file(client, "f.txt", b"two", headers={"If-Match": value})
    assert response.status_code == 204, response.text
    assert get(client, "f.txt").content == b"two"


def test_put_if_match_list_never_matches(client, box):
    """Digest §2: the header is compared as a whole string; a list never matches."""
    etag = must_put(client, "f.txt", b"one")
    response = put_file(client, "f.txt", b"two", headers={"If-Match": f'"0-0", {etag}'})
    assert_error(response, 412, "PR412-DV-0001")


def test_delete_if_match_mismatch_is_412(client, box):
    must_put(client, "f.txt", CONTENT)
    assert_error(delete(client, "f.txt", headers={"If-Match": '"1-1"'}), 412, "PR412-DV-0001")
    assert get(client, "f.txt").status_code == 200


@pytest.mark.parametrize("form", ["strong", "weak", "star"])
def test_delete_if_match_accepted_forms(client, box, form):
    etag = must_put(client, "f.txt", CONTENT)
    value = {"strong": etag, "weak": weak(etag), "star": "*"}[form]
    assert delete(client, "f.txt", headers={"If-Match": value}).status_code == 204


# --- DELETE (page 314) -------------------------------------------------------------------------------------

def test_delete_file(client, box):
    must_put(client, "f.txt", CONTENT)
    response = delete(client, "f.txt")
    assert response.status_code == 204
    assert response.content == b""
    assert "etag" not in response.headers
    body = assert_error(get(client, "f.txt"), 404, "PR404-DV-0001")
    assert body["message"]["value"] == not_found_message("f.txt")


def test_delete_missing_file_is_404(client, box):
    body = assert_error(delete(client, "nosuch.txt"), 404, "PR404-DV-0001")
    assert body["message"]["value"] == not_found_message("nosuch.txt")


def test_delete_then_put_again_starts_at_version_1(client, box):
    must_put(client, "f.txt", b"one")
    must_put(client, "f.txt", b"two")
    assert delete(client, "f.txt").status_code == 204
    response = put_file(client, "f.txt", b"three")
    assert response.status_code == 201
    assert strong_etag(response.headers["etag"])[0] == 1


def test_delete_file_in_collection(client, box):
    must_mkcol(client, "col")
    must_put(client, "col/f.txt", CONTENT)
    assert delete(client, "col/f.txt").status_code == 204
    assert get(client, "col/f.txt").status_code == 404
    assert get(client, "col").status_code == 200


# --- below a file (digest §1.1) ----------------------------------------------------------------------------

def test_put_below_a_file_is_not_409(client, box):
    """Digest §1.1: a file has no sub-locator, so a deeper path is not a 409 (the exact 404 code is
    unverified) and nothing is created."""
    must_put(client, "f.txt", CONTENT)
    response = put_file(client, "f.txt/x", CONTENT)
    assert response.status_code == 404, response.text
    assert get(client, "f.txt").content == CONTENT


# --- box and cell resolution (digest §1.1, §9) -------------------------------------------------------------

@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PROPFIND", "MKCOL", "MOVE", "PROPPATCH"])
def test_missing_box_is_404(client, box, method):
    response = client.request(method, "/c1/nobox/f.txt", headers={**AUTH, "Depth": "0"})
    body = assert_error(response, 404, "PR404-DV-0002")
    assert body["message"]["value"] == f"Box not found at [{CELL_URL}nobox]."


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_missing_box_is_404_before_auth(client, box, method):
    """Digest §1.1: the box lookup precedes any auth check — anonymous callers get 404 too."""
    response = client.request(method, "/c1/nobox/f.txt", content=b"x")
    assert_error(response, 404, "PR404-DV-0002")


def test_missing_box_root_get_is_404(client, box):
    body = assert_error(client.get("/c1/nobox", headers=AUTH), 404, "PR404-DV-0002")
    assert body["message"]["value"] == f"Box not found at [{CELL_URL}nobox]."


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_missing_cell_is_404(client, box, method):
    response = client.request(method, "/nocell/box1/f.txt", content=b"x", headers=AUTH)
    assert_error(response, 404, "PR404-DV-0003")


def test_box_names_are_case_sensitive(client, box):
    must_put(client, "f.txt", CONTENT)
    assert_error(client.get("/c1/BOX1/f.txt", headers=AUTH), 404, "PR404-DV-0002")


def test_files_are_per_box(client, box):
    make_box(client, "c1", "box2")
    must_put(client, "f.txt", b"in box1")
    assert get(client, "f.txt", box="box2").status_code == 404
    assert put_file(client, "f.txt", b"x").status_code == 204
    assert client.put("/c1/box2/f.txt", content=b"in box2", headers=AUTH).status_code == 201
    assert get(client, "f.txt").content == b"x"
    assert get(client, "f.txt", box="box2").content == b"in box2"


def test_files_are_per_cell(client, box):
    make_cell(client, "c2")
    make_box(client, "c2", "box1")
    must_put(client, "f.txt", b"in c1")
    assert client.get("/c2/box1/f.txt", headers=AUTH).status_code == 404


# --- the main box ``__`` (digest §1.1, §9) -----------------------------------------------------------------

def test_files_in_main_box(client, box):
    response = client.put("/c1/__/f.txt", content=CONTENT, headers={**AUTH, "Content-Type": "text/plain"})
    assert response.status_code == 201, response.text
    strong_etag(response.headers["etag"])
    got = client.get("/c1/__/f.txt", headers=AUTH)
    assert got.status_code == 200
    assert got.content == CONTENT
    assert got.headers["etag"] == response.headers["etag"]
    assert client.delete("/c1/__/f.txt", headers=AUTH).status_code == 204
    body = assert_error(client.get("/c1/__/f.txt", headers=AUTH), 404, "PR404-DV-0001")
    assert body["message"]["value"] == f"Resource not found. [{CELL_URL}__/f.txt]."


def test_collections_in_main_box(client, box):
    assert client.request("MKCOL", "/c1/__/col", headers=AUTH).status_code == 201
    assert client.put("/c1/__/col/f.txt", content=CONTENT, headers=AUTH).status_code == 201
    assert client.get("/c1/__/col/f.txt", headers=AUTH).content == CONTENT


def test_main_box_files_are_not_in_other_boxes(client, box):
    assert client.put("/c1/__/f.txt", content=CONTENT, headers=AUTH).status_code == 201
    assert get(client, "f.txt").status_code == 404


# --- access (digest §9; notes §4.3) ------------------------------------------------------------------------

@pytest.fixture
def account_token(client, box):
    make_account(client, "c1", "me")
    response = client.post("/c1/__token", data=password_params("me"))
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def test_anonymous_get_is_401(client, box):
    must_put(client, "f.txt", CONTENT)
    response = get(client, "f.txt", auth={})
    assert_error(response, 401, "PR401-AU-0001")
    # notes §6.1: a schema-less box answers with both Bearer and Basic challenges.
    challenges = response.headers.get_list("www-authenticate")
    assert f'Bearer realm="{CELL_URL}"' in challenges, challenges
    assert f'Basic realm="{CELL_URL}"' in challenges, challenges


def test_anonymous_get_in_a_schema_box_has_only_the_bearer_challenge(client):
    """Notes §6.1: a box with a Schema answers 401 with the Bearer challenge only."""
    make_cell(client, "c1")
    make_box(client, "c1", "box1", "https://app.example/")
    must_put(client, "f.txt", CONTENT)
    response = get(client, "f.txt", auth={})
    assert_error(response, 401, "PR401-AU-0001")
    assert response.headers.get_list("www-authenticate") == [f'Bearer realm="{CELL_URL}"']


def test_anonymous_get_of_missing_file_is_401_not_404(client, box):
    """Digest §1.2/§9: below the box, auth precedes the existence check."""
    assert_error(get(client, "nosuch.txt", auth={}), 401, "PR401-AU-0001")


def test_anonymous_put_is_401(client, box):
    assert_error(put_file(client, "f.txt", CONTENT, auth={}), 401, "PR401-AU-0001")
    assert get(client, "f.txt").status_code == 404


def test_account_without_privilege_is_403(client, box, account_token):
    must_put(client, "f.txt", CONTENT)
    assert_error(get(client, "f.txt", auth=account_token), 403, "PR403-AU-0002")
    assert_error(put_file(client, "f.txt", b"x", auth=account_token), 403, "PR403-AU-0002")
    assert_error(put_file(client, "new.txt", b"x", auth=account_token), 403, "PR403-AU-0002")
    assert_error(delete(client, "f.txt", auth=account_token), 403, "PR403-AU-0002")
    assert get(client, "f.txt").content == CONTENT


def test_account_without_privilege_gets_403_for_missing_file(client, box, account_token):
    assert_error(get(client, "nosuch.txt", auth=account_token), 403, "PR403-AU-0002")


@pytest.mark.parametrize("method", ["MKCOL", "PROPFIND", "PROPPATCH", "MOVE"])
def test_account_without_privilege_other_methods_are_403(client, box, account_token, method):
    must_put(client, "f.txt", CONTENT)
    headers = {**account_token, "Depth": "0", "Destination": url("g.txt")}
    body = b"" if method != "PROPPATCH" else (
        b'<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><D:x>1</D:x></D:prop></D:set></D:propertyupdate>')
    target = "col" if method == "MKCOL" else "f.txt"
    response = client.request(method, path(target), content=body, headers=headers)
    assert_error(response, 403, "PR403-AU-0002")
    assert get(client, "col").status_code == 404
    assert get(client, "g.txt").status_code == 404


def test_invalid_token_is_401(client, box):
    must_put(client, "f.txt", CONTENT)
    response = get(client, "f.txt", auth={"Authorization": "Bearer not-a-token"})
    assert response.status_code == 401, response.text
    assert response.json()["code"].startswith("PR401-AU-"), response.text


def test_role_with_cell_root_may_use_the_box(client, box, account_token):
    """Notes §4.3 step 5: a cell ACE role + ``p:root`` opens every box privilege."""
    make_role(client, "c1", "admin")
    grant_role(client, "c1", "me", "admin")
    acl = ('<?xml version="1.0" encoding="utf-8"?><D:acl xmlns:D="DAV:" xmlns:p="urn:x-personium:xmlns" '
           f'xml:base="{CELL_URL}__role/__/"><D:ace><D:principal><D:href>admin</D:href></D:principal>'
           "<D:grant><D:privilege><p:root/></D:privilege></D:grant></D:ace></D:acl>")
    assert client.request("ACL", "/c1/", content=acl, headers=AUTH).status_code == 200
    token = client.post("/c1/__token", data=password_params("me")).json()["access_token"]
    me = {"Authorization": f"Bearer {token}"}
    assert put_file(client, "f.txt", CONTENT, auth=me).status_code == 201
    assert get(client, "f.txt", auth=me).content == CONTENT
    assert mkcol(client, "col", auth=me).status_code == 201
    assert delete(client, "f.txt", auth=me).status_code == 204
