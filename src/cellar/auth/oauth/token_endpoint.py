"""The token endpoint, ``POST {CellURL}__token`` — apiref/293, notes §3.3.

Grants: password, refresh_token, saml2-bearer (a trans-cell token as assertion) and
authorization_code; ``p_target`` turns the access token into a trans-cell token for another cell,
``p_owner`` into a unit-local unit user token. Failed password logins are recorded even though the
response is an error, so failures are returned (:class:`Failure`) instead of raised.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select

from cellar import clock
from cellar.auth.access.scopes import arbitrate
from cellar.auth.authn import history, saml
from cellar.auth.authn.cell_policies import accounts_not_recording_history, owner_representative_accounts
from cellar.auth.authn.credentials import AuthServices
from cellar.auth.authn.ipranges import ip_allowed
from cellar.auth.authn.jwt import id_token
from cellar.auth.authn.keyring import cell_key
from cellar.auth.authn.passwords import verify_password
from cellar.auth.authn.roles import RoleRef, account_roles, role_ids_for_urls, visitor_roles
from cellar.auth.authn.tokens import LocalToken, TokenError, TokenKind
from cellar.auth.oauth.client_auth import authenticate_client, schema_without_confidential
from cellar.errors import PersoniumError
from cellar.settings import Settings
from cellar.storage import tables
from cellar.storage.uow import Transaction

PASSWORD = "password"
SAML2 = "urn:ietf:params:oauth:grant-type:saml2-bearer"
REFRESH = "refresh_token"
CODE = "authorization_code"
GRANTS = (PASSWORD, SAML2, REFRESH, CODE)


@dataclass(frozen=True)
class TokenRequest:
    params: Mapping[str, str]
    authorization: str | None = None
    client_ip: str | None = None
    #: The password already hashed outside the write transaction (see :func:`password_to_check`).
    checked: PasswordCheck | None = None


@dataclass(frozen=True)
class PasswordCheck:
    """A password hashed against one stored hash before the write transaction begins: SQLite has one
    writer, and hashing inside it serialised every login. Used only if the account is unchanged."""

    account_id: str | None
    stored: str | None
    ok: bool = False

    def verified(self, password: str) -> PasswordCheck:
        return replace(self, ok=verify_password(self.stored, password))

    def applies_to(self, account: Mapping[str, Any] | None) -> bool:
        if account is None:
            return self.account_id is None
        return self.account_id == account["id"] and self.stored == account["hashed_credential"]


def password_to_check(tx: Transaction, cell_id: str, username: str) -> PasswordCheck:
    """The account's stored hash, read in a read transaction, to be :meth:`PasswordCheck.verified` after it."""
    account = find_account(tx, cell_id, username)
    return PasswordCheck(account["id"], account["hashed_credential"]) if account else PasswordCheck(None, None)


@dataclass(frozen=True)
class Failure:
    """An error to answer after the transaction commits (it recorded the failed login)."""

    error: PersoniumError
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Issued:
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Lifetimes:
    access_ms: int
    refresh_ms: int


