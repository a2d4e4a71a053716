"""SQLite writes on the event loop (``cellar.http.work.run_work``): a light write runs at once only
when nobody else writes — neither another thread of this process nor another process — and waits in
a worker thread otherwise, so the event loop never waits for a writer."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest
from sqlalchemy import func, insert, select

from cellar.http.work import run_work
from cellar.storage import Storage, open_storage
from cellar.storage.engine import WriterBusy
from cellar.storage.migrations import migrate
from cellar.storage.tables import unit_kv


@pytest.fixture
def two_processes(tmp_path: Path) -> Iterator[tuple[Storage, Storage]]:
    """Two ``Storage`` objects on one SQLite file: two processes, as far as locks go."""
    url = f"sqlite:///{tmp_path / 'cellar.db'}"
    first, second = open_storage(url), open_storage(url)
    migrate(first)
    yield first, second
    first.dispose()
    second.dispose()


def _write(storage: Storage, name: str) -> str:
    with storage.transaction("test.write") as tx:
        tx.conn.execute(insert(unit_kv).values(key=name, value="v"))
    return threading.current_thread().name


def _count(storage: Storage) -> int:
    with storage.transaction("test.count", write=False) as tx:
        return int(tx.conn.execute(select(func.count()).select_from(unit_kv)).scalar_one())


def test_a_light_write_with_nobody_else_writing_runs_on_the_calling_thread(two_processes):
    storage, _ = two_processes
    here = threading.current_thread().name
    assert anyio.run(lambda: run_work(storage, lambda: _write(storage, "a"), write=True)) == here
    assert _count(storage) == 1


@pytest.mark.parametrize("holder", ["another process", "another thread of this process"])
def test_a_write_while_someone_else_writes_waits_in_a_thread(two_processes, holder):
    storage, other = two_processes
    writer = other if holder == "another process" else storage
    here = threading.current_thread().name
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with writer.transaction("test.hold") as tx:
            tx.conn.execute(insert(unit_kv).values(key="held", value="v"))
            holding.set()
            release.wait(10)

    thread = threading.Thread(target=hold)
    thread.start()
    holding.wait(10)
    with pytest.raises(WriterBusy):
        storage.write_now(lambda: _write(storage, "now"))

    async def main() -> str:
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(anyio.to_thread.run_sync, lambda: (anyio.from_thread.run(anyio.sleep, 0.2),
                                                                release.set()))
            return await run_work(storage, lambda: _write(storage, "b"), write=True)

    assert anyio.run(main) != here
    thread.join()
    assert _count(storage) == 2  # the write refused at once left nothing behind


def test_heavy_writes_always_go_to_a_thread(two_processes):
    storage, _ = two_processes
    here = threading.current_thread().name
    assert anyio.run(lambda: run_work(storage, lambda: _write(storage, "d"), write=True, light=False)) != here
