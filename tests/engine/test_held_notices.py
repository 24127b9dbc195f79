"""A review's notices, held in one row per batch and composed when the outbox is next drained or listed.

The outbox stays transactional: the held batch commits with the tasks and transitions that caused it,
or neither does; composing it is idempotent, and a compose that dies changes nothing."""

import pytest
from sqlalchemy import select

from partnerflow.engine import compose_held, dispatch_all, get_settings, notification_listing
from partnerflow.engine.phases.review import review_batch
from partnerflow.models import Channel, NoticeBatch, Notification, Partnership, Person, Task, session_scope
from tests import factories
from tests.engine.harness import POLICY, build, count, review, told
from tests.factories import AS_OF, NOW

EMPTY = ("acme-supply", "alignment", None)
ALIGNED = ("good", "alignment", factories.alignment_evidence)


def outbox(engine) -> set[tuple]:
    with session_scope(engine) as session:
        return set(session.execute(select(Notification.dedup_key, Notification.event, Notification.person_id,
                                          Notification.channel, Notification.task_id, Notification.created_at)))


def test_a_batch_rolled_back_holds_no_notice_and_one_committed_holds_its_notices_with_its_tasks(engine):
    build(engine, EMPTY, ALIGNED)
    with session_scope(engine) as session:
        ids = session.execute(select(Partnership.id)).scalars().all()
    with session_scope(engine) as session:
        report = review_batch(session, POLICY, ids, AS_OF, now=NOW)
        assert report.tasks_opened > 0 and report.ready == ["good"]
        session.rollback()  # the batch dies before its commit
    assert (count(engine, Task), count(engine, NoticeBatch), told(engine), outbox(engine)) == (0, 0, 0, set())

    review(engine)
    with session_scope(engine) as session:
        [held] = session.scalars(select(NoticeBatch)).all()
        tasks = set(session.execute(select(Task.id).where(Task.assignee_id.is_not(None))).scalars())
    assert set(held.tasks) == tasks and [t[2:4] for t in held.transitions] == [[None, "ready"]]
    assert held.composed_at is None


def test_composing_twice_tells_nothing_twice_and_a_compose_that_dies_is_done_again_the_same(engine):
    build(engine, EMPTY, ALIGNED)
    review(engine)
    with session_scope(engine) as session:
        assert compose_held(session, now=NOW) == 1
        first = set(session.execute(select(Notification.dedup_key)).scalars())
        session.rollback()  # the dispatch died before committing what it composed
    assert outbox(engine) == set()
    assert told(engine) == 1 and told(engine) == 0
    composed = outbox(engine)
    assert {key for key, *_ in composed} == first and {e for _, e, *_ in composed} == {"task.opened", "gate.ready"}
    with session_scope(engine) as session:  # composing a batch again (a second dispatch racing) adds nothing
        batch = session.scalars(select(NoticeBatch)).one()
        batch.composed_at = None
    assert told(engine) == 1 and outbox(engine) == composed


def test_a_listing_of_the_outbox_shows_what_the_review_will_send(engine):
    build(engine, EMPTY)
    review(engine)
    with session_scope(engine) as session:
        listed = notification_listing(session, status="pending", now=NOW)
        assigned = set(session.execute(select(Task.id, Person.email).join(Person, Person.id == Task.assignee_id)))
    assert len(assigned) > 1 and {n["event"] for n in listed} == {"task.opened"}
    assert {(n["task"], n["recipient"]) for n in listed} == assigned and len(listed) == len(assigned)  # inbox each


@pytest.fixture
def settings(database_url):
    get_settings.cache_clear()  # the settings of this test's database
    return get_settings()


def test_a_dispatch_composes_held_batches_even_when_they_give_it_nothing_to_send_now(engine, settings):
    """Every recipient takes the daily digest: the held batches compose into no notification, and
    the drain goes on past them instead of stopping at the first."""
    build(engine, EMPTY, ("beta", "alignment", None), ("gamma", "alignment", None))
    with session_scope(engine) as session:
        for person_id in session.execute(select(Person.id)).scalars().all():
            session.add(Channel(person_id=person_id, kind="email", address=f"p{person_id}@example.com", digest=True))
    review(engine, batch_size=1)
    assert count(engine, NoticeBatch) == 3
    report = dispatch_all(engine, settings, now=NOW)
    assert (report.composed, report.claimed) == (3, 0) and count(engine, Notification) == 0
    with session_scope(engine) as session:
        assert session.execute(select(NoticeBatch.composed_at).where(NoticeBatch.composed_at.is_(None))).all() == []
