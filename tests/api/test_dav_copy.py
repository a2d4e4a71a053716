"""COPY of box resources (RFC 4918 §9.8; the issue "WebDAV for real clients": rclone copyto, webdav4 cp/mv
and litmus copymove need it; Personium has no COPY). Destination, Overwrite and If-Match follow MOVE
(apiref/309, Overwrite ``F`` by default); Depth ``infinity`` (default) or ``0``; the copy is a new resource
with its own ETag, the source's body and dead properties, and no ACL; one transaction, one event."""

from __future__ import annotations

import time

import pytest

from tests.api._dav_support import (
    AUTH,
    BOX_PATH,
    NS,
    get,
    must_mkcol,
    must_put,
    new_box,
    only_prop,
    propertyupdate,
    propfind,
    proppatch,
    responses,
    url,
    with_auth,
)
from tests.helpers import assert_error


@pytest.fixture
def box(client):
    new_box(client)
    must_mkcol(client, "col")
    must_mkcol(client, "col/sub")
    must_put(client, "col/a.txt", b"alpha")
    must_put(client, "col/sub/b.txt", b"beta", "text/csv")


def copy(client, rel, destination, **headers):
    extra = {**({"Destination": destination} if destination is not None else {}), **headers}
    return client.request("COPY", f"{BOX_PATH}/{rel}", headers=with_auth(extra))


def test_copy_of_a_file_is_a_new_file_with_the_same_body(client, box):
    source_etag = propfind(client, "col/a.txt", "0").headers["etag"]
    response = copy(client, "col/a.txt", url("a-copy.txt"))
    assert response.status_code == 201, response.text
    assert response.headers["location"] == url("a-copy.txt")
    assert response.headers["etag"] != source_etag
    assert get(client, "a-copy.txt").content == b"alpha"
    must_put(client, "a-copy.txt", b"changed")
    assert get(client, "col/a.txt").content == b"alpha"


def test_copy_keeps_dead_properties_not_the_acl(client, box):
    note = '<x:note xmlns:x="urn:x">kept</x:note>'
    assert proppatch(client, "col/a.txt", propertyupdate(set_xml=note)).status_code == 207
    acl = ('<D:acl xmlns:D="DAV:" xml:base="http://localhost:8080/c1/__role/__/"><D:ace><D:principal><D:all/>'
           '</D:principal><D:grant><D:privilege><D:read/></D:privilege></D:grant></D:ace></D:acl>')
    assert client.request("ACL", f"{BOX_PATH}/col/a.txt", content=acl, headers=AUTH).status_code == 200
    assert copy(client, "col/a.txt", url("b.txt")).status_code == 201
    prop = only_prop(client, "b.txt")
    assert prop.findtext("{urn:x}note") == "kept"
    assert prop.find("D:acl", NS) is not None and len(prop.find("D:acl", NS)) == 0


def test_copy_of_a_collection_copies_its_members(client, box):
    response = copy(client, "col", url("twin"))
    assert response.status_code == 201, response.text
    assert set(responses(propfind(client, "twin", "1"))) == {url("twin"), url("twin/sub"), url("twin/a.txt")}
    copied = get(client, "twin/sub/b.txt")
    assert copied.content == b"beta" and copied.headers["content-type"] == "text/csv"


def test_copy_with_depth_0_copies_the_collection_alone(client, box):
    assert copy(client, "col", url("shell"), Depth="0").status_code == 201
    assert set(responses(propfind(client, "shell", "1"))) == {url("shell")}


def test_overwrite_rules_follow_move(client, box):
    must_put(client, "there.txt", b"old")
    assert_error(copy(client, "col/a.txt", url("there.txt")), 412, "PR412-DV-0002")
    response = copy(client, "col/a.txt", url("there.txt"), Overwrite="T")
    assert response.status_code == 204, response.text
    assert get(client, "there.txt").content == b"alpha"
    must_mkcol(client, "dir")
    assert_error(copy(client, "col/a.txt", url("dir"), Overwrite="T"), 400, "PR400-DV-0012")


@pytest.mark.parametrize(("destination", "headers", "status", "code"), [
    (None, {}, 400, "PR400-DV-0010"),
    ("http://localhost:8080/c1/other/a.txt", {}, 400, "PR400-DV-0009"),
    ("SELF", {}, 403, "PR403-DV-0005"),
    ("a2.txt", {"Depth": "1"}, 400, "PR400-DV-0003"),
    ("a2.txt", {"Overwrite": "maybe"}, 400, "PR400-DV-0009"),
    ("a2.txt", {"If-Match": '"1-1"'}, 412, "PR412-DV-0001"),
    ("nowhere/a2.txt", {}, 409, "PR409-DV-0001"),
    ("od/a2.txt", {}, 400, "PR400-DV-0013"),
])
def test_bad_copies_are_refused_as_moves_are(client, box, destination, headers, status, code):
    must_mkcol(client, "od", "odata")
    target = url("col/a.txt") if destination == "SELF" else destination
    if target is not None and not target.startswith("http"):
        target = url(target)
    assert_error(copy(client, "col/a.txt", target, **headers), status, code)
    assert get(client, "a2.txt").status_code == 404


def test_what_cannot_be_copied(client, box):
    must_mkcol(client, "od", "odata")
    must_mkcol(client, "col/svc", "service")
    assert_error(copy(client, "od", url("od2")), 501, "PR501-MC-0002")
    assert_error(copy(client, "col", url("col2")), 501, "PR501-MC-0002")  # it holds a service collection
    assert copy(client, "col", url("col3"), Depth="0").status_code == 201  # without its members it may
    assert_error(copy(client, "col/svc/__src", url("src2")), 400, "PR400-DV-0011")
    assert_error(copy(client, "", url("x")), 400, "PR400-DV-0015")
    assert_error(copy(client, "col/nothing.txt", url("x")), 404, "PR404-DV-0001")


def test_copy_emits_the_creation_of_the_copy(client, box):
    bus = client.app.state.services.storage.bus
    wanted, seen = (url("e.txt"), url("e-dir")), []
    bus.subscribe(seen.append)
    try:
        assert copy(client, "col/a.txt", url("e.txt")).status_code == 201
        assert copy(client, "col/sub", url("e-dir")).status_code == 201
        deadline = time.monotonic() + 10  # the dispatcher delivers on its own thread
        while len([e for e in seen if e.object in wanted]) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        bus.unsubscribe(seen.append)
    assert [(e.type, e.object) for e in seen if e.object in wanted] == [
        ("davfile.create", url("e.txt")), ("webdavcol.mkcol", url("e-dir"))]
