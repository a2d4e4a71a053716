"""The OAuth 2.0 authorization endpoint ``{CellURL}__authz`` — apiref/292, 292p, 004 (PR400-AZ-*,
PR401-AZ-*); notes §3.1 (GC~, AP~, id_token), §3.3 (authorization_code), §3.6 (authorization endpoint).

The user logs in at cell ``user``; the client is the app cell ``app``, whose redirect URI lives under it.
"""

from __future__ import annotations

import dataclasses
import time
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import jwt
import pytest

from cellar.auth.authn.keyring import cell_key
from cellar.auth.authn.tokens import LocalToken, TokenKind
from cellar.settings import Settings, finish
from cellar.unit.cells import find_cell
from tests.conftest import MASTER, UNIT
from tests.helpers import MASTER_AUTH, assert_error, make_cell

USER = "user"
USER_URL = f"{UNIT}{USER}/"
AUTHZ = f"/{USER}/__authz"
AUTHZ_URL = f"{USER_URL}__authz"
ERROR_PAGE = f"{USER_URL}__html/error"
APP = f"{UNIT}app/"
REDIRECT = f"{APP}__/redirect.html"
PASSWORD = "password1"
APP_PASSWORD = "apppass1"
STATE = "st-0123"
NEW_PASSWORD = "newpass99"


@pytest.fixture
def settings(database_url: str, tmp_path: Any) -> Settings:
    """No interval lock between logins, so tests can fail and then succeed at once; the tests of
    the lock set it back (``with_settings``)."""
    return finish(Settings(master_token=MASTER, data_dir=tmp_path, database_url=database_url, unit_url=UNIT,
                           authn_interval=0))


def with_settings(client: Any, **changes: Any) -> None:
    services = client.app.state.services
    services.settings = dataclasses.replace(services.settings, **changes)


def credential(password: str) -> dict[str, str]:
    return {**MASTER_AUTH, "X-Personium-Credential": password}


def make_account(client: Any, cell: str, name: str, password: str, **values: Any) -> None:
    response = client.post(f"/{cell}/__ctl/Account", json={"Name": name, **values},
                           headers=credential(password))
    assert response.status_code == 201, response.text


def make_box(client: Any, cell: str, name: str, schema: str | None) -> None:
    response = client.post(f"/{cell}/__ctl/Box", json={"Name": name, "Schema": schema}, headers=MASTER_AUTH)
    assert response.status_code == 201, response.text


@pytest.fixture
def cells(client: Any) -> Any:
    """Cell ``user`` with account ``me``; app cell ``app`` with account ``appuser``."""
    make_cell(client, USER)
    make_cell(client, "app")
    make_account(client, USER, "me", PASSWORD)
    make_account(client, "app", "appuser", APP_PASSWORD)
    return client


def request_params(response_type: str = "token", **extra: str) -> dict[str, str]:
    return {"response_type": response_type, "client_id": APP, "redirect_uri": REDIRECT, "state": STATE,
            **extra}


def get(client: Any, params: dict[str, str]) -> httpx.Response:
    return client.get(AUTHZ, params=params, follow_redirects=False)


def post(client: Any, form: dict[str, str]) -> httpx.Response:
    return client.post(AUTHZ, data=form, follow_redirects=False)


def login(client: Any, response_type: str = "token", username: str = "me", password: str = PASSWORD,
          **extra: str) -> httpx.Response:
    form = {**request_params(response_type, **extra), "username": username, "password": password}
    return post(client, form)


@dataclasses.dataclass
class Location:
    base: str  # scheme://authority/path
    query: dict[str, str]
    fragment: dict[str, str]
    raw: str


def location(response: httpx.Response) -> Location:
    assert response.status_code == 303, (response.status_code, response.text)
    assert response.content == b""
    raw = response.headers["location"]
    parts = urlsplit(raw)
    query = parse_qsl(parts.query, keep_blank_values=True, strict_parsing=bool(parts.query))
    fragment = parse_qsl(parts.fragment, keep_blank_values=True, strict_parsing=bool(parts.fragment))
    assert len(dict(query)) == len(query) and len(dict(fragment)) == len(fragment), raw
    return Location(f"{parts.scheme}://{parts.netloc}{parts.path}", dict(query), dict(fragment), raw)


def decode(client: Any, token: str) -> LocalToken:
    return client.app.state.services.keyring.codec.decode(token, USER_URL)


class FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, str]] = []
        self.hidden: dict[str, str] = {}
        self.inputs: list[dict[str, str | None]] = []
        self.buttons: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "form":
            self.forms.append({k: v or "" for k, v in values.items()})
        elif tag == "input":
            self.inputs.append(values)
            if values.get("type") == "hidden":
                assert values["name"] not in self.hidden
                self.hidden[values["name"] or ""] = values.get("value") or ""
        elif tag == "button":
            self.buttons.append(values)
        assert tag != "script"


