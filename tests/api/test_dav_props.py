"""PROPFIND (apiref 305/307), PROPPATCH (308/313), OPTIONS, box root GET (303) and ``GET {cell}__box``
(304) — the WebDAV digest (``docs/webdav-behaviour.md``) §2 (ETag), §3 (PROPFIND), §4 (PROPPATCH), §5 (box
root GET), §8 (OPTIONS), §10 (``__box``); notes §4.4 (``__box``), §8.1 (Depth), §8.2 (OPTIONS).

Where the digest and the API pages disagree the digest wins; the test says so.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import pytest
from lxml import etree

from tests.api._auth_support import login, make_account, make_box, make_cell
from tests.api._dav_support import (
    AUTH,
    BOX_PATH,
    BOX_URL,
    CELL_URL,
    COLLECTION,
    NS,
    ODATA,
    SERVICE,
    allow_set,
    get,
    must_mkcol,
    must_put,
    new_box,
    only_prop,
    options,
    propertyupdate,
    propfind,
    proppatch,
    put_file,
    resource_types,
    responses,
    strong_etag,
    url,
)
from tests.conftest import UNIT
from tests.helpers import MASTER_AUTH, assert_error

ALL_METHODS = "OPTIONS, GET, POST, PUT, DELETE, HEAD, MERGE, MKCOL, MOVE, COPY, PROPFIND, PROPPATCH, ACL"


@pytest.fixture
def box(client):
    return new_box(client)


@pytest.fixture
def tree(client, box):
    """box1/{col/{sub, inner.txt}, f.txt, od (odata), svc (service)}."""
    must_mkcol(client, "col")
    must_mkcol(client, "col/sub")
    must_put(client, "col/inner.txt", b"inner")
    must_put(client, "f.txt", b"0123456789", "text/csv")
    must_mkcol(client, "od", "odata")
    must_mkcol(client, "svc", "service")
    return client


# --- PROPFIND (pages 305/307; digest §3) -------------------------------------------------------------------

def test_propfind_box_root_depth_0(client, tree):
    response = propfind(client, "", "0")
    found = responses(response)
    assert list(found) == [BOX_URL]  # no trailing slash (digest §3.2)
    assert BOX_URL == f"{UNIT}c1/box1"
    assert resource_types(found[BOX_URL]) == {COLLECTION}


def test_propfind_box_root_depth_1(client, tree):
    found = responses(propfind(client, "", "1"))
    assert set(found) == {BOX_URL, url("col"), url("f.txt"), url("od"), url("svc")}
    assert resource_types(found[url("col")]) == {COLLECTION}
    assert resource_types(found[url("f.txt")]) == set()
    assert resource_types(found[url("od")]) == {COLLECTION, ODATA}
    assert resource_types(found[url("svc")]) == {COLLECTION, SERVICE}


def test_propfind_box_root_with_trailing_slash(client, tree):
    response = client.request("PROPFIND", f"{BOX_PATH}/", headers={**AUTH, "Depth": "0"})
    assert list(responses(response)) == [BOX_URL]


def test_propfind_collection_depth_0(client, tree):
    found = responses(propfind(client, "col", "0"))
    assert list(found) == [url("col")]
    prop = found[url("col")]
    assert resource_types(prop) == {COLLECTION}
    assert prop.find("D:getcontentlength", NS) is None
    assert prop.find("D:getcontenttype", NS) is None


def test_propfind_collection_depth_1(client, tree):
    found = responses(propfind(client, "col", "1"))
    assert set(found) == {url("col"), url("col/sub"), url("col/inner.txt")}
    assert resource_types(found[url("col/sub")]) == {COLLECTION}
    assert found[url("col/inner.txt")].findtext("D:getcontentlength", namespaces=NS) == "5"


def test_propfind_depth_1_is_one_level_only(client, tree):
    must_put(client, "col/sub/deeper.txt", b"x")
    assert url("col/sub/deeper.txt") not in responses(propfind(client, "col", "1"))


def test_propfind_collection_trailing_slash(client, tree):
    response = client.request("PROPFIND", f"{BOX_PATH}/col/", headers={**AUTH, "Depth": "0"})
    assert list(responses(response)) == [url("col")]


@pytest.mark.parametrize("depth", ["0", "1"])
def test_propfind_file(client, tree, depth):
    found = responses(propfind(client, "f.txt", depth))
    assert list(found) == [url("f.txt")]
    prop = found[url("f.txt")]
    assert resource_types(prop) == set()
    assert prop.findtext("D:getcontentlength", namespaces=NS) == "10"
    assert prop.findtext("D:getcontenttype", namespaces=NS).startswith("text/csv")


def test_propfind_file_length_follows_updates(client, tree):
    must_put(client, "f.txt", b"abc", "application/json")
    prop = only_prop(client, "f.txt")
    assert prop.findtext("D:getcontentlength", namespaces=NS) == "3"
    assert prop.findtext("D:getcontenttype", namespaces=NS) == "application/json"


def test_propfind_dates(client, tree):
    prop = only_prop(client, "f.txt")
    modified = prop.findtext("D:getlastmodified", namespaces=NS)
    assert modified and modified.endswith(" GMT"), modified
    parsedate_to_datetime(modified)  # RFC 1123
    created = prop.findtext("D:creationdate", namespaces=NS)
    assert created and re.match(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}", created), created


def test_propfind_lastmodified_follows_the_etag(client, tree):
    """Digest §2: ETag = ``"v-u"``, ``u`` = the updated time in ms = getlastmodified."""
    etag = must_put(client, "f.txt", b"new")
    _, updated_ms = strong_etag(etag)
    modified = parsedate_to_datetime(only_prop(client, "f.txt").findtext("D:getlastmodified", namespaces=NS))
    assert int(modified.timestamp()) == updated_ms // 1000


def test_propfind_etag_header_is_the_targets(client, tree):
    etag = must_put(client, "f.txt", b"again")
    response = propfind(client, "f.txt", "0")
    assert response.status_code == 207
    assert response.headers["etag"] == etag
    strong_etag(propfind(client, "col", "1").headers.get("etag"))
    strong_etag(propfind(client, "", "1").headers.get("etag"))


def test_propfind_etag_is_not_changed_by_children(client, tree):
    """Digest §2: child changes do not touch the parent's ETag."""
    before = propfind(client, "col", "0").headers["etag"]
    must_put(client, "col/new.txt", b"x")
    assert propfind(client, "col", "0").headers["etag"] == before


