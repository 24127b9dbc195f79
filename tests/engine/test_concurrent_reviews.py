"""Two reviews at once (a nightly run overlapping one started by hand) write exactly what one review
writes: no duplicate gate reviews, tasks or notices, no partnership advanced twice, no conflicts
reported. PostgreSQL: a batch locks its partnerships and leaves those another review holds to it.
SQLite: a batch takes the database's write lock first, so the second waits and reads what the
first committed."""

import threading

import pytest
from sqlalchemy import select, text

from partnerflow.engine import dispatch_all, get_settings, transaction
from partnerflow.engine.phases.review import claim
from partnerflow.models import AuditEvent, GateReview, IdRange, Notification, Partnership, Task
from tests.engine.harness import review
from tests.factories import NOW
from tests.engine.test_incremental_review import MARKS, sample


def written(engine) -> dict[str, list[tuple]]:
    """What a review writes, without the ids and times that depend on which run wrote a row first."""
    columns = {
        "partnership": [c for c in Partnership.__table__.c if c.name not in MARKS],
        "gate_review": [c for c in GateReview.__table__.c if c.name not in ("id", "previous_id")],
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


def test_two_reviews_and_two_dispatchers_at_once_keep_every_invariant(engine, twin):
    """Checked by SQL afterwards: one gate review per partnership and gate, one task per key, no
    partnership advanced twice, every notification delivered exactly once (inbox: no network)."""
    for database in (engine, twin):
        sample(database)
    review(twin, batch_size=2)
    settings = get_settings()
    start, failures = threading.Barrier(4), []

    def run(work) -> None:
        try:
            start.wait()
            work()
        except Exception as failure:  # shown below: a thread's exception would be lost otherwise
            failures.append(failure)

    def dispatching() -> None:
        for _ in range(3):
            dispatch_all(engine, settings, now=NOW)

    runs = [threading.Thread(target=run, args=(work,)) for work in
            (lambda: review(engine, batch_size=2), lambda: review(engine, batch_size=2), dispatching, dispatching)]
    for thread in runs:
        thread.start()
    for thread in runs:
        thread.join(timeout=120)
    assert failures == []
    dispatch_all(engine, settings, now=NOW)  # what the reviews queued after the dispatchers stopped
    with engine.connect() as connection:
        def rows(sql: str) -> list:
            return [tuple(row) for row in connection.execute(text(sql))]

        assert rows("SELECT partnership_id, gate FROM gate_review GROUP BY partnership_id, gate "
                    "HAVING count(*) > 1") == []
        assert rows("SELECT idempotency_key FROM task GROUP BY idempotency_key HAVING count(*) > 1") == []
        assert rows("SELECT partnership_id FROM audit_event WHERE kind = 'phase.advanced' "
                    "GROUP BY partnership_id HAVING count(*) > 1") == []
        assert rows("SELECT notification_id FROM delivery_attempt GROUP BY notification_id "
                    "HAVING count(*) > 1") == []
        assert rows("SELECT id FROM notification WHERE status <> 'sent'") == []
    assert written(engine)["gate_review"] == written(twin)["gate_review"]
    with engine.connect() as connection, twin.connect() as other:  # the same tasks (told or not yet)
        keys = select(Task.idempotency_key, Task.status, Task.assignee_id).order_by(Task.idempotency_key)
        assert connection.execute(keys).all() == other.execute(keys).all()
