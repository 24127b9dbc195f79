"""Two reviews at once (a nightly run overlapping one started by hand) write exactly what one review
writes: no duplicate gate reviews, tasks or notices, no partnership advanced twice, no conflicts
reported. PostgreSQL: a batch locks its partnerships and leaves those another review holds to it.
SQLite: a batch takes the database's write lock first, so the second waits and reads what the
first committed."""

import threading

import pytest
from sqlalchemy import select

from partnerflow.engine import transaction
from partnerflow.engine.phases.review import claim
from partnerflow.models import AuditEvent, GateReview, IdRange, Notification, Partnership, Task
from tests.engine.harness import review
from tests.engine.test_incremental_review import MARKS, sample


def written(engine) -> dict[str, list[tuple]]:
    """What a review writes, without the ids and times that depend on which run wrote a row first."""
    columns = {
        "partnership": [c for c in Partnership.__table__.c if c.name not in MARKS],
        "gate_review": [c for c in GateReview.__table__.c
                        if c.name not in ("id", "previous_id", "checked_at", "checked_as_of")],
        "task": [c for c in Task.__table__.c if c.name != "id"],
        "notification": [Notification.event, Notification.person_id, Notification.channel,
                         Notification.partnership_id, Notification.status],
        "audit_event": [AuditEvent.kind, AuditEvent.actor, AuditEvent.partnership_id],
    }
    with engine.connect() as connection:
        return {name: sorted((tuple(row) for row in connection.execute(select(*found))), key=repr)
                for name, found in columns.items()}


def test_two_reviews_at_once_write_what_one_review_writes(engine, twin):
    for database in (engine, twin):
        sample(database)
    review(twin, batch_size=2)  # what one review writes
    start, reports, failures = threading.Barrier(2), [], []

    def nightly() -> None:
        try:
            start.wait()
            reports.append(review(engine, batch_size=2))
        except Exception as failure:  # shown below: a thread's exception would be lost otherwise
            failures.append(failure)

    runs = [threading.Thread(target=nightly) for _ in range(2)]
    for run in runs:
        run.start()
    for run in runs:
        run.join(timeout=120)
    assert failures == [] and len(reports) == 2
    assert written(engine) == written(twin)
    assert [r.conflicts for r in reports] == [[], []]
    first, second = reports
    assert sorted(first.advanced + second.advanced) == sorted(set(first.advanced + second.advanced))


def test_a_review_leaves_what_another_review_holds_to_it(engine):
    """PostgreSQL: the rows another review's batch has locked are skipped and counted, not waited for."""
    if engine.dialect.name == "sqlite":
        pytest.skip("SQLite has no row locks: a second review waits for the first (the test above)")
    sample(engine)
    with transaction(engine) as holder:
        held, busy = claim(holder.connection(), IdRange(1, 3), wait=False)
        assert (held, busy) == (IdRange(1, 3), 0)
        report = review(engine, batch_size=100)
        assert report.busy == 3 and report.reviewed < 17
    after = review(engine, batch_size=100)
    assert after.busy == 0