def test_propfind_shows_acl_to_master(client, tree):
    """Digest §3.3: ``xml:base`` = ``{cellUrl}__role/{box}/``."""
    acl = only_prop(client, "col").find("D:acl", NS)
    assert acl is not None
    assert acl.get("{http://www.w3.org/XML/1998/namespace}base") == f"{CELL_URL}__role/box1/"


def test_propfind_with_body_gives_the_same_answer(client, tree):
    """Digest §3.1: the body's content is ignored."""
    body = '<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>'
    with_body = responses(propfind(client, "col", "1", body=body))
    body = '<D:propfind xmlns:D="DAV:"><D:prop><D:getetag/></D:prop></D:propfind>'
    with_prop = responses(propfind(client, "col", "1", body=body))
    assert set(with_body) == set(with_prop) == {url("col"), url("col/sub"), url("col/inner.txt")}
    assert with_prop[url("col/inner.txt")].findtext("D:getcontentlength", namespaces=NS) == "5"


def test_propfind_without_depth_on_a_file_is_depth_0(client, tree):
    """Personium refuses a missing Depth (infinity, RFC 4918 §9.1) with 400; for a file every depth is 0,
    and clients such as webdav4 read a file's properties that way (issue: WebDAV for real clients)."""
    response = propfind(client, "f.txt", None)
    assert response.status_code == 207, response.text
    assert set(responses(response)) == {url("f.txt")}