class TokenEndpoint:
    def __init__(self, services: AuthServices, tx: Transaction, cell: Mapping[str, Any]) -> None:
        self.services = services
        self.tx = tx
        self.cell = cell
        self.urls = services.urls
        self.cell_url = services.urls.cell_url(cell["name"])
        self.keyring = services.keyring
        self.now = clock.now_ms()

    def handle(self, request: TokenRequest) -> Issued | Failure:
        params = request.params
        grant = params.get("grant_type")
        if grant not in GRANTS:
            raise PersoniumError("PR400-AN-0001")
        target = self._target(params.get("p_target"))
        lifetimes = Lifetimes(_seconds(params, "expires_in", 3600) * 1000,
                              _seconds(params, "refresh_token_expires_in", 86400) * 1000)
        schema = authenticate_client(params, request.authorization, self.cell_url, self.urls,
                                     self.keyring.unit.trusted_roots)
        owner = params.get("p_owner") == "true"
        if grant == PASSWORD:
            return self._password(request, schema, target, owner, lifetimes)
        if owner and grant == SAML2:
            raise PersoniumError("PR400-AN-0008")
        if grant == SAML2:
            return self._saml2(params, schema, target, lifetimes)
        if grant == REFRESH:
            return self._refresh(params, schema, target, owner, lifetimes)
        return self._code(params, schema, target, lifetimes)

    # --- parameters -----------------------------------------------------------------------------
    def _target(self, value: str | None) -> str | None:
        if value is None:
            return None
        url = self.urls.canonical(value)
        parts = urlsplit(url)
        if "\r" in url or "\n" in url or parts.scheme not in ("http", "https") or not parts.hostname:
            raise PersoniumError("PR400-AN-0002")
        return url if url.endswith("/") else url + "/"

    def _scopes(self, requested: str | None) -> tuple[str, ...]:
        return arbitrate(requested, self._is_role_url)

    def _is_role_url(self, url: str) -> bool:
        return bool(role_ids_for_urls(self.tx, self.cell["id"], self.cell_url, [self.urls.canonical(url)]))

    # --- grant_type=password --------------------------------------------------------------------
    def _password(self, request: TokenRequest, schema: str, target: str | None, owner: bool,
                  lifetimes: Lifetimes) -> Issued | Failure:
        params = request.params
        for name in ("username", "password"):
            if not params.get(name):
                raise PersoniumError("PR400-AN-0016", name)
        username, password = params["username"], params["password"]
        checked = authenticate_password(self.tx, self.services.settings, self.cell["id"], username, password,
                                        request.client_ip, self.now, request.checked)
        if checked is None:
            return Failure(PersoniumError("PR400-AN-0017"))
        account, past = checked.account, checked.past
        record_login(self.tx, self.cell["id"], account["id"], username, self.now)
        login = {"last_authenticated": past.last_authenticated, "failed_count": past.failed_count}
        if account["status"] == "passwordChangeRequired":
            change = LocalToken(TokenKind.PASSWORD_CHANGE, self.cell_url, username, self.now, lifetimes.refresh_ms,
                                schema)
            return Failure(PersoniumError("PR401-AN-0023"), {
                "access_token": self.keyring.codec.encode(change), "url": f"{self.cell_url}__mypassword", **login})
        if owner:
            return Issued(self._owner_token(username, lifetimes))
        scopes = self._scopes(params.get("scope"))
        roles = account_roles(self.tx, account["id"])
        return Issued(*self._resident(username, schema, scopes, roles, target, lifetimes, login))

    def _account(self, name: str) -> Mapping[str, Any] | None:
        return find_account(self.tx, self.cell["id"], name)

    def _owner_token(self, username: str, lifetimes: Lifetimes) -> dict[str, Any]:
        """ULUUT promotion (notes §2.4): listed accounts speak for the cell's owner at unit level."""
        if username not in owner_representative_accounts(self.tx, self.cell["id"]):
            raise PersoniumError("PR400-AN-0014")
        if not self.cell["owner"]:
            raise PersoniumError("PR400-AN-0015")
        token = LocalToken(TokenKind.UNIT_LOCAL_UNIT_USER, self.urls.unit_url, self.cell["owner"], self.now,
                           lifetimes.access_ms)
        return {"access_token": self.keyring.codec.encode(token), "token_type": "Bearer",
                "expires_in": lifetimes.access_ms // 1000}

    def _resident(self, username: str, schema: str, scopes: tuple[str, ...], roles: list[RoleRef],
                  target: str | None, lifetimes: Lifetimes, extra: dict[str, Any]
                  ) -> tuple[dict[str, Any], dict[str, str]]:
        refresh = LocalToken(TokenKind.RESIDENT_REFRESH, self.cell_url, username, self.now, lifetimes.refresh_ms,
                             schema, scopes)
        if target is not None:
            access = self._trans_cell(f"{self.cell_url}#{username}", target, schema, scopes,
                                      [r.class_url(self.cell_url) for r in roles], lifetimes)
        else:
            access = self.keyring.codec.encode(LocalToken(TokenKind.RESIDENT_ACCESS, self.cell_url, username,
                                                          self.now, lifetimes.access_ms, schema, scopes))
        return self._response(access, refresh, scopes, target, lifetimes, extra)

    # --- grant_type=saml2-bearer ----------------------------------------------------------------
    def _saml2(self, params: Mapping[str, str], schema: str, target: str | None,
               lifetimes: Lifetimes) -> Issued:
        assertion = params.get("assertion")
        if not assertion:
            raise PersoniumError("PR400-AN-0009")
        try:
            tcat = saml.parse(assertion, self.keyring.unit.trusted_roots, self.now)
        except saml.TokenError as exc:
            code = {"parse": "PR400-AN-0009", "expired": "PR400-AN-0010"}.get(exc.reason, "PR400-AN-0011")
            raise PersoniumError(code) from None
        if _slash(self.urls.canonical(tcat.target)) != self.cell_url:
            raise PersoniumError("PR400-AN-0012", tcat.target)
        # The assertion's scopes are arbitrated here like requested ones; the app schema is the one
        # authenticated at this endpoint, never carried over from the assertion.
        scopes = self._scopes(" ".join(tcat.scopes))
        refresh = LocalToken(TokenKind.VISITOR_REFRESH, self.cell_url, tcat.subject, self.now, lifetimes.refresh_ms,
                             schema, scopes, tcat.roles, tcat.id, tcat.issuer)
        return self._visitor(refresh, target, lifetimes)

    def _visitor(self, refresh: LocalToken, target: str | None, lifetimes: Lifetimes) -> Issued:
        """A visitor's roles are mapped here from the original token's issuer and roles (notes §4.6)."""
        roles = visitor_roles(self.tx, self.urls, self.cell["id"], refresh.subject, refresh.original_issuer,
                              refresh.roles)
        if target is not None:
            access = self._trans_cell(refresh.subject, target, refresh.schema, refresh.scopes,
                                      [r.class_url(self.cell_url) for r in roles], lifetimes)
        else:
            access = self.keyring.codec.encode(LocalToken(
                TokenKind.VISITOR_ACCESS, self.cell_url, refresh.subject, self.now, lifetimes.access_ms,
                refresh.schema, refresh.scopes, tuple(r.instance_url(self.cell_url) for r in roles)))
        return Issued(*self._response(access, refresh, refresh.scopes, target, lifetimes, {}))

    # --- grant_type=refresh_token ---------------------------------------------------------------
    def _refresh(self, params: Mapping[str, str], schema: str, target: str | None, owner: bool,
                 lifetimes: Lifetimes) -> Issued:
        text = params.get("refresh_token", "")
        token = self._parse_refresh(text)
        if token.schema and not schema:
            raise PersoniumError("PR401-AN-0021")
        if token.schema != schema:
            raise PersoniumError("PR401-AN-0020", token.schema, schema)
        if owner:
            if token.kind is not TokenKind.RESIDENT_REFRESH:
                raise PersoniumError("PR400-AN-0008")
            return Issued(self._owner_token(token.subject, lifetimes))
        if token.kind is TokenKind.VISITOR_REFRESH:
            renewed = LocalToken(TokenKind.VISITOR_REFRESH, self.cell_url, token.subject, self.now,
                                 lifetimes.refresh_ms, token.schema, token.scopes, token.roles,
                                 uuid.uuid4().hex, token.original_issuer)
            return self._visitor(renewed, target, lifetimes)
        account = self._account(token.subject)
        roles = account_roles(self.tx, account["id"]) if account else []
        return Issued(*self._resident(token.subject, token.schema, token.scopes, roles, target, lifetimes, {}))

    # --- grant_type=authorization_code ----------------------------------------------------------
    def _code(self, params: Mapping[str, str], schema: str, target: str | None, lifetimes: Lifetimes) -> Issued:
        text = params.get("code", "")
        if TokenKind.of(text) is not TokenKind.GRANT_CODE:
            raise PersoniumError("PR400-AN-0019")
        if not schema:
            raise PersoniumError("PR401-AN-0021", headers={"WWW-Authenticate": f'Basic realm="{self.cell_url}"'})
        if params.get("p_owner") == "true":
            raise PersoniumError("PR400-AN-0008")
        try:
            code = self.keyring.codec.decode(text, self.cell_url, self.now)
        except TokenError as exc:
            raise PersoniumError("PR400-AN-0010" if exc.reason == "expired" else "PR400-AN-0019") from None
        if schema_without_confidential(code.schema) != schema_without_confidential(schema):
            raise PersoniumError("PR401-AN-0020", code.schema, schema,
                                 headers={"WWW-Authenticate": f'Basic realm="{self.cell_url}"'})
        account = self._account(code.subject)
        roles = account_roles(self.tx, account["id"]) if account else []
        body, headers = self._resident(code.subject, schema, code.scopes, roles, target, lifetimes, {})
        if "openid" in code.scopes:
            kid, key = cell_key(self.tx, self.cell["id"])
            body["id_token"] = id_token(key, kid, self.cell_url, code.subject,
                                        schema_without_confidential(schema), self.now)
        return Issued(body, headers)

    def _parse_refresh(self, text: str) -> LocalToken:
        """Parse (AN-0009), then the kind (AN-0013: an access or trans-cell token is "not a refresh
        token"), then expiry (AN-0010), in the real server's order."""
        kind = TokenKind.of(text)
        if kind is None:
            raise PersoniumError("PR400-AN-0013" if self._is_trans_cell(text) else "PR400-AN-0009")
        issuer = self.urls.unit_url if kind is TokenKind.UNIT_LOCAL_UNIT_USER else self.cell_url
        try:
            token = self.keyring.codec.decode(text, issuer, check_expiry=False)
        except TokenError:
            raise PersoniumError("PR400-AN-0009") from None
        if not kind.is_refresh:
            raise PersoniumError("PR400-AN-0013")
        if token.expired(self.now):
            raise PersoniumError("PR400-AN-0010")
        return token

    def _is_trans_cell(self, text: str) -> bool:
        try:
            saml.parse(text, self.keyring.unit.trusted_roots, self.now)
        except saml.TokenExpiredError:
            return True
        except saml.TokenError:
            return False
        return True

    # --- building blocks ------------------------------------------------------------------------
    def _trans_cell(self, subject: str, target: str, schema: str, scopes: tuple[str, ...], roles: list[str],
                    lifetimes: Lifetimes) -> str:
        token = saml.TransCellToken(uuid.uuid4().hex, self.cell_url, subject, target, schema, tuple(roles),
                                    scopes, self.now, lifetimes.access_ms)
        return saml.issue(token, self.keyring.unit.key, self.keyring.unit.cert)

    def _response(self, access: str, refresh: LocalToken, scopes: tuple[str, ...], target: str | None,
                  lifetimes: Lifetimes, extra: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
        body: dict[str, Any] = {"access_token": access, "token_type": "Bearer",
                                "expires_in": lifetimes.access_ms // 1000}
        if scopes:
            body["scope"] = " ".join(scopes)
        body["refresh_token"] = self.keyring.codec.encode(refresh)
        body["refresh_token_expires_in"] = lifetimes.refresh_ms // 1000
        headers = {}
        if target is not None:
            body["p_target"] = target
            headers["Location"] = f"{target}__token"
        body.update(extra)
        return body, headers


# --- password check shared with the authorization endpoint (``__authz``) -------------------------
@dataclass(frozen=True)
class PasswordLogin:
    """A password that was accepted: the account row and its login history before this login."""

    account: Mapping[str, Any]
    past: history.History


def find_account(tx: Transaction, cell_id: str, name: str) -> dict[str, Any] | None:
    a = tables.accounts
    row = tx.conn.execute(select(a).where(a.c.cell_id == cell_id, a.c.name == name)).mappings().first()
    return dict(row) if row else None


def authenticate_password(tx: Transaction, settings: Settings, cell_id: str, username: str, password: str,
                          client_ip: str | None, now_ms: int,
                          checked: PasswordCheck | None = None) -> PasswordLogin | None:
    """Notes §3.3 steps 1–7; ``None`` means "Authentication failed" (the failure is already recorded
    when the account exists). The hash always runs, even for unknown accounts (timing hardening).
    A ``passwordChangeRequired`` Status passes: the caller decides what that account may get. The
    success is not recorded here: see :func:`record_login`."""
    account = find_account(tx, cell_id, username)
    if checked is not None and checked.applies_to(account):
        password_ok = checked.ok
    else:  # nothing checked beforehand, or the account changed meanwhile
        password_ok = verify_password(account["hashed_credential"] if account else None, password)
    if account is None or "basic" not in account["type"].split(" "):
        return None
    past = history.load(tx, account["id"])
    if (history.interval_locked(past, now_ms, settings.authn_interval)
            or history.account_locked(past, now_ms, settings.lock_count, settings.lock_time)
            or not ip_allowed(account["ip_address_range"], client_ip)
            or not password_ok or account["status"] == "deactivated"):
        history.record_failure(tx, cell_id, account["id"], past, now_ms)
        return None
    return PasswordLogin(account, past)


def record_login(tx: Transaction, cell_id: str, account_id: str, username: str, now_ms: int) -> None:
    """Reset the failure count; remember the login time unless the cell says not to for this account."""
    remember = username not in accounts_not_recording_history(tx, cell_id)
    history.record_success(tx, cell_id, account_id, now_ms, remember=remember)


def _seconds(params: Mapping[str, str], name: str, maximum: int) -> int:
    """``expires_in`` 1..3600 and ``refresh_token_expires_in`` 1..86400; the real server reuses the
    "required parameter missing" code for a bad value (notes §3.3)."""
    if name not in params:
        return maximum
    value = params[name]
    if not value.isdigit() or not 1 <= int(value) <= maximum:
        raise PersoniumError("PR400-AN-0016", name)
    return int(value)


def _slash(url: str) -> str:
    return url if url.endswith("/") else url + "/"
