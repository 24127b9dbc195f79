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


def one_partnership(connection) -> None:
    """Partnership 1, with the program, party and person it needs, in plain SQL (any revision)."""
    connection.execute(text("INSERT INTO program (id, key, name) VALUES (1, 'p', 'P')"))
    connection.execute(text("INSERT INTO party (id, key, name, internal) VALUES (1, 'us', 'Us', true)"))
    connection.execute(text("INSERT INTO person (id, email, name, party_id, roles) "
                            "VALUES (1, 'a@us.example', 'A', 1, '[]')"))
    connection.execute(text("INSERT INTO partnership (id, key, name, kind, program_id, phase, state, sponsor_id, "
                            "owner_id, version, cycle, phase_since, created_at) VALUES (1, 'k', 'K', 'other', 1, "
                            "'alignment', 'active', 1, 1, 1, 1, '2026-01-01', CURRENT_TIMESTAMP)"))


def test_reviews_written_twice_before_0008_are_chained_and_a_new_duplicate_is_refused(empty_database):
    """Two reviews at once could store the same review twice before 0008: the migration chains the
    stored reviews in the order they were written; afterwards the database refuses a second review
    following the same one."""
    upgrade(empty_database, "0007")
    review = ("INSERT INTO gate_review (partnership_id, gate, phase, policy_version, as_of, passed, results, "
              "blockers, digest, created_at, checked_at, checked_as_of) VALUES (1, 'g', 'alignment', 'v', "
              "'2026-11-27', false, '[]', '[]', '{digest}', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, '2026-11-27')")
    with empty_database.begin() as connection:
        one_partnership(connection)
        for digest in ("a", "b", "b"):  # the last two: one review stored twice
            connection.execute(text(review.format(digest=digest)))
    upgrade(empty_database)
    with empty_database.connect() as connection:
        chain = connection.execute(text("SELECT id, previous_id FROM gate_review ORDER BY id")).all()
    assert [tuple(row) for row in chain] == [(1, 0), (2, 1), (3, 2)]
    with pytest.raises(DBAPIError, match="(?i)unique|duplicate"):
        with empty_database.begin() as connection:
            connection.execute(text(review.format(digest="c").replace(  # at head: no checked columns (0011)
                ", checked_at, checked_as_of)", ", previous_id)").replace(", CURRENT_TIMESTAMP, '2026-11-27')", ", 2)")))


def test_confirmations_move_to_their_own_rows_and_back(empty_database):
    """0011 moves when each review was last confirmed into `review_confirmation` (only the reviews
    confirmed after they were written); its downgrade puts every review's day and moment back."""
    upgrade(empty_database, "0010")
    review = ("INSERT INTO gate_review (partnership_id, gate, phase, policy_version, as_of, passed, results, blockers, "
              "digest, created_at, checked_at, checked_as_of, previous_id) VALUES (1, 'g', 'alignment', 'v', "
              "'2026-11-27', false, '[]', '[]', '{digest}', '2026-11-27 02:00:00', '{at}', '{day}', {previous})")
    with empty_database.begin() as connection:
        one_partnership(connection)
        connection.execute(text(review.format(digest="a", at="2026-11-27 02:00:00", day="2026-11-27", previous=0)))
        connection.execute(text(review.format(digest="b", at="2026-11-29 02:00:00", day="2026-11-29", previous=1)))
    upgrade(empty_database)
    with empty_database.connect() as connection:
        moved = connection.execute(text("SELECT review_id, confirmed_as_of FROM review_confirmation")).all()
        assert [(review_id, str(day)) for review_id, day in moved] == [(2, "2026-11-29")]
        assert "checked_at" not in {c["name"] for c in inspect(connection).get_columns("gate_review")}
    downgrade(empty_database, "0010")
    with empty_database.connect() as connection:
        back = connection.execute(text("SELECT id, checked_as_of FROM gate_review ORDER BY id")).all()
        assert [(review_id, str(day)) for review_id, day in back] == [(1, "2026-11-27"), (2, "2026-11-29")]
        assert "review_confirmation" not in inspect(connection).get_table_names()