def parse_form(response: httpx.Response) -> FormParser:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    parser = FormParser()
    parser.feed(response.text)
    parser.close()
    assert len(parser.forms) == 1
    assert parser.forms[0]["method"] == "post" and parser.forms[0]["action"] == AUTHZ_URL
    return parser


def visible_inputs(parser: FormParser) -> list[tuple[str | None, str | None]]:
    return [(i.get("name"), i.get("type")) for i in parser.inputs if i.get("type") != "hidden"]


def error_params(code: str, error: str, description: str, state: str | None = STATE) -> dict[str, str]:
    params = {"error": error, "error_description": description, "code": code}
    if state:
        params["state"] = state
    return params


def app_token(client: Any) -> str:
    """The app's authentication token: a trans-cell token for the user's cell (notes §3.3)."""
    response = client.post("/app/__token", data={"grant_type": "password", "username": "appuser",
                                                 "password": APP_PASSWORD, "p_target": USER_URL})
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def redeem(client: Any, code: str, **extra: str) -> httpx.Response:
    form = {"grant_type": "authorization_code", "code": code, "client_id": APP,
            "client_secret": app_token(client), **extra}
    return client.post(f"/{USER}/__token", data=form)


# --- the form (GET) ----------------------------------------------------------------------------------------

def test_get_shows_the_login_form_with_the_request_parameters(cells):
    response = get(cells, request_params(scope="root", expires_in="60"))
    form = parse_form(response)
    assert response.headers["cache-control"] == "no-store"
    assert form.hidden == request_params(scope="root", expires_in="60")
    assert visible_inputs(form) == [("username", "text"), ("password", "password")]
    assert {"name": "cancel_flg", "value": "true", "type": "submit"} in form.buttons
    assert "The following application is trying to access your data." in response.text
    assert APP in response.text and USER_URL in response.text


def test_get_carries_only_the_parameters_it_was_given(cells):
    form = parse_form(get(cells, {"response_type": "code", "client_id": APP, "redirect_uri": REDIRECT}))
    assert form.hidden == {"response_type": "code", "client_id": APP, "redirect_uri": REDIRECT}


XSS = '"><script>alert(1)</script><img src=x onerror=alert(2)>'


def test_get_escapes_every_echoed_value(cells):
    params = request_params(state=XSS, scope=XSS, redirect_uri=f"{REDIRECT}?x={XSS.replace(' ', '+')}")
    response = get(cells, params)
    form = parse_form(response)
    assert "<script>" not in response.text and "<img" not in response.text
    assert '&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;' in response.text
    assert form.hidden == params  # and the browser gets the original values back


def test_get_never_logs_in_even_with_credentials_in_the_query(cells):
    form = parse_form(get(cells, {**request_params(), "username": "me", "password": PASSWORD}))
    assert "username" not in form.hidden and "password" not in form.hidden
    # Nothing was recorded: the first real login still reports no earlier one.
    assert location(login(cells)).fragment["last_authenticated"] == "null"


def test_get_shows_the_message_of_a_known_code_only(cells):
    response = get(cells, {**request_params(), "code": "PS-AU-0004", "error": "invalid_grant"})
    parse_form(response)
    assert "User ID or password is incorrect." in response.text
    assert "trying to access your data" not in response.text
    response = get(cells, {**request_params(), "code": "<b>evil</b>", "error_description": "evil"})
    parse_form(response)
    assert "evil" not in response.text
    assert "trying to access your data" in response.text


def test_get_with_password_change_required_shows_the_password_change_form(cells):
    params = {**request_params(), "access_token": "AP~whatever", "password_change_required": "true"}
    response = get(cells, params)
    form = parse_form(response)
    assert form.hidden == {**request_params(), "access_token": "AP~whatever"}
    assert visible_inputs(form) == [("password", "password")]
    assert "The password should be changed." in response.text


def test_options_and_other_methods(cells):
    """notes §8.2: with credentials OPTIONS reaches the resource (without, middleware answers)."""
    response = cells.options(AUTHZ, headers={"Authorization": "Bearer AR~whatever"})
    assert response.status_code == 200
    assert set(response.headers["allow"].replace(" ", "").split(",")) == {"OPTIONS", "GET", "POST"}
    assert_error(cells.put(AUTHZ, headers={"Accept": "application/json"}), 405, "PR405-MC-0001")


def test_unknown_cell_is_404(cells):
    response = cells.get("/nosuchcell/__authz", params=request_params(), follow_redirects=False,
                         headers={"Accept": "application/json"})
    assert_error(response, 404, "PR404-DV-0003")


# --- client_id / redirect_uri: the cell's error page -----------------------------------------------------

