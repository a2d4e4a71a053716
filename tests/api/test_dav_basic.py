"""Basic authentication on box resources (notes §3.2, §4.3 step 4, §6.1; apiref/311 "basic authentication
error"): accepted in the main box and in boxes without a Schema, ignored (401 ``PR401-AU-0001``) at cell level
and in a box with a Schema; a bad header or an unknown account → ``PR401-AU-0004``, a wrong password →
``PR401-AU-0011``, a locked account → ``PR401-AU-0010``. The Basic caller holds its account's roles."""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import quote

import pytest

from tests.api._auth_support import variant_client
from tests.api._dav_support import AUTH, CELL_URL
from tests.helpers import MASTER_AUTH, assert_error, make_cell

PASSWORD = "password1"


def basic(user: str, password: str, *, urlsafe: bool = False) -> dict[str, str]:
    raw = f"{quote(user)}:{quote(password)}".encode()
    encoded = (base64.urlsafe_b64encode if urlsafe else base64.b64encode)(raw).decode()
    return {"Authorization": f"Basic {encoded}"}


def read_acl(role_href: str) -> bytes:
    return (f'<D:acl xmlns:D="DAV:" xml:base="{CELL_URL}__role/__/"><D:ace><D:principal><D:href>{role_href}'
            '</D:href></D:principal><D:grant><D:privilege><D:read/></D:privilege></D:grant></D:ace></D:acl>').encode()


def setup(client: Any, schema: str | None = None, account: str = "me", password: str = PASSWORD) -> None:
    make_cell(client, "c1")
    box = {"Name": "box1", **({"Schema": schema} if schema else {})}
    assert client.post("/c1/__ctl/Box", json=box, headers=MASTER_AUTH).status_code == 201
    assert client.post("/c1/__ctl/Account", json={"Name": account},
                       headers={**MASTER_AUTH, "X-Personium-Credential": password}).status_code == 201
    assert client.post("/c1/__ctl/Role", json={"Name": "reader"}, headers=MASTER_AUTH).status_code == 201
    link = client.post(f"/c1/__ctl/Account('{account}')/$links/_Role",
                       json={"uri": f"{CELL_URL}__ctl/Role(Name='reader',_Box.Name=null)"}, headers=MASTER_AUTH)
    assert link.status_code == 204, link.text
    for box_name in ("box1", "__"):
        assert client.put(f"/c1/{box_name}/f.txt", content=b"hello", headers=AUTH).status_code == 201
        response = client.request("ACL", f"/c1/{box_name}/f.txt", content=read_acl("reader"), headers=AUTH)
        assert response.status_code == 200, response.text


@pytest.mark.parametrize("box", ["box1", "__"])
def test_basic_caller_holds_its_roles_in_a_schemaless_box_and_the_main_box(client, box):
    setup(client)
    response = client.get(f"/c1/{box}/f.txt", headers=basic("me", PASSWORD))
    assert response.status_code == 200, response.text
    assert response.content == b"hello"


def test_basic_accepts_urlsafe_base64_and_percent_encoded_parts(client):
    setup(client, password="p@ss!$w0rd~~~")
    response = client.get("/c1/box1/f.txt", headers=basic("me", "p@ss!$w0rd~~~", urlsafe=True))
    assert response.status_code == 200, response.text


def test_basic_caller_without_the_privilege_is_403(client):
    setup(client)
    assert client.put("/c1/box1/g.txt", content=b"x", headers=AUTH).status_code == 201
    assert_error(client.get("/c1/box1/g.txt", headers=basic("me", PASSWORD)), 403, "PR403-AU-0002")


def test_wrong_password_is_401_au_0011_with_both_challenges(client):
    setup(client)
    response = client.get("/c1/box1/f.txt", headers=basic("me", "wrong"))
    assert_error(response, 401, "PR401-AU-0011")
    assert set(response.headers.get_list("www-authenticate")) == {f'Bearer realm="{CELL_URL}"',
                                                                  f'Basic realm="{CELL_URL}"'}


@pytest.mark.parametrize("header", ["Basic !!!notbase64", "Basic " + base64.b64encode(b"nocolon").decode(), "Basic "])
def test_malformed_basic_is_401_au_0004(client, header):
    setup(client)
    assert_error(client.get("/c1/box1/f.txt", headers={"Authorization": header}), 401, "PR401-AU-0004")


def test_unknown_account_is_401_au_0004(client):
    setup(client)
    assert_error(client.get("/c1/box1/f.txt", headers=basic("nobody", PASSWORD)), 401, "PR401-AU-0004")


