"""Token introspection (``POST {CellURL}__introspect``, RFC 7662) — apiref/297, notes §3.6.

Two questions, answered separately: who may ask (:func:`allowed_schema`: every token, or only the
tokens of one app), and what the presented token is (:func:`introspect`). A token that cannot be
read, has expired, belongs to another app than the caller's, or was neither issued by nor meant for
this cell is simply ``{"active": false}``: introspection never tells why.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from sqlalchemy import select

from cellar.auth.authn import saml
from cellar.auth.authn.roles import account_roles
from cellar.auth.authn.tokens import LocalToken, TokenCodec, TokenError, TokenKind
from cellar.auth.context import AccessKind, Caller
from cellar.auth.oauth.client_auth import authenticate_client, parse_basic, schema_without_confidential
from cellar.errors import PersoniumError
from cellar.storage import tables
from cellar.storage.uow import Transaction
from cellar.urls import UnitUrls

INACTIVE: dict[str, Any] = {"active": False}
#: Local token kinds introspection reports on; AP~, GC~ and AU~ are never "active" here (as in Personium).
_RESIDENT = (TokenKind.RESIDENT_ACCESS, TokenKind.RESIDENT_REFRESH)
_VISITOR = (TokenKind.VISITOR_ACCESS, TokenKind.VISITOR_REFRESH)


@dataclass(frozen=True)
class IntrospectUser:
    """``introspect.username`` / ``introspect.password``; unset (empty) disables that way in."""

    username: str
    password: str

    def matches(self, username: str, password: str) -> bool:
        if not self.username:
            return False
        user_ok = hmac.compare_digest(username.encode(), self.username.encode())
        password_ok = hmac.compare_digest(password.encode(), self.password.encode())
        return user_ok and password_ok


#: ``allowed_schema`` result meaning "any token".
ANY_SCHEMA = None


def allowed_schema(caller: Caller, authorization: str | None, cell: Mapping[str, Any], cell_url: str,
                   urls: UnitUrls, roots: Iterable[x509.Certificate], user: IntrospectUser) -> str | None:
    """Whose tokens the caller may introspect: :data:`ANY_SCHEMA`, or the tokens of one schema (app).

    Raises 401 for a missing or unusable credential and 403 PR403-AU-0002 for a caller that is
    authenticated but not entitled (no schema, wrong Basic credentials).
    """
    access = caller.access
    challenge = {"WWW-Authenticate": f'Bearer realm="{cell_url}"'}
    if access.kind is AccessKind.ANONYMOUS:
        raise PersoniumError("PR401-AU-0001", headers=challenge)
    if access.kind is AccessKind.INVALID:
        if access.basic:
            return _basic_schema(authorization or "", cell_url, urls, roots, user)
        raise PersoniumError(access.error_code or "PR401-AU-0006", headers=challenge)
    if access.kind is AccessKind.PASSWORD_CHANGE:
        raise PersoniumError("PR401-AU-0012", headers=challenge)
    if access.sees_all_cells:
        return ANY_SCHEMA
    if access.kind in (AccessKind.UNIT_USER, AccessKind.UNIT_LOCAL):
        # Personium's isUnitUserToken(): a unit user counts only at the cells it owns.
        if access.subject and access.subject == cell["owner"]:
            return ANY_SCHEMA
        raise PersoniumError("PR403-AU-0002")
    if not access.schema:
        raise PersoniumError("PR403-AU-0002")
    return access.schema


def _basic_schema(authorization: str, cell_url: str, urls: UnitUrls, roots: Iterable[x509.Certificate],
                  user: IntrospectUser) -> str | None:
    """Basic: the configured introspection user (any token), or an app's ``client_id:client_secret``
    where the secret is a trans-cell token the app's cell issued for this cell (that app's tokens)."""
    credentials = parse_basic(authorization)
    if credentials is None:
        raise PersoniumError("PR403-AU-0002")
    username, password = credentials
    if user.matches(username, password):
        return ANY_SCHEMA
    try:
        schema = authenticate_client({"client_id": username, "client_secret": password}, None, cell_url, urls,
                                     roots)
    except PersoniumError:
        # Personium answers every failed Basic caller here with "Necessary privilege is lacking".
        raise PersoniumError("PR403-AU-0002") from None
    return schema


def introspect(tx: Transaction, cell: Mapping[str, Any], cell_url: str, text: str | None, schema: str | None,
               codec: TokenCodec, urls: UnitUrls, roots: Iterable[x509.Certificate],
               now_ms: int) -> dict[str, Any]:
    """The RFC 7662 answer for ``text`` as seen by this cell, limited to ``schema`` unless ANY_SCHEMA."""
    if not text:
        return INACTIVE
    kind = TokenKind.of(text)
    if kind is None:
        return _trans_cell(text, cell_url, schema, urls, roots, now_ms)
    if kind not in _RESIDENT + _VISITOR:
        return INACTIVE
    try:
        token = codec.decode(text, cell_url, now_ms)
    except TokenError:
        return INACTIVE
    if not _schema_allowed(schema, token.schema):
        return INACTIVE
    if kind in _RESIDENT:
        roles = _resident_roles(tx, cell["id"], cell_url, token.subject)
        return _active(token.schema, token.issued_at_ms, token.lifespan_ms, f"{token.issuer}#{token.subject}",
                       token.issuer, roles)
    return _active(token.schema, token.issued_at_ms, token.lifespan_ms, token.subject, token.issuer,
                   list(token.roles), audience=_visitor_audience(token))


def _trans_cell(text: str, cell_url: str, schema: str | None, urls: UnitUrls,
                roots: Iterable[x509.Certificate], now_ms: int) -> dict[str, Any]:
    try:
        token = saml.parse(text, roots, now_ms)
    except saml.TokenError:
        return INACTIVE
    if not _schema_allowed(schema, token.schema):
        return INACTIVE
    if cell_url not in (_slash(urls.canonical(token.issuer)), _slash(urls.canonical(token.target))):
        return INACTIVE
    return _active(token.schema, token.issued_at_ms, token.lifespan_ms, token.subject, token.issuer,
                   list(token.roles), audience=token.target)


def _schema_allowed(allowed: str | None, token_schema: str) -> bool:
    """The app's tokens, whether issued to it as a public or a confidential (``#c``) client."""
    if allowed is ANY_SCHEMA:
        return True
    if not token_schema:
        return False
    return schema_without_confidential(allowed) == schema_without_confidential(token_schema)


def _resident_roles(tx: Transaction, cell_id: str, cell_url: str, account: str) -> list[str]:
    """Resident tokens carry no roles: they are the account's roles now, as at access time."""
    a = tables.accounts
    account_id = tx.conn.execute(select(a.c.id).where(a.c.cell_id == cell_id, a.c.name == account)).scalar()
    if account_id is None:
        return []
    return sorted(role.instance_url(cell_url) for role in account_roles(tx, account_id))


def _visitor_audience(token: LocalToken) -> str:
    """A visitor token is meant for the cell that issued it (Personium leaves ``aud`` null)."""
    return token.issuer


def _active(client_id: str, issued_at_ms: int, lifespan_ms: int, subject: str, issuer: str, roles: list[str],
            audience: str | None = None) -> dict[str, Any]:
    issued = issued_at_ms // 1000
    body: dict[str, Any] = {"active": True, "client_id": client_id or None,
                            "exp": issued + lifespan_ms // 1000, "iat": issued,
                            "sub": subject, "iss": issuer, "p_roles": roles}
    if audience is not None:
        body["aud"] = audience
    return body


def _slash(url: str) -> str:
    return url if url.endswith("/") else url + "/"
