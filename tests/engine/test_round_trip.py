"""Save and restore: all running state is in the database, so a review after reloading it changes nothing."""

import pytest
from sqlalchemy import select
from sqlmodel import SQLModel

from partnerflow.models import make_engine
from tests.engine.harness import GINA, advance_to, decide, phase_of, portfolio, review

CHANGES = {
    "a vote with a condition": lambda engine: decide(engine, "acme-supply", "go", GINA, condition="Sign the annex"),
    "an advance by two votes": lambda engine: advance_to(engine, "acme-supply", "execution"),
    "a kill": lambda engine: decide(engine, "empty", "kill", GINA, reason="Never started"),
}


def stored(engine) -> dict[str, list[tuple]]:
    """Every row of every table, in primary-key order; but the log of review runs, which records
    every run of a review of the portfolio by design (it is what confirms a result still holds)."""
    with engine.connect() as connection:
        return {t.name: [tuple(row) for row in connection.execute(select(t).order_by(*t.primary_key.columns))]
                for t in SQLModel.metadata.sorted_tables if t.name != "review_run"}


@pytest.mark.parametrize("change", CHANGES)
def test_a_review_of_the_reloaded_state_changes_nothing(engine, database_url, change):
    portfolio(engine)
    review(engine)
    CHANGES[change](engine)
    review(engine)  # the review after the decision sees what it changed
    saved = stored(engine)
    engine.dispose()  # nothing kept in memory: the next review starts from the database alone
    reloaded = make_engine(database_url)
    try:
        assert stored(reloaded) == saved
        again = review(reloaded)
        assert (again.written, again.tasks_opened, again.tasks_closed) == (0, 0, 0)
        assert again.advanced == again.ready == again.no_longer_ready == again.conflicts == []
        assert stored(reloaded) == saved  # no new gate reviews, tasks, notifications or audit events
    finally:
        reloaded.dispose()


def test_advance_to_takes_what_each_gate_asks_for(engine):
    """From nothing recorded to shared vision: the evidence of both gates, two votes, an automatic advance."""
    portfolio(engine)
    advance_to(engine, "empty", "shared_vision")
    assert phase_of(engine, "empty") == "shared_vision"
    advance_to(engine, "acme-supply", "execution")  # its alignment evidence was there already: votes only
    assert phase_of(engine, "acme-supply") == "execution"
