"""Password-login history and locks (notes §3.3, §9.3), kept in the database for every process."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, insert, select, update

from cellar.storage.prepared import Prepared
from cellar.storage.tables import auth_history
from cellar.storage.uow import Transaction

H = auth_history


@dataclass(frozen=True)
class History:
    last_authenticated: int | None = None
    failed_count: int = 0
    last_failed: int | None = None


_LOAD = Prepared(select(H.c.last_authenticated, H.c.failed_count, H.c.last_failed)
                 .where(H.c.account_id == bindparam("account")))


def load(tx: Transaction, account_id: str) -> History:
    row = _LOAD.first(tx, account=account_id)
    return History(row["last_authenticated"], row["failed_count"], row["last_failed"]) if row else History()


def _save(tx: Transaction, cell_id: str, account_id: str, **values: object) -> None:
    changed = tx.conn.execute(update(H).where(H.c.account_id == account_id).values(**values)).rowcount
    if not changed:
        tx.conn.execute(insert(H).values(account_id=account_id, cell_id=cell_id, **values))


def record_failure(tx: Transaction, cell_id: str, account_id: str, history: History, now_ms: int) -> None:
    _save(tx, cell_id, account_id, failed_count=history.failed_count + 1, last_failed=now_ms)


def record_success(tx: Transaction, cell_id: str, account_id: str, now_ms: int, *, remember: bool) -> None:
    values: dict[str, object] = {"failed_count": 0}
    if remember:
        values["last_authenticated"] = now_ms
    _save(tx, cell_id, account_id, **values)


def interval_locked(history: History, now_ms: int, interval_s: int) -> bool:
    """Personium refuses every login for a short interval after a failure, even a correct one."""
    return history.last_failed is not None and now_ms - history.last_failed < interval_s * 1000


def account_locked(history: History, now_ms: int, lock_count: int, lock_time_s: int) -> bool:
    if lock_count <= 0 or lock_time_s <= 0 or history.last_failed is None:
        return False
    return history.failed_count >= lock_count and now_ms - history.last_failed < lock_time_s * 1000