def test_propfind_shows_etag_name_and_the_type_get_answers(client, tree):
    """RFC 4918 §15: getetag (the ETag header's value), displayname (the last segment), and a
    getcontenttype that agrees with GET for a file stored without a Content-Type."""
    etag = must_put(client, "col/bare", b"x", None)
    listed = responses(propfind(client, "col", "1"))
    bare = listed[url("col/bare")]
    assert bare.findtext("D:getetag", namespaces=NS) == etag
    assert bare.findtext("D:displayname", namespaces=NS) == "bare"
    assert bare.findtext("D:getcontenttype", namespaces=NS) == "application/octet-stream"
    assert get(client, "col/bare").headers["content-type"] == "application/octet-stream"
    assert listed[url("col/sub")].findtext("D:displayname", namespaces=NS) == "sub"
    assert listed[url("col")].findtext("D:getetag", namespaces=NS) == propfind(client, "col", "0").headers["etag"]


def test_propfind_creationdate_is_rfc_3339(client, tree):
    created = only_prop(client, "f.txt").findtext("D:creationdate", namespaces=NS)
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z", created), created
    assert abs(datetime.fromisoformat(created.replace("Z", "+00:00")) - datetime.now(UTC)).total_seconds() < 60


def test_propfind_without_depth_is_400(client, tree):
    body = assert_error(propfind(client, "col", None), 400, "PR400-DV-0003")
    assert body["message"]["value"] == "Invalid depth header value:[null]."


def test_propfind_box_root_without_depth_is_400(client, tree):
    """Notes §8.1: only the cell root defaults a missing Depth."""
    assert_error(propfind(client, "", None), 400, "PR400-DV-0003")


@pytest.mark.parametrize("depth", ["infinity", "Infinity"])
def test_propfind_infinity_is_403(client, tree, depth):
    assert_error(propfind(client, "col", depth), 403, "PR403-DV-0001")


@pytest.mark.parametrize("depth", ["2", "-1", "one"])
def test_propfind_bad_depth_is_400(client, tree, depth):
    body = assert_error(propfind(client, "col", depth), 400, "PR400-DV-0003")
    assert body["message"]["value"] == f"Invalid depth header value:[{depth}]."


@pytest.mark.parametrize("body", ["<D:propfind xmlns:D='DAV:'>", "not xml"])
def test_propfind_malformed_body_is_400(client, tree, body):
    assert_error(propfind(client, "col", "1", body=body), 400, "PR400-DV-0001")


def test_propfind_malformed_body_wins_over_bad_depth(client, tree):
    """Digest §3.1: Depth is validated after the body is parsed."""
    assert_error(propfind(client, "col", "infinity", body="<oops"), 400, "PR400-DV-0001")


def test_propfind_missing_resource_is_404(client, tree):
    body = assert_error(propfind(client, "nosuch", "0"), 404, "PR404-DV-0001")
    assert body["message"]["value"] == f"Resource not found. [{url('nosuch')}]."


def test_propfind_missing_box_is_404(client, tree):
    assert_error(propfind(client, "", "0", box="nobox"), 404, "PR404-DV-0002")


def test_propfind_anonymous_is_401(client, tree):
    assert_error(propfind(client, "col", "0", auth={}), 401, "PR401-AU-0001")


def test_propfind_main_box(client, box):
    assert client.request("MKCOL", "/c1/__/col", headers=AUTH).status_code == 201
    response = client.request("PROPFIND", "/c1/__", headers={**AUTH, "Depth": "1"})
    assert set(responses(response)) == {f"{CELL_URL}__", f"{CELL_URL}__/col"}


def test_propfind_hrefs_encode_what_a_uri_must(client, box):
    """Digest §3.2: the real server writes child hrefs as parent href + ``/`` + the raw name. Cellar
    percent-encodes each name as a URI path segment instead (RFC 3986; README), which WebDAV clients
    need (``100%.txt``, ``a#b.txt``) and which decodes to the same name; ``+`` is left as it is."""
    must_mkcol(client, "col")
    must_put(client, "col/日本語.txt", b"x")
    must_put(client, "col/a+b", b"x")
    found = responses(propfind(client, "col", "1"))
    assert set(found) == {url("col"), f"{BOX_URL}/col/%E6%97%A5%E6%9C%AC%E8%AA%9E.txt", f"{BOX_URL}/col/a+b"}


def test_propfind_src_collection(client, tree):
    found = responses(propfind(client, "svc/__src", "0"))
    assert list(found) == [url("svc/__src")]
    assert resource_types(found[url("svc/__src")]) == {COLLECTION}