BAD_CLIENT = [
    pytest.param({"client_id": None}, "PR400-AZ-0002", id="client_id-missing"),
    pytest.param({"client_id": ""}, "PR400-AZ-0002", id="client_id-empty"),
    pytest.param({"client_id": None, "redirect_uri": None}, "PR400-AZ-0002", id="both-missing"),
    pytest.param({"redirect_uri": None}, "PR400-AZ-0003", id="redirect_uri-missing"),
    pytest.param({"redirect_uri": ""}, "PR400-AZ-0003", id="redirect_uri-empty"),
    pytest.param({"client_id": "app"}, "PR400-AZ-0002", id="client_id-not-a-url"),
    pytest.param({"client_id": "ftp://localhost:8080/app/"}, "PR400-AZ-0002", id="client_id-not-http"),
    pytest.param({"redirect_uri": "__/redirect.html"}, "PR400-AZ-0003", id="redirect_uri-not-a-url"),
    pytest.param({"redirect_uri": "http://other.example/app/__/redirect.html"}, "PR400-AZ-0003",
                 id="redirect_uri-other-authority"),
    pytest.param({"redirect_uri": "http://localhost:8081/app/__/redirect.html"}, "PR400-AZ-0003",
                 id="redirect_uri-other-port"),
    pytest.param({"redirect_uri": f"{UNIT}other/__/redirect.html"}, "PR400-AZ-0003",
                 id="redirect_uri-outside-client"),
    pytest.param({"redirect_uri": f"{UNIT}application/x"}, "PR400-AZ-0003",
                 id="redirect_uri-prefix-not-cell"),
    pytest.param({"redirect_uri": f"{REDIRECT}\r\nSet-Cookie: x=1"}, "PR400-AZ-0003", id="redirect_uri-crlf"),
    pytest.param({"client_id": f"{APP}\n"}, "PR400-AZ-0002", id="client_id-lf"),
    pytest.param({"client_id": USER_URL, "redirect_uri": f"{USER_URL}__/redirect.html"}, "PR400-AZ-0002",
                 id="client_id-is-this-cell"),
    pytest.param({"client_id": USER_URL.rstrip("/"), "redirect_uri": f"{USER_URL}x"}, "PR400-AZ-0002",
                 id="client_id-is-this-cell-without-slash"),
]


def with_changes(base: dict[str, str], changes: dict[str, str | None]) -> dict[str, str]:
    merged: dict[str, Any] = {**base, **changes}
    return {k: v for k, v in merged.items() if v is not None}


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize(("changes", "code"), BAD_CLIENT)
def test_bad_client_id_or_redirect_uri_goes_to_the_error_page(cells, method, changes, code):
    params = with_changes(request_params(), changes)
    if method == "GET":
        response = get(cells, params)
    else:
        response = post(cells, {**params, "username": "me", "password": PASSWORD})
    assert location(response).raw == f"{ERROR_PAGE}?code={code}"


def test_bad_client_wins_over_every_other_error(cells):
    params = {"client_id": "app", "redirect_uri": REDIRECT, "response_type": "bad", "cancel_flg": "true",
              "expires_in": "0"}
    assert location(get(cells, params)).raw == f"{ERROR_PAGE}?code=PR400-AZ-0002"


def test_client_id_without_trailing_slash_is_accepted(cells):
    loc = location(login(cells, client_id=APP.rstrip("/")))
    assert loc.base == REDIRECT and "access_token" in loc.fragment


# --- other request errors: redirect_uri with error=… -----------------------------------------------------

