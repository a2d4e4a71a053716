"""The ``Authorization`` header → an :class:`AccessContext`, at unit level or inside a cell.

Which tokens count depends on where they are presented (notes §2.1, §3.2): cell-local tokens are
sealed to their issuing cell, ``AU~`` to the unit, trans-cell tokens to their target.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import select

from cellar import clock
from cellar.auth.authn import saml
from cellar.auth.authn.keyring import Keyring
from cellar.auth.authn.roles import account_roles, role_ids_for_urls, visitor_roles
from cellar.auth.authn.tokens import LocalToken, TokenError, TokenKind
from cellar.auth.cache import ROLES
from cellar.auth.context import ADMIN, ANONYMOUS, READER, UNIT_ADMIN, AccessContext, AccessKind
from cellar.errors import PersoniumError
from cellar.settings import Settings
from cellar.storage import tables
from cellar.storage.uow import Transaction
from cellar.urls import UnitUrls


class AuthServices(Protocol):
    """What the OAuth endpoints need of the process's services (``cellar.services.Services`` is one)."""

    urls: UnitUrls
    settings: Settings

    @property
    def keyring(self) -> Keyring: ...


@dataclass(frozen=True)
class AuthEnv:
    urls: UnitUrls
    #: Loaded only when a token needs it: the master token never does.
    keyring: Callable[[], Keyring]
    master_token: str | None
    unit_user_issuers: tuple[str, ...]


def _invalid(code: str) -> AccessContext:
    return AccessContext(AccessKind.INVALID, error_code=code)


def _split(authorization: str | None) -> tuple[str, str] | None:
    if authorization is None:
        return None
    scheme, _, credentials = authorization.partition(" ")
    return scheme, credentials.strip()


def _master(token: str, unit_user: str | None, master_token: str | None) -> AccessContext | None:
    # An empty master token means "no master token", never "matches an empty Bearer".
    if master_token and hmac.compare_digest(token.encode(), master_token.encode()):
        if unit_user:
            return AccessContext(AccessKind.UNIT_USER, subject=unit_user)
        return AccessContext(AccessKind.UNIT_MASTER)
    return None


def _bearer(env: AuthEnv, authorization: str | None, unit_user: str | None,
            basic: AccessContext) -> AccessContext | str:
    """The Bearer token to judge, or already the answer: none for no header, ``basic`` for Basic
    credentials, an error for any other scheme, the master token's access."""
    parts = _split(authorization)
    if parts is None:
        return ANONYMOUS
    scheme, token = parts
    if scheme == "Basic":
        return basic
    if scheme != "Bearer":
        return _invalid("PR401-AU-0003")
    master = _master(token, unit_user, env.master_token)
    return master if master is not None else token


def unit_access(env: AuthEnv, authorization: str | None, unit_user: str | None) -> AccessContext:
    """Unit-level APIs: master token, unit user tokens (UUT) and ``AU~`` tokens."""
    token = _bearer(env, authorization, unit_user, basic=_invalid("PR401-AU-0011"))
    if isinstance(token, AccessContext):
        return token
    kind = TokenKind.of(token)
    if kind is TokenKind.UNIT_LOCAL_UNIT_USER:
        return _unit_local(env, token)
    if kind is TokenKind.PASSWORD_CHANGE:
        return _invalid("PR401-AU-0012")
    if kind is not None:
        return _invalid("PR401-AU-0006")
    return _trans_cell(env, token, unit_user, cell=None)


def cell_access(env: AuthEnv, tx: Transaction, cell: Mapping[str, Any], authorization: str | None,
                unit_user: str | None) -> AccessContext:
    """Cell-level and box-level APIs: every token kind, judged against this cell."""
    token = _bearer(env, authorization, unit_user,
                    basic=AccessContext(AccessKind.INVALID, error_code="PR401-AU-0001", basic=True))
    if isinstance(token, AccessContext):
        return token
    kind = TokenKind.of(token)
    if kind is None:
        return _trans_cell(env, token, unit_user, cell=(tx, cell))
    if kind is TokenKind.UNIT_LOCAL_UNIT_USER:
        return _unit_local(env, token)
    if kind is TokenKind.GRANT_CODE:
        return _invalid("PR401-AU-0006")
    cell_url = env.urls.cell_url(cell["name"])
    # The real order: parse (AU-0006), refuse refresh tokens (AU-0007), then expiry (AU-0002).
    try:
        local = env.keyring().codec.decode(token, cell_url, check_expiry=False)
    except TokenError:
        return _invalid("PR401-AU-0006")
    if kind.is_refresh:
        return _invalid("PR401-AU-0007")
    if local.expired():
        return _invalid("PR401-AU-0002")
    return _local(tx, cell, cell_url, local)


def _local(tx: Transaction, cell: Mapping[str, Any], cell_url: str, token: LocalToken) -> AccessContext:
    common: dict[str, Any] = {"subject": token.subject, "issuer": token.issuer, "schema": token.schema,
                              "scopes": token.scopes, "token": token}
    if token.kind is TokenKind.PASSWORD_CHANGE:
        return AccessContext(AccessKind.PASSWORD_CHANGE, **common)
    version = cell.get("auth_version")
    if token.kind is TokenKind.VISITOR_ACCESS:
        ids = _cached(("visitor", cell["id"], version, token.roles),
                      lambda: role_ids_for_urls(tx, cell["id"], cell_url, token.roles), version)
        return AccessContext(AccessKind.VISITOR, roles=token.roles, role_ids=ids, **common)
    urls, ids = held_roles(tx, cell, cell_url, token.subject)
    return AccessContext(AccessKind.ACCOUNT, roles=urls, role_ids=ids, **common)


