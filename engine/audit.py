"""Audit events: written in the same transaction as the change they record."""

from typing import Any

from sqlmodel import Session

from engine import clock
from models import AuditEvent


def record(session: Session, kind: str, *, actor: str, partnership_id: int | None = None, **data: Any) -> None:
    session.add(AuditEvent(at=clock.now(), actor=actor, partnership_id=partnership_id, kind=kind, data=data))


def record_many(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert many audit events at once: dicts with kind, actor, partnership_id and data."""
    if rows:
        at = clock.now()
        session.execute(AuditEvent.__table__.insert(), [{"at": at, **row} for row in rows])
