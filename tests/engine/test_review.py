"""Reviews: gate reviews written only on change, approval modes, version-checked advances."""

import gc
import json
from datetime import UTC, timedelta

from sqlalchemy import Text, cast, select
from sqlmodel import Session

from partnerflow.engine.audit import unfolded
from partnerflow.engine.phases import transitions
from partnerflow.engine.phases.review import collector_frozen, results_json
from partnerflow.engine.phases.transitions import Transition
from partnerflow.gates.evaluate import CriterionResult
from partnerflow.models import (AuditEvent, Delegation, GateReview, Notification, Partnership, ReviewConfirmation, Task,
                                Win, checked, confirmed_from, insert_rows, session_scope)
from tests import factories
from tests.engine.harness import POLICY, build, count, portfolio, review, told
from tests.factories import AS_OF, NOW


def audited(engine) -> list[tuple[str, str, dict]]:
    """Every change the audit log records, as (actor, kind, data): a review's event unfolded."""
    with engine.connect() as connection:
        rows = connection.execute(select(AuditEvent.actor, AuditEvent.kind, AuditEvent.data).order_by(AuditEvent.id))
        return [(actor, each, data) for actor, kind, whole in rows for each, data in unfolded(kind, whole)]


def state_of(engine, key):
    with Session(engine) as session:
        p = session.query(Partnership).filter_by(key=key).one()
        return p.phase, p.state, p.version


def test_gatekeeper_gate_makes_a_passing_partnership_ready_and_blocked_one_stays(engine):
    build(engine, ("good", "alignment", factories.alignment_evidence), ("empty", "alignment", None))
    report = review(engine)
    assert report.reviewed == 2 and report.passed == 1 and report.written == 2
    assert report.ready == ["good"] and report.advanced == []
    assert state_of(engine, "good") == ("alignment", "ready", 2)
    assert state_of(engine, "empty") == ("alignment", "active", 1)
    assert report.blockers["business-case-approved"] == 1


def test_auto_gate_advances_with_a_version_check_and_an_audit_event(engine):
    build(engine, ("star", "execution", factories.execution_evidence))
    report = review(engine)
    assert report.advanced == ["star"]
    assert state_of(engine, "star") == ("shared_vision", "active", 2)
    assert ("review", "phase.advanced", {"phase": "shared_vision", "state": "active",
                                         "gate": "execution-to-shared-vision", "policy_version": POLICY.version,
                                         "from": "execution"}) in audited(engine)


def test_a_review_audits_what_it_changed_in_one_event_per_partnership(engine):
    """The transition and the tasks a review opened in a partnership are one row of the audit log."""
    build(engine, ("good", "alignment", factories.alignment_evidence), ("empty", "alignment", None))
    report = review(engine)
    with engine.connect() as connection:
        rows = connection.execute(select(AuditEvent.partnership_id, AuditEvent.kind)).all()
    assert len(rows) == len({pid for pid, _ in rows}) == 2 and {kind for _, kind in rows} == {"review"}
    kinds = [kind for _, kind, _ in audited(engine)]
    assert kinds.count("state.ready") == 1 and kinds.count("task.opened") == report.tasks_opened > 1


def test_second_review_with_nothing_changed_writes_nothing_new(engine):
    build(engine, ("good", "alignment", factories.alignment_evidence), ("empty", "alignment", None))
    review(engine)
    reviews, events = count(engine, GateReview), count(engine, AuditEvent)
    again = review(engine)
    assert (again.written, again.unchanged) == (0, 2)
    assert (count(engine, GateReview), count(engine, AuditEvent)) == (reviews, events)
    assert again.ready == [] and state_of(engine, "good") == ("alignment", "ready", 2)