def held_roles(tx: Transaction, cell: Mapping[str, Any], cell_url: str,
               account: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """:func:`account_role_refs`, cached under the cell's authorization version."""
    version = cell.get("auth_version")
    return _cached(("account", cell["id"], version, account),
                   lambda: account_role_refs(tx, cell["id"], cell_url, account), version)


def _cached(key: tuple[object, ...], make: Callable[[], Any], version: object) -> Any:
    """Role lookups are cached under the cell's authorization version when the caller read it."""
    return make() if version is None else ROLES.get_or_make(key, make)


def account_role_refs(tx: Transaction, cell_id: str, cell_url: str,
                      account: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The account's role instance URLs and role ids."""
    roles = _current_roles(tx, cell_id, account)
    return tuple(role.instance_url(cell_url) for role in roles), tuple(role.id for role in roles)


def _current_roles(tx: Transaction, cell_id: str, account: str) -> list[Any]:
    a = tables.accounts
    account_id = tx.conn.execute(select(a.c.id).where(a.c.cell_id == cell_id, a.c.name == account)).scalar()
    return account_roles(tx, account_id) if account_id else []


def _unit_local(env: AuthEnv, token: str) -> AccessContext:
    try:
        local = env.keyring().codec.decode(token, env.urls.unit_url)
    except TokenError as exc:
        return _invalid("PR401-AU-0002" if exc.reason == "expired" else "PR401-AU-0006")
    return AccessContext(AccessKind.UNIT_LOCAL, subject=local.subject, issuer=local.issuer, token=local)


def _trans_cell(env: AuthEnv, text: str, unit_user: str | None,
                cell: tuple[Transaction, Mapping[str, Any]] | None) -> AccessContext:
    try:
        token = saml.parse(text, env.keyring().unit.trusted_roots, clock.now_ms())
    except saml.TokenError as exc:
        return _invalid({"expired": "PR401-AU-0002", "parse": "PR401-AU-0006"}.get(exc.reason, "PR401-AU-0008"))
    if _is_unit_user_token(env, token):
        return _unit_user(env, token, unit_user)
    if cell is None:
        return AccessContext(AccessKind.TRANS, subject=token.subject, issuer=token.issuer, token=token)
    tx, row = cell
    cell_url = env.urls.cell_url(row["name"])
    # Unlike Java, a trans-cell token only works at the cell it was issued for.
    if env.urls.canonical(token.target).rstrip("/") != cell_url.rstrip("/"):
        return _invalid("PR401-AU-0006")
    version = row.get("auth_version")
    roles = _cached(("trans", row["id"], version, token.subject, token.issuer, token.roles),
                    lambda: tuple(visitor_roles(tx, env.urls, row["id"], token.subject, token.issuer, token.roles)),
                    version)
    return AccessContext(AccessKind.TRANS, subject=token.subject, issuer=token.issuer, schema=token.schema,
                         scopes=token.scopes, roles=tuple(r.instance_url(cell_url) for r in roles),
                         role_ids=tuple(r.id for r in roles), token=token)


def _is_unit_user_token(env: AuthEnv, token: saml.TransCellToken) -> bool:
    issuers = {env.urls.canonical(i).rstrip("/") for i in env.unit_user_issuers}
    target = env.urls.canonical(token.target).rstrip("/")
    return target == env.urls.unit_url.rstrip("/") and env.urls.canonical(token.issuer).rstrip("/") in issuers


def _unit_user(env: AuthEnv, token: saml.TransCellToken, unit_user: str | None) -> AccessContext:
    """Unit user roles must be roles of the issuer cell's main box (notes §2.2)."""
    base = env.urls.canonical(token.issuer)
    base = base if base.endswith("/") else base + "/"
    held = {role[len(f"{base}__role/__/"):] for role in token.roles if role.startswith(f"{base}__role/__/")}
    unit_roles = frozenset(held & {READER, ADMIN})
    common: dict[str, Any] = {"issuer": token.issuer, "unit_roles": unit_roles, "token": token}
    if UNIT_ADMIN in held and not unit_user:
        return AccessContext(AccessKind.UNIT_ADMIN, **common)
    return AccessContext(AccessKind.UNIT_USER, subject=unit_user if UNIT_ADMIN in held and unit_user
                         else token.subject, **common)


def require_unit_access(access: AccessContext, realm: str) -> None:
    """Unit-level APIs accept only unit-level access (notes §2.1)."""
    if access.is_unit_level:
        return
    challenge = {"WWW-Authenticate": f'Bearer realm="{realm}"'}
    if access.kind is AccessKind.ANONYMOUS:
        raise PersoniumError("PR401-AU-0001", headers=challenge)
    if access.kind is AccessKind.INVALID:
        raise PersoniumError(access.error_code or "PR401-AU-0006", headers=challenge)
    raise PersoniumError("PR403-AU-0001")
