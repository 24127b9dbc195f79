"""Reminders on a cadence, escalation once per level, daily digests — with a controlled clock."""

from datetime import UTC, date, datetime, timedelta

import pytest

from partnerflow.engine import dispatch_all, get_settings, sweep
from partnerflow.models import Channel, Notification, Person, Task, session_scope
from tests.engine.harness import POLICY, build, review
from tests.factories import NOW

TOLD = NOW  # the owners are first told at 09:00 on review day, the frozen clock of every test


@pytest.fixture
def told(engine):
    """One empty partnership reviewed and its task notifications delivered at TOLD."""
    w = build(engine, ("acme-supply", "alignment", None))
    with session_scope(engine) as session:
        session.add(Person(email="pmo@northwind.example", name="Program office", party_id=w.us.id,
                           roles=["program_manager"]))
    review(engine)
    dispatch_all(engine, get_settings(), now=TOLD)
    return w


def swept(engine, at):
    with session_scope(engine) as session:
        return sweep(session, POLICY, now=at)


def queued(engine, event):
    with session_scope(engine) as session:
        return [(n.person_id, n.task_id) for n in session.query(Notification).filter_by(event=event)]


def test_reminders_follow_the_cadence_not_every_sweep(engine, told):
    tasks = len(queued(engine, "task.opened"))
    assert swept(engine, TOLD + timedelta(days=6, hours=23)).reminded == 0
    assert swept(engine, TOLD + timedelta(days=7)).reminded == tasks
    assert swept(engine, TOLD + timedelta(days=7, hours=1)).reminded == 0  # not on every sweep
    assert swept(engine, TOLD + timedelta(days=14)).reminded == tasks
    assert len(queued(engine, "task.reminder")) == 2 * tasks


def test_overdue_tasks_escalate_to_the_sponsor_then_the_program_office_once_each(engine, told):
    due = date(2026, 12, 11)  # 14 days after the review
    with session_scope(engine) as session:
        assert {t.due_on for t in session.query(Task)} == {due}
        pmo = session.query(Person).filter_by(email="pmo@northwind.example").one().id
    at = lambda day: datetime(day.year, day.month, day.day, 10, tzinfo=UTC)  # noqa: E731
    assert swept(engine, at(due + timedelta(days=3))).escalated == 0  # within the grace period
    first = swept(engine, at(due + timedelta(days=4)))
    assert first.escalated > 0
    assert {person for person, _ in queued(engine, "task.escalated")} == {told.sponsor.id}
    assert swept(engine, at(due + timedelta(days=5))).escalated == 0  # once per level
    assert swept(engine, at(due + timedelta(days=11))).escalated == first.escalated
    assert {person for person, _ in queued(engine, "task.escalated")} == {told.sponsor.id, pmo}
    assert swept(engine, at(due + timedelta(days=30))).escalated == 0


def test_a_digest_person_gets_one_message_a_day_instead_of_one_per_task(engine):
    w = build(engine, ("acme-supply", "alignment", None))
    with session_scope(engine) as session:
        session.add(Channel(person_id=w.owner.id, kind="inbox", digest=True))
    review(engine)
    assert not [p for p, _ in queued(engine, "task.opened") if p == w.owner.id]
    assert swept(engine, TOLD).digests == 1
    assert swept(engine, TOLD + timedelta(hours=3)).digests == 1  # asked again the same day...
    assert len(queued(engine, "digest")) == 1  # ...it is the same digest, queued once
    swept(engine, TOLD + timedelta(days=1))
    assert len(queued(engine, "digest")) == 2
    dispatch_all(engine, get_settings(), now=TOLD + timedelta(days=1))
    with session_scope(engine) as session:
        digest = session.query(Notification).filter_by(event="digest").first()
        owned = session.query(Task).filter_by(assignee_id=w.owner.id).all()
    assert digest.status == "sent" and len(digest.context["tasks"]) == len(owned)
    assert all(t.first_notified_at is not None for t in owned)  # the digest told them


def test_reminders_go_to_the_delegate_while_the_owner_is_out_of_office(engine, told):
    from partnerflow.models import Delegation

    with session_scope(engine) as session:
        session.add(Delegation(person_id=told.owner.id, delegate_id=told.our_gatekeepers[1].id,
                               starts_on=date(2026, 12, 1), ends_on=date(2026, 12, 10)))
        owners_tasks = session.query(Task).filter_by(assignee_id=told.owner.id).count()
    swept(engine, TOLD + timedelta(days=7))
    reminded = [person for person, _ in queued(engine, "task.reminder")]
    assert reminded.count(told.our_gatekeepers[1].id) == owners_tasks and told.owner.id not in reminded