def test_basic_is_ignored_in_a_box_with_a_schema(client):
    setup(client, schema="https://app.example/")
    response = client.get("/c1/box1/f.txt", headers=basic("me", PASSWORD))
    assert_error(response, 401, "PR401-AU-0001")
    assert response.headers.get_list("www-authenticate") == [f'Bearer realm="{CELL_URL}"']


def test_basic_is_ignored_at_cell_level(client):
    setup(client)
    assert_error(client.get("/c1/__ctl/Account", headers={**basic("me", PASSWORD), "Accept": "application/json"}),
                 401, "PR401-AU-0001")


def test_a_failed_basic_still_reads_what_all_may_read(client):
    """Principal ``all`` matches everyone: bad credentials only matter once the ACL said no (notes §4.3)."""
    setup(client)
    everyone = (b'<D:acl xmlns:D="DAV:"><D:ace><D:principal><D:all/></D:principal><D:grant><D:privilege><D:read/>'
                b'</D:privilege></D:grant></D:ace></D:acl>')
    assert client.request("ACL", "/c1/box1/f.txt", content=everyone, headers=AUTH).status_code == 200
    assert client.get("/c1/box1/f.txt", headers=basic("me", "wrong")).status_code == 200


def test_locked_account_is_401_au_0010_even_with_the_right_password(settings, storage):
    with variant_client(settings, storage, authn_interval=0, lock_count=2, lock_time=60) as client:
        setup(client)
        for _ in range(2):
            assert_error(client.get("/c1/box1/f.txt", headers=basic("me", "wrong")), 401, "PR401-AU-0011")
        assert_error(client.get("/c1/box1/f.txt", headers=basic("me", PASSWORD)), 401, "PR401-AU-0010")


# --- the hash is paid once (issue: WebDAV for real clients) -------------------------------------------------

@pytest.fixture
def hashes(monkeypatch):
    """Counts the password verifications Basic requests make (each is an argon2 hash)."""
    from cellar.auth.authn import basic as basic_auth

    counted: list[bool] = []
    real = basic_auth.verify_password

    def counting(stored, password):
        counted.append(True)
        return real(stored, password)

    monkeypatch.setattr(basic_auth, "verify_password", counting)
    return counted


def test_a_verified_password_is_not_hashed_again(client, hashes):
    setup(client)
    for _ in range(3):
        assert client.get("/c1/box1/f.txt", headers=basic("me", PASSWORD)).status_code == 200
    assert client.put("/c1/box1/f.txt", content=b"x", headers=basic("me", PASSWORD)).status_code == 403
    assert len(hashes) == 1


def test_a_wrong_password_is_hashed_every_time_and_never_remembered(client, hashes):
    setup(client)
    for _ in range(2):
        assert_error(client.get("/c1/box1/f.txt", headers=basic("me", "wrong")), 401, "PR401-AU-0011")
    assert client.get("/c1/box1/f.txt", headers=basic("me", PASSWORD)).status_code == 200
    assert len(hashes) == 3


def test_a_changed_password_ends_what_was_remembered(client, hashes):
    setup(client)
    assert client.get("/c1/box1/f.txt", headers=basic("me", PASSWORD)).status_code == 200
    changed = client.put("/c1/__ctl/Account('me')", json={"Name": "me"},
                         headers={**MASTER_AUTH, "X-Personium-Credential": "another1pass"})
    assert changed.status_code == 204, changed.text
    assert_error(client.get("/c1/box1/f.txt", headers=basic("me", PASSWORD)), 401, "PR401-AU-0011")
    assert client.get("/c1/box1/f.txt", headers=basic("me", "another1pass")).status_code == 200
    deleted_roles = client.delete("/c1/__ctl/Account('me')/$links/_Role(Name='reader',_Box.Name=null)",
                                  headers=MASTER_AUTH)
    assert deleted_roles.status_code == 204, deleted_roles.text
    assert_error(client.get("/c1/box1/f.txt", headers=basic("me", "another1pass")), 403, "PR403-AU-0002")


def test_a_remembered_password_does_not_open_a_locked_account(settings, storage):
    with variant_client(settings, storage, authn_interval=0, lock_count=2, lock_time=60) as client:
        setup(client)
        assert client.get("/c1/box1/f.txt", headers=basic("me", PASSWORD)).status_code == 200
        for _ in range(2):
            assert_error(client.get("/c1/box1/f.txt", headers=basic("me", "wrong")), 401, "PR401-AU-0011")
        assert_error(client.get("/c1/box1/f.txt", headers=basic("me", PASSWORD)), 401, "PR401-AU-0010")
