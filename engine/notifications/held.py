"""A review's notices, held in one row per batch and composed when the outbox is next drained or listed.

A first review of a large portfolio causes notices by the hundred thousand (a task opened, a gate
ready, a phase changed, each to one or more people on each of their channels). Writing each as a
notification inside the review's transactions was a third of the rows the review wrote. Instead a
batch keeps what happened (`NoticeBatch`: the tasks it opened and the transitions it applied) in
the same transaction as the change, so a committed change is always told, and the dispatch (or a
listing of the outbox) composes the notifications from it: the same events, recipients, channels,
dedup keys and `created_at` as if they had been written by the review. Composing is idempotent (the
dedup keys) and marks the batch composed in the same transaction as its notifications.
"""

from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import insert, select, update
from sqlmodel import Session

from partnerflow.engine import clock
from partnerflow.engine.notifications import outbox
from partnerflow.engine.notifications.notices import tasks_opened, transitions_applied
from partnerflow.models import NoticeBatch

NB = NoticeBatch.__table__.c


class Changed(NamedTuple):
    """A transition as a held batch keeps it (the fields `transitions_applied` reads)."""

    partnership_id: int
    version: int
    phase: str | None
    state: str | None
    data: dict[str, Any]


def hold(session: Session, *, tasks: list[int], transitions: list, as_of: date, now: datetime) -> None:
    """Keep a review batch's notices: the tasks it opened, the transitions it applied (anything with
    the fields of `Changed`). Flushes; the caller commits, with the changes themselves."""
    if tasks or transitions:  # `transitions_applied` decides, when composing, which of them anyone is told of
        session.connection().execute(insert(NoticeBatch.__table__).values(
            at=now, as_of=as_of, tasks=list(tasks),
            transitions=[[t.partnership_id, t.version, t.phase, t.state, t.data] for t in transitions]))


def compose_held(session: Session, *, now: datetime, limit: int | None = None) -> int:
    """Compose the notifications of up to `limit` held batches (all with None), oldest first; returns
    how many batches. On PostgreSQL a batch another dispatch is composing is skipped. Flushes."""
    chosen = select(NB.id, NB.at, NB.as_of, NB.tasks, NB.transitions).where(NB.composed_at.is_(None)).order_by(NB.id)
    if limit is not None:
        chosen = chosen.limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        chosen = chosen.with_for_update(skip_locked=True)
    batches = session.execute(chosen).all()
    for batch in batches:
        changes = [Changed(*item) for item in batch.transitions]
        outgoing = tasks_opened(session, batch.tasks) + transitions_applied(session, changes, on=batch.as_of)
        outbox.enqueue(session, outgoing, now=batch.at)
    if batches:
        session.execute(update(NoticeBatch).where(NB.id.in_([b.id for b in batches])).values(composed_at=now)
                        .execution_options(synchronize_session=False))
    return len(batches)


def notification_listing(session: Session, *, status: str | None = None, limit: int = 200,
                         now: datetime | None = None) -> list[dict[str, Any]]:
    """The outbox as it stands, newest first: held notices are composed first, so a listing right
    after a review shows what it will send."""
    compose_held(session, now=now or clock.now())
    return outbox.listing(session, status=status, limit=limit)
