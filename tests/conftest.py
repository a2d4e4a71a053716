"""Fixtures: every API and storage test runs on SQLite and, when CELLAR_TEST_POSTGRES_URL is set
(``make test`` starts a throwaway cluster), on PostgreSQL too.

Databases are migrated once per session (and per xdist worker) and then reset for each test: a
copied SQLite file, or truncated PostgreSQL tables. Every test still starts from an empty unit.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, insert, text
from starlette.testclient import TestClient

from cellar.app import build_services, create_app
from cellar.auth.keyring import _new_unit_keys
from cellar.settings import Settings, finish, normalize_database_url
from cellar.storage import Storage, open_storage
from cellar.storage.migrations import migrate
from cellar.storage.tables import metadata, unit_kv

MASTER = "test-master-token"
UNIT = "http://localhost:8080/"
POSTGRES_URL = os.environ.get("CELLAR_TEST_POSTGRES_URL")

BACKENDS = [
    "sqlite",
    pytest.param("postgres", marks=pytest.mark.skipif(not POSTGRES_URL, reason="CELLAR_TEST_POSTGRES_URL unset")),
]


@pytest.fixture(scope="session")
def unit_keys_value() -> str:
    """RSA key generation is slow: every test database gets the same pre-made unit keys."""
    return _new_unit_keys("localhost")


def _migrated(url: str, unit_keys: str) -> None:
    storage = open_storage(url)
    migrate(storage)
    with storage.transaction("test.seed") as tx:
        tx.conn.execute(insert(unit_kv).values(key="unit_keys", value=unit_keys))
    storage.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory, unit_keys_value: str) -> Path:
    path = tmp_path_factory.mktemp("template") / "cellar.db"
    _migrated(f"sqlite:///{path}", unit_keys_value)
    return path


@pytest.fixture(scope="session")
def postgres_database(unit_keys_value: str) -> Iterator[str | None]:
    """One database per xdist worker, so parallel workers never see each other's rows."""
    if not POSTGRES_URL:
        yield None
        return
    name = f"cellar_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
    admin = create_engine(normalize_database_url(POSTGRES_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"
    _migrated(url, unit_keys_value)
    yield url


def _reset_postgres(url: str, unit_keys: str) -> None:
    engine = create_engine(normalize_database_url(url))
    names = ", ".join(f'"{table.name}"' for table in metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} CASCADE"))
        conn.execute(insert(unit_kv).values(key="unit_keys", value=unit_keys))
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path, unit_keys_value: str) -> str:
    if request.param == "postgres":
        url = request.getfixturevalue("postgres_database")
        _reset_postgres(url, unit_keys_value)
        return str(url)
    path = tmp_path / "cellar.db"
    shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
    return f"sqlite:///{path}"


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return finish(Settings(master_token=MASTER, data_dir=tmp_path, database_url=database_url, unit_url=UNIT))


@pytest.fixture
def storage(settings: Settings) -> Iterator[Storage]:
    storage = open_storage(settings.database_url)
    migrate(storage)
    yield storage
    storage.dispose()


@pytest.fixture
def client(settings: Settings, storage: Storage) -> Iterator[TestClient]:
    app = create_app(settings, services=build_services(settings, storage))
    with TestClient(app, base_url=UNIT.rstrip("/"), raise_server_exceptions=True) as client:
        yield client