REQUEST_ERRORS = [
    pytest.param({"response_type": None}, "invalid_request", "PR400-AZ-0004",
                 "Request parameter is invalid [response_type].", "#", id="response_type-missing"),
    pytest.param({"response_type": ""}, "invalid_request", "PR400-AZ-0004",
                 "Request parameter is invalid [response_type].", "#", id="response_type-empty"),
    pytest.param({"response_type": "password"}, "unsupported_response_type", "PR400-AZ-0001",
                 "Unsupported response_type.", "#", id="response_type-unknown"),
    pytest.param({"response_type": "TOKEN"}, "unsupported_response_type", "PR400-AZ-0001",
                 "Unsupported response_type.", "#", id="response_type-case"),
    pytest.param({"response_type": "id_token"}, "unsupported_response_type", "PR400-AZ-0001",
                 "Unsupported response_type.", "#", id="id_token-without-scope"),
    pytest.param({"response_type": "id_token", "scope": "root"}, "unsupported_response_type", "PR400-AZ-0001",
                 "Unsupported response_type.", "#", id="id_token-without-openid"),
    pytest.param({"expires_in": "0"}, "invalid_request", "PR400-AZ-0008", "Authorization failed.", "#",
                 id="expires_in-0"),
    pytest.param({"expires_in": "3601"}, "invalid_request", "PR400-AZ-0008", "Authorization failed.", "#",
                 id="expires_in-3601"),
    pytest.param({"expires_in": "-1"}, "invalid_request", "PR400-AZ-0008", "Authorization failed.", "#",
                 id="expires_in-negative"),
    pytest.param({"expires_in": "1.5"}, "invalid_request", "PR400-AZ-0008", "Authorization failed.", "#",
                 id="expires_in-not-integer"),
    pytest.param({"expires_in": "99999999999"}, "invalid_request", "PR400-AZ-0008", "Authorization failed.",
                 "#", id="expires_in-huge"),
    pytest.param({"response_type": "code", "expires_in": "abc"}, "invalid_request", "PR400-AZ-0008",
                 "Authorization failed.", "?", id="expires_in-code-flow-in-query"),
    pytest.param({"cancel_flg": "true"}, "unauthorized_client", "PR401-AZ-0001", "User cancel.", "#",
                 id="cancel"),
    pytest.param({"cancel_flg": "TRUE"}, "unauthorized_client", "PR401-AZ-0001", "User cancel.", "#",
                 id="cancel-upper-case"),
    pytest.param({"cancel_flg": "true", "response_type": "code"}, "unauthorized_client", "PR401-AZ-0001",
                 "User cancel.", "?", id="cancel-code-flow-in-query"),
    pytest.param({"cancel_flg": "true", "response_type": "id_token", "scope": "openid"},
                 "unauthorized_client", "PR401-AZ-0001", "User cancel.", "#", id="cancel-id_token"),
]


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize(("changes", "error", "code", "description", "separator"), REQUEST_ERRORS)
def test_request_errors_go_back_to_the_client(cells, method, changes, error, code, description, separator):
    params = with_changes(request_params(), changes)
    if method == "GET":
        response = get(cells, params)
    else:
        response = post(cells, {**params, "username": "me", "password": PASSWORD})
    loc = location(response)
    assert loc.raw.startswith(REDIRECT + separator)
    carried, other = (loc.query, loc.fragment) if separator == "?" else (loc.fragment, loc.query)
    assert carried == error_params(code, error, description)
    assert other == {}


def test_request_error_without_state_has_no_state(cells):
    loc = location(get(cells, {"client_id": APP, "redirect_uri": REDIRECT}))
    assert loc.fragment == error_params("PR400-AZ-0004", "invalid_request",
                                        "Request parameter is invalid [response_type].", state=None)


def test_request_error_appends_to_a_redirect_uri_with_a_query(cells):
    loc = location(get(cells, request_params("code", redirect_uri=f"{REDIRECT}?x=1", cancel_flg="true")))
    assert loc.raw.startswith(f"{REDIRECT}?x=1&error=")
    assert loc.query == {"x": "1", **error_params("PR401-AZ-0001", "unauthorized_client", "User cancel.")}


def test_request_errors_are_checked_in_the_real_servers_order(cells):
    """response_type, then expires_in, then the response_type value, then cancel (AuthzEndPointResource)."""
    loc = location(get(cells, {**request_params(""), "expires_in": "0", "cancel_flg": "true"}))
    assert loc.fragment["code"] == "PR400-AZ-0004"
    loc = location(get(cells, {**request_params("bad"), "expires_in": "0", "cancel_flg": "true"}))
    assert loc.fragment["code"] == "PR400-AZ-0008"
    loc = location(get(cells, {**request_params("bad"), "cancel_flg": "true"}))
    assert loc.fragment["code"] == "PR400-AZ-0001"


def test_cancel_does_not_log_in(cells):
    location(post(cells, {**request_params(), "username": "me", "password": PASSWORD, "cancel_flg": "true"}))
    assert location(login(cells)).fragment["last_authenticated"] == "null"


def test_cancel_flg_other_than_true_is_ignored(cells):
    form = {**request_params(), "username": "me", "password": PASSWORD, "cancel_flg": "1"}
    loc = location(post(cells, form))
    assert "access_token" in loc.fragment


# --- response_type=token (implicit grant) ------------------------------------------------------------------

def test_token_flow_redirects_with_a_fragment(cells):
    before = int(time.time() * 1000)
    loc = location(login(cells))
    assert loc.raw.startswith(REDIRECT + "#access_token=AR~")
    assert loc.base == REDIRECT and loc.query == {}
    fragment = loc.fragment
    token = fragment.pop("access_token")
    assert fragment == {"token_type": "Bearer", "expires_in": "3600", "state": STATE,
                        "last_authenticated": "null", "failed_count": "0", "box_not_installed": "true"}
    parsed = decode(cells, token)
    assert parsed.kind is TokenKind.RESIDENT_ACCESS
    assert (parsed.subject, parsed.schema, parsed.scopes, parsed.lifespan_ms) == ("me", APP, (), 3600 * 1000)
    assert before <= parsed.issued_at_ms <= int(time.time() * 1000)


def test_second_login_reports_the_first(cells):
    location(login(cells))
    between = int(time.time() * 1000)
    fragment = location(login(cells)).fragment
    assert fragment["failed_count"] == "0"
    assert int(fragment["last_authenticated"]) <= between


