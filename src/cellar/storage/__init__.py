"""Storage through SQLAlchemy Core: SQLite (embedded default) or PostgreSQL (scale-out)."""

from cellar.storage.engine import Storage, open_storage
from cellar.storage.uow import Transaction

__all__ = ["Storage", "Transaction", "open_storage"]
