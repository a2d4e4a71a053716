"""Where a request's database work runs: on the event loop or in the thread pool."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from starlette.concurrency import run_in_threadpool

from cellar.storage import Storage
from cellar.storage.engine import WriterBusy

T = TypeVar("T")


async def run_work(storage: Storage, work: Callable[[], T], *, write: bool, light: bool = True) -> T:
    """SQLite reads never wait for a lock (WAL readers work on a snapshot) and take less time than
    the hop to a worker thread and back, so they run on the event loop; so do light writes, when no
    other writer holds the database (a thread switch in the middle of a write, waiting for the event
    loop to give the GIL back, costs more than the write). Writes that would wait, ``light=False``
    ones (hashing a password) and all PostgreSQL work, which waits on the network, go to the thread
    pool. ``work`` must not do slow CPU work (hash passwords) unless ``write`` and not ``light``."""
    if storage.caps.single_writer:
        if not write:
            return work()
        if light:
            try:
                return storage.write_now(work)
            except WriterBusy:
                pass
    return await run_in_threadpool(work)
