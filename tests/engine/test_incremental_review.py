"""The incremental review: only the partnerships whose last review no longer holds are reloaded,
and it finds exactly what a full review finds, day after day, on a portfolio that changes."""

from datetime import timedelta

from sqlalchemy import select

from partnerflow.engine import (
    complete_task,
    decide,
    import_documents,
    import_files,
    partnership_status,
    remove_member,
    supply_evidence,
    transaction,
)
from partnerflow.models import (
    AuditEvent,
    GateReview,
    NoticeBatch,
    Notification,
    Partnership,
    PartnershipParty,
    Party,
    ReviewRun,
    Task,
)
from tests.engine.harness import POLICY, review, told
from tests.engine.test_examples import EXAMPLES

PRIYA = "priya.raman@northwind.example"  # the sample's program manager: may supply any evidence, act on any task
GATEKEEPERS = ("maria.lindqvist@northwind.example", "frank.miller@acme.example")
MARKS = {"evidence_version", "reviewed_evidence", "reviewed_policy", "reviewed_as_of", "review_holds_until"}


def sample(engine) -> None:
    with transaction(engine) as session:
        import_files(session, [EXAMPLES / "portfolio.yaml", EXAMPLES / "partnerships.csv"])


def what_a_review_decides(engine) -> dict[str, list[tuple]]:
    """What a review writes that a person sees: phases and states, the latest gate reviews (their
    results, not when they were last confirmed), tasks, notifications."""
    tables = {
        "partnership": [c for c in Partnership.__table__.c if c.name not in MARKS],
        "gate_review": list(GateReview.__table__.c),  # not review_confirmation: when each was last confirmed
        "task": list(Task.__table__.c),
        "notice_batch": [c for c in NoticeBatch.__table__.c if c.name != "id"],
        "notification": [c for c in Notification.__table__.c if c.name != "id"],  # a message id is random
        "audit_event": [c for c in AuditEvent.__table__.c if c.name != "id"],
    }
    with engine.connect() as connection:
        found = {name: [tuple(row) for row in connection.execute(select(*columns).order_by(columns[0]))]
                 for name, columns in tables.items()}
    found["audit_event"].sort(key=repr)  # the events of one review come in no particular order
    found["notice_batch"].sort(key=repr)
    return found


def differences(before: dict, after: dict) -> dict:
    """The rows of each table that only one side has: what the full review changed."""
    return {name: ([row for row in before[name] if row not in after[name]][:3],
                   [row for row in after[name] if row not in before[name]][:3])
            for name in before if before[name] != after[name]}


def keys_of(engine, state: str) -> list[str]:
    with engine.connect() as connection:
        return connection.execute(select(Partnership.key).where(Partnership.state == state)
                                  .order_by(Partnership.key)).scalars().all()


def a_party_of(engine, key: str) -> str:
    with engine.connect() as connection:
        return connection.execute(select(Party.key).join(PartnershipParty, PartnershipParty.party_id == Party.id)
                                  .join(Partnership, Partnership.id == PartnershipParty.partnership_id)
                                  .where(Partnership.key == key).order_by(Party.key)).scalars().first()


def open_tasks(engine) -> list[int]:
    with engine.connect() as connection:
        return connection.execute(select(Task.id).where(Task.status == "open").order_by(Task.id)).scalars().all()


