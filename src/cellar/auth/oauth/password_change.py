"""Change Password (``PUT {CellURL}__mypassword``) — apiref/294, notes §3.6.

The account is the subject of the presented token: an ``AR~`` whose scopes include ``auth`` or an
``AP~`` (issued when the account's Status is ``passwordChangeRequired``). The work is split so that
the costly argon2 hash runs outside the write transaction: :func:`prepare` authorizes and hashes,
:func:`apply` writes.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update

from cellar import clock
from cellar.auth.access.scopes import scope_allows
from cellar.auth.authn.passwords import ALGORITHM, check_policy, hash_password
from cellar.auth.context import AccessKind, Caller
from cellar.errors import PersoniumError
from cellar.events.bus import Event
from cellar.events.catalog import CELL_MYPASSWORD
from cellar.storage import tables
from cellar.storage.uow import Transaction

CREDENTIAL_HEADER = "x-personium-credential"
#: The cell privilege an ``AR~`` token's scope must include (notes §3.5).
REQUIRED_SCOPE = "auth"
PASSWORD_CHANGE_REQUIRED, ACTIVE = "passwordChangeRequired", "active"


@dataclass(frozen=True)
class PasswordChange:
    account: str
    hashed_credential: str


def authorize(caller: Caller, cell_url: str) -> str:
    """The account whose password may be changed, or the PR401/PR403 error for this caller."""
    access = caller.access
    challenge = {"WWW-Authenticate": f'Bearer realm="{cell_url}"'}
    if access.kind is AccessKind.ANONYMOUS:
        raise PersoniumError("PR401-AU-0001", headers=challenge)
    if access.kind is AccessKind.INVALID:
        # Basic is never accepted at cell level: "Authorization required" (notes §3.2).
        code = "PR401-AU-0001" if access.basic else access.error_code or "PR401-AU-0006"
        raise PersoniumError(code, headers=challenge)
    if access.kind is AccessKind.ACCOUNT:
        if not scope_allows(access.scopes, REQUIRED_SCOPE):
            raise PersoniumError("PR403-AU-0007", REQUIRED_SCOPE)
    elif access.kind is not AccessKind.PASSWORD_CHANGE:
        raise PersoniumError("PR403-AU-0002")
    if not access.subject:
        raise PersoniumError("PR403-AU-0002")
    return access.subject


def prepare(caller: Caller, cell_url: str) -> PasswordChange:
    """Authorize, then validate and hash the new password (no storage access)."""
    account = authorize(caller, cell_url)
    password = caller.headers.get(CREDENTIAL_HEADER)
    if password is None:
        raise PersoniumError("PR400-AU-0003")
    check_policy(password)
    return PasswordChange(account, hash_password(password))


def apply(tx: Transaction, cell_id: str, cell_url: str, change: PasswordChange) -> None:
    """Replace the hash; ``passwordChangeRequired`` becomes ``active``; the ETag changes."""
    a = tables.accounts
    row = tx.conn.execute(select(a.c.id, a.c.status, a.c.updated, a.c.version)
                          .where(a.c.cell_id == cell_id, a.c.name == change.account)).first()
    if row is None:
        # The token outlived its account (deleted or renamed since it was issued).
        raise PersoniumError("PR404-OD-0002")
    values = {"hashed_credential": change.hashed_credential, "hash_algorithm": ALGORITHM,
              "updated": max(clock.now_ms(), row.updated), "version": a.c.version + 1}
    if row.status == PASSWORD_CHANGE_REQUIRED:
        values["status"] = ACTIVE
    tx.conn.execute(update(a).where(a.c.id == row.id).values(values))
    tx.emit(Event(CELL_MYPASSWORD, f"{cell_url}__mypassword", cell_id=cell_id))
