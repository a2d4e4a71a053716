"""Unit-wide secrets kept in the database, created once by whichever process needs them first."""

from __future__ import annotations

import os
from collections.abc import Callable

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from cellar.storage import Storage
from cellar.storage.tables import unit_kv


def unit_value(storage: Storage, key: str, make: Callable[[], str]) -> str:
    """The stored value for ``key``; made and stored if absent (the first writer wins a race)."""
    with storage.transaction(f"unit_kv.get.{key}", write=False) as tx:
        value = tx.conn.execute(select(unit_kv.c.value).where(unit_kv.c.key == key)).scalar()
    if value is not None:
        return str(value)
    try:
        with storage.transaction(f"unit_kv.create.{key}") as tx:
            tx.conn.execute(insert(unit_kv).values(key=key, value=make()))
    except IntegrityError:
        pass
    with storage.transaction(f"unit_kv.get.{key}", write=False) as tx:
        return str(tx.conn.execute(select(unit_kv.c.value).where(unit_kv.c.key == key)).scalar_one())


def token_secret(storage: Storage) -> bytes:
    return bytes.fromhex(unit_value(storage, "token_secret", lambda: os.urandom(32).hex()))
