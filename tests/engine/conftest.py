"""Fixtures of the engine tests."""

import pytest

from partnerflow.models import make_engine, upgrade
from tests.conftest import create_postgres_database, drop_postgres_database


@pytest.fixture
def twin(database_url, tmp_path):
    """A second database on the same backend as `engine`, migrated and empty."""
    if database_url.startswith("sqlite"):
        path = tmp_path / "twin.db"
        url = f"sqlite:///{path}"
    else:
        url = create_postgres_database("pf_twin")
    twin = make_engine(url)
    upgrade(twin)
    yield twin
    twin.dispose()
    if not database_url.startswith("sqlite"):
        drop_postgres_database(url)