def test_propfind_through_method_override(client, tree):
    """Notes §8.1: ``X-HTTP-Method-Override`` on a POST replaces the method before routing."""
    response = client.post(f"{BOX_PATH}/col", headers={**AUTH, "Depth": "0", "X-HTTP-Method-Override": "PROPFIND"})
    assert list(responses(response)) == [url("col")]


def test_propfind_status_line(client, tree):
    root = etree.fromstring(propfind(client, "f.txt", "0").content)
    assert root.findtext("D:response/D:propstat/D:status", namespaces=NS) == "HTTP/1.1 200 OK"


# --- PROPPATCH (pages 308/313; digest §4) ------------------------------------------------------------------

def test_proppatch_set_then_propfind(client, tree):
    response = proppatch(client, "f.txt", propertyupdate(set_xml="<p:myprop>hello</p:myprop>"))
    assert response.status_code == 207, response.text
    assert response.headers["content-type"].startswith("application/xml")
    strong_etag(response.headers.get("etag"))
    prop = only_prop(client, "f.txt")
    assert prop.findtext("p:myprop", namespaces=NS) == "hello"


def test_proppatch_response_body(client, tree):
    response = proppatch(client, "col", propertyupdate(set_xml="<p:myprop>hello</p:myprop>"))
    root = etree.fromstring(response.content)
    assert root.tag == "{DAV:}multistatus"
    items = root.findall("D:response", NS)
    assert len(items) == 1
    assert items[0].findtext("D:href", namespaces=NS) == url("col")
    ok = [ps for ps in items[0].findall("D:propstat", NS)
          if ps.findtext("D:status", namespaces=NS) == "HTTP/1.1 200 OK"]
    assert len(ok) == 1, response.text
    assert ok[0].find("D:prop/p:myprop", NS) is not None, response.text


def test_proppatch_keeps_structure_and_attributes(client, tree):
    xml = '<p:service language="JavaScript"><p:path name="x" src="x.js"/></p:service>'
    assert proppatch(client, "svc", propertyupdate(set_xml=xml)).status_code == 207
    prop = only_prop(client, "svc")
    service = prop.find("p:service", NS)
    assert service is not None, etree.tostring(prop)
    assert service.get("language") == "JavaScript"
    path_el = service.find("p:path", NS)
    assert path_el is not None and path_el.get("name") == "x" and path_el.get("src") == "x.js"


def test_proppatch_replaces_previous_value(client, tree):
    proppatch(client, "f.txt", propertyupdate(set_xml="<p:myprop>one</p:myprop>"))
    proppatch(client, "f.txt", propertyupdate(set_xml="<p:myprop>two</p:myprop>"))
    values = [e.text for e in only_prop(client, "f.txt").findall("p:myprop", NS)]
    assert values == ["two"]


def test_proppatch_same_name_other_namespace_is_another_property(client, tree):
    body = propertyupdate(set_xml='<p:myprop>p</p:myprop><x:myprop xmlns:x="urn:example">x</x:myprop>')
    assert proppatch(client, "f.txt", body).status_code == 207
    prop = only_prop(client, "f.txt")
    assert prop.findtext("p:myprop", namespaces=NS) == "p"
    assert prop.findtext("{urn:example}myprop") == "x"


def test_proppatch_remove(client, tree):
    proppatch(client, "f.txt", propertyupdate(set_xml="<p:myprop>hello</p:myprop><p:other>o</p:other>"))
    response = proppatch(client, "f.txt", propertyupdate(remove_xml="<p:myprop/>"))
    assert response.status_code == 207, response.text
    prop = only_prop(client, "f.txt")
    assert prop.find("p:myprop", NS) is None
    assert prop.findtext("p:other", namespaces=NS) == "o"


def test_proppatch_remove_absent_property_is_404_in_body(client, tree):
    """Digest §4: an absent key gives a 404 propstat for that property, no error."""
    response = proppatch(client, "f.txt", propertyupdate(remove_xml="<p:nothere/>"))
    assert response.status_code == 207, response.text
    root = etree.fromstring(response.content)
    missing = [ps for ps in root.findall("D:response/D:propstat", NS)
               if "404" in (ps.findtext("D:status", namespaces=NS) or "")]
    assert len(missing) == 1, response.text
    assert missing[0].find("D:prop/p:nothere", NS) is not None, response.text