def act(engine, day: int, today, now) -> None:
    """What the people of the sample do on `day` of the year, through the engine as every face does."""
    partnerships = keys_of(engine, "active")
    with transaction(engine) as session:
        if day % 9 == 0 and partnerships:  # a formal meeting held and recorded
            key = partnerships[day // 9 % len(partnerships)]
            supply_evidence(session, key, f"meetings:\n  - {{held_on: {today}, kind: formal, summary: Day {day}}}\n",
                            by=PRIYA, now=now)
        if day % 13 == 0 and (tasks := open_tasks(engine)):  # an owner acts on a task
            complete_task(session, tasks[day // 13 % len(tasks)], by=PRIYA, note=f"done on day {day}", now=now)
        if day % 30 == 0:  # a month of commitments: one partnership promises, another keeps its word
            key = partnerships[day // 30 % len(partnerships)]
            supply_evidence(session, key, "commitments:\n" + "".join(
                f"  - {{party: {a_party_of(engine, key)}, description: Promise {n}, due_on: {today + timedelta(days=20 * n)}, "
                f"status: {'honored' if n % 2 else 'open'}}}\n" for n in range(1, 4)), by=PRIYA, now=now)
        if day == 200:  # a party renamed: every partnership it is in reads the new name
            import_documents(session, [("rename.yaml", b"parties:\n  - {key: acme, name: Acme Group}\n")], now=now)
        if day == 120:
            remove_member(session, "acme-castings", "frank.miller@acme.example", by=PRIYA, now=now)
    for key in keys_of(engine, "ready")[:1]:  # the gatekeepers say go to the first partnership waiting
        for by in GATEKEEPERS:
            with transaction(engine) as session:
                decide(session, POLICY, key, "go", by=by, reason=f"Day {day}", as_of=today)


def test_incremental_and_full_reviews_agree_every_day_of_a_year(engine, twin, frozen_clock):
    """A year of nightly reviews of the sample, with its people acting between them through the engine:
    one database reviewed incrementally, its twin fully. Every night both reports agree and both
    databases hold the same phases, reviews, tasks, notifications and audit events; most nights most
    partnerships are not reloaded."""
    for database in (engine, twin):
        sample(database)
        review(database, as_of=frozen_clock.at.date(), batch_size=100)
    for day in range(1, 366):
        now = frozen_clock.tick(days=1)
        today = now.date()
        for database in (engine, twin):
            act(database, day, today, now)
        incremental = review(engine, as_of=today, now=now, batch_size=100, incremental=True)
        full = review(twin, as_of=today, now=now, batch_size=100)
        assert told(engine) == told(twin)  # the held notices composed, as the next dispatch does
        assert {**incremental.as_dict(), "skipped": 0} == full.as_dict(), f"day {day} ({today})"
        found, wanted = what_a_review_decides(engine), what_a_review_decides(twin)
        assert found == wanted, f"day {day} ({today}): {differences(found, wanted)}"
    with engine.connect() as connection:
        runs = connection.execute(select(ReviewRun.full, ReviewRun.skipped, ReviewRun.reviewed)).all()
    skipped = [s for full, s, _ in runs if not full]
    assert len(skipped) == 365 and sum(skipped) > 0.6 * 17 * 365  # most partnerships, most nights, not reloaded


def test_evidence_changed_through_the_engine_is_reloaded_the_next_night(engine, frozen_clock):
    sample(engine)
    now = frozen_clock.at
    review(engine, as_of=now.date(), batch_size=100, incremental=True)
    # what the first review changed itself (a partnership now ready, a task closed) is read once more
    second = review(engine, as_of=now.date(), batch_size=100, incremental=True)
    assert 0 < second.skipped < 17
    again = review(engine, as_of=now.date(), batch_size=100, incremental=True)
    assert again.skipped == 17 and again.written == 0 and again.reviewed == second.reviewed
    with transaction(engine) as session:
        supply_evidence(session, "acme-castings", "wins: []\n", by=PRIYA, now=now)
    after = review(engine, as_of=now.date(), batch_size=100, incremental=True)
    assert after.skipped == 16 and after.written == 1 and after.no_longer_ready == ["acme-castings"]


def test_a_new_policy_reloads_everything(engine, frozen_clock):
    sample(engine)
    as_of = frozen_clock.at.date()
    review(engine, as_of=as_of, batch_size=100, incremental=True)
    stricter = POLICY.model_copy(update={"task_due_days": POLICY.task_due_days + 1})  # same version, edited
    assert review(engine, as_of=as_of, batch_size=100, incremental=True, policy=stricter).skipped == 0


def test_status_says_when_a_result_was_last_confirmed_and_until_when_it_holds(engine, frozen_clock):
    sample(engine)
    first = frozen_clock.at.date()
    review(engine, as_of=first, batch_size=100, incremental=True)
    later = first + timedelta(days=1)
    review(engine, as_of=later, batch_size=100, incremental=True)
    with transaction(engine) as session:
        status = partnership_status(session, POLICY, "keystone-freight", later)
    assert status["review"]["looked_on"] == first.isoformat()
    assert status["review"]["confirmed_as_of"] == later.isoformat()
    assert status["review"]["evidence_changed"] is False
    with transaction(engine) as session:
        supply_evidence(session, "keystone-freight", "meetings: []\n", by=PRIYA, now=frozen_clock.at)
        status = partnership_status(session, POLICY, "keystone-freight", later)
    assert status["review"]["evidence_changed"] is True
