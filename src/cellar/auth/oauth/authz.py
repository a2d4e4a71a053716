"""The OAuth 2.0 authorization endpoint, ``{CellURL}__authz`` — apiref/292, 292p, notes §3.6.

GET shows a login form (or, with ``password_change_required=true``, a password change form); POST
takes what the form sends. Every outcome is either an HTML page or a 303 redirect:

* ``client_id``/``redirect_uri`` unusable → the cell's error page,
  ``{cellUrl}__html/error?code=PR400-AZ-000x``
  (RFC 6749 §4.1.2.1: never redirect to an unverified redirect_uri);
* other request errors and a user cancel → ``redirect_uri`` with ``error=…`` in the query
  (response_type=code) or the fragment (token, id_token);
* a failed login → back to ``__authz`` with the request parameters and ``error``/``code``
  (a ``PS-AU-*`` screen message code) in the query, which shows the form again with the message;
* success → ``redirect_uri`` with the token, code or id_token.

Login history, locks and the account Status are the token endpoint's (``authenticate_password``).
Cookie login (``p_cookie``) is not supported: the cell cookie is not issued by this server yet, so a
``p_cookie`` cookie is ignored and the form is shown.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from string import Template
from typing import Any
from urllib.parse import quote, urlsplit

from sqlalchemy import select, update

from cellar import clock
from cellar.auth.access.scopes import arbitrate
from cellar.auth.authn.credentials import AuthServices
from cellar.auth.authn.jwt import id_token
from cellar.auth.authn.keyring import cell_key
from cellar.auth.authn.passwords import ALGORITHM, check_policy, hash_password
from cellar.auth.authn.roles import role_ids_for_urls
from cellar.auth.authn.tokens import GRANT_CODE_LIFETIME_MS, LocalToken, TokenError, TokenKind
from cellar.auth.oauth.token_endpoint import PasswordCheck, authenticate_password, find_account, record_login
from cellar.errors import CATALOG, PersoniumError
from cellar.storage import tables
from cellar.storage.uow import Transaction

TOKEN, CODE, ID_TOKEN = "token", "code", "id_token"
OPENID = "openid"
MAX_EXPIRES_IN = 3600

# OAuth ``error`` values (RFC 6749 §4.1.2.1, §4.2.2.1).
INVALID_REQUEST = "invalid_request"
INVALID_GRANT = "invalid_grant"
UNAUTHORIZED_CLIENT = "unauthorized_client"
UNSUPPORTED_RESPONSE_TYPE = "unsupported_response_type"

#: Screen messages of the forms (Personium's ``PS-AU-*``); ``code`` in a redirect back to the form.
MESSAGES = {
    "PS-AU-0001": "OAuth2 authorization endpoint",
    "PS-AU-0002": "The following application is trying to access your data.<br />"
                  "If there is no problem, please perform the authentication.",
    "PS-AU-0003": "Please input user ID and password.",
    "PS-AU-0004": "User ID or password is incorrect.",
    "PS-AU-0005": "Authentication period has been passed, you must be authorized again.",
    "PS-AU-0006": "The password should be changed.",
    "PS-AU-0007": "Please input password.",
    "PS-AU-0008": "Password format is invalid.",
    "PS-AU-0009": "Failed to update password.",
}
PASS_FORM, NO_ID_PASS, INCORRECT_ID_PASS, MISS_TOKEN = "PS-AU-0002", "PS-AU-0003", "PS-AU-0004", "PS-AU-0005"
CHANGE_REQUIRED, CHANGE_NO_PASS, CHANGE_FORMAT_INVALID = "PS-AU-0006", "PS-AU-0007", "PS-AU-0008"

#: Request parameters the forms carry along in hidden fields.
CARRIED = ("response_type", "client_id", "redirect_uri", "state", "scope", "expires_in")
_INTEGER = re.compile(r"[+-]?[0-9]{1,10}")
#: Everything printable in ASCII stays as it is in a Location header; anything else is %-encoded.
_LOCATION_SAFE = "".join(chr(c) for c in range(0x21, 0x7f))


@dataclass(frozen=True)
class AuthzRequest:
    post: bool
    #: The query (GET) or the form body (POST); the first of repeated names.
    params: Mapping[str, str]
    client_ip: str | None = None
    #: The password hashed before the write transaction, if the form carried one.
    checked: PasswordCheck | None = None


@dataclass(frozen=True)
class Redirect:
    """A 303 See Other."""

    location: str


@dataclass(frozen=True)
class Page:
    """A 200 text/html page."""

    html: str


@dataclass(frozen=True)
class _Flow:
    """The validated request: what every later step needs."""

    response_type: str
    client_id: str
    redirect_uri: str
    state: str
    scopes: tuple[str, ...]
    expires_in: str | None  # as requested, carried back to the form
    lifespan_ms: int


class AuthorizationEndpoint:
    def __init__(self, services: AuthServices, tx: Transaction, cell: Mapping[str, Any]) -> None:
        self.services = services
        self.tx = tx
        self.cell = cell
        self.cell_url = services.urls.cell_url(cell["name"])
        self.now = clock.now_ms()

    def handle(self, request: AuthzRequest) -> Redirect | Page:
        p = request.params
        response_type, client_id, redirect_uri = (p.get("response_type") or "", p.get("client_id") or "",
                                                  p.get("redirect_uri") or "")
        state = p.get("state") or ""
        bad_client = self._check_client(client_id, redirect_uri)
        if bad_client is not None:
            return Redirect(f"{self.cell_url}__html/error?code={bad_client}")
        if not response_type:
            return self._error(response_type, redirect_uri, INVALID_REQUEST, state, "PR400-AZ-0004")
        expires_in = p.get("expires_in") or None
        if expires_in is not None and (not _INTEGER.fullmatch(expires_in)
                                       or not 1 <= int(expires_in) <= MAX_EXPIRES_IN):
            return self._error(response_type, redirect_uri, INVALID_REQUEST, state, "PR400-AZ-0008")
        scopes = arbitrate(p.get("scope"), self._is_role_url)
        if response_type not in (TOKEN, CODE) and not (response_type == ID_TOKEN and OPENID in scopes):
            return self._error(response_type, redirect_uri, UNSUPPORTED_RESPONSE_TYPE, state, "PR400-AZ-0001")
        if _true(p.get("cancel_flg")):
            return self._error(response_type, redirect_uri, UNAUTHORIZED_CLIENT, state, "PR401-AZ-0001")
        flow = _Flow(response_type, client_id, redirect_uri, state, scopes, expires_in,
                     int(expires_in or MAX_EXPIRES_IN) * 1000)
        if not request.post:
            if _true(p.get("password_change_required")):
                return self._page(PASSWORD_CHANGE_FORM, p, CHANGE_REQUIRED, extra=("access_token",))
            return self._page(LOGIN_FORM, p, PASS_FORM)
        if p.get("access_token"):
            return self._password_change(flow, p["access_token"], p.get("password"), request.client_ip)
        if "username" in p or "password" in p:
            return self._password(flow, p.get("username"), p.get("password"), request.client_ip, request.checked)
        return self._back_to_form(flow, INVALID_REQUEST, NO_ID_PASS)

    # --- parameter checks -----------------------------------------------------------------------
    def _check_client(self, client_id: str, redirect_uri: str) -> str | None:
        """The error code for an unusable client_id/redirect_uri pair, in the real server's order."""
        if not client_id:
            return "PR400-AZ-0002"
        if not redirect_uri:
            return "PR400-AZ-0003"
        client, redirect = _slash(client_id), _slash(redirect_uri)
        client_authority, redirect_authority = _authority(client), _authority(redirect)
        if client_authority is None:
            return "PR400-AZ-0002"
        if redirect_authority is None:
            return "PR400-AZ-0003"
        if client_authority != redirect_authority or not redirect.startswith(client):
            return "PR400-AZ-0003"
        if client == self.cell_url:
            return "PR400-AZ-0002"
        return None

    def _is_role_url(self, url: str) -> bool:
        return bool(role_ids_for_urls(self.tx, self.cell["id"], self.cell_url,
                                      [self.services.urls.canonical(url)]))

    # --- logins ---------------------------------------------------------------------------------
    def _password(self, flow: _Flow, username: str | None, password: str | None,
                  client_ip: str | None, request_check: PasswordCheck | None = None) -> Redirect:
        if not username or not password:
            return self._back_to_form(flow, INVALID_REQUEST, NO_ID_PASS)
        checked = authenticate_password(self.tx, self.services.settings, self.cell["id"], username, password,
                                        client_ip, self.now, request_check)
        if checked is None:
            return self._back_to_form(flow, INVALID_GRANT, INCORRECT_ID_PASS)
        account, past = checked.account, checked.past
        if account["status"] == "passwordChangeRequired":
            # The real server records nothing here: the login completes after the change.
            change = LocalToken(TokenKind.PASSWORD_CHANGE, self.cell_url, username, self.now,
                                flow.lifespan_ms, flow.client_id, flow.scopes)
            return self._back_to_form(flow, UNAUTHORIZED_CLIENT, CHANGE_REQUIRED,
                                      access_token=self.services.keyring.codec.encode(change))
        record_login(self.tx, self.cell["id"], account["id"], username, self.now)
        params = self._grant(flow, username)
        if flow.state:
            params.append(("state", flow.state))
        last = past.last_authenticated
        params += [("last_authenticated", "null" if last is None else str(last)),
                   ("failed_count", str(past.failed_count))]
        if not self._box_installed(flow.client_id):
            params.append(("box_not_installed", "true"))
        return Redirect(_join(flow.redirect_uri, _separator(flow.response_type, flow.redirect_uri), params))

    def _grant(self, flow: _Flow, username: str) -> list[tuple[str, str]]:
        codec = self.services.keyring.codec
        if flow.response_type == TOKEN:
            # notes §3.6: the implicit grant's token carries no scope at all.
            token = LocalToken(TokenKind.RESIDENT_ACCESS, self.cell_url, username, self.now, flow.lifespan_ms,
                               flow.client_id, ())
            return [("access_token", codec.encode(token)), ("token_type", "Bearer"),
                    ("expires_in", str(flow.lifespan_ms // 1000))]
        if flow.response_type == CODE:
            code = LocalToken(TokenKind.GRANT_CODE, self.cell_url, username, self.now, GRANT_CODE_LIFETIME_MS,
                              flow.client_id, flow.scopes)
            return [("code", codec.encode(code))]
        kid, key = cell_key(self.tx, self.cell["id"])
        return [("id_token", id_token(key, kid, self.cell_url, username, flow.client_id, self.now))]

    def _password_change(self, flow: _Flow, token_text: str, password: str | None,
                         client_ip: str | None) -> Redirect:
        """The form of a ``passwordChangeRequired`` account: its ``AP~`` token and the new password."""
        if not password:
            return self._back_to_form(flow, INVALID_REQUEST, CHANGE_NO_PASS, access_token=token_text)
        if TokenKind.of(token_text) is not TokenKind.PASSWORD_CHANGE:
            return self._back_to_form(flow, UNAUTHORIZED_CLIENT, PASS_FORM)
        try:
            token = self.services.keyring.codec.decode(token_text, self.cell_url, self.now)
        except TokenError as exc:
            code = MISS_TOKEN if exc.reason == "expired" else PASS_FORM
            return self._back_to_form(flow, UNAUTHORIZED_CLIENT, code)
        account = find_account(self.tx, self.cell["id"], token.subject)
        if account is None:
            return self._back_to_form(flow, INVALID_GRANT, INCORRECT_ID_PASS)
        try:
            check_policy(password)
        except PersoniumError:
            return self._back_to_form(flow, INVALID_REQUEST, CHANGE_FORMAT_INVALID, access_token=token_text)
        a = tables.accounts
        self.tx.conn.execute(update(a).where(a.c.id == account["id"]).values(
            hashed_credential=hash_password(password), hash_algorithm=ALGORITHM, status="active",
            updated=max(self.now, account["updated"]), version=account["version"] + 1))
        # Then the ordinary login with the new password, locks and history included.
        return self._password(flow, token.subject, password, client_ip)

    def _box_installed(self, client_id: str) -> bool:
        b = tables.boxes
        stmt = select(b.c.id).where(b.c.cell_id == self.cell["id"], b.c.schema == _slash(client_id))
        return self.tx.conn.execute(stmt).first() is not None

    # --- responses ------------------------------------------------------------------------------
    def _error(self, response_type: str, redirect_uri: str, error: str, state: str, code: str) -> Redirect:
        """An error for the client, at its redirect_uri."""
        params = [("error", error), ("error_description", _message(code))]
        if state:
            params.append(("state", state))
        params.append(("code", code))
        return Redirect(_join(redirect_uri, _separator(response_type, redirect_uri), params))

    def _back_to_form(self, flow: _Flow, error: str, code: str, access_token: str | None = None) -> Redirect:
        """A failed login: back to this endpoint, whose GET shows the form again with the message."""
        params = [("response_type", flow.response_type), ("client_id", flow.client_id),
                  ("redirect_uri", flow.redirect_uri)]
        if flow.state:
            params.append(("state", flow.state))
        if flow.scopes:
            params.append(("scope", " ".join(flow.scopes)))
        if flow.expires_in is not None:
            params.append(("expires_in", flow.expires_in))
        if access_token:
            params += [("access_token", access_token), ("password_change_required", "true")]
        params += [("error", error), ("error_description", _message(code)), ("code", code)]
        return Redirect(_join(f"{self.cell_url}__authz", "?", params))

    def _page(self, form: tuple[str, str], params: Mapping[str, str], default_code: str,
              extra: Iterable[str] = ()) -> Page:
        """A form; a known ``code`` from a redirect back here picks the message it shows."""
        code = params.get("code") or ""
        message = MESSAGES[code] if code in MESSAGES and code != "PS-AU-0001" else MESSAGES[default_code]
        hidden = [(name, params[name]) for name in (*CARRIED, *extra) if name in params]
        fields, submit = form
        return Page(render("authz_form.html", {
            "title": MESSAGES["PS-AU-0001"],
            "fields": Markup(fields),
            "submit": submit,
            "message": Markup("<br>".join(html.escape(part) for part in message.split("<br />"))),
            "client_id": _slash(params.get("client_id") or ""),
            "cell_url": self.cell_url,
            "action": f"{self.cell_url}__authz",
            "hidden": Markup("\n".join(
                f'<input type="hidden" name="{html.escape(name)}" value="{html.escape(value)}">'
                for name, value in hidden)),
        }))


# --- helpers ------------------------------------------------------------------------------------
class Markup(str):
    """Text that is already HTML: the renderer does not escape it."""


#: The form's fields and submit label: the login form and the password-change form (292p).
LOGIN_FORM = ('<label for="username">User ID</label>\n'
              '<input type="text" id="username" name="username" autocomplete="username" autofocus>\n'
              '<label for="password">Password</label>\n'
              '<input type="password" id="password" name="password" autocomplete="current-password">',
              "Log in")
PASSWORD_CHANGE_FORM = ('<label for="password">New password</label>\n'
                        '<input type="password" id="password" name="password" autocomplete="new-password" '
                        'autofocus>', "Change password")


@cache
def _template(name: str) -> Template:
    return Template(resources.files("cellar.auth.oauth").joinpath("templates", name).read_text("utf-8"))


def render(name: str, values: Mapping[str, str]) -> str:
    """``string.Template`` with every value HTML-escaped unless it is :class:`Markup`."""
    escaped = {k: v if isinstance(v, Markup) else html.escape(v) for k, v in values.items()}
    return _template(name).substitute(escaped)


def _message(code: str) -> str:
    return MESSAGES[code] if code in MESSAGES else CATALOG[code].template


def _true(value: str | None) -> bool:
    """Java's ``Boolean.parseBoolean``."""
    return value is not None and value.lower() == "true"


def _slash(url: str) -> str:
    return url if url.endswith("/") else url + "/"


def _authority(url: str) -> str | None:
    """The authority of an absolute http(s) URL fit for a Location header, else None."""
    if any(ch <= " " or ch == "\x7f" for ch in url):
        return None
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return parts.netloc


def _separator(response_type: str, redirect_uri: str) -> str:
    """Query for code, fragment otherwise; ``&`` when the URI already has that part."""
    separator = "?" if response_type == CODE else "#"
    return "&" if separator in redirect_uri else separator


def _join(base: str, separator: str, params: list[tuple[str, str]]) -> str:
    encoded = "&".join(f"{name}={quote(value, safe='')}" for name, value in params)
    return quote(base, safe=_LOCATION_SAFE) + separator + encoded