def test_proppatch_version_rises(client, tree):
    etag = must_put(client, "g.txt", b"x")
    assert strong_etag(etag)[0] == 1
    first = proppatch(client, "g.txt", propertyupdate(set_xml="<p:a>1</p:a>"))
    assert strong_etag(first.headers["etag"])[0] == 2
    second = proppatch(client, "g.txt", propertyupdate(remove_xml="<p:a/>"))
    assert strong_etag(second.headers["etag"])[0] == 3
    assert strong_etag(second.headers["etag"])[1] >= strong_etag(first.headers["etag"])[1]
    got = get(client, "g.txt")
    assert got.headers["etag"] == second.headers["etag"]
    assert got.content == b"x"
    assert propfind(client, "g.txt", "0").headers["etag"] == second.headers["etag"]


def test_proppatch_always_saves(client, tree):
    """Digest §4: even a remove of nothing saves (version +1)."""
    before = strong_etag(propfind(client, "col", "0").headers["etag"])[0]
    response = proppatch(client, "col", propertyupdate(remove_xml="<p:nothere/>"))
    assert strong_etag(response.headers["etag"])[0] == before + 1


def test_proppatch_box_root(client, tree):
    response = proppatch(client, "", propertyupdate(set_xml="<p:boxprop>b</p:boxprop>"))
    assert response.status_code == 207, response.text
    strong_etag(response.headers.get("etag"))
    assert only_prop(client, "").findtext("p:boxprop", namespaces=NS) == "b"


def test_proppatch_collection_props_survive_a_move(client, tree):
    proppatch(client, "col", propertyupdate(set_xml="<p:myprop>kept</p:myprop>"))
    response = client.request("MOVE", f"{BOX_PATH}/col", headers={**AUTH, "Destination": url("col2")})
    assert response.status_code == 201, response.text
    assert only_prop(client, "col2").findtext("p:myprop", namespaces=NS) == "kept"


@pytest.mark.parametrize("body", ["", "<D:propertyupdate xmlns:D='DAV:'>", "plain text"],
                         ids=["empty", "truncated", "text"])
def test_proppatch_malformed_body_is_400(client, tree, body):
    assert_error(proppatch(client, "f.txt", body), 400, "PR400-DV-0001")


def test_proppatch_set_without_prop_is_400(client, tree):
    body = '<D:propertyupdate xmlns:D="DAV:"><D:set/></D:propertyupdate>'
    assert_error(proppatch(client, "f.txt", body), 400, "PR400-DV-0002")


def test_proppatch_missing_resource_is_404(client, tree):
    response = proppatch(client, "nosuch", propertyupdate(set_xml="<p:a>1</p:a>"))
    body = assert_error(response, 404, "PR404-DV-0001")
    assert body["message"]["value"] == f"Resource not found. [{url('nosuch')}]."


def test_proppatch_anonymous_is_401(client, tree):
    response = proppatch(client, "f.txt", propertyupdate(set_xml="<p:a>1</p:a>"), auth={})
    assert_error(response, 401, "PR401-AU-0001")


# --- OPTIONS (digest §8; notes §8.2) -----------------------------------------------------------------------

def expected_allow(*methods: str) -> str:
    return ", ".join(("OPTIONS", *methods))


