"""Fixtures: every API and storage test runs on SQLite and, when CELLAR_TEST_POSTGRES_URL is set
(``make test`` starts a throwaway cluster), on PostgreSQL too.

One app per backend serves a whole session (per xdist worker); each test starts from an empty
unit because its rows are deleted first. A test that overrides ``settings`` gets its own app on
the same database.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import create_engine, delete, insert, text
from starlette.applications import Starlette
from starlette.testclient import TestClient

from cellar.app import build_services, create_app
from cellar.auth.authn.keyring import _new_unit_keys
from cellar.settings import Settings, finish, normalize_database_url
from cellar.storage import Storage, open_storage
from cellar.storage.migrations import migrate
from cellar.storage.tables import metadata, unit_kv
from cellar.userdata import indexes

MASTER = "test-master-token"
UNIT = "http://localhost:8080/"
POSTGRES_URL = os.environ.get("CELLAR_TEST_POSTGRES_URL")

BACKENDS = [
    "sqlite",
    pytest.param("postgres", marks=pytest.mark.skipif(not POSTGRES_URL, reason="CELLAR_TEST_POSTGRES_URL unset")),
]
#: Unit-wide rows (keys, token secret) survive between tests: they are what a running unit keeps.
KEPT = {unit_kv.name}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """``postgres_only`` tests have no SQLite variant (deselected, not skipped: nothing to run there)."""
    kept, dropped = [], []
    for item in items:
        sqlite_variant = "[sqlite" in item.nodeid
        (dropped if sqlite_variant and item.get_closest_marker("postgres_only") else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@dataclass
class Backend:
    settings: Settings
    storage: Storage
    app: Starlette
    client: TestClient


def _postgres_url() -> str:
    """One database per xdist worker, so parallel workers never see each other's rows."""
    return new_postgres_database("")


def new_postgres_database(suffix: str) -> str:
    """The URL of an empty database of this xdist worker in the test cluster (emptied if left over)."""
    assert POSTGRES_URL
    name = f"cellar_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}{suffix}"
    admin = create_engine(normalize_database_url(POSTGRES_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
    data_dir = tmp_path_factory.mktemp(f"unit-{request.param}")
    url = _postgres_url() if request.param == "postgres" else f"sqlite:///{data_dir / 'cellar.db'}"
    settings = finish(Settings(master_token=MASTER, data_dir=data_dir, database_url=url, unit_url=UNIT))
    storage = open_storage(url)
    migrate(storage)
    with storage.transaction("test.seed") as tx:
        # RSA key generation is slow: seed the unit keys once per backend.
        tx.conn.execute(insert(unit_kv).values(key="unit_keys", value=_new_unit_keys("localhost")))
    app = create_app(settings, services=build_services(settings, storage))
    with TestClient(app, base_url=UNIT.rstrip("/"), raise_server_exceptions=True) as client:
        yield Backend(settings, storage, app, client)
    storage.dispose()


def _empty(storage: Storage) -> None:
    tables = [t for t in reversed(metadata.sorted_tables) if t.name not in KEPT]
    with storage.transaction("test.reset") as tx:
        if storage.caps.name == "postgresql":
            tx.conn.execute(text("TRUNCATE " + ", ".join(f'"{t.name}"' for t in tables) + " CASCADE"))
        else:
            for table in tables:
                tx.conn.execute(delete(table))
        # the entity types went: their property indexes go too, here rather than in the sweeper's thread
        indexes.sweep(tx.conn)


@pytest.fixture
def database_url(backend: Backend) -> str:
    _empty(backend.storage)
    return backend.settings.database_url


@pytest.fixture
def settings(database_url: str, backend: Backend) -> Settings:
    return backend.settings


@pytest.fixture
def storage(settings: Settings, backend: Backend) -> Storage:
    return backend.storage


@pytest.fixture
def client(settings: Settings, backend: Backend) -> Iterator[TestClient]:
    if settings is backend.settings:
        backend.client.cookies.clear()
        yield backend.client
        backend.app.state.services.settings = backend.settings  # undo any test's settings change
        return
    hooks = dict(backend.storage.before_record)  # the other app's replace the session app's for a while
    app = create_app(settings, services=build_services(settings, backend.storage))
    try:
        with TestClient(app, base_url=UNIT.rstrip("/"), raise_server_exceptions=True) as other:
            yield other
    finally:
        backend.storage.before_record.update(hooks)
