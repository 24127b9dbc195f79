"""What happened: gate reviews, decisions and the append-only audit log."""

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Connection, Index, UniqueConstraint, func, literal, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Field, SQLModel

from partnerflow.models.batches import within
from partnerflow.models.core import timestamp_column


class GateReview(SQLModel, table=True):
    """One evaluation of a partnership's gate. A review equal to the previous one is not
    written again: its `ReviewConfirmation` records when it was last confirmed. Each review
    names the one it follows (`previous_id`, 0 for the first), once: two reviews written at the
    same time on the same basis cannot both be stored."""

    __tablename__ = "gate_review"
    # "the latest review per (partnership, gate)" and what the portfolio counts and filters of it,
    # read from the index alone: phase, passed and blockers with the key. PostgreSQL holds blockers
    # as INCLUDE (json has no b-tree order); SQLite has no INCLUDE, so they are key columns there.
    __table_args__ = (
        Index("ix_gate_review_latest", "partnership_id", "gate", "id", "phase", "passed",
              postgresql_include=["blockers"]).ddl_if(dialect="postgresql"),
        Index("ix_gate_review_latest", "partnership_id", "gate", "id", "phase", "passed", "blockers")
        .ddl_if(dialect="sqlite"),
        UniqueConstraint("partnership_id", "gate", "previous_id", name="uq_gate_review_follows"),
    )
    id: int | None = Field(default=None, primary_key=True)
    partnership_id: int = Field(foreign_key="partnership.id")
    gate: str
    phase: str
    policy_version: str
    as_of: date
    passed: bool
    results: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    blockers: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    digest: str = Field(max_length=64)
    created_at: datetime = Field(sa_column=timestamp_column())
    previous_id: int = Field(default=0, sa_column_kwargs={"server_default": "0"})  # the review it follows


class ReviewConfirmation(SQLModel, table=True):
    """The last time a later review found a review's result again, unchanged (none: only when it was
    written). A narrow row of its own: a nightly review confirms most reviews, and setting two
    columns in each ~2 KB review row rewrote the whole row (0.8 s of a 12 s re-review of 100,000 on
    SQLite, docs/performance.md)."""

    __tablename__ = "review_confirmation"
    review_id: int = Field(foreign_key="gate_review.id", primary_key=True,
                           sa_column_kwargs={"autoincrement": False})
    confirmed_at: datetime = Field(sa_column=timestamp_column())
    confirmed_as_of: date


def confirm_reviews(connection: Connection, reviews: Sequence[int], *, at: datetime, as_of: date) -> None:
    """Record that `reviews` (ids) were found again as they are, at `at`, as of `as_of`: one statement.
    A review confirmed at the moment and day it was written (a second review in the same run) gets
    no row: it shows that already."""
    table, found = ReviewConfirmation.__table__, GateReview.__table__.c
    upsert = (postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert)(table)
    at_, as_of_ = literal(at, table.c.confirmed_at.type), literal(as_of, table.c.confirmed_as_of.type)
    values = select(found.id, at_, as_of_).where(within(found.id, reviews),
                                                 or_(found.created_at != at_, found.as_of != as_of_))
    upsert = upsert.from_select(["review_id", "confirmed_at", "confirmed_as_of"], values)
    connection.execute(upsert.on_conflict_do_update(index_elements=["review_id"], set_={
        "confirmed_at": upsert.excluded.confirmed_at, "confirmed_as_of": upsert.excluded.confirmed_as_of}))


def checked():
    """(checked_at, checked_as_of) of each review: when it was last confirmed, or written. Select them
    from `confirmed_from()`."""
    review, confirmation = GateReview.__table__.c, ReviewConfirmation.__table__.c
    return (func.coalesce(confirmation.confirmed_at, review.created_at).label("checked_at"),
            func.coalesce(confirmation.confirmed_as_of, review.as_of).label("checked_as_of"))


def confirmed_from():
    """The gate reviews joined to their confirmations, if any."""
    confirmation = ReviewConfirmation.__table__
    return GateReview.__table__.outerjoin(confirmation, confirmation.c.review_id == GateReview.__table__.c.id)


class ReviewRun(SQLModel, table=True):
    """One review of the whole portfolio: full (every live partnership reloaded) or incremental
    (only those whose evidence changed or whose result may have expired). A partnership whose
    result held was confirmed by the run as of its `as_of`."""

    __tablename__ = "review_run"
    id: int | None = Field(default=None, primary_key=True)
    as_of: date
    full: bool
    policy_version: str
    started_at: datetime = Field(sa_column=timestamp_column())
    finished_at: datetime | None = Field(default=None, sa_column=timestamp_column(nullable=True))
    reviewed: int = 0  # reloaded and evaluated
    skipped: int = 0  # confirmed without reloading: evidence unchanged, result still holding
    policy_mark: str | None = Field(default=None, max_length=32)  # the whole policy's fingerprint


class ReviewShard(SQLModel, table=True):
    """Consecutive batches of a review run that one process reviews. A batch and the shard's
    progress (`done`, the sum of the batches' reports) commit together, so a shard whose process
    died is resumed by another run at its first batch not committed. `runner` is the run the shard
    is given to (a Prefect flow run id): only it may take the shard, and a run the shard was taken
    from stops at its next batch."""

    __tablename__ = "review_shard"
    __table_args__ = (UniqueConstraint("run_id", "number", name="uq_review_shard_number"),)
    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="review_run.id")
    number: int
    batches: list = Field(sa_column=Column(JSON, nullable=False))  # [first, last] ranges or lists of ids
    batch_count: int  # len(batches), read without the list
    partnerships: int
    done: int = Field(default=0, sa_column_kwargs={"server_default": "0"})  # batches committed
    report: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    runner: str | None = Field(default=None, max_length=64)
    attempts: int = Field(default=0, sa_column_kwargs={"server_default": "0"})  # runs that took it
    heartbeat_at: datetime | None = Field(default=None, sa_column=timestamp_column(nullable=True))
    finished_at: datetime | None = Field(default=None, sa_column=timestamp_column(nullable=True))


class Decision(SQLModel, table=True):
    """A gatekeeper's go / hold / recycle / kill, with a frozen record of what it was based on."""

    id: int | None = Field(default=None, primary_key=True)
    partnership_id: int = Field(foreign_key="partnership.id", index=True)
    gate: str
    cycle: int
    verdict: str  # go, hold, recycle, kill
    by_id: int = Field(foreign_key="person.id")  # the gatekeeper whose vote it is
    cast_by_id: int | None = Field(default=None, foreign_key="person.id")  # their delegate, if one cast it
    reason: str
    condition: str | None = None  # a conditional go: the open item it leaves
    decided_at: datetime = Field(sa_column=timestamp_column())
    phase: str
    policy_version: str
    results: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    evidence_digest: str = Field(max_length=64)
    effect: str  # what it did: "advanced to execution", "vote recorded: 1 of 2 votes; still needs …", "put on hold"


class AuditEvent(SQLModel, table=True):
    """Append-only: every state change writes one, in the same transaction."""

    __tablename__ = "audit_event"
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_column=timestamp_column())
    actor: str
    partnership_id: int | None = Field(default=None, foreign_key="partnership.id", index=True)
    kind: str
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
