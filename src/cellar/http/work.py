"""Where a request's database work runs: on the event loop or in the thread pool."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from starlette.concurrency import run_in_threadpool

from cellar.storage import Storage

T = TypeVar("T")


async def run_work(storage: Storage, work: Callable[[], T], *, write: bool) -> T:
    """SQLite reads never wait for a lock (WAL readers work on a snapshot) and take less time than
    the hop to a worker thread and back, so they run on the event loop. Writes, which queue for
    SQLite's one writer, and all PostgreSQL work, which waits on the network, go to the thread pool.
    ``work`` must not hash passwords or do other slow CPU work when ``write`` is False."""
    if storage.caps.single_writer and not write:
        return work()
    return await run_in_threadpool(work)
