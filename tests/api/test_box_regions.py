"""A box request is resolved once, then served by the kind of collection its path falls in
(``cellar.dav.regions``): plain WebDAV (the box root, plain collections, a service's ``__src``, and a
special collection itself for the WebDAV methods), or an OData, service or stream collection.

Inside an OData collection the user OData service answers (``tests/api/test_user_odata.py``). The script
engine and streams arrive with their own issues: inside those collections a caller gets 501
``PR501-MC-0002`` naming the kind, and only once authorized (nothing leaks)."""

from __future__ import annotations

import pytest

from cellar.dav.regions import WEBDAV, region_of
from cellar.dav.tree import Box, Kind, Located, Node
from tests.api._dav_support import (
    BOX_URL,
    get,
    must_mkcol,
    must_put,
    new_box,
    options,
    path,
    propfind,
    put_file,
    with_auth,
)
from tests.helpers import assert_error


@pytest.fixture
def box(client):
    new_box(client)
    for name, kind in (("od", "odata"), ("svc", "service"), ("st", "stream"), ("col", None)):
        must_mkcol(client, name, kind)


@pytest.mark.parametrize(("rel", "kind"), [("svc/hello", "col.svc"), ("st/queue", "col.stream")])
def test_inside_a_special_collection_is_its_kind(client, box, rel, kind):
    for method in ("GET", "POST", "PUT", "DELETE"):
        response = client.request(method, path(rel), content=b"{}", headers=with_auth())
        body = assert_error(response, 501, "PR501-MC-0002")
        assert kind in body["message"]["value"], (method, body)


@pytest.mark.parametrize("rel", ["od/Entity", "svc/hello", "st/queue"])
def test_inside_a_special_collection_authorization_comes_first(client, box, rel):
    assert_error(get(client, rel, auth={}), 401, "PR401-AU-0001")


def test_inside_an_odata_collection_is_user_odata(client, box):
    assert_error(get(client, "od/Entity"), 404, "PR404-OD-0001")  # no such entity set (yet)
    assert get(client, "od/$metadata").headers["content-type"] == "application/xml;charset=utf-8"


def test_an_odata_collection_itself_answers_get_as_odata(client, box):
    """Its URL's GET is the service document (user OData); WebDAV methods stay WebDAV's."""
    assert get(client, "od").headers["content-type"] == "application/atomsvc+xml;charset=utf-8"
    assert propfind(client, "od").status_code == 207
    assert options(client, "od").headers["allow"] == "OPTIONS, GET, DELETE, MOVE, PROPFIND, PROPPATCH, ACL"


def test_service_and_stream_collections_themselves_refuse_get(client, box):
    for rel in ("svc", "st"):
        assert_error(get(client, rel), 405, "PR405-MC-0001")
        assert propfind(client, rel).status_code == 207


def test_a_services_src_is_plain_webdav(client, box):
    must_put(client, "svc/__src/hello.js", b"function(){}", "text/javascript")
    response = get(client, "svc/__src/hello.js")
    assert response.status_code == 200 and response.content == b"function(){}"
    assert propfind(client, "svc/__src", depth="1").status_code == 207


def test_put_of_a_large_body_inside_odata_is_judged_before_it_is_read(client, box):
    """A body beyond one chunk is received only once the caller may write there."""
    response = put_file(client, "od/Entity", b"x" * (2 * 1024 * 1024), "application/json", auth={})
    assert_error(response, 401, "PR401-AU-0001")
    response = put_file(client, "od/Entity", b"x" * (2 * 1024 * 1024), "application/json")
    assert_error(response, 404, "PR404-OD-0001")  # received, read back, and the path has no such entity set


def test_plain_collections_stay_webdav(client, box):
    must_put(client, "col/a.txt")
    assert get(client, "col").text == f"URL : {BOX_URL}/col\n"


def _node(name: str, kind: Kind, parent: str = "root") -> Node:
    return Node(name, "b", parent, name, kind, 0, 0, 1)


BOX_ROOT = _node("", Kind.BOX, "")
SERVICE = _node("svc", Kind.SERVICE)
SOURCE = _node("__src", Kind.SOURCE, "svc")


def _located(chain: tuple[Node, ...], missing: tuple[str, ...] = ()) -> Located:
    return Located(Box("b", "c", "box", None, 0, 0), (BOX_ROOT, *chain), missing)


def test_region_of_decides_by_the_outermost_special_collection():
    odata = _node("od", Kind.ODATA)
    assert region_of(_located((odata,), ("E",)), "GET").kind is Kind.ODATA
    assert region_of(_located((odata,), ("E",)), "PROPFIND").below == ("E",)
    assert region_of(_located((odata,)), "GET").collection == odata
    assert region_of(_located((odata,)), "PROPFIND") == WEBDAV
    assert region_of(_located((SERVICE, SOURCE), ("a.js",)), "PUT") == WEBDAV
    assert region_of(_located((SERVICE,), ("a",)), "GET").below == ("a",)
    assert region_of(_located((SERVICE,)), "GET") == WEBDAV
    assert region_of(_located((), ("x", "y")), "PUT") == WEBDAV


def test_a_box_renamed_or_deleted_through_ctl_is_seen_at_once(client, box):
    """Boxes are cached under the cell's authorization version, which every ``__ctl`` write raises."""
    must_put(client, "col/a.txt")
    assert get(client, "col/a.txt").status_code == 200
    renamed = client.request("MERGE", "/c1/__ctl/Box('box1')", json={"Name": "box2"}, headers=with_auth())
    assert renamed.status_code == 204, renamed.text
    assert_error(get(client, "col/a.txt"), 404, "PR404-DV-0002")
    assert get(client, "col/a.txt", box="box2").status_code == 200
    recreated = client.post("/c1/__ctl/Box", json={"Name": "box1"}, headers=with_auth())
    assert recreated.status_code == 201, recreated.text
    assert_error(get(client, "col/a.txt"), 404, "PR404-DV-0001")
