"""Shared fixtures: a platform PKI, the demo package, and a real in-process server on a free loopback port."""

from __future__ import annotations

import dataclasses
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from bideval.domain.setup import SessionSetup
from bideval.identity.pki import PkiDirectory
from server.application import EvaluationApp
from server.packages.demo import build_demo_package
from server.packages.manifest import LoadedPackage, load_package
from server.rpc.server import create_server
from server.storage.store import Store
from tests.support import PASSPHRASE, Pki, RunningServer


@pytest.fixture(autouse=True)
def client_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Client caches go to the test's own folder, never to the user's data folder."""
    folder = tmp_path / "client-data"
    monkeypatch.setenv("BIDEVAL_CLIENT_DATA", str(folder))
    return folder


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    directory = PkiDirectory(tmp_path_factory.mktemp("pki"))
    directory.init("test platform CA", ["localhost", "127.0.0.1"], PASSPHRASE, 30)
    return Pki(directory)


@pytest.fixture(scope="session")
def demo_package(tmp_path_factory: pytest.TempPathFactory) -> LoadedPackage:
    return load_package(build_demo_package(tmp_path_factory.mktemp("package") / "demo"))


POSTGRES_URL_ENV = "BIDEVAL_TEST_POSTGRES_URL"
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def postgres_url() -> str | None:
    """The PostgreSQL to test against, or None when none answers (the test then skips, saying why)."""
    url = os.environ.get(POSTGRES_URL_ENV, DEFAULT_POSTGRES_URL)
    engine = create_engine(url)
    try:
        with engine.connect():
            return url
    except OperationalError:
        return None
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database: SQLite in a temporary directory, or a fresh schema in PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'server.sqlite3'}"
        return
    url = postgres_url()
    if url is None:
        pytest.skip(f"no PostgreSQL reachable (set {POSTGRES_URL_ENV}, or run one on 127.0.0.1:5432)")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    yield f"{url}?options=-csearch_path%3D{schema}"
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def store(database_url: str, tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(database_url, tmp_path / "blobs")
    yield opened
    opened.close()


def without_pledge_wait(setup: SessionSetup) -> SessionSetup:
    """The demo setup with no forced-read countdown, so tests need not wait 10 s (domain tests cover it)."""
    rules = dataclasses.replace(setup.method.rules, pledge_countdown_seconds=0)
    return dataclasses.replace(setup, method=dataclasses.replace(setup.method, rules=rules))


@contextmanager
def running_server(store: Store, pki: Pki, package: LoadedPackage) -> Iterator[RunningServer]:
    app = EvaluationApp(store, pki.log_signer())
    setup = without_pledge_wait(package.setups[0])
    app.import_sessions([(setup, {d.id: package.files[(setup.session_id, d.id)] for d in setup.documents})])
    grpc_server, port, _health = create_server(app, "127.0.0.1:0", pki.tls(), max_workers=16)
    running = RunningServer(f"127.0.0.1:{port}", app, pki, setup.session_id)
    try:
        yield running
    finally:
        running.close_clients()
        grpc_server.stop(grace=None).wait()


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(f"sqlite:///{tmp_path / 'server.sqlite3'}", tmp_path / "blobs")
    yield opened
    opened.close()


@pytest.fixture
def server(sqlite_store: Store, pki: Pki, demo_package: LoadedPackage) -> Iterator[RunningServer]:
    """The demo session served over mTLS on a free loopback port, stored in SQLite."""
    with running_server(sqlite_store, pki, demo_package) as running:
        yield running


@pytest.fixture
def server_on_each_database(store: Store, pki: Pki, demo_package: LoadedPackage) -> Iterator[RunningServer]:
    """The same, once on SQLite and once on PostgreSQL."""
    with running_server(store, pki, demo_package) as running:
        yield running