def test_token_flow_with_expires_in(cells):
    fragment = location(login(cells, expires_in="60")).fragment
    assert fragment["expires_in"] == "60"
    assert decode(cells, fragment["access_token"]).lifespan_ms == 60 * 1000


def test_empty_expires_in_means_the_default(cells):
    assert location(login(cells, expires_in="")).fragment["expires_in"] == "3600"


def test_token_flow_ignores_the_requested_scope(cells):
    fragment = location(login(cells, scope="root openid")).fragment
    assert decode(cells, fragment["access_token"]).scopes == ()


def test_token_flow_without_state(cells):
    form = {"response_type": "token", "client_id": APP, "redirect_uri": REDIRECT, "username": "me",
            "password": PASSWORD}
    fragment = location(post(cells, form)).fragment
    assert "state" not in fragment and fragment["token_type"] == "Bearer"


def grant_root_to_me(client: Any) -> None:
    """Role ``admin`` for ``me``, and the cell ACL granting it ``root`` (apiref/289)."""
    response = client.post(f"/{USER}/__ctl/Role", json={"Name": "admin"}, headers=MASTER_AUTH)
    assert response.status_code == 201, response.text
    response = client.post(f"/{USER}/__ctl/Account('me')/$links/_Role",
                           json={"uri": f"{USER_URL}__ctl/Role(Name='admin',_Box.Name=null)"},
                           headers=MASTER_AUTH)
    assert response.status_code == 204, response.text
    acl = (f'<?xml version="1.0" encoding="utf-8"?><D:acl xmlns:D="DAV:" xmlns:p="urn:x-personium:xmlns" '
           f'xml:base="{USER_URL}__role/__/"><D:ace><D:principal><D:href>admin</D:href></D:principal>'
           f'<D:grant><D:privilege><p:root/></D:privilege></D:grant></D:ace></D:acl>')
    response = client.request("ACL", f"/{USER}/", content=acl, headers={"Authorization": f"Bearer {MASTER}"})
    assert response.status_code == 200, response.text


def test_implicit_token_is_an_account_token_with_no_scope(cells):
    """notes §3.6: the AR~ is accepted as the account's token, but its empty scope fails every
    cell-level check with PR403-AU-0007, where a password-grant token (scope root) passes."""
    grant_root_to_me(cells)
    by_password = cells.post(f"/{USER}/__token", data={"grant_type": "password", "username": "me",
                                                       "password": PASSWORD})
    assert by_password.status_code == 200, by_password.text
    headers = {"Accept": "application/json", "Authorization": f"Bearer {by_password.json()['access_token']}"}
    assert cells.get(f"/{USER}/__ctl/Account", headers=headers).status_code == 200
    implicit = location(login(cells)).fragment["access_token"]
    response = cells.get(f"/{USER}/__ctl/Account",
                         headers={"Accept": "application/json", "Authorization": f"Bearer {implicit}"})
    assert_error(response, 403, "PR403-AU-0007")


def test_implicit_token_is_sealed_to_its_cell(cells):
    make_cell(cells, "other")
    implicit = location(login(cells)).fragment["access_token"]
    response = cells.get("/other/__ctl/Account",
                         headers={"Accept": "application/json", "Authorization": f"Bearer {implicit}"})
    assert_error(response, 401, "PR401-AU-0006")


# --- box_not_installed -------------------------------------------------------------------------------------

def test_box_not_installed_is_absent_once_a_box_has_the_client_as_schema(cells):
    make_box(cells, USER, "plain", None)
    make_box(cells, USER, "otherapp", "http://localhost:8080/other/")
    assert location(login(cells)).fragment["box_not_installed"] == "true"
    make_box(cells, USER, "appbox", APP)
    for response_type, extra, part in [("token", {}, "fragment"), ("code", {}, "query"),
                                       ("id_token", {"scope": "openid"}, "fragment")]:
        loc = location(login(cells, response_type, **extra))
        assert "box_not_installed" not in getattr(loc, part), response_type


def test_box_check_normalises_the_client_id(cells):
    make_box(cells, USER, "appbox", APP)
    assert "box_not_installed" not in location(login(cells, client_id=APP.rstrip("/"))).fragment


# --- response_type=code ------------------------------------------------------------------------------------

def test_code_flow_redirects_with_a_query(cells):
    loc = location(login(cells, "code"))
    assert loc.raw.startswith(REDIRECT + "?code=GC~")
    assert loc.base == REDIRECT and loc.fragment == {}
    query = loc.query
    code = query.pop("code")
    assert query == {"state": STATE, "last_authenticated": "null", "failed_count": "0",
                     "box_not_installed": "true"}
    parsed = decode(cells, code)
    assert parsed.kind is TokenKind.GRANT_CODE
    assert (parsed.subject, parsed.schema, parsed.scopes, parsed.lifespan_ms) == ("me", APP, ("root",),
                                                                                  600 * 1000)


