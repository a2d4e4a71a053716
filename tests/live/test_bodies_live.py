"""Bodies through a real ``cellar serve`` (SQLite, and PostgreSQL when the test cluster is there): killed
(SIGKILL) in the middle of a 200 MB upload over an existing file, after a restart the file reads whole
(its old body: the new one never linked) and once the sweep ran (short upload lease) the database holds
no chunk of the aborted upload; a download under way when the file is replaced still gets the old body
whole (it reads from one snapshot)."""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from subprocess import Popen

import httpx
import pytest
from sqlalchemy import create_engine, text

from cellar.settings import normalize_database_url
from tests.conftest import BACKENDS, new_postgres_database
from tests.live.test_serve import free_port, serve

MASTER = "live-master"
AUTH = {"Authorization": f"Bearer {MASTER}"}
PIECE = os.urandom(1024 * 1024)


def _upload(total_mb: int, kill_after_mb: int, process: Popen[str]) -> Iterator[bytes]:
    for index in range(total_mb):
        if index == kill_after_mb:
            process.kill()
            process.wait(timeout=10)
        yield PIECE


def _stored(database_url: str) -> tuple[int, int, int]:
    """Headers, chunks, and chunks whose header is gone, as the database says."""
    engine = create_engine(normalize_database_url(database_url))
    try:
        with engine.connect() as conn:
            return tuple(conn.execute(text(
                "SELECT (SELECT count(*) FROM dav_blobs), (SELECT count(*) FROM dav_blob_chunks), "
                "(SELECT count(*) FROM dav_blob_chunks WHERE blob_id NOT IN (SELECT id FROM dav_blobs))")).one())
    finally:
        engine.dispose()


def _streamed_hash(url: str) -> str:
    digest = hashlib.sha256()
    with httpx.stream("GET", url, headers=AUTH) as response:
        assert response.status_code == 200
        for piece in response.iter_bytes():
            digest.update(piece)
    return digest.hexdigest()


def _database(tmp_path: Path, backend: str) -> str:
    return new_postgres_database("_live_bodies") if backend == "postgres" \
        else f"sqlite:///{tmp_path / 'data' / 'cellar.db'}"


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_download_under_way_reads_the_body_it_started_with(tmp_path: Path, backend: str) -> None:
    process, base = serve(tmp_path, CELLAR_MASTER_TOKEN=MASTER, CELLAR_DATABASE_URL=_database(tmp_path, backend))
    try:
        assert httpx.post(f"{base}__ctl/Cell", headers=AUTH, json={"Name": "cell1"}).status_code == 201
        url = f"{base}cell1/__/f.bin"
        old = os.urandom(40 * 1024 * 1024)
        assert httpx.put(url, headers=AUTH, content=old).status_code == 201
        digest, received = hashlib.sha256(), 0
        with httpx.stream("GET", url, headers=AUTH) as response:
            pieces = response.iter_bytes(64 * 1024)
            first = next(pieces)
            replaced = httpx.put(url, headers=AUTH, content=b"new body")
            assert replaced.status_code == 204
            for piece in (first, *pieces):
                digest.update(piece)
                received += len(piece)
        assert received == len(old) and digest.digest() == hashlib.sha256(old).digest()
        assert httpx.get(url, headers=AUTH).content == b"new body"
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_killed_upload_leaves_the_old_body_whole_and_no_chunk_behind(tmp_path: Path, backend: str) -> None:
    database = _database(tmp_path, backend)
    env = {"CELLAR_MASTER_TOKEN": MASTER, "CELLAR_MAX_FILE_SIZE": str(300 * 1024 * 1024),
           "CELLAR_UPLOAD_LEASE": "2", "CELLAR_PORT": str(free_port()), "CELLAR_DATABASE_URL": database}
    process, base = serve(tmp_path, **env)
    try:
        assert httpx.post(f"{base}__ctl/Cell", headers=AUTH, json={"Name": "cell1"}).status_code == 201
        url = f"{base}cell1/__/big.bin"
        old = PIECE * 3 + b"tail"
        assert httpx.put(url, headers=AUTH, content=old).status_code == 201
        failures: list[BaseException] = []

        def upload() -> None:
            try:
                httpx.put(url, headers=AUTH, content=_upload(200, 60, process), timeout=60)
            except httpx.HTTPError as exc:
                failures.append(exc)

        uploader = threading.Thread(target=upload)
        uploader.start()
        uploader.join(timeout=120)
        assert failures, "the upload was cut off by the kill"
        assert process.returncode == -9
        headers, chunks, _ = _stored(database)
        assert headers == 2 and chunks > 4, "the killed upload had staged chunks"
    finally:
        process.kill()
        process.wait(timeout=10)
    process, base = serve(tmp_path, **env)
    try:
        assert _streamed_hash(url) == hashlib.sha256(old).hexdigest()
        deadline = time.monotonic() + 30
        while _stored(database) != (1, 4, 0) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert _stored(database) == (1, 4, 0)
        assert _streamed_hash(url) == hashlib.sha256(old).hexdigest()
    finally:
        process.terminate()
        process.wait(timeout=10)
