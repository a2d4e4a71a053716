"""The WebDAV tree in the database (notes §9.2), on SQLite and PostgreSQL: writes commit whole or not at
all (a body never outlives its node), a subtree goes in one delete, and concurrent writers to one box
are serialised so that names stay unique and the child limit holds."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import pytest
from sqlalchemy import func, insert, select

from cellar.dav import tree
from cellar.errors import PersoniumError
from cellar.storage import Storage
from cellar.storage.blobs import TableBlobStore, Upload
from cellar.storage.tables import cells, dav_blob_chunks, dav_blobs, dav_nodes


def _cell_and_box(storage: Storage) -> tree.Box:
    cell_id = uuid.uuid4().hex
    with storage.transaction("test.cell") as tx:
        tx.conn.execute(insert(cells).values(id=cell_id, name=f"c{cell_id[:8]}", published=1, updated=1, version=1))
    return tree.Box(cell_id, cell_id, tree.MAIN_BOX, None, 1, 1)


_STORES: dict[int, TableBlobStore] = {}


def _store(storage: Storage) -> TableBlobStore:
    return _STORES.setdefault(id(storage), TableBlobStore(storage, 300))


def _count(storage: Storage, table: Any) -> int:
    """Rows once the chunks of released bodies have been deleted (in the background)."""
    _store(storage).settle()
    with storage.transaction("test.count", write=False) as tx:
        return tx.conn.execute(select(func.count()).select_from(table)).scalar_one()


def _staged(storage: Storage, box: tree.Box, body: bytes) -> Upload:
    upload = _store(storage).stage(box.cell_id)
    upload.write(body)
    upload.finish()
    return upload


def _put(storage: Storage, box: tree.Box, path: tuple[str, ...], body: bytes,
         max_children: int = tree.MAX_CHILDREN) -> bool:
    upload = _staged(storage, box, body)
    with storage.transaction("test.put") as tx:
        tree.lock_box(tx, box.id)
        return tree.write_file(tx, _store(storage), tree.locate(tx, box, path), "text/plain",
                               upload.blob_id, upload.size, max_children=max_children)[1]


def _read(storage: Storage, tx: Any, node: tree.Node, start: int = 0, length: int | None = None) -> bytes:
    return b"".join(tree.read_file(tx, _store(storage), node, start, length))


def test_a_failed_request_leaves_neither_node_nor_linked_body(storage: Storage) -> None:
    box = _cell_and_box(storage)
    upload = _staged(storage, box, b"x" * 1000)
    with pytest.raises(RuntimeError), storage.transaction("test.put") as tx:
        tree.write_file(tx, _store(storage), tree.locate(tx, box, ("a.txt",)), "text/plain",
                        upload.blob_id, upload.size)
        raise RuntimeError("a later step of the request failed")
    assert _count(storage, dav_nodes) == 0
    with storage.transaction("test.staged", write=False) as tx:
        assert tx.conn.execute(select(dav_blobs.c.lease_until)).scalar_one() is not None
    _store(storage).discard(upload.blob_id)
    assert _count(storage, dav_blobs) == _count(storage, dav_blob_chunks) == 0


def test_replacing_a_body_drops_the_old_one(storage: Storage) -> None:
    box = _cell_and_box(storage)
    assert _put(storage, box, ("a.txt",), b"one") is True
    assert _put(storage, box, ("a.txt",), b"two") is False
    assert _count(storage, dav_blobs) == _count(storage, dav_blob_chunks) == 1
    with storage.transaction("test.read", write=False) as tx:
        node = tree.locate(tx, box, ("a.txt",)).node
        assert node is not None and node.version == 2
        assert _read(storage, tx, node) == b"two"
        assert _read(storage, tx, node, 1, 1) == b"w"


def test_removing_a_collection_removes_its_subtree_and_bodies(storage: Storage) -> None:
    box = _cell_and_box(storage)
    uploads = [_staged(storage, box, name.encode()) for name in ("a", "b", "c")]
    blobs = _store(storage)
    with storage.transaction("test.tree") as tx:
        parent = box
        path: tuple[str, ...] = ()
        for name, upload in zip(("a", "b", "c"), uploads, strict=True):
            path = (*path, name)
            tree.make_collection(tx, tree.locate(tx, parent, path), tree.Kind.WEBDAV)
            tree.write_file(tx, blobs, tree.locate(tx, box, (*path, "f.txt")), "text/plain", upload.blob_id,
                            upload.size)
    assert _count(storage, dav_nodes) == 6
    with storage.transaction("test.remove") as tx:
        node = tree.locate(tx, box, ("a",)).node
        assert node is not None
        assert tree.remove(tx, blobs, node) == 6
    assert _count(storage, dav_nodes) == 0
    assert _count(storage, dav_blobs) == _count(storage, dav_blob_chunks) == 0


def test_a_collection_cannot_move_into_itself(storage: Storage) -> None:
    box = _cell_and_box(storage)
    with storage.transaction("test.tree") as tx:
        tree.make_collection(tx, tree.locate(tx, box, ("a",)), tree.Kind.WEBDAV)
        tree.make_collection(tx, tree.locate(tx, box, ("a", "b")), tree.Kind.WEBDAV)
    with pytest.raises(PersoniumError) as raised, storage.transaction("test.move") as tx:
        node = tree.locate(tx, box, ("a",)).node
        assert node is not None
        tree.move(tx, node, tree.locate(tx, box, ("a", "b", "a")))
    assert raised.value.code == "PR409-DV-0001"


def test_concurrent_creators_of_one_file_make_one_node(storage: Storage) -> None:
    box = _cell_and_box(storage)
    results: list[bool] = []
    errors: list[BaseException] = []

    def writer(index: int) -> None:
        try:
            results.append(_put(storage, box, ("same.txt",), str(index).encode()))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(results) == [False] * 7 + [True]
    assert _count(storage, dav_nodes) == 1
    assert _count(storage, dav_blobs) == _count(storage, dav_blob_chunks) == 1


def test_concurrent_creators_never_pass_the_child_limit(storage: Storage) -> None:
    box = _cell_and_box(storage)
    refused: list[str] = []

    def writer(index: int) -> None:
        try:
            _put(storage, box, (f"f{index}.txt",), b"x", max_children=5)
        except PersoniumError as exc:
            refused.append(exc.code)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert _count(storage, dav_nodes) == 5
    assert refused == ["PR400-DV-0007"] * 7
