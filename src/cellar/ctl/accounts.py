"""Account hooks — apiref 212, 215, 2AC: the password arrives only in ``X-Personium-Credential``."""

from __future__ import annotations

from typing import Any

from cellar.auth.authn.passwords import ALGORITHM, check_policy, hash_password
from cellar.auth.context import Caller
from cellar.odata.service import EntityHooks
from cellar.odata.store import Entity
from cellar.storage.uow import Transaction

CREDENTIAL_HEADER = "x-personium-credential"


def _credential_columns(caller: Caller) -> dict[str, Any]:
    password = caller.headers.get(CREDENTIAL_HEADER)
    if password is None:
        return {}
    check_policy(password)
    return {"hashed_credential": hash_password(password), "hash_algorithm": ALGORITHM}


class AccountHooks(EntityHooks):
    def before_create(self, tx: Transaction, caller: Caller, values: dict[str, Any]) -> dict[str, Any]:
        """Without a credential the account has no password, and password logins to it fail."""
        return _credential_columns(caller)

    def before_update(self, tx: Transaction, caller: Caller, entity: Entity,
                      values: dict[str, Any]) -> dict[str, Any]:
        """PUT and MERGE keep the old hash unless a new credential is sent."""
        return _credential_columns(caller)
