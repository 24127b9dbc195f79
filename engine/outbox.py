"""Putting notifications in the outbox, in the transaction of the change that caused them.

Each recipient gets one notification per channel (the inbox when they have none); a
dedup key makes a second enqueue of the same cause a no-op. Channels that take a daily
digest receive task messages in the digest instead.
"""

import uuid
from collections import defaultdict
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from models import Channel, Notification, Person

DIGESTED = frozenset({"task.opened", "task.reminder"})
C, PE = Channel.__table__.c, Person.__table__.c


class Outgoing(NamedTuple):
    event: str
    person_id: int
    cause: str  # with the event and the channel, the dedup key: one notification per cause
    context: dict[str, Any]
    partnership_id: int | None = None
    task_id: int | None = None


def new_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


def people(session: Session, person_ids) -> dict[int, dict[str, Any]]:
    rows = session.execute(select(PE.id, PE.name, PE.email).where(PE.id.in_(set(person_ids))))
    return {row.id: {"name": row.name, "email": row.email} for row in rows}


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
    channels = channels_of(session, [o.person_id for o in outgoing])
    rows = []
    for item in outgoing:
        for channel in channels.get(item.person_id) or [None]:
            if channel is not None and channel.digest and item.event in DIGESTED:
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
    statement = dialect.insert(Notification).on_conflict_do_nothing(index_elements=["dedup_key"])
    session.execute(statement, rows)
    return len(rows)
