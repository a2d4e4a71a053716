"""Cookie authentication (apiref/293 ``p_cookie``, notes §3.4): the token endpoint sets ``p_cookie``
and returns ``p_cookie_peer``; later requests without Authorization send both."""

from __future__ import annotations

from typing import Any

from tests.helpers import MASTER_AUTH, assert_error, make_cell

ACL_ALL_AUTH_READ = ('<D:acl xmlns:D="DAV:" xmlns:p="urn:x-personium:xmlns"><D:ace><D:principal><D:all/>'
                     '</D:principal><D:grant><D:privilege><p:auth-read/></D:privilege></D:grant></D:ace></D:acl>')
JSON = {"Accept": "application/json"}


def login(client: Any, **extra: str) -> Any:
    make_cell(client, "cell1")
    response = client.post("/cell1/__ctl/Account", json={"Name": "me"},
                           headers={**MASTER_AUTH, "X-Personium-Credential": "password1"})
    assert response.status_code == 201
    return client.post("/cell1/__token", data={"grant_type": "password", "username": "me",
                                               "password": "password1", **extra})


def test_p_cookie_sets_a_session_cookie_for_the_cell_path(client: Any) -> None:
    response = login(client, p_cookie="true")
    assert response.status_code == 200
    peer = response.json()["p_cookie_peer"]
    assert peer and response.json()["access_token"].startswith("AR~")
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("p_cookie=") and "Path=/cell1/" in cookie and "Max-Age" not in cookie


def test_cookie_with_its_peer_authenticates(client: Any) -> None:
    peer = login(client, p_cookie="true").json()["p_cookie_peer"]
    # Valid but without privilege: 403, not 401.
    assert_error(client.get("/cell1/__ctl/Account", params={"p_cookie_peer": peer}, headers=JSON), 403,
                 "PR403-AU-0002")
    client.request("ACL", "/cell1/", content=ACL_ALL_AUTH_READ, headers=MASTER_AUTH)
    response = client.get("/cell1/__ctl/Account", params={"p_cookie_peer": peer}, headers=JSON)
    assert response.status_code == 200


def test_cookie_with_another_peer_is_401_au_0009(client: Any) -> None:
    login(client, p_cookie="true")
    response = client.get("/cell1/__ctl/Account", params={"p_cookie_peer": "other"}, headers=JSON)
    assert_error(response, 401, "PR401-AU-0009")


def test_cookie_without_peer_is_ignored(client: Any) -> None:
    login(client, p_cookie="true")
    assert_error(client.get("/cell1/__ctl/Account", headers=JSON), 401, "PR401-AU-0001")


def test_tampered_cookie_is_401_au_0009(client: Any) -> None:
    peer = login(client, p_cookie="true").json()["p_cookie_peer"]
    value = client.cookies.get("p_cookie")
    client.cookies.clear()
    client.cookies.set("p_cookie", value[:10] + ("A" if value[10] != "A" else "B") + value[11:])
    response = client.get("/cell1/__ctl/Account", params={"p_cookie_peer": peer}, headers=JSON)
    assert_error(response, 401, "PR401-AU-0009")


def test_p_cookie_is_ignored_with_p_target(client: Any) -> None:
    make_cell(client, "cell2")
    response = login(client, p_cookie="true", p_target="http://localhost:8080/cell2/")
    assert response.status_code == 200
    assert "p_cookie_peer" not in response.json()
    assert "set-cookie" not in response.headers


def test_authorization_header_wins_over_the_cookie(client: Any) -> None:
    peer = login(client, p_cookie="true").json()["p_cookie_peer"]
    response = client.get("/cell1/__ctl/Account", params={"p_cookie_peer": peer},
                          headers={**JSON, "Authorization": "Bearer nonsense"})
    assert_error(response, 401, "PR401-AU-0006")