def test_code_flow_ignores_expires_in_for_the_code(cells):
    code = location(login(cells, "code", expires_in="60")).query["code"]
    assert decode(cells, code).lifespan_ms == 600 * 1000


def test_code_flow_appends_to_a_redirect_uri_with_a_query(cells):
    loc = location(login(cells, "code", redirect_uri=f"{REDIRECT}?x=1"))
    assert loc.raw.startswith(f"{REDIRECT}?x=1&code=GC~")
    assert loc.query["x"] == "1" and loc.query["state"] == STATE


def test_code_is_redeemed_at_the_token_endpoint_by_the_app(cells):
    code = location(login(cells, "code")).query["code"]
    response = redeem(cells, code)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "Bearer" and body["scope"] == "root" and "id_token" not in body
    access = decode(cells, body["access_token"])
    assert access.kind is TokenKind.RESIDENT_ACCESS
    assert (access.subject, access.schema, access.scopes) == ("me", APP, ("root",))
    assert decode(cells, body["refresh_token"]).kind is TokenKind.RESIDENT_REFRESH


def test_code_keeps_the_requested_scopes(cells):
    code = location(login(cells, "code", scope="auth-read bogus")).query["code"]
    assert decode(cells, code).scopes == ("auth-read",)
    body = redeem(cells, code).json()
    assert body["scope"] == "auth-read"


def test_code_is_bound_to_the_client(cells):
    code = location(login(cells, "code")).query["code"]
    response = cells.post(f"/{USER}/__token", data={"grant_type": "authorization_code", "code": code})
    assert response.status_code == 401, response.text
    assert "PR401-AN-0021" in response.json()["error_description"]


def test_code_with_openid_gives_an_id_token_at_redemption(cells):
    code = location(login(cells, "code", scope="openid")).query["code"]
    assert decode(cells, code).scopes == ("openid",)
    body = redeem(cells, code).json()
    assert body["scope"] == "openid"
    claims = jwt.decode(body["id_token"], options={"verify_signature": False})
    assert (claims["iss"], claims["sub"], claims["aud"]) == (USER_URL, "me", APP)


# --- response_type=id_token --------------------------------------------------------------------------------

def verify_id_token(client: Any, token: str) -> dict[str, Any]:
    with client.app.state.services.storage.transaction("test.key", write=False) as tx:
        cell = find_cell(tx, USER)
        assert cell is not None
        kid, key = cell_key(tx, cell["id"])
    assert jwt.get_unverified_header(token) == {"alg": "RS256", "typ": "JWT", "kid": kid}
    return jwt.decode(token, key.public_key(), algorithms=["RS256"], audience=APP)


def test_id_token_flow(cells):
    before = int(time.time())
    loc = location(login(cells, "id_token", scope="openid"))
    assert loc.raw.startswith(REDIRECT + "#id_token=")
    assert loc.query == {}
    fragment = loc.fragment
    token = fragment.pop("id_token")
    assert fragment == {"state": STATE, "last_authenticated": "null", "failed_count": "0",
                        "box_not_installed": "true"}
    claims = verify_id_token(cells, token)
    assert (claims["iss"], claims["sub"], claims["aud"]) == (USER_URL, "me", APP)
    assert before <= claims["iat"] <= int(time.time()) and claims["exp"] == claims["iat"] + 3600


# --- failed logins: back to the form -----------------------------------------------------------------------

def assert_back_to_form(response: httpx.Response, code: str, error: str, description: str,
                        params: dict[str, str] | None = None) -> Location:
    loc = location(response)
    assert loc.base == AUTHZ_URL and loc.fragment == {}
    expected = {**(params or {**request_params(), "scope": "root"}), "error": error,
                "error_description": description, "code": code}
    assert loc.query == expected
    return loc


INCORRECT = "User ID or password is incorrect."


def test_wrong_password_goes_back_to_the_form(cells):
    loc = assert_back_to_form(login(cells, password="wrong-password"), "PS-AU-0004", "invalid_grant",
                              INCORRECT)
    # The browser follows it: the form again, with the message and the request parameters.
    response = cells.get(loc.raw, follow_redirects=False)
    form = parse_form(response)
    assert INCORRECT in response.text
    assert form.hidden == {**request_params(), "scope": "root"}
    # And the failure counts at the next login.
    fragment = location(login(cells)).fragment
    assert fragment["failed_count"] == "1" and fragment["last_authenticated"] == "null"
    assert location(login(cells)).fragment["failed_count"] == "0"


