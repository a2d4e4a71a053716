"""Fixtures: every API and storage test runs on SQLite and, when CELLAR_TEST_POSTGRES_URL is set
(``make test`` starts a throwaway cluster), on PostgreSQL too."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from starlette.testclient import TestClient

from sqlalchemy import insert

from cellar.app import build_services, create_app
from cellar.auth.keyring import _new_unit_keys
from cellar.storage.tables import unit_kv
from cellar.settings import Settings, finish, normalize_database_url
from cellar.storage import Storage, open_storage
from cellar.storage.migrations import migrate

MASTER = "test-master-token"
UNIT = "http://localhost:8080/"
POSTGRES_URL = os.environ.get("CELLAR_TEST_POSTGRES_URL")

BACKENDS = [
    "sqlite",
    pytest.param("postgres", marks=pytest.mark.skipif(not POSTGRES_URL, reason="CELLAR_TEST_POSTGRES_URL unset")),
]


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str | None]:
    """One database per xdist worker, so parallel workers never see each other's rows."""
    if not POSTGRES_URL:
        yield None
        return
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    name = f"cellar_{worker}"
    admin = create_engine(normalize_database_url(POSTGRES_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    yield POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"


def _reset_postgres(url: str) -> None:
    engine = create_engine(normalize_database_url(url))
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path, postgres_database: str | None) -> str:
    if request.param == "postgres":
        assert postgres_database is not None
        _reset_postgres(postgres_database)
        return postgres_database
    return f"sqlite:///{tmp_path / 'cellar.db'}"


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return finish(Settings(master_token=MASTER, data_dir=tmp_path, database_url=database_url, unit_url=UNIT))


@pytest.fixture(scope="session")
def unit_keys_value() -> str:
    """RSA key generation is slow: every test database gets the same pre-made unit keys."""
    return _new_unit_keys("localhost")


@pytest.fixture
def storage(settings: Settings, unit_keys_value: str) -> Iterator[Storage]:
    storage = open_storage(settings.database_url)
    migrate(storage)
    with storage.transaction("test.seed") as tx:
        tx.conn.execute(insert(unit_kv).values(key="unit_keys", value=unit_keys_value))
    yield storage
    storage.dispose()


@pytest.fixture
def client(settings: Settings, storage: Storage) -> Iterator[TestClient]:
    app = create_app(settings, services=build_services(settings, storage))
    with TestClient(app, base_url=UNIT.rstrip("/"), raise_server_exceptions=True) as client:
        yield client
