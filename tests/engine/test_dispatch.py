"""Draining the outbox: attempts recorded, retries on a schedule, dead letters, crash recovery."""

import socket
from datetime import UTC, timedelta

import pytest
from sqlalchemy import select

from partnerflow.engine import dispatch_all, get_settings
from partnerflow.engine.notifications import outbox
from partnerflow.engine.notifications.dispatch import LEASE, claim, due_ids, take
from partnerflow.engine.policies import read_policy
from partnerflow.engine.phases.review import review_all
from partnerflow.engine.settings import DEFAULT_POLICY
from partnerflow.models import Channel, DeliveryAttempt, Notification, Task, session_scope
from tests import factories
from tests.engine.harness import told
from tests.factories import AS_OF, NOW

POLICY = read_policy(DEFAULT_POLICY)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def settings(database_url, monkeypatch):
    monkeypatch.setenv("PARTNERFLOW_WEBHOOK_ALLOW_HOSTS", "127.0.0.1")
    monkeypatch.setenv("PARTNERFLOW_DELIVERY_TIMEOUT_S", "2")
    get_settings.cache_clear()
    return get_settings()


def portfolio(engine, channel=None):
    """One empty partnership: every alignment criterion fails, so its owner and sponsor get tasks."""
    with session_scope(engine) as session:
        w = factories.world(session)
        factories.partnership(session, w, "acme-supply")
        if channel:
            session.add(Channel(person_id=w.owner.id, **channel))
    review_all(engine, POLICY, AS_OF, batch_size=100)
    return w


def notifications(engine, **where):
    with session_scope(engine) as session:
        return session.query(Notification).filter_by(**where).order_by(Notification.id).all()


def test_inbox_notifications_are_delivered_and_start_the_response_clock(engine, settings):
    portfolio(engine)
    report = dispatch_all(engine, settings, now=NOW)
    pending = notifications(engine, status="pending")
    assert report.sent == report.claimed > 0 and pending == []
    with session_scope(engine) as session:
        attempts = session.query(DeliveryAttempt).all()
        assert len(attempts) == report.sent and all(a.ok and a.channel == "inbox" for a in attempts)
        notified = {t.first_notified_at for t in session.query(Task).filter_by(status="open")}
    assert notified == {NOW}
    assert dispatch_all(engine, settings, now=NOW + timedelta(hours=1)).claimed == 0  # nothing sent twice


def test_an_unreachable_webhook_is_retried_on_the_schedule_then_dead(engine, settings):
    url = f"http://127.0.0.1:{closed_port()}/hook"
    portfolio(engine, channel={"kind": "webhook", "address": url, "secret": "whsec_" + "A" * 32})
    first = dispatch_all(engine, settings, now=NOW)
    assert first.retrying > 0 and first.dead == 0
    waiting = notifications(engine, channel="webhook")
    assert {n.status for n in waiting} == {"pending"} and {n.attempts for n in waiting} == {1}
    assert "refused" in waiting[0].last_error.lower()
    delay = (waiting[0].next_attempt_at.replace(tzinfo=UTC) - NOW).total_seconds()
    assert 4.0 <= delay <= 6.0  # 5 s, with jitter
    now = NOW
    for wait in settings.retry_schedule:
        now += timedelta(seconds=wait * 1.2 + 1)
        dispatch_all(engine, settings, now=now)
    dead = notifications(engine, channel="webhook")
    assert {n.status for n in dead} == {"dead"}
    assert {n.attempts for n in dead} == {len(settings.retry_schedule) + 1}
    with session_scope(engine) as session:
        assert session.query(DeliveryAttempt).filter_by(notification_id=dead[0].id).count() == 8
        assert outbox.retry_notifications(session, dead=True, now=now) == len(dead)
    assert {n.status for n in notifications(engine, channel="webhook")} == {"pending"}


def test_a_private_webhook_target_is_refused_and_dead_at_once(engine, settings):
    portfolio(engine, channel={"kind": "webhook", "address": "http://10.0.0.7/hook", "secret": "whsec_" + "A" * 32})
    report = dispatch_all(engine, settings, now=NOW)
    refused = notifications(engine, channel="webhook")
    assert report.dead == len(refused) > 0
    assert "10.0.0.7" in refused[0].last_error or "private" in refused[0].last_error


def test_a_template_error_is_recorded_and_dead_until_retried(engine, settings, tmp_path, monkeypatch):
    (tmp_path / "notifications").mkdir()
    (tmp_path / "notifications" / "task.opened.txt.j2").write_text("{{ task.no_such_field }}")
    monkeypatch.setenv("PARTNERFLOW_TEMPLATES_PATH", str(tmp_path))
    get_settings.cache_clear()
    portfolio(engine, channel={"kind": "email", "address": "olivia@northwind.example"})  # the sponsor: the inbox
    dispatch_all(engine, get_settings(), now=NOW)
    broken = notifications(engine, event="task.opened", channel="email")
    assert {n.status for n in broken} == {"dead"}
    assert "template error: UndefinedError" in broken[0].last_error
    inbox = notifications(engine, event="task.opened", channel="inbox")  # renders no template: not touched
    assert inbox and {n.status for n in inbox} == {"sent"}


def test_a_dispatch_killed_mid_batch_is_finished_by_the_next_and_sends_nothing_twice(engine, settings):
    portfolio(engine)
    told(engine)  # the review's notices composed, as the first dispatch would
    with session_scope(engine) as session:  # a run claims a batch, then dies before delivering
        claimed = claim(session, now=NOW, limit=3)
    assert len(claimed) == 3
    total = len(notifications(engine))
    early = dispatch_all(engine, settings, now=NOW + timedelta(minutes=1))
    assert early.sent == total - 3  # the claimed ones are held until their lease runs out
    late = dispatch_all(engine, settings, now=NOW + LEASE + timedelta(minutes=1))
    assert late.sent == 3
    with engine.connect() as connection:
        attempts = connection.execute(select(DeliveryAttempt.notification_id)).scalars().all()
    assert len(attempts) == len(set(attempts)) == total


def test_a_row_claimed_by_another_run_meanwhile_is_not_claimed_twice(engine, settings):
    """Run A lists what is due; run B claims it all first; A's claim then takes nothing."""
    portfolio(engine)
    told(engine)
    with session_scope(engine) as session:
        seen_by_a = due_ids(session, now=NOW, limit=1000)
    with session_scope(engine) as session:
        taken_by_b = claim(session, now=NOW, limit=1000)
    with session_scope(engine) as session:
        taken_by_a = take(session, seen_by_a, now=NOW)
    assert len(taken_by_b) == len(seen_by_a) > 0 and taken_by_a == []
