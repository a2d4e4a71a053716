"""Two real units over real HTTP: a trans-cell login from a cell of unit 1 to a cell of unit 2 —
apiref/293 (saml2-bearer), notes §3.1 (TCAT verification: the signer's CA must be a trusted root),
§3.3, §4.6 (ExtCell role mapping), §3.6 (introspection).

Each unit makes its own CA at first start and publishes it as ``DATA_DIR/unit-ca.pem``; the units are
then restarted, each trusting the other's CA through ``CELLAR_TRUSTED_CA_FILES``. Nothing is decoded
in-process: every check goes through the HTTP API.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.live
CELLAR = [sys.executable, "-m", "cellar"]
SAML2 = "urn:ietf:params:oauth:grant-type:saml2-bearer"
PASSWORD = "pass-word_1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
    if process.stdout:
        process.stdout.close()


@contextmanager
def unit(data_dir: Path, port: int, master: str, **env: str) -> Iterator[str]:
    """A running ``cellar serve`` at http://127.0.0.1:{port}/; always stopped on the way out."""
    base = f"http://127.0.0.1:{port}/"
    environ = {**os.environ, "CELLAR_PORT": str(port), "CELLAR_DATA_DIR": str(data_dir),
               "CELLAR_UNIT_URL": base, "CELLAR_MASTER_TOKEN": master, **env}
    if "CELLAR_TRUSTED_CA_FILES" not in env:
        environ.pop("CELLAR_TRUSTED_CA_FILES", None)
    process = subprocess.Popen([*CELLAR, "serve"], env=environ, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                output = process.stdout.read() if process.stdout else ""
                raise AssertionError(f"cellar exited early: {output}")
            try:
                httpx.get(base, timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise AssertionError("cellar did not come up") from None
                time.sleep(0.1)
        yield base
    finally:
        _stop(process)


def master(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Accept": "application/json"}


def created(response: httpx.Response) -> None:
    assert response.status_code in (201, 204), (response.status_code, response.text)


def saml_exchange(cell_url: str, assertion: str) -> httpx.Response:
    return httpx.post(f"{cell_url}__token", data={"grant_type": SAML2, "assertion": assertion}, timeout=30)


@pytest.fixture
def units(tmp_path: Path) -> dict[str, object]:
    """Two data directories whose units have each made their CA once."""
    dirs = {"1": tmp_path / "unit1", "2": tmp_path / "unit2"}
    ports = {"1": free_port(), "2": free_port()}
    while ports["2"] == ports["1"]:
        ports["2"] = free_port()
    for name in ("1", "2"):
        with unit(dirs[name], ports[name], f"master-{name}"):
            pass
        assert (dirs[name] / "unit-ca.pem").read_text().startswith("-----BEGIN CERTIFICATE-----")
    assert (dirs["1"] / "unit-ca.pem").read_text() != (dirs["2"] / "unit-ca.pem").read_text()
    return {"dirs": dirs, "ports": ports}


def test_trans_cell_login_from_one_unit_to_another(units):
    dirs, ports = units["dirs"], units["ports"]
    trust_2 = {"CELLAR_TRUSTED_CA_FILES": str(dirs["2"] / "unit-ca.pem")}
    trust_1 = {"CELLAR_TRUSTED_CA_FILES": str(dirs["1"] / "unit-ca.pem")}
    with unit(dirs["1"], ports["1"], "master-1", **trust_2) as base1, \
            unit(dirs["2"], ports["2"], "master-2", **trust_1) as base2:
        cell_a, cell_b = f"{base1}a/", f"{base2}b/"
        m1, m2 = master("master-1"), master("master-2")
        # unit 1: cell A with an account; unit 2: cell B knows A as an ExtCell linked to the role "friend".
        created(httpx.post(f"{base1}__ctl/Cell", json={"Name": "a"}, headers=m1))
        created(httpx.post(f"{cell_a}__ctl/Account", json={"Name": "me"},
                           headers={**m1, "X-Personium-Credential": PASSWORD}))
        created(httpx.post(f"{base2}__ctl/Cell", json={"Name": "b"}, headers=m2))
        created(httpx.post(f"{cell_b}__ctl/Role", json={"Name": "friend"}, headers=m2))
        created(httpx.post(f"{cell_b}__ctl/ExtCell", json={"Url": cell_a}, headers=m2))
        extcell = "ExtCell('" + cell_a.replace(":", "%3A").replace("/", "%2F") + "')"
        created(httpx.post(f"{cell_b}__ctl/{extcell}/$links/_Role",
                           json={"uri": f"{cell_b}__ctl/Role(Name='friend',_Box.Name=null)"}, headers=m2))

        # log in to A for B: a trans-cell token, addressed to B's token endpoint.
        login = httpx.post(f"{cell_a}__token", data={"grant_type": "password", "username": "me",
                                                      "password": PASSWORD, "p_target": cell_b}, timeout=30)
        assert login.status_code == 200, login.text
        assert login.json()["p_target"] == cell_b
        assert login.headers["location"] == f"{cell_b}__token"
        assertion = login.json()["access_token"]
        assert not assertion.startswith(("AR~", "AV~"))

        # exchange it at B: a visitor token of B.
        exchange = saml_exchange(cell_b, assertion)
        assert exchange.status_code == 200, exchange.text
        body = exchange.json()
        visitor = body["access_token"]
        assert visitor.startswith("AV~") and body["refresh_token"].startswith("RV~")
        assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
        assert body["scope"] == "root"

        # it authenticates at B (valid but without privileges: 403, not 401) and nowhere else.
        at_b = httpx.get(f"{cell_b}__ctl/Account", headers=master(visitor))
        assert at_b.status_code == 403, at_b.text
        assert at_b.json()["code"] == "PR403-AU-0002"
        at_a = httpx.get(f"{cell_a}__ctl/Account", headers=master(visitor))
        assert at_a.status_code == 401, at_a.text
        assert at_a.json()["code"] == "PR401-AU-0006"

        # B's introspection reports the role mapped through the ExtCell (notes §3.6, §4.6).
        introspected = httpx.post(f"{cell_b}__introspect", data={"token": visitor},
                                  headers={"Authorization": "Bearer master-2"}, timeout=30)
        assert introspected.status_code == 200, introspected.text
        report = introspected.json()
        assert report["active"] is True
        assert report["p_roles"] == [f"{cell_b}__role/__/friend"]
        assert report["sub"] == f"{cell_a}#me"
        assert report["iss"] == cell_b

        # B's owner lets the friend read one collection, and nothing beside it (issue: access control).
        created(httpx.post(f"{cell_b}__ctl/Box", json={"Name": "photos"}, headers=m2))
        for name in ("shared", "private"):
            created(httpx.request("MKCOL", f"{cell_b}photos/{name}", headers=m2))
            created(httpx.put(f"{cell_b}photos/{name}/p.jpg", content=name.encode(), headers=m2))
        acl = (f'<D:acl xmlns:D="DAV:" xml:base="{cell_b}__role/__/"><D:ace><D:principal><D:href>friend</D:href>'
               '</D:principal><D:grant><D:privilege><D:read/></D:privilege></D:grant></D:ace></D:acl>')
        assert httpx.request("ACL", f"{cell_b}photos/shared", content=acl.encode(), headers=m2).status_code == 200
        shared = httpx.get(f"{cell_b}photos/shared/p.jpg", headers=master(visitor))
        assert shared.status_code == 200, shared.text
        assert shared.content == b"shared"
        private = httpx.get(f"{cell_b}photos/private/p.jpg", headers=master(visitor))
        assert private.status_code == 403 and private.json()["code"] == "PR403-AU-0002"
        written = httpx.put(f"{cell_b}photos/shared/p.jpg", content=b"mine", headers=master(visitor))
        assert written.status_code == 403 and written.json()["code"] == "PR403-AU-0002"

        # the visitor refresh token works at B too.
        refreshed = httpx.post(f"{cell_b}__token", data={"grant_type": "refresh_token",
                                                         "refresh_token": body["refresh_token"]}, timeout=30)
        assert refreshed.status_code == 200, refreshed.text
        assert refreshed.json()["access_token"].startswith("AV~")

        # the trans-cell token is addressed to B: unit 1's other cells refuse it (AN-0012).
        created(httpx.post(f"{base1}__ctl/Cell", json={"Name": "c"}, headers=m1))
        wrong = saml_exchange(f"{base1}c/", assertion)
        assert wrong.status_code == 400, wrong.text
        expected = f"[PR400-AN-0012] - Token target is wrong. target=[{cell_b}]"
        assert wrong.json()["error_description"] == expected

    # unit 2 again, now without trusting unit 1's CA: the same (unexpired) assertion is refused.
    with unit(dirs["2"], ports["2"], "master-2") as base2:
        refused = saml_exchange(f"{base2}b/", assertion)
        assert refused.status_code == 400, refused.text
        assert refused.json() == {"error": "invalid_grant",
                                  "error_description": "[PR400-AN-0011] - Token dsig is invalid."}


def test_unit_without_trust_refuses_from_the_start(units):
    """Unit 2 never trusted unit 1: the assertion is refused (PR400-AN-0011), while unit 1 trusting
    unit 2 changes nothing for that direction."""
    dirs, ports = units["dirs"], units["ports"]
    trust_2 = {"CELLAR_TRUSTED_CA_FILES": str(dirs["2"] / "unit-ca.pem")}
    with unit(dirs["1"], ports["1"], "master-1", **trust_2) as base1, \
            unit(dirs["2"], ports["2"], "master-2") as base2:
        created(httpx.post(f"{base1}__ctl/Cell", json={"Name": "a"}, headers=master("master-1")))
        created(httpx.post(f"{base1}a/__ctl/Account", json={"Name": "me"},
                           headers={**master("master-1"), "X-Personium-Credential": PASSWORD}))
        created(httpx.post(f"{base2}__ctl/Cell", json={"Name": "b"}, headers=master("master-2")))
        form = {"grant_type": "password", "username": "me", "password": PASSWORD, "p_target": f"{base2}b/"}
        login = httpx.post(f"{base1}a/__token", data=form, timeout=30)
        assert login.status_code == 200, login.text
        refused = saml_exchange(f"{base2}b/", login.json()["access_token"])
        assert refused.status_code == 400, refused.text
        assert refused.json()["error_description"] == "[PR400-AN-0011] - Token dsig is invalid."
        as_bearer = httpx.get(f"{base2}b/__ctl/Account", headers=master(login.json()["access_token"]))
        assert as_bearer.status_code == 401, as_bearer.text
        assert as_bearer.json()["code"] == "PR401-AU-0008"


def test_messages_between_units(units):
    """Issue: messaging. Cell A on unit 1 asks cell B on unit 2 to become a friend; B approves, and now
    has an ExtCell for A linked to its relation. A then writes to every cell of its own relation: B on
    unit 2, C on unit 1, and one recipient whose unit is down and another that never answers; those two
    are recorded as failed within the delivery timeout, and the others get the message."""
    dirs, ports = units["dirs"], units["ports"]
    timeout = {"CELLAR_MESSAGE_TIMEOUT": "2"}
    trust_2 = {"CELLAR_TRUSTED_CA_FILES": str(dirs["2"] / "unit-ca.pem"), **timeout}
    trust_1 = {"CELLAR_TRUSTED_CA_FILES": str(dirs["1"] / "unit-ca.pem"), **timeout}
    with unit(dirs["1"], ports["1"], "master-1", **trust_2) as base1, \
            unit(dirs["2"], ports["2"], "master-2", **trust_1) as base2, \
            socket.create_server(("127.0.0.1", 0)) as silent:
        cell_a, cell_b, cell_c = f"{base1}a/", f"{base2}b/", f"{base1}c/"
        m1, m2 = master("master-1"), master("master-2")
        created(httpx.post(f"{base1}__ctl/Cell", json={"Name": "a"}, headers=m1))
        created(httpx.post(f"{base1}__ctl/Cell", json={"Name": "c"}, headers=m1))
        created(httpx.post(f"{base2}__ctl/Cell", json={"Name": "b"}, headers=m2))
        created(httpx.post(f"{cell_b}__ctl/Relation", json={"Name": "friend"}, headers=m2))

        request = {"To": cell_b, "Type": "request", "Title": "Friend request",
                   "RequestObjects": [{"RequestType": "relation.add", "Name": "friend", "TargetUrl": cell_a}]}
        sent = httpx.post(f"{cell_a}__message/send", json=request, headers=m1, timeout=30)
        assert sent.status_code == 201, sent.text
        assert sent.json()["d"]["results"]["Result"] == [{"To": cell_b, "Code": "201", "Reason": "Created."}]

        listed = httpx.get(f"{cell_b}__ctl/ReceivedMessage", headers=m2).json()["d"]["results"]
        assert [(m["From"], m["Type"], m["Status"]) for m in listed] == [(cell_a, "request", "none")]
        approved = httpx.post(f"{cell_b}__message/received/{listed[0]['__id']}", json={"Command": "approved"},
                              headers=m2)
        assert approved.status_code == 204, approved.text
        friends = httpx.get(f"{cell_b}__ctl/Relation('friend')/_ExtCell", headers=m2).json()["d"]["results"]
        assert [e["Url"] for e in friends] == [cell_a]

        # A's own relation: B (unit 2), C (unit 1), a unit that is down, one that never answers.
        down = f"http://127.0.0.1:{free_port()}/gone/"
        hanging = f"http://127.0.0.1:{silent.getsockname()[1]}/slow/"
        created(httpx.post(f"{cell_a}__ctl/Relation", json={"Name": "pals"}, headers=m1))
        for url in (cell_b, cell_c, down, hanging):
            created(httpx.post(f"{cell_a}__ctl/Relation('pals')/_ExtCell", json={"Url": url}, headers=m1))
        started = time.monotonic()
        sent = httpx.post(f"{cell_a}__message/send", json={"ToRelation": "pals", "Title": "hello"}, headers=m1,
                          timeout=30)
        elapsed = time.monotonic() - started
        assert sent.status_code == 201, sent.text
        results = {r["To"]: (r["Code"], r["Reason"]) for r in sent.json()["d"]["results"]["Result"]}
        failed = ("500", "Sent Message connection error.")
        assert results == {cell_b: ("201", "Created."), cell_c: ("201", "Created."), down: failed, hanging: failed}
        assert elapsed < 2 + 3, elapsed  # the timeout, plus the time the others take
        for cell, headers in ((cell_b, m2), (cell_c, m1)):
            titles = [m["Title"] for m in httpx.get(f"{cell}__ctl/ReceivedMessage", headers=headers).json()["d"]
                      ["results"]]
            assert "hello" in titles, cell
        kept = httpx.get(f"{cell_a}__ctl/SentMessage", params={"$filter": "Title eq 'hello'"}, headers=m1)
        assert {r["To"] for r in kept.json()["d"]["results"][0]["Result"]} == set(results)