@pytest.mark.parametrize("form", [
    pytest.param({}, id="nothing"),
    pytest.param({"username": "me"}, id="username-only"),
    pytest.param({"password": PASSWORD}, id="password-only"),
    pytest.param({"username": "", "password": ""}, id="both-empty"),
    pytest.param({"username": "me", "password": ""}, id="password-empty"),
])
def test_missing_credentials_go_back_to_the_form(cells, form):
    response = post(cells, {**request_params(), **form})
    assert_back_to_form(response, "PS-AU-0003", "invalid_request", "Please input user ID and password.")


@pytest.mark.parametrize(("username", "password", "status"), [
    pytest.param("nobody", PASSWORD, "active", id="unknown-account"),
    pytest.param("ghost", PASSWORD, "deactivated", id="deactivated"),
])
def test_refused_accounts_go_back_to_the_form(cells, username, password, status):
    make_account(cells, USER, "ghost", PASSWORD, Status=status)
    assert_back_to_form(login(cells, username=username, password=password), "PS-AU-0004", "invalid_grant",
                        INCORRECT)


def test_account_without_password_cannot_log_in(cells):
    response = cells.post(f"/{USER}/__ctl/Account", json={"Name": "nopass"}, headers=MASTER_AUTH)
    assert response.status_code == 201
    assert_back_to_form(login(cells, username="nopass", password=PASSWORD), "PS-AU-0004", "invalid_grant",
                        INCORRECT)


def test_interval_lock_refuses_even_the_right_password(cells):
    """notes §3.3: a failure less than authn_interval seconds ago fails the next login too."""
    with_settings(cells, authn_interval=60)
    assert_back_to_form(login(cells, password="wrong-password"), "PS-AU-0004", "invalid_grant", INCORRECT)
    assert_back_to_form(login(cells), "PS-AU-0004", "invalid_grant", INCORRECT)


def test_account_lock_after_repeated_failures(cells):
    with_settings(cells, lock_count=2, lock_time=600)
    for _ in range(2):
        assert_back_to_form(login(cells, password="wrong-password"), "PS-AU-0004", "invalid_grant", INCORRECT)
    assert_back_to_form(login(cells), "PS-AU-0004", "invalid_grant", INCORRECT)


def test_ip_address_range(cells):
    make_account(cells, USER, "office", PASSWORD, IPAddressRange="192.0.2.0/24")
    form = {**request_params(), "username": "office", "password": PASSWORD}
    inside = cells.post(AUTHZ, data=form, headers={"X-Forwarded-For": "192.0.2.7"}, follow_redirects=False)
    assert "access_token" in location(inside).fragment
    outside = cells.post(AUTHZ, data=form, headers={"X-Forwarded-For": "198.51.100.1"},
                         follow_redirects=False)
    assert_back_to_form(outside, "PS-AU-0004", "invalid_grant", INCORRECT)


def test_back_to_form_carries_every_request_parameter(cells):
    params = request_params("code", scope="openid auth", expires_in="120", state="a b&c=d#e/ü")
    response = post(cells, {**params, "username": "me", "password": "wrong-password"})
    loc = assert_back_to_form(response, "PS-AU-0004", "invalid_grant", INCORRECT, params)
    form = parse_form(cells.get(loc.raw, follow_redirects=False))
    assert form.hidden == params


# --- passwordChangeRequired --------------------------------------------------------------------------------

CHANGE = "The password should be changed."


def change_token(client: Any, **extra: str) -> str:
    make_account(client, USER, "tochange", PASSWORD, Status="passwordChangeRequired")
    params = {**request_params(), "scope": "root", **extra}
    response = post(client, {**params, "username": "tochange", "password": PASSWORD})
    loc = location(response)
    token = loc.query.pop("access_token")
    assert loc.base == AUTHZ_URL and loc.fragment == {}
    assert loc.query == {**params, "password_change_required": "true", "error": "unauthorized_client",
                         "error_description": CHANGE, "code": "PS-AU-0006"}
    return token


def change_password(client: Any, token: str, password: str) -> httpx.Response:
    return post(client, {**request_params(), "access_token": token, "password": password})


def test_password_change_required_gives_a_password_change_token(cells):
    token = change_token(cells, expires_in="120")
    parsed = decode(cells, token)
    assert parsed.kind is TokenKind.PASSWORD_CHANGE
    assert (parsed.subject, parsed.schema, parsed.scopes, parsed.lifespan_ms) == ("tochange", APP, ("root",),
                                                                                  120 * 1000)


