"""Draining the outbox: claim due notifications, render, deliver, record every attempt.

Delivery is at least once: a notification is claimed with a lease before it is sent, and
recorded after. A run that dies in between leaves it claimed; when the lease runs out the
next run sends it again (receivers de-duplicate on its stable id). Failures are retried on
the configured schedule with jitter, then the notification is dead — never lost, and
`partnerflow notifications retry` re-drives it.
"""

import asyncio
import random
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import NamedTuple

import httpx
from sqlalchemy import Engine, bindparam, insert, or_, select, update
from sqlmodel import Session

from partnerflow.engine import audit, clock
from partnerflow.engine.notifications import links
from partnerflow.engine.notifications.held import compose_held
from partnerflow.engine.notifications.signin import sign_in_link
from partnerflow.engine.sealing import Keyring, Unreadable
from partnerflow.engine.settings import Settings
from partnerflow.models import Channel, DeliveryAttempt, Notification, Person, Task, session_scope, within
from partnerflow.notify import (
    TASK_EVENTS,
    CheckedClient,
    Delivery,
    Message,
    SmtpSettings,
    Target,
    deliver_all,
    render_message,
)

N, C, PE = Notification.__table__.c, Channel.__table__.c, Person.__table__.c
LEASE = timedelta(minutes=10)
UNREADABLE = ("the channel's URL or secret is sealed with another secret key: set PARTNERFLOW_PREVIOUS_SECRET_KEY and "
              "run `partnerflow channel reseal`, or remove and add the channel again")


class Claimed(NamedTuple):
    id: str
    event: str
    channel: str
    attempts: int
    context: dict
    task_id: int | None
    person_id: int
    name: str
    email: str
    address: str | None
    secret: str | None


class DispatchReport(NamedTuple):
    claimed: int = 0
    sent: int = 0
    retrying: int = 0
    dead: int = 0
    composed: int = 0  # held batches of a review's notices composed into notifications

    def __add__(self, other):  # type: ignore[override]
        return DispatchReport(*(a + b for a, b in zip(self, other)))


def _due(now: datetime):
    return or_((N.status == "pending") & (N.next_attempt_at <= now), (N.status == "sending") & (N.claimed_until < now))


def due_ids(session: Session, *, now: datetime, limit: int) -> list[str]:
    """Due notifications (and ones whose claim lapsed), oldest first; skips rows others hold."""
    ids = select(N.id).where(_due(now)).order_by(N.next_attempt_at, N.id).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        ids = ids.with_for_update(skip_locked=True)
    return session.execute(ids).scalars().all()


def take(session: Session, ids: list[str], *, now: datetime) -> list[str]:
    """Claim `ids` with a lease; the claim repeats the condition, so a row another run took first stays theirs."""
    if not ids:
        return []
    return session.execute(update(Notification).where(N.id.in_(ids), _due(now))
                           .values(status="sending", claimed_until=now + LEASE).returning(N.id)
                           .execution_options(synchronize_session=False)).scalars().all()


def claim(session: Session, *, now: datetime, limit: int) -> list[Claimed]:
    """Claim up to `limit` due notifications for this run, with what delivering them needs."""
    chosen = take(session, due_ids(session, now=now, limit=limit), now=now)
    if not chosen:
        return []
    rows = session.execute(
        select(N.id, N.event, N.channel, N.attempts, N.context, N.task_id, N.person_id, PE.name, PE.email,
               C.address, C.secret)
        .join(Person, PE.id == N.person_id).outerjoin(Channel, C.id == N.channel_id)
        .where(N.id.in_(chosen)).order_by(N.next_attempt_at, N.id))
    return [Claimed(*row) for row in rows]


def smtp_settings(settings: Settings) -> SmtpSettings | None:
    if not settings.smtp_host:
        return None
    password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
    return SmtpSettings(host=settings.smtp_host, port=settings.smtp_port, security=settings.smtp_security,
                        username=settings.smtp_username, password=password, sender=settings.smtp_sender,
                        timeout=settings.delivery_timeout_s)


def prepare(item: Claimed, settings: Settings, now: datetime) -> tuple[Message, Target] | Delivery:
    """The rendered message and its target, or a failed Delivery saying why it cannot be sent."""
    def link(task_id: int) -> str:
        token = links.sign_link(settings.secret_key, task_id, item.person_id, now=now)
        return f"{settings.base_url.rstrip('/')}/tasks/{task_id}?token={token}"

    action_url = link(item.task_id) if item.event in TASK_EVENTS and item.task_id is not None else None
    if item.event == "sign_in":  # signed at delivery, like a task's link: nothing that signs in is stored
        action_url = sign_in_link(settings.secret_key, settings.base_url, item.person_id, now=now)
    context = item.context
    if item.event == "digest":
        context = {**context, "tasks": [{**task, "action_url": link(task["id"])} for task in context["tasks"]]}
    try:  # only what this channel delivers: a broken template of another channel does not stop this one
        message = render_message(item.id, item.event, context, recipient={"name": item.name, "email": item.email},
                                 action_url=action_url, overrides=str(settings.templates_path or "") or None,
                                 channel=item.channel)
    except Exception as exc:  # a template error is the operator's to fix: recorded, not retried
        return Delivery(False, None, f"template error: {type(exc).__name__}: {exc}", False, 0.0)
    keyring = Keyring.of(settings)
    try:  # webhook, Slack and Teams credentials are stored sealed (engine/sealing.py)
        address, secret = keyring.unseal(item.address or ""), item.secret and keyring.unseal(item.secret)
    except Unreadable:
        return Delivery(False, None, UNREADABLE, False, 0.0)
    return message, Target(item.channel, address or (item.email if item.channel == "email" else ""), secret)


