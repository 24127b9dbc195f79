"""Audit events: written in the same transaction as the change they record, at the unit of work's `now`.

Every event about a partnership also makes its last review stale (`evidence_changed`), unless its
kind is one that never changes what a review reads: the incremental review reloads a partnership
only when its evidence version moved or its result may have expired, so the one write path that
records every change is also the one place that bumps the version."""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import Session

from partnerflow.models import AuditEvent, Partnership

# What a review reads of a partnership is its snapshot (evidence, members, parties, phase, state,
# the tasks done) and the states of its tasks; these events change neither.
UNSEEN_BY_REVIEW = frozenset({
    "task.opened", "task.reassigned", "task.unassigned", "task.reminder", "task.escalated", "task.link",
    "task.link_resent", "review.requested",
})
IDS_PER_STATEMENT = 5_000  # under SQLite's and PostgreSQL's limits on bound parameters


def record(session: Session, kind: str, *, actor: str, at: datetime, partnership_id: int | None = None,
           **data: Any) -> None:
    session.add(AuditEvent(at=at, actor=actor, partnership_id=partnership_id, kind=kind, data=data))
    if partnership_id is not None and kind not in UNSEEN_BY_REVIEW:
        evidence_changed(session, [partnership_id])


def record_many(session: Session, rows: list[dict[str, Any]], *, at: datetime) -> None:
    """Insert many audit events at once: dicts with kind, actor, partnership_id and data."""
    if rows:
        session.connection().execute(AuditEvent.__table__.insert(), [{"at": at, **row} for row in rows])
        evidence_changed(session, {row["partnership_id"] for row in rows
                                   if row["partnership_id"] is not None and row["kind"] not in UNSEEN_BY_REVIEW})


def evidence_changed(session: Session, partnership_ids: Iterable[int] | None) -> None:
    """Bump the evidence version of these partnerships (None: of every partnership, for a change
    many of them read, such as a party's name), so the next review reloads them."""
    table = Partnership.__table__
    bump = update(table).values(evidence_version=table.c.evidence_version + 1)
    if partnership_ids is None:
        session.execute(bump)
        return
    ids = sorted(partnership_ids)
    for start in range(0, len(ids), IDS_PER_STATEMENT):
        session.execute(bump.where(table.c.id.in_(ids[start:start + IDS_PER_STATEMENT])))