def test_password_change_flow(cells):
    token = change_token(cells)
    # The browser follows the redirect: the password change form, with the token in a hidden field.
    response = get(cells, {**request_params(), "access_token": token, "password_change_required": "true",
                           "code": "PS-AU-0006"})
    form = parse_form(response)
    assert form.hidden["access_token"] == token and CHANGE in response.text
    # The new password: changed, and logged in with it at once.
    loc = location(change_password(cells, token, NEW_PASSWORD))
    assert loc.base == REDIRECT
    fragment = loc.fragment
    assert decode(cells, fragment.pop("access_token")).subject == "tochange"
    assert fragment == {"token_type": "Bearer", "expires_in": "3600", "state": STATE,
                        "last_authenticated": "null", "failed_count": "0", "box_not_installed": "true"}
    # The Status is active now: the new password logs in, the old one does not.
    assert "access_token" in location(login(cells, username="tochange", password=NEW_PASSWORD)).fragment
    assert_back_to_form(login(cells, username="tochange", password=PASSWORD), "PS-AU-0004", "invalid_grant",
                        INCORRECT)
    account = cells.get(f"/{USER}/__ctl/Account('tochange')", headers=MASTER_AUTH).json()["d"]["results"]
    assert account["Status"] == "active"


@pytest.mark.parametrize(("password", "code", "error", "description"), [
    pytest.param("", "PS-AU-0007", "invalid_request", "Please input password.", id="empty"),
    pytest.param("bad", "PS-AU-0008", "invalid_request", "Password format is invalid.", id="policy"),
])
def test_password_change_with_an_unusable_password_keeps_the_token(cells, password, code, error, description):
    token = change_token(cells)
    expected = {**request_params(), "scope": "root", "access_token": token,
                "password_change_required": "true"}
    assert_back_to_form(change_password(cells, token, password), code, error, description, expected)
    # Nothing changed: the old password still leads to the password change.
    change = post(cells, {**request_params(), "username": "tochange", "password": PASSWORD})
    assert location(change).query["code"] == "PS-AU-0006"


@pytest.mark.parametrize("token", ["dummy_token", "AP~dummy"])
def test_password_change_with_a_bad_token(cells, token):
    change_token(cells)
    assert_back_to_form(change_password(cells, token, NEW_PASSWORD), "PS-AU-0002", "unauthorized_client",
                        "The following application is trying to access your data.<br />"
                        "If there is no problem, please perform the authentication.")


def test_password_change_needs_a_password_change_token(cells):
    access = location(login(cells)).fragment["access_token"]
    response = change_password(cells, access, NEW_PASSWORD)
    assert location(response).query["code"] == "PS-AU-0002"
    assert_back_to_form(login(cells, password=NEW_PASSWORD), "PS-AU-0004", "invalid_grant", INCORRECT)


def test_password_change_with_an_expired_token(cells):
    token = change_token(cells)
    parsed = decode(cells, token)
    codec = cells.app.state.services.keyring.codec
    old = parsed.issued_at_ms - 2 * parsed.lifespan_ms
    expired = codec.encode(dataclasses.replace(parsed, issued_at_ms=old))
    assert location(change_password(cells, expired, NEW_PASSWORD)).query["code"] == "PS-AU-0005"


def test_password_change_of_a_deleted_account(cells):
    token = change_token(cells)
    assert cells.delete(f"/{USER}/__ctl/Account('tochange')", headers=MASTER_AUTH).status_code == 204
    assert location(change_password(cells, token, NEW_PASSWORD)).query["code"] == "PS-AU-0004"


def test_password_change_token_of_another_cell_is_refused(cells):
    make_cell(cells, "other")
    make_account(cells, "other", "tochange", PASSWORD, Status="passwordChangeRequired")
    response = cells.post("/other/__authz", data={**request_params(), "username": "tochange",
                                                  "password": PASSWORD}, follow_redirects=False)
    token = location(response).query["access_token"]
    make_account(cells, USER, "tochange", PASSWORD, Status="passwordChangeRequired")
    assert location(change_password(cells, token, NEW_PASSWORD)).query["code"] == "PS-AU-0002"


# --- state round trip ------------------------------------------------------------------------------------

ODD_STATE = "a b&c=d#e/f?g%h+i'ü\"<x>"


@pytest.mark.parametrize(("response_type", "extra", "part"), [
    ("token", {}, "fragment"), ("code", {}, "query"), ("id_token", {"scope": "openid"}, "fragment")])
def test_state_round_trip_on_success(cells, response_type, extra, part):
    loc = location(login(cells, response_type, state=ODD_STATE, **extra))
    assert getattr(loc, part)["state"] == ODD_STATE


def test_state_round_trip_through_errors_and_the_form(cells):
    assert location(get(cells, request_params("bad", state=ODD_STATE))).fragment["state"] == ODD_STATE
    cancelled = get(cells, request_params("code", state=ODD_STATE, cancel_flg="true"))
    assert location(cancelled).query["state"] == ODD_STATE
    loc = location(login(cells, state=ODD_STATE, password="wrong-password"))
    assert loc.query["state"] == ODD_STATE
    form = parse_form(cells.get(loc.raw, follow_redirects=False))
    assert form.hidden["state"] == ODD_STATE
    # Posting the form as a browser would: back to the client with the same state.
    fragment = location(post(cells, {**form.hidden, "username": "me", "password": PASSWORD})).fragment
    assert fragment["state"] == ODD_STATE and "access_token" in fragment