def test_unchanged_review_records_when_it_last_looked(engine):
    build(engine, ("empty", "alignment", None))
    review(engine)
    looked = select(GateReview.as_of, *checked()).select_from(confirmed_from())
    with engine.connect() as connection:
        assert connection.execute(looked).one() == (AS_OF, NOW, AS_OF)  # written: confirmed by itself
    later = NOW + timedelta(days=2)
    for day in (28, 29):
        review(engine, as_of=AS_OF.replace(day=day), now=later)
    with engine.connect() as connection:
        assert connection.execute(looked).one() == (AS_OF, later, AS_OF.replace(day=29))
        # the review's own row untouched; one confirmation, kept up to date
        assert connection.execute(select(GateReview.created_at)).scalar_one() == NOW
        assert connection.execute(select(ReviewConfirmation.review_id)).scalars().all() == \
            connection.execute(select(GateReview.id)).scalars().all()


def test_changed_evidence_writes_a_new_review_and_a_ready_partnership_falls_back(engine):
    build(engine, ("good", "alignment", factories.alignment_evidence))
    review(engine)
    with session_scope(engine) as session:
        session.query(Win).delete()
    report = review(engine)
    assert report.written == 1 and report.no_longer_ready == ["good"]
    assert state_of(engine, "good") == ("alignment", "active", 3)
    with engine.connect() as connection:
        latest = connection.execute(select(GateReview.blockers).order_by(GateReview.id.desc())).first()
    assert latest.blockers == ["every-party-wins"]


def test_a_new_policy_version_writes_a_new_review_and_keeps_the_old_one(engine):
    build(engine, ("empty", "alignment", None))
    review(engine)
    review(engine, policy=POLICY.model_copy(update={"version": "2027.1"}))
    with engine.connect() as connection:
        versions = connection.execute(select(GateReview.policy_version).order_by(GateReview.id)).scalars().all()
    assert versions == [POLICY.version, "2027.1"]


def test_a_stale_version_never_advances_twice(engine):
    """A second reviewer acting on what it read before the first one advanced changes nothing."""
    build(engine, ("star", "execution", factories.execution_evidence))
    with engine.connect() as connection:
        pid, version = connection.execute(select(Partnership.id, Partnership.version)).one()
    assert review(engine).advanced == ["star"]
    late = Transition(pid, version, "phase.advanced", phase="shared_vision", state="active")
    with session_scope(engine) as session:
        applied = transitions.apply(session, [late], actor="late reviewer", now=factories.NOW, on=AS_OF)
    assert applied == set()
    assert state_of(engine, "star") == ("shared_vision", "active", 2)
    assert [kind for _, kind, _ in audited(engine)].count("phase.advanced") == 1


def test_terminated_partnerships_are_not_reviewed(engine):
    build(engine, ("gone", "alignment", None))
    with session_scope(engine) as session:
        session.query(Partnership).update({"state": "terminated"})
    assert review(engine).reviewed == 0


def test_a_review_stamps_everything_it_writes_with_its_own_now_whatever_the_clock_says(engine, frozen_clock):
    """One clock per unit of work: gate reviews, tasks, notices and audit events share the review's `now`."""
    portfolio(engine)
    review_at = factories.NOW - timedelta(days=3)
    frozen_clock.tick(days=30)  # the clock has moved on; the review was given its moment
    report = review(engine, now=review_at)
    assert report.advanced == ["star"] and report.ready == ["acme-supply"] and report.tasks_opened > 0
    told(engine)  # composed later, the notices still carry the moment of the review that caused them
    with engine.connect() as connection:
        stamps = {
            "gate reviews": connection.execute(select(GateReview.created_at)).scalars().all(),
            "tasks": connection.execute(select(Task.created_at)).scalars().all(),
            "notices": connection.execute(select(Notification.created_at)).scalars().all(),
            "audit events": connection.execute(select(AuditEvent.at)).scalars().all(),
        }
    for what, moments in stamps.items():
        assert moments and {m.replace(tzinfo=UTC) for m in moments} == {review_at}, what