@pytest.mark.parametrize(("rel", "methods"), [
    ("", ("GET", "PUT", "DELETE", "MKCOL", "PROPFIND", "PROPPATCH", "ACL")),
    ("col", ("GET", "PUT", "DELETE", "MKCOL", "MOVE", "COPY", "PROPFIND", "PROPPATCH", "ACL")),
    ("f.txt", ("GET", "PUT", "DELETE", "MOVE", "COPY", "PROPFIND", "PROPPATCH", "ACL")),
    ("od", ("GET", "DELETE", "MOVE", "PROPFIND", "PROPPATCH", "ACL")),
    ("svc", ("DELETE", "MOVE", "PROPFIND", "PROPPATCH", "ACL")),
    ("nosuch", ("GET", "PUT", "DELETE", "MKCOL", "PROPFIND", "PROPPATCH", "ACL")),
], ids=["box-root", "collection", "file", "odata", "service", "null"])
def test_options_with_authorization(client, tree, rel, methods):
    response = options(client, rel)
    assert response.status_code == 200, response.text
    assert response.headers["allow"] == expected_allow(*methods)
    assert response.headers["access-control-allow-methods"] == response.headers["allow"]
    assert response.headers["dav"] == "1"  # RFC 4918 §10.1: litmus and mounters look for it
    assert response.content == b""


def test_options_without_authorization_lists_everything(client, tree):
    response = client.options(f"{BOX_PATH}/f.txt")
    assert response.status_code == 200
    assert response.headers["allow"] == ALL_METHODS
    assert response.headers["dav"] == "1"


def test_options_without_authorization_on_missing_box(client, tree):
    response = client.options("/c1/nobox/x")
    assert response.status_code == 200
    assert allow_set(response) == ALL_METHODS.split(", ")


def test_options_missing_box_is_404(client, tree):
    assert_error(options(client, "x", box="nobox"), 404, "PR404-DV-0002")


def test_options_anonymous_with_authorization_header_invalid_is_401(client, tree):
    response = options(client, "f.txt", auth={"Authorization": "Bearer nonsense"})
    assert response.status_code == 401, response.text


def test_options_without_read_is_403(client, tree):
    make_account(client, "c1", "me")
    token = login(client, "c1", "me")["access_token"]
    assert_error(options(client, "f.txt", auth={"Authorization": f"Bearer {token}"}), 403, "PR403-AU-0002")


# --- box root GET (page 303; digest §5) --------------------------------------------------------------------

