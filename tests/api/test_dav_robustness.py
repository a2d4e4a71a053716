"""Hostile or malformed input on box resources never reaches a 500 or a stack trace (brief: security;
apiref/004): NUL bytes, dot segments, oversized names and headers, broken XML, absurd ranges — on
both databases, where PostgreSQL refuses NUL in text and bounds integers."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api._dav_support import AUTH, BOX_URL, new_box

PATHS = ["/c1/box1/a%00b", "/c1/bo%00x/a", "/c1/box1/%00", "/c1/box1/..", "/c1/box1/.", "/c1/box1/a/../b",
         "/c1/box1/" + "n" * 1000, "/c1/box1/%FF%FE", "/c1/box1/a%2Fb", "/c1/box1//", "/c1/box1/a//b",
         "/c1/__/" + "é" * 300, "/c1/box1/" + "/".join(["d"] * 80)]
METHODS = ["GET", "HEAD", "PUT", "MKCOL", "DELETE", "PROPFIND", "PROPPATCH", "ACL", "MOVE", "OPTIONS", "POST"]
HEADERS: list[dict[str, str]] = [
    {"Range": "bytes=99999999999999999999999-"}, {"Range": "bytes=-99999999999999999999999"},
    {"Range": "bytes=5-2"}, {"Range": "bytes=a-b"}, {"If-Match": '"99999999999999999999999-1"'},
    {"If-None-Match": "W/" + '"' * 100}, {"Depth": "\x01"}, {"Overwrite": "maybe"},
    {"Destination": "http://["}, {"Destination": "::::"}, {"Destination": f"{BOX_URL}/x%00y"},
    {"Destination": f"{BOX_URL}/" + "m" * 2000}, {"Destination": f"{BOX_URL}/.."},
    {"X-Personium-Recursive": "\x7f"}, {"Authorization": "Basic " + "A" * 3000}, {"Authorization": "Basic ~~~~"},
]
BODIES = [b"", b"<", b"\x00\xff", b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>',
          b'<D:acl xmlns:D="DAV:"><D:ace><D:principal><D:href>' + b"%00" * 50 + b"</D:href></D:principal>"
          b"<D:grant><D:privilege><D:read/></D:privilege></D:grant></D:ace></D:acl>"]


def _no_crash(response: Any) -> None:
    assert response.status_code < 500 or response.status_code in (501, 503), response.text
    json_error = response.headers.get("content-type", "").startswith("application/json")
    if response.status_code >= 400 and json_error and response.request.method != "HEAD":
        assert response.json()["code"].startswith("PR")


@pytest.mark.parametrize("path", PATHS)
def test_odd_paths_never_crash(client, path):
    new_box(client)
    for method in METHODS:
        _no_crash(client.request(method, path, headers={**AUTH, "Depth": "0", "Destination": f"{BOX_URL}/z"},
                                 content=b"x"))


@pytest.mark.parametrize("headers", HEADERS)
def test_odd_headers_never_crash(client, headers):
    new_box(client)
    assert client.put("/c1/box1/f.txt", content=b"0123456789", headers=AUTH).status_code == 201
    assert client.request("MKCOL", "/c1/box1/col", headers=AUTH).status_code == 201
    for method in METHODS:
        for target in ("/c1/box1/f.txt", "/c1/box1/col", "/c1/box1"):
            _no_crash(client.request(method, target, headers={**AUTH, **headers}))


@pytest.mark.parametrize("body", BODIES)
def test_odd_bodies_never_crash(client, body):
    new_box(client)
    assert client.request("MKCOL", "/c1/box1/col", headers=AUTH).status_code == 201
    for method in ("MKCOL", "PROPFIND", "PROPPATCH", "ACL", "PUT"):
        for target in ("/c1/box1/col", "/c1/box1/new", "/c1/box1"):
            _no_crash(client.request(method, target, headers={**AUTH, "Depth": "1"}, content=body))
