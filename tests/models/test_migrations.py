"""Migrations: upgrade from empty, downgrade one step, match the models; SQLite and PostgreSQL."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import SQLModel

from partnerflow.models import DatabaseNotReady, downgrade, exists_on, head_revision, make_engine, require_current, upgrade
from tests.conftest import BACKENDS, create_postgres_database, drop_postgres_database


@pytest.fixture(params=BACKENDS)
def empty_database(request, tmp_path):
    if request.param == "sqlite":
        yield make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
        return
    url = create_postgres_database("pf_migrate")
    engine = make_engine(url)
    yield engine
    engine.dispose()
    drop_postgres_database(url)


def test_upgrade_from_empty_builds_the_schema_of_the_models(empty_database):
    with pytest.raises(DatabaseNotReady, match="run `partnerflow init`"):
        require_current(empty_database)
    upgrade(empty_database)
    upgrade(empty_database)  # idempotent
    require_current(empty_database)
    with empty_database.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_object": exists_on(connection.dialect.name)})
        diff = compare_metadata(context, SQLModel.metadata)
    assert diff == []


def test_downgrade_one_step_and_back(empty_database):
    upgrade(empty_database)
    downgrade(empty_database, "-1")
    with pytest.raises(DatabaseNotReady, match=f"the code expects {head_revision()}"):
        require_current(empty_database)
    upgrade(empty_database)
    require_current(empty_database)


def test_downgrade_to_empty_leaves_no_table_behind(empty_database):
    upgrade(empty_database)
    downgrade(empty_database, "base")
    assert set(inspect(empty_database).get_table_names()) <= {"alembic_version"}


def test_the_audit_log_refuses_updates_and_deletes(empty_database):
    upgrade(empty_database)
    with empty_database.begin() as connection:
        connection.execute(text("INSERT INTO audit_event (at, actor, kind, data) "
                                "VALUES (CURRENT_TIMESTAMP, 'test', 'note', '{}')"))
    for statement in ("UPDATE audit_event SET actor = 'someone else'", "DELETE FROM audit_event"):
        with pytest.raises(DBAPIError, match="audit_event is append-only"):
            with empty_database.begin() as connection:
                connection.execute(text(statement))


REWRITES = {
    "sqlite": ["REPLACE INTO audit_event (id, at, actor, kind, data) VALUES (1, CURRENT_TIMESTAMP, 'x', 'note', '{}')",
               ("INSERT OR REPLACE INTO audit_event (id, at, actor, kind, data) "
                "VALUES (1, CURRENT_TIMESTAMP, 'x', 'note', '{}')")],
    "postgresql": ["TRUNCATE audit_event", "TRUNCATE partnership CASCADE"],
}


def test_the_audit_log_cannot_be_rewritten_by_replace_or_truncate(empty_database):
    """REPLACE deletes without firing SQLite's delete trigger; TRUNCATE passes PostgreSQL's row triggers."""
    upgrade(empty_database)
    with empty_database.begin() as connection:
        connection.execute(text("INSERT INTO audit_event (at, actor, kind, data) "
                                "VALUES (CURRENT_TIMESTAMP, 'test', 'note', '{}')"))
    for statement in REWRITES[empty_database.dialect.name]:
        with pytest.raises(DBAPIError, match="audit_event is append-only"), empty_database.begin() as connection:
            connection.execute(text(statement))
    with empty_database.begin() as connection:
        connection.execute(text("INSERT INTO audit_event (at, actor, kind, data) "
                                "VALUES (CURRENT_TIMESTAMP, 'test', 'later', '{}')"))  # appending still works
        assert connection.execute(text("SELECT id, actor, kind FROM audit_event ORDER BY id")).all() == [
            (1, "test", "note"), (2, "test", "later")]


def test_a_database_that_does_not_answer_says_so():
    engine = make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2")
    with pytest.raises(DatabaseNotReady, match="does not answer"):
        require_current(engine)
