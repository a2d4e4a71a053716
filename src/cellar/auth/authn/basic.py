"""Basic authentication on box resources (notes §3.2): only in the main box and in boxes without a
Schema; elsewhere, and at cell level, a Basic header counts as no credentials.

``Authorization: Basic base64(urlencode(user):urlencode(pass))``, standard or URL-safe base64. A
malformed header or an unknown account → 401 ``PR401-AU-0004``; a locked account → ``PR401-AU-0010``;
a wrong password → ``PR401-AU-0011`` (and the failure counts towards the lock). The password is
checked outside any write transaction, so hashing never holds the database's writer lock.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from sqlalchemy import select

from cellar import clock
from cellar.auth.authn import history
from cellar.auth.authn.credentials import account_role_refs
from cellar.auth.authn.passwords import verify_password
from cellar.auth.context import AccessContext, AccessKind
from cellar.settings import Settings
from cellar.storage.engine import Storage
from cellar.storage.tables import accounts


@dataclass(frozen=True)
class _Candidate:
    account: dict[str, Any]
    past: history.History
    roles: tuple[tuple[str, ...], tuple[str, ...]]


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


def authenticate(storage: Storage, settings: Settings, cell: dict[str, Any], cell_url: str,
                 authorization: str) -> AccessContext:
    credentials = parse(authorization)
    if credentials is None:
        return _invalid("PR401-AU-0004")
    username, password = credentials
    with storage.transaction("auth.basic.load", write=False) as tx:
        a = accounts
        row = tx.conn.execute(select(a).where(a.c.cell_id == cell["id"], a.c.name == username)).mappings().first()
        if row is None or "basic" not in row["type"].split(" "):
            verify_password(None, password)  # the same time for unknown accounts
            return _invalid("PR401-AU-0004")
        candidate = _Candidate(dict(row), history.load(tx, row["id"]),
                               account_role_refs(tx, cell["id"], cell_url, username))
    moment = clock.now_ms()
    if history.account_locked(candidate.past, moment, settings.lock_count, settings.lock_time):
        return _invalid("PR401-AU-0010")
    if not verify_password(candidate.account["hashed_credential"], password):
        with storage.transaction("auth.basic.failure") as tx:
            account_id = candidate.account["id"]
            history.record_failure(tx, cell["id"], account_id, history.load(tx, account_id), moment)
        return _invalid("PR401-AU-0011")
    urls, ids = candidate.roles
    return AccessContext(AccessKind.ACCOUNT, subject=username, roles=urls, role_ids=ids, basic=True,
                         issuer=cell_url, scopes=("root",))
