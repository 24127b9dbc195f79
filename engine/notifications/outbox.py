"""Putting notifications in the outbox, in the transaction of the change that caused them.

Each recipient gets one notification per channel (the inbox when they have none); a
dedup key makes a second enqueue of the same cause a no-op. Channels that take a daily
digest receive task messages in the digest instead.
"""

import uuid
from collections import defaultdict
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from partnerflow.engine import clock
from partnerflow.models import Channel, Notification, Person
from partnerflow.notify import EVENTS

DIGESTED = frozenset({"task.opened", "task.reminder"})
C, N, PE = Channel.__table__.c, Notification.__table__.c, Person.__table__.c


class Outgoing(NamedTuple):
    event: str
    person_id: int
    cause: str  # with the event and the channel, the dedup key: one notification per cause
    context: dict[str, Any]
    partnership_id: int | None = None
    task_id: int | None = None


def new_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


def channels_of(session: Session, person_ids) -> dict[int, list]:
    rows = session.execute(select(C.id, C.person_id, C.kind, C.digest).where(C.person_id.in_(set(person_ids)))
                           .order_by(C.id))
    found: dict[int, list] = defaultdict(list)
    for row in rows:
        found[row.person_id].append(row)
    return found


def enqueue(session: Session, outgoing: list[Outgoing], *, now: datetime) -> int:
    """Write the notifications for `outgoing` (a cause already enqueued is skipped). Flushes; the caller commits."""
    if not outgoing:
        return 0
    unknown = {o.event for o in outgoing} - set(EVENTS)
    if unknown:  # a notice nobody could render: a bug of ours, refused before anything is written
        raise ValueError(f"unknown notification event(s) {sorted(unknown)}: the events are {', '.join(EVENTS)}")
    channels = channels_of(session, [o.person_id for o in outgoing])
    rows = []
    for item in outgoing:
        for channel in channels.get(item.person_id) or [None]:
            if channel is not None and channel.digest and item.event in DIGESTED:
                continue  # this channel takes the daily digest instead
            if item.event == "digest" and (channel is None or not channel.digest):
                continue
            kind = "inbox" if channel is None else channel.kind
            rows.append({
                "id": new_id(), "dedup_key": f"{item.event}:{item.cause}:{item.person_id}:{kind}:"
                                             f"{channel.id if channel else 0}",
                "event": item.event, "person_id": item.person_id, "channel_id": channel.id if channel else None,
                "channel": kind, "partnership_id": item.partnership_id, "task_id": item.task_id,
                "context": item.context, "status": "pending", "attempts": 0, "next_attempt_at": now,
                "created_at": now,
            })
    if not rows:
        return 0
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(Notification.__table__).on_conflict_do_nothing(index_elements=["dedup_key"])
    session.connection().execute(statement, rows)  # Core: no ORM bulk bookkeeping
    return len(rows)


def listing(session: Session, *, status: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
    """Notifications, newest first, with their recipient and last error (`held.notification_listing`
    composes the held notices first)."""
    statement = (select(N.id, N.event, N.channel, N.status, N.attempts, N.last_error, N.created_at, N.sent_at,
                        N.next_attempt_at, N.task_id, PE.email)
                 .join(Person, PE.id == N.person_id).order_by(N.created_at.desc(), N.id).limit(limit))
    if status:
        statement = statement.where(N.status == status)
    return [{"id": r.id, "event": r.event, "channel": r.channel, "status": r.status, "attempts": r.attempts,
             "recipient": r.email, "task": r.task_id, "last_error": r.last_error,
             "created_at": r.created_at.isoformat(), "sent_at": r.sent_at.isoformat() if r.sent_at else None,
             "next_attempt_at": r.next_attempt_at.isoformat() if r.status == "pending" else None}
            for r in session.execute(statement)]


def retry_notifications(session: Session, *, ids: list[str] | None = None, dead: bool = False, now: datetime | None = None) -> int:
    """Make dead (or named) notifications due again; returns how many."""
    now = now or clock.now()
    where = N.id.in_(ids) if ids else (N.status == "dead")
    if not ids and not dead:
        return 0
    result = session.execute(update(Notification).where(where, N.status != "sent").values(
        status="pending", next_attempt_at=now, attempts=0, claimed_until=None)
        .returning(N.id).execution_options(synchronize_session=False))
    return len(result.all())
