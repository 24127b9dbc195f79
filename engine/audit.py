"""Audit events: written in the same transaction as the change they record, at the unit of work's `now`.

Every event about a partnership also makes its last review stale (`evidence_changed`), unless its
kind is one that never changes what a review reads: the incremental review reloads a partnership
only when its evidence version moved or its result may have expired, so the one write path that
records every change is also the one place that bumps the version.

A review writes one event per partnership it changed (kind `review`): the changes it made there, in
order, each with the kind and data it would have as an event of its own (`unfolded` gives them back;
the history shows them one by one). A first review of 100,000 partnerships opens some 150,000 tasks
and moves 45,000: one row each was a third of what the review wrote."""

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import Session

from partnerflow.models import AuditEvent, Partnership, insert_rows, within

# What a review reads of a partnership is its snapshot (evidence, members, parties, phase, state,
# the tasks done) and the states of its tasks; these events change neither.
UNSEEN_BY_REVIEW = frozenset({
    "task.opened", "task.reassigned", "task.unassigned", "task.reminder", "task.escalated", "task.link",
    "task.link_resent", "review.requested",
})
REVIEW = "review"  # one event per partnership and review batch: {"events": [{"kind", "data"}, ...]}


def record(session: Session, kind: str, *, actor: str, at: datetime, partnership_id: int | None = None,
           **data: Any) -> None:
    session.add(AuditEvent(at=at, actor=actor, partnership_id=partnership_id, kind=kind, data=data))
    if partnership_id is not None and seen_by_review(kind, data):
        evidence_changed(session, [partnership_id])


def record_many(session: Session, rows: list[dict[str, Any]], *, at: datetime) -> None:
    """Insert many audit events at once: dicts with kind, actor, partnership_id and data."""
    if rows:
        insert_rows(session.connection(), AuditEvent.__table__, [{"at": at, **row} for row in rows])
        evidence_changed(session, {row["partnership_id"] for row in rows
                                   if row["partnership_id"] is not None and seen_by_review(row["kind"], row["data"])})


def record_review(session: Session, changes: Iterable[tuple[int, str, dict[str, Any]]], *, actor: str,
                  at: datetime) -> None:
    """One `review` event per partnership for the changes a review made (partnership id, kind, data),
    in the order given."""
    grouped: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for partnership_id, kind, data in changes:
        grouped[partnership_id].append({"kind": kind, "data": data})
    record_many(session, [{"kind": REVIEW, "actor": actor, "partnership_id": pid, "data": {"events": events}}
                          for pid, events in grouped.items()], at=at)


def unfolded(kind: str, data: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The changes an audit event records, as (kind, data): a review's one by one, any other itself."""
    if kind == REVIEW:
        return [(event["kind"], event["data"]) for event in data["events"]]
    return [(kind, data)]


def seen_by_review(kind: str, data: dict[str, Any]) -> bool:
    """Whether the event changes what a review reads (then the partnership's review is stale)."""
    return any(each not in UNSEEN_BY_REVIEW for each, _ in unfolded(kind, data))


def evidence_changed(session: Session, partnership_ids: Iterable[int] | None) -> None:
    """Bump the evidence version of these partnerships (None: of every partnership, for a change
    many of them read, such as a party's name), so the next review reloads them."""
    table = Partnership.__table__
    bump = update(table).values(evidence_version=table.c.evidence_version + 1)
    if partnership_ids is None:
        session.execute(bump)
        return
    ids = sorted(partnership_ids)
    if ids:
        session.execute(bump.where(within(table.c.id, ids)))
