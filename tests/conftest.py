"""Shared fixtures: a fresh database per test on every backend, settings pointed at it.

Every test that asks for `engine` runs on SQLite, and again on PostgreSQL when
PARTNERFLOW_TEST_DATABASE_URL names a server (`make test` sets it when one answers).
"""

import os
import shutil
import tempfile
import uuid

os.environ["PREFECT_HOME"] = tempfile.mkdtemp(prefix="prefect-test-home-")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.setdefault("PREFECT_SERVER_LOGGING_LEVEL", "CRITICAL")
os.environ.setdefault("PREFECT_LOGGING_TO_API_ENABLED", "false")

from datetime import datetime, timedelta

import pytest
from sqlalchemy import create_engine, make_url, text
from sqlmodel import SQLModel

from partnerflow.engine import clock
from partnerflow.engine.settings import get_settings
from partnerflow.models import make_engine, upgrade
from tests.factories import NOW



class FrozenClock:
    """The tests' clock: `engine.clock.now()` answers `at` until a test moves it with `tick` or `set`."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at

    def tick(self, **delta: float) -> datetime:
        self.at += timedelta(**delta)
        return self.at

    def set(self, at: datetime) -> datetime:
        self.at = at
        return at


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch) -> FrozenClock:
    """Every test runs on one frozen clock, whatever the date the suite runs on.

    It patches the module that owns the time (`engine.clock`), not the wall clock: code that
    reads the time anywhere else shows up when CI runs the suite 400 days ahead (faketime)."""
    frozen = FrozenClock(NOW)
    monkeypatch.setattr(clock, "_wall_clock", frozen.now)
    return frozen


POSTGRES_URL = os.environ.get("PARTNERFLOW_TEST_DATABASE_URL", "")
BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])


def create_postgres_database(prefix: str) -> str:
    """A new, empty database on the test server; returns its URL."""
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)


def drop_postgres_database(url: str) -> None:
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> str:
    """A migrated SQLite file, copied for each test (faster than migrating each time)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return str(path)


@pytest.fixture(scope="session")
def postgres_database():
    url = create_postgres_database("pf_test")
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    drop_postgres_database(url)


@pytest.fixture(params=BACKENDS)
def database_url(request, tmp_path, monkeypatch) -> str:
    if request.param == "sqlite":
        path = tmp_path / "partnerflow.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        url = f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("postgres_database")
        engine = make_engine(url)
        tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
        with engine.begin() as connection:
            # the audit log refuses TRUNCATE (migration 0004); the tables' owner lifts that for this transaction only
            connection.exec_driver_sql("ALTER TABLE audit_event DISABLE TRIGGER USER")
            connection.exec_driver_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
            connection.exec_driver_sql("ALTER TABLE audit_event ENABLE TRIGGER USER")
        engine.dispose()
    monkeypatch.setenv("PARTNERFLOW_DATABASE_URL", url)
    monkeypatch.setenv("PARTNERFLOW_ENVIRONMENT", "test")
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


@pytest.fixture
def engine(database_url):
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def prefect_harness():
    """Prefect's test server, started once per session (about 10 s) and only when asked for."""
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=180):
        with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
            yield