def test_a_review_as_of_another_day_tells_the_gatekeepers_standing_in_that_day(engine):
    """Delegations are read as of the review's date, not today's."""
    w = build(engine, ("good", "alignment", factories.alignment_evidence))
    later = AS_OF + timedelta(days=20)
    with session_scope(engine) as session:
        session.add(Delegation(person_id=w.their_gatekeeper.id, delegate_id=w.their_manager.id,
                               starts_on=later - timedelta(days=1), ends_on=later + timedelta(days=1)))
    assert review(engine, as_of=later).ready == ["good"]
    told(engine)
    with engine.connect() as connection:
        ready = set(connection.execute(select(Notification.person_id).where(Notification.event == "gate.ready"))
                    .scalars())
    assert w.their_manager.id in ready and w.their_gatekeeper.id not in ready


def test_a_review_digest_is_the_one_stored_reviews_were_compared_by():
    """Reviews are written only when their digest changes: a new way of computing it would write every
    partnership's review again once. It stays blake2b over the fields, joined as the first reviews did."""
    import hashlib

    from partnerflow.engine.phases.review import digest
    from partnerflow.gates import GateEvaluation

    results = (CriterionResult("agreement-signed", "business_objective", "must", True, "Signed by “Acme” ✓"),
               CriterionResult("metric-shared", "performance_metrics", "should", False, "No shared metric\x1f yet"))
    evaluation = GateEvaluation("alignment-to-execution", "2026.1", results)
    parts = ["2026.1", "alignment-to-execution", "alignment"]
    parts += [f"{r.id}\x1f{r.practice}\x1f{r.level}\x1f{r.passed:d}\x1f{r.explanation}" for r in results]
    assert digest(evaluation, "alignment") == hashlib.blake2b("\x1e".join(parts).encode(), digest_size=16).hexdigest()
    assert digest(evaluation._replace(results=results[:1]), "alignment") != digest(evaluation, "alignment")


def test_stored_results_are_what_the_column_would_store_and_read_back_as_typed(engine):
    """A review's results go to the database as JSON text serialized once per distinct result: the text
    is the column's own serialization, and reads back as each result's fields, hostile text included."""
    typed = ["Signed by “Acme” ✓ 𝔘", 'quote \' " ;-- </script>', "tab\there\nnew line \\ back", "", "\u2028"]
    results = [CriterionResult(f"c{i}", "business_objective", "must", i % 2 == 0, text) for i, text in enumerate(typed)]
    as_dicts = [r._asdict() for r in [*results, results[0]]]
    serialized: dict = {}
    text = results_json([*results, results[0]], serialized)
    assert text == json.dumps(as_dicts)  # as SQLAlchemy's JSON (SQLite) and psycopg's Json (PostgreSQL) write it
    assert len(serialized) == len(results)  # the repeated result serialized once
    build(engine, ("hostile", "alignment", None))
    table = GateReview.__table__
    with engine.begin() as connection:
        pid = connection.execute(select(Partnership.id)).scalar_one()
        row = {"partnership_id": pid, "gate": "g", "phase": "alignment", "policy_version": "v", "as_of": AS_OF,
               "passed": False, "blockers": ["c1"], "digest": "d", "created_at": NOW, "previous_id": 0}
        insert_rows(connection, table, [{**row, "results": text}], as_stored=("results",))
        connection.execute(table.insert().values({**row, "gate": "h", "results": as_dicts}))  # SQLAlchemy's way
        stored = connection.execute(select(table.c.results).order_by(table.c.id)).scalars().all()
        held = connection.execute(select(cast(table.c.results, Text)).order_by(table.c.id)).scalars().all()
    assert stored == [as_dicts, as_dicts] and held[0] == held[1]  # the very text, whatever the engine's serializer
    assert [r["explanation"] for r in stored[0][:len(typed)]] == typed


def test_a_review_run_freezes_the_collector_once_however_deeply_it_nests():
    """The flow freezes the whole run and the shard loop inside it freezes again: only the outermost
    block thaws, so the run's objects never come back into the collector's reach in the middle of it."""
    assert gc.get_freeze_count() == 0
    with collector_frozen():
        frozen = gc.get_freeze_count()
        with collector_frozen():
            pass
        assert gc.get_freeze_count() == frozen > 0
    assert gc.get_freeze_count() == 0