def deliver(prepared: list[tuple[Message, Target]], settings: Settings, now: datetime) -> list[Delivery]:
    async def run() -> list[Delivery]:
        timeout = httpx.Timeout(settings.delivery_timeout_s)
        limits = httpx.Limits(max_connections=settings.dispatch_concurrency)
        async with CheckedClient(allow_hosts=settings.allowed_hosts, timeout=timeout, limits=limits) as http:
            return await deliver_all(prepared, http=http, smtp=smtp_settings(settings),
                                     timestamp=lambda: int(now.timestamp()), concurrency=settings.dispatch_concurrency)

    return asyncio.run(run()) if prepared else []


def record(session: Session, claimed: list[Claimed], outcomes: list[Delivery], *, now: datetime,
           schedule: tuple[int, ...], rng: random.Random | None = None) -> DispatchReport:
    """Every attempt is a row; sent, retried later with jitter, or dead. Flushes; the caller commits."""
    rng = rng or random.Random()
    attempts, changes, sent, retrying, dead = [], [], 0, 0, 0
    for item, outcome in zip(claimed, outcomes, strict=True):
        attempts.append({"notification_id": item.id, "at": now, "channel": item.channel, "ok": outcome.ok,
                         "status_code": outcome.status_code, "error": outcome.error,
                         "duration_ms": outcome.duration_ms})
        tries = item.attempts + 1
        change = {"nid": item.id, "attempts": tries, "last_error": outcome.error, "claimed_until": None,
                  "sent_at": None, "next_attempt_at": now}
        if outcome.ok:
            change.update(status="sent", sent_at=now)
            sent += 1
        elif outcome.retryable and tries <= len(schedule):
            delay = schedule[tries - 1] * rng.uniform(0.8, 1.2)
            change.update(status="pending", next_attempt_at=now + timedelta(seconds=delay))
            retrying += 1
        else:
            change.update(status="dead")
            dead += 1
        changes.append(change)
    if attempts:
        session.execute(insert(DeliveryAttempt), attempts)
        session.connection().execute(
            update(Notification.__table__).where(N.id == bindparam("nid")).values(
                status=bindparam("status"), attempts=bindparam("attempts"), last_error=bindparam("last_error"),
                claimed_until=bindparam("claimed_until"), sent_at=bindparam("sent_at"),
                next_attempt_at=bindparam("next_attempt_at")), changes)
    _note_first_delivery(session, claimed, outcomes, now)
    return DispatchReport(len(claimed), sent, retrying, dead)


def _note_first_delivery(session: Session, claimed: list[Claimed], outcomes: list[Delivery], now: datetime) -> None:
    """When an owner was first told of a task: the start of their response time."""
    told = [(c, o) for c, o in zip(claimed, outcomes) if o.ok]
    task_ids = {c.task_id for c, _ in told if c.event == "task.opened" and c.task_id}
    task_ids |= {task["id"] for c, _ in told if c.event == "digest" for task in c.context["tasks"]}
    if task_ids:
        noted = session.execute(update(Task).where(within(Task.id, task_ids), Task.first_notified_at.is_(None))
                                .values(first_notified_at=now).returning(Task.partnership_id, Task.status)
                                .execution_options(synchronize_session=False)).all()
        # a task already done when its first notice goes out has a new response time: its review is stale
        audit.evidence_changed(session, {pid for pid, status in noted if status == "done"})


def dispatch_batch(engine: Engine, settings: Settings, *, now: datetime | None = None) -> DispatchReport:
    """Claim, deliver and record one batch; each step commits, so a crash loses no record.

    The batch reads the clock once (or takes `now`): its claim, attempts and next tries share it."""
    now = now or clock.now()
    with session_scope(engine) as session:  # the held notices of one review batch, then what is due
        composed = compose_held(session, now=now, limit=1)
        claimed = claim(session, now=now, limit=settings.dispatch_batch_size)
    if not claimed:
        return DispatchReport(composed=composed)
    prepared = [prepare(item, settings, now) for item in claimed]
    sendable = [p for p in prepared if not isinstance(p, Delivery)]
    delivered = iter(deliver(sendable, settings, now))
    outcomes = [p if isinstance(p, Delivery) else next(delivered) for p in prepared]
    with session_scope(engine) as session:
        return record(session, claimed, outcomes, now=now, schedule=settings.retry_schedule)._replace(
            composed=composed)


def dispatch_all(engine: Engine, settings: Settings, *, now: datetime | None = None, max_batches: int = 1000
                 ) -> DispatchReport:
    """Drain what is due now, batch after batch (each batch reads the clock once unless `now` is given)."""
    return drain(lambda: dispatch_batch(engine, settings, now=now), max_batches=max_batches)


def drain(run_batch: Callable[[], DispatchReport], *, max_batches: int) -> DispatchReport:
    """Run batches until one claims and composes nothing, or `max_batches` ran; the reports added up.

    The one drain loop: in process here, and in the dispatch flow with a Prefect task per batch."""
    report = DispatchReport()
    for _ in range(max_batches):
        done = run_batch()
        report += done
        if done.claimed == 0 and done.composed == 0:
            break
    return report
