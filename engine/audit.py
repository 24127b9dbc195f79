"""Audit events: written in the same transaction as the change they record, at the unit of work's `now`."""

from datetime import datetime
from typing import Any

from sqlmodel import Session

from partnerflow.models import AuditEvent


def record(session: Session, kind: str, *, actor: str, at: datetime, partnership_id: int | None = None,
           **data: Any) -> None:
    session.add(AuditEvent(at=at, actor=actor, partnership_id=partnership_id, kind=kind, data=data))


def record_many(session: Session, rows: list[dict[str, Any]], *, at: datetime) -> None:
    """Insert many audit events at once: dicts with kind, actor, partnership_id and data."""
    if rows:
        session.execute(AuditEvent.__table__.insert(), [{"at": at, **row} for row in rows])