def test_box_root_get(client, box):
    response = get(client, "", headers={"Accept": "application/json"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert "etag" not in response.headers
    body = response.json()
    assert set(body) == {"box", "cell", "unit"}, body
    meta = body["box"]
    assert meta["status"] == "ready"
    assert meta["name"] == "box1"
    # Page 303 writes the box url with a trailing slash (digest §5: follow the doc form here).
    assert meta["url"] == f"{BOX_URL}/"
    assert meta["schema"] is None
    assert re.match(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$", meta["installed_at"]), meta
    assert "progress" not in meta and "started_at" not in meta
    assert body["cell"] == {"name": "c1", "url": CELL_URL}
    assert body["unit"] == {"url": UNIT, "path_based_cellurl_enabled": True}


def test_box_root_get_with_schema(client):
    make_cell(client, "c1")
    make_box(client, "c1", "box1", "https://app.example/")
    body = get(client, "").json()
    assert body["box"]["schema"] == "https://app.example/"
    assert body["box"]["status"] == "ready"


def test_box_root_get_installed_at_is_the_box_published(client, box):
    item = client.get("/c1/__ctl/Box('box1')", headers=MASTER_AUTH).json()["d"]["results"]
    published_ms = int(re.match(r"^/Date\((\d+)\)/$", item["__published"]).group(1))
    installed_at = get(client, "").json()["box"]["installed_at"]
    parsed = datetime.strptime(installed_at, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    assert int(parsed.timestamp() * 1000) == published_ms


def test_box_root_get_anonymous_is_401(client, box):
    assert_error(client.get(BOX_PATH, headers={"Accept": "application/json"}), 401, "PR401-AU-0001")


def test_main_box_root_get(client, box):
    response = client.get("/c1/__", headers=AUTH)
    assert response.status_code == 200, response.text
    meta = response.json()["box"]
    assert meta["name"] == "__"
    assert meta["schema"] is None


# --- GET {cell}__box (page 304; digest §10; notes §4.4) ----------------------------------------------------

APP = f"{UNIT}app/"


@pytest.fixture
def app_box(client):
    """Cell ``c1`` with ``box1`` (Schema = the app cell ``app``) and ``other`` (no schema); account ``me``
    in ``c1``; the app cell ``app`` with its account ``appuser``."""
    make_cell(client, "c1")
    make_box(client, "c1", "box1", APP)
    make_box(client, "c1", "other")
    make_account(client, "c1", "me")
    make_cell(client, "app")
    make_account(client, "app", "appuser")
    return client


def schema_token(client) -> str:
    """A ``c1`` token of ``me`` authenticated with the app as client (apiref/293): its schema is APP."""
    secret = login(client, "app", "appuser", p_target=CELL_URL)["access_token"]
    return login(client, "c1", "me", client_id=APP, client_secret=secret)["access_token"]


def assert_box_found(response) -> None:
    assert response.status_code == 200, response.text
    # The real server answers Box.getUrl(), the cell URL + name + "/" (personium-core model/Box.java);
    # apiref/304's sample has no trailing slash: the server wins (apps append "index/" to it).
    assert response.headers["location"] == f"{BOX_URL}/"
    # Digest §10: the code sends {"Url": boxUrl} although page 304 says "no body" — the code wins.
    assert response.json() == {"Url": f"{BOX_URL}/"}


def test_box_url_with_schema_token(client, app_box):
    response = client.get("/c1/__box", headers={"Authorization": f"Bearer {schema_token(client)}"})
    assert_box_found(response)


def test_box_url_with_schema_query_and_master_token(client, app_box):
    response = client.get("/c1/__box", params={"schema": APP}, headers=AUTH)
    assert_box_found(response)


def test_box_url_with_schema_query_and_schema_token(client, app_box):
    response = client.get("/c1/__box", params={"schema": APP},
                          headers={"Authorization": f"Bearer {schema_token(client)}"})
    assert_box_found(response)


def test_box_url_without_schema_in_the_token_is_403(client, app_box):
    token = login(client, "c1", "me")["access_token"]
    assert_error(client.get("/c1/__box", headers={"Authorization": f"Bearer {token}"}), 403, "PR403-AU-0002")


def test_box_url_with_unknown_schema_is_403(client, app_box):
    response = client.get("/c1/__box", params={"schema": "https://unknown.example/"}, headers=AUTH)
    assert_error(response, 403, "PR403-AU-0002")


def test_box_url_master_without_schema_is_403(client, app_box):
    assert_error(client.get("/c1/__box", headers=AUTH), 403, "PR403-AU-0002")


def test_box_url_schema_query_without_read_is_403(client, app_box):
    """The schema query finds the box, but a token without that schema needs ``read`` on it."""
    token = login(client, "c1", "me")["access_token"]
    response = client.get("/c1/__box", params={"schema": APP}, headers={"Authorization": f"Bearer {token}"})
    assert_error(response, 403, "PR403-AU-0002")


def test_box_url_invalid_token_is_401(client, app_box):
    response = client.get("/c1/__box", params={"schema": APP}, headers={"Authorization": "Bearer nonsense"})
    assert response.status_code == 401, response.text
    assert response.json()["code"].startswith("PR401-AU-"), response.text


def test_box_url_missing_cell_is_404(client, app_box):
    assert_error(client.get("/nocell/__box", params={"schema": APP}, headers=AUTH), 404, "PR404-DV-0003")


def test_box_url_with_schema_token_ignores_the_acl(client, app_box):
    """Notes §4.4: ``read`` on the box is skipped when the token's schema equals the box Schema — the
    same token may not read the box itself."""
    token = {"Authorization": f"Bearer {schema_token(client)}"}
    assert_error(client.get(BOX_PATH, headers=token), 403, "PR403-AU-0002")
    assert client.get("/c1/__box", headers=token).status_code == 200


def test_put_and_propfind_agree_on_etag(client, box):
    response = put_file(client, "x.txt", b"x")
    assert propfind(client, "x.txt").headers["etag"] == response.headers["etag"]


# --- hrefs are URIs (RFC 3986; issue: WebDAV for real clients) ------------------------------------------------

ODD_NAMES = {"100%.txt": "100%25.txt", "a#b.txt": "a%23b.txt", "日本.txt": "%E6%97%A5%E6%9C%AC.txt",
             "x[1]&y=2@z.txt": "x%5B1%5D&y=2@z.txt"}


def test_hrefs_are_percent_encoded_and_lead_back_to_the_resource(client, tree):
    """Personium writes names raw into hrefs; then rclone cannot list ``100%.txt`` and ``a#b.txt`` reads
    as ``a``. Each name is a percent-encoded path segment (sub-delims, ``:`` and ``@`` stay)."""
    must_mkcol(client, "odd")
    for name, encoded in ODD_NAMES.items():
        assert client.put(f"{BOX_PATH}/odd/{encoded}", content=name.encode(), headers=AUTH).status_code == 201
    hrefs = set(responses(propfind(client, "odd", "1")))
    assert hrefs == {url("odd")} | {f"{url('odd')}/{encoded}" for encoded in ODD_NAMES.values()}
    for name, encoded in ODD_NAMES.items():
        assert client.get(f"{BOX_PATH}/odd/{encoded}", headers=AUTH).content == name.encode()
    assert set(responses(propfind(client, f"odd/{ODD_NAMES['日本.txt']}", "0"))) == {
        f"{url('odd')}/%E6%97%A5%E6%9C%AC.txt"}


def test_move_to_a_name_outside_ascii_answers_an_encoded_location(client, tree):
    response = client.request("MOVE", f"{BOX_PATH}/f.txt",
                              headers={**AUTH, "Destination": url("%E6%97%A5.txt")})
    assert response.status_code == 201, response.text
    assert response.headers["location"] == url("%E6%97%A5.txt")
    assert client.get(f"{BOX_PATH}/%E6%97%A5.txt", headers=AUTH).content == b"0123456789"


def test_proppatch_answers_the_encoded_href(client, tree):
    assert client.put(f"{BOX_PATH}/a%23b.txt", content=b"x", headers=AUTH).status_code == 201
    body = propertyupdate(set_xml='<x:note xmlns:x="urn:x">n</x:note>')
    assert set(responses(proppatch(client, "a%23b.txt", body))) == {url("a%23b.txt")}


def test_propfind_is_indented_as_the_real_server_writes_it(client, tree):
    """apiref 305/307: two spaces a level. Personium's Unit Manager reads a collection's type as
    ``resourcetype.childNodes[1]`` in a DOM that keeps whitespace, which only indentation puts there."""
    from xml.dom import minidom

    from cellar.dav import xml as davxml

    raw = propfind(client, "col", "1").content
    compact = etree.fromstring(raw, etree.XMLParser(remove_blank_text=True))
    assert davxml.document(compact) == raw  # fragments joined = the whole document indented at once
    assert b"\n  <response>\n    <href>" in raw
    kinds = []
    for resourcetype in minidom.parseString(raw).getElementsByTagNameNS("DAV:", "resourcetype"):
        if resourcetype.childNodes:
            kinds.append(resourcetype.childNodes[1].localName)
    assert kinds == ["collection", "collection"]  # col and col/sub; inner.txt has an empty resourcetype


def test_a_property_in_no_namespace_is_kept_and_listed_as_such(client, tree):
    """RFC 4918 §4.3 allows it (litmus ``propnullns``); it must come back with ``xmlns=""``, or a client
    would read it as a DAV: property under the multistatus's default namespace."""
    body = ('<propertyupdate xmlns="DAV:"><set><prop><plain xmlns="">value<inner>x</inner></plain></prop></set>'
            '</propertyupdate>')
    answer = proppatch(client, "f.txt", body)
    assert answer.status_code == 207, answer.text
    assert [e.tag for e in responses(answer)[url("f.txt")]] == ["plain"]
    listed = propfind(client, "f.txt", "0").content
    assert b'<plain xmlns="">value<inner>x</inner></plain>' in listed
    plain = responses(propfind(client, "f.txt", "0"))[url("f.txt")].find("plain")
    assert plain is not None and plain.text == "value" and plain.find("inner").text == "x"
    removed = proppatch(client, "f.txt", '<propertyupdate xmlns="DAV:"><remove><prop><plain xmlns=""/></prop>'
                                         '</remove></propertyupdate>')
    assert removed.status_code == 207
    assert responses(propfind(client, "f.txt", "0"))[url("f.txt")].find("plain") is None
