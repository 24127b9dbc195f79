"""The outbox: notifications written in the same transaction as their cause, then delivered.

A notification has a stable id (sent with every delivery so receivers de-duplicate) and a
dedup key (one notification per cause, recipient and channel). Every delivery attempt is a
row of its own. A review, which causes notices by the hundred thousand, writes instead one
NoticeBatch per batch: its notices are composed into notifications when the outbox is next
drained.
"""

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from partnerflow.models.core import timestamp_column
from partnerflow.models.work import optional_timestamp


class Notification(SQLModel, table=True):
    __table_args__ = (Index("ix_notification_due", "status", "next_attempt_at"),
                      Index("ix_notification_partnership", "partnership_id", "created_at"))  # a timeline
    id: str = Field(primary_key=True, max_length=40)  # "msg_" + 32 hex digits
    dedup_key: str = Field(unique=True, max_length=240)
    event: str  # task.opened, task.reminder, task.escalated, gate.ready, phase.changed, digest
    person_id: int = Field(foreign_key="person.id", index=True)
    channel_id: int | None = Field(default=None, foreign_key="channel.id")  # None: the inbox
    channel: str  # the channel's kind, kept for listing
    partnership_id: int | None = Field(default=None, foreign_key="partnership.id")
    task_id: int | None = Field(default=None, foreign_key="task.id", index=True)
    context: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = "pending"  # pending, sending, sent, dead
    attempts: int = 0
    next_attempt_at: datetime = Field(sa_column=timestamp_column())
    claimed_until: datetime | None = Field(default=None, sa_column=optional_timestamp())
    last_error: str | None = None
    created_at: datetime = Field(sa_column=timestamp_column())
    sent_at: datetime | None = Field(default=None, sa_column=optional_timestamp())


class DeliveryAttempt(SQLModel, table=True):
    __tablename__ = "delivery_attempt"
    id: int | None = Field(default=None, primary_key=True)
    notification_id: str = Field(foreign_key="notification.id", index=True, max_length=40)
    at: datetime = Field(sa_column=timestamp_column())
    channel: str
    ok: bool
    status_code: int | None = None
    error: str | None = None
    duration_ms: float = 0.0


class NoticeBatch(SQLModel, table=True):
    """The notices one batch of a review caused, written in the batch's transaction: the tasks it
    opened and the transitions it applied. Composed into notifications (`composed_at`) when the
    outbox is next drained or listed; composing twice changes nothing (the dedup keys)."""

    __tablename__ = "notice_batch"
    __table_args__ = (Index("ix_notice_batch_untold", "composed_at", "id"),)
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_column=timestamp_column())  # the review's `now`: the notifications' created_at
    as_of: date  # the day reviewed: who stands in for an absent gatekeeper
    tasks: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # [partnership id, version decided on, new phase or None, new state or None, data] per transition
    transitions: list[list[Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    composed_at: datetime | None = Field(default=None, sa_column=optional_timestamp())
