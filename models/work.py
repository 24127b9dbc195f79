"""The work that reviews hand out: tasks for owners, and how to reach people.

A task is opened for each failing criterion and each fired monitor, exactly once per
idempotency key (partnership, gate or monitor, criterion, gate cycle): a unique constraint
makes a second review find the task instead of opening another.
"""

from datetime import date, datetime

from sqlalchemy import Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from partnerflow.models.core import timestamp_column


def optional_timestamp() -> Column:
    return timestamp_column(nullable=True)


class Task(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("idempotency_key"), Index("ix_task_open", "status", "partnership_id"))
    id: int | None = Field(default=None, primary_key=True)
    partnership_id: int = Field(foreign_key="partnership.id", index=True)
    kind: str  # "gate", "monitor" or "condition"
    gate: str | None = None  # the gate of a gate task
    criterion: str  # the criterion or monitor id
    cycle: int  # the partnership's gate cycle; monitors use 0 (they span phases)
    idempotency_key: str = Field(max_length=200)
    practice: str
    title: str  # what to do, from the policy
    explanation: str  # why: the failing check's sentence at the latest review
    owner_role: str
    assignee_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    delegated_from_id: int | None = Field(default=None, foreign_key="person.id")  # out of office: theirs, not yet
    flagged: bool = False  # nobody fills the owner role: the program office must assign it
    status: str = "open"  # open, done, cancelled
    due_on: date
    created_at: datetime = Field(sa_column=timestamp_column())
    first_notified_at: datetime | None = Field(default=None, sa_column=optional_timestamp())
    last_reminded_at: datetime | None = Field(default=None, sa_column=optional_timestamp())
    escalation_level: int = 0  # 1: escalated to the sponsor, 2: to the program office
    closed_at: datetime | None = Field(default=None, sa_column=optional_timestamp())
    closed_by: str | None = None
    note: str | None = None


class Channel(SQLModel, table=True):
    """One way to reach a person: email, webhook, Slack, Teams, or the inbox."""

    __table_args__ = (UniqueConstraint("person_id", "kind", "address"),)
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    kind: str  # email, webhook, slack, teams, inbox
    address: str = ""  # email address, or URL: sealed for webhook, Slack, Teams (engine/sealing.py)
    secret: str | None = None  # webhook signing secret ("whsec_…"), sealed
    digest: bool = False  # a daily digest instead of one message per task


class Delegation(SQLModel, table=True):
    """Out of office: from `starts_on` to `ends_on`, `delegate_id` acts for `person_id`."""

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    delegate_id: int = Field(foreign_key="person.id")
    starts_on: date
    ends_on: date


class UsedLink(SQLModel, table=True):
    """A signed link that was used (a task's action link or a sign-in link): each works once."""

    __tablename__ = "used_link"
    nonce: str = Field(primary_key=True, max_length=64)
    used_at: datetime = Field(sa_column=timestamp_column())
    task_id: int | None = Field(default=None, foreign_key="task.id")  # None: a sign-in link
