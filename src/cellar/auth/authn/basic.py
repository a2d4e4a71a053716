"""Basic authentication on box resources (notes §3.2): only in the main box and in boxes without a
Schema; elsewhere, and at cell level, a Basic header counts as no credentials.

``Authorization: Basic base64(urlencode(user):urlencode(pass))``, standard or URL-safe base64. A
malformed header or an unknown account → 401 ``PR401-AU-0004``; a locked account → ``PR401-AU-0010``;
a wrong password → ``PR401-AU-0011`` (and the failure counts towards the lock). The password is
hashed outside any transaction, in a worker thread, and a verified one is remembered for a minute (under
an HMAC of the account, its stored hash and the password), so that a client sending Basic on every
request pays the hash once, not each time.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import time
from typing import Any
from urllib.parse import unquote

from sqlalchemy import bindparam, select

from cellar import clock
from cellar.auth.authn import history
from cellar.auth.authn.credentials import held_roles
from cellar.auth.authn.passwords import verify_password
from cellar.auth.cache import BoundedCache
from cellar.auth.context import AccessContext, AccessKind
from cellar.settings import Settings
from cellar.storage.engine import Storage
from cellar.storage.prepared import Prepared
from cellar.storage.tables import accounts
from cellar.storage.uow import Transaction


def parse(authorization: str) -> tuple[str, str] | None:
    scheme, _, encoded = authorization.partition(" ")
    if scheme != "Basic" or not encoded.strip():
        return None
    text = encoded.strip()
    padded = (text + "=" * (-len(text) % 4)).encode()
    url_safe = "-" in text or "_" in text
    try:
        raw = base64.b64decode(padded, altchars=b"-_" if url_safe else None, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    user, sep, password = raw.partition(":")
    return (unquote(user), unquote(password)) if sep and user else None


def _invalid(code: str) -> AccessContext:
    return AccessContext(AccessKind.INVALID, error_code=code, basic=True)


class PasswordToCheck(Exception):  # noqa: N818 - a request for work, not a failure
    """:func:`judge` needs a password hashed, which is slow CPU work for a worker thread
    (:func:`settle`); the request is then judged again with the verdict."""

    def __init__(self, cell_id: str, account: dict[str, Any] | None, password: str, granted: AccessContext) -> None:
        super().__init__("password to check")
        self.cell_id, self.account, self.password, self.granted = cell_id, account, password, granted


_ACCOUNT = Prepared(select(accounts).where(accounts.c.cell_id == bindparam("cell"),
                                           accounts.c.name == bindparam("name")))

#: Passwords verified lately: HMAC (under a key of this process) of the account, its stored hash and the
#: password → when the entry expires. Never the password itself; a new password (a new stored hash)
#: or another account never matches an old entry.
_VERIFIED: BoundedCache[bytes, float] = BoundedCache(4096)
_KEY = secrets.token_bytes(32)
#: Seconds a verified password is taken as verified.
VERIFIED_FOR = 60.0


def _fingerprint(account: dict[str, Any], password: str) -> bytes:
    material = "\0".join((account["id"], account["hashed_credential"] or "", password)).encode()
    return hmac.new(_KEY, material, hashlib.sha256).digest()


def judge(tx: Transaction, settings: Settings, cell: dict[str, Any], cell_url: str,
          authorization: str) -> AccessContext:
    """Who the Basic credentials name, in the request's transaction: the account, its lock, its roles;
    :class:`PasswordToCheck` unless the password was verified lately."""
    credentials = parse(authorization)
    if credentials is None:
        return _invalid("PR401-AU-0004")
    username, password = credentials
    row = _ACCOUNT.first(tx, cell=cell["id"], name=username)
    if row is None or "basic" not in row["type"].split(" "):
        raise PasswordToCheck(cell["id"], None, password, _invalid("PR401-AU-0004"))
    if history.account_locked(history.load(tx, row["id"]), clock.now_ms(), settings.lock_count, settings.lock_time):
        return _invalid("PR401-AU-0010")
    urls, ids = held_roles(tx, cell, cell_url, username)
    granted = AccessContext(AccessKind.ACCOUNT, subject=username, roles=urls, role_ids=ids, basic=True,
                            issuer=cell_url, scopes=("root",))
    account = dict(row)
    expires = _VERIFIED.get(_fingerprint(account, password))
    if expires is not None and expires > time.monotonic():
        return granted
    raise PasswordToCheck(cell["id"], account, password, granted)


def settle(storage: Storage, check: PasswordToCheck) -> AccessContext:
    """Hash the password (outside any transaction); a wrong one counts towards the lock. The same
    time is spent for an unknown account."""
    account = check.account
    if account is None:
        verify_password(None, check.password)
        return check.granted
    if not verify_password(account["hashed_credential"], check.password):
        with storage.transaction("auth.basic.failure") as tx:
            history.record_failure(tx, check.cell_id, account["id"], history.load(tx, account["id"]), clock.now_ms())
        return _invalid("PR401-AU-0011")
    _VERIFIED.put(_fingerprint(account, check.password), time.monotonic() + VERIFIED_FOR)
    return check.granted
