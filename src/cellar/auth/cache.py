"""Per-process caches for the access decision, keyed by the cell's authorization version.

The version lives in the database (``cell_auth_versions``) and is read with the cell on every
request; any write to accounts, roles, links or the ACL raises it, in any process. A cached entry
for an older version is simply never asked for again, so nothing here can be stale.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

from sqlalchemy import insert, update
from sqlalchemy.exc import IntegrityError

from cellar.storage.tables import cell_auth_versions
from cellar.storage.uow import Transaction

K = TypeVar("K")
V = TypeVar("V")


class BoundedCache(Generic[K, V]):
    """A small thread-safe LRU map."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get_or_make(self, key: K, make: Callable[[], V]) -> V:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = make()
        with self._lock:
            self._items[key] = value
            if len(self._items) > self._size:
                self._items.popitem(last=False)
        return value


    def get(self, key: K) -> V | None:
        with self._lock:
            return self._items.get(key)

    def put(self, key: K, value: V) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            if len(self._items) > self._size:
                self._items.popitem(last=False)


def bump_auth_version(tx: Transaction, cell_id: str) -> None:
    """Raise the cell's version inside the writing transaction (so it commits with the change)."""
    t = cell_auth_versions
    raise_it = update(t).where(t.c.cell_id == cell_id).values(version=t.c.version + 1)
    if tx.conn.execute(raise_it).rowcount:
        return
    try:
        with tx.conn.begin_nested():
            tx.conn.execute(insert(t).values(cell_id=cell_id, version=1))
    except IntegrityError:  # another writer created the row meanwhile
        tx.conn.execute(raise_it)


#: Parsed ACLs by (cell id, version, resource); roles by (cell id, version, who).
ACLS: BoundedCache[tuple[str, int, str], object] = BoundedCache(4096)
ROLES: BoundedCache[tuple[object, ...], object] = BoundedCache(65536)
