"""Who and what: programs, parties, people, partnerships and their members."""

from datetime import UTC, date, datetime

from sqlalchemy import JSON, Column, DateTime, Index, TypeDecorator, UniqueConstraint
from sqlmodel import Field, SQLModel


class UTCDateTime(TypeDecorator):
    """Timestamps are aware and in UTC on every database (SQLite stores them without a zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: Partnerflow stores aware UTC timestamps")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC) if value is not None else None


def timestamp_column(nullable: bool = False) -> Column:
    return Column(UTCDateTime(), nullable=nullable)


class Program(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, max_length=100)
    name: str


class Party(SQLModel, table=True):
    """An organization in a partnership; `internal` marks a department of our own."""

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, max_length=100)
    name: str
    internal: bool = False


class Person(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(unique=True, max_length=320)
    name: str
    party_id: int = Field(foreign_key="party.id", index=True)
    roles: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class Partnership(SQLModel, table=True):
    __table_args__ = (
        Index("ix_partnership_phase_state", "phase", "state"),  # the portfolio's counts and filters
        # the table's text search (ILIKE '%…%' on key and name) on PostgreSQL: trigrams (pg_trgm,
        # created by migration 0006 where the server has it). SQLite scans: 100,000 keys in milliseconds.
        Index("ix_partnership_text", "key", "name", postgresql_using="gin",
              postgresql_ops={"key": "gin_trgm_ops", "name": "gin_trgm_ops"}).ddl_if(dialect="postgresql"),
    )
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, max_length=100)
    name: str
    kind: str = "other"
    program_id: int = Field(foreign_key="program.id", index=True)
    phase: str = "alignment"
    state: str = "active"
    sponsor_id: int = Field(foreign_key="person.id")
    owner_id: int = Field(foreign_key="person.id")
    version: int = 1  # optimistic lock: every phase or state change bumps it
    cycle: int = 1  # gate cycle: bumped by every phase change, so votes never carry over
    phase_since: date
    created_at: datetime = Field(sa_column=timestamp_column())
    # What the last review depended on, so that the next one can skip a partnership whose result
    # still holds: every audited change to the partnership bumps `evidence_version`; a review
    # records the version it read, the policy it used, the day it looked and the last day its
    # result holds (None: as long as the evidence stays as it is).
    evidence_version: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    reviewed_evidence: int | None = None
    reviewed_policy: str | None = Field(default=None, max_length=32)
    reviewed_as_of: date | None = None
    review_holds_until: date | None = None


class PartnershipParty(SQLModel, table=True):
    __tablename__ = "partnership_party"
    partnership_id: int = Field(foreign_key="partnership.id", primary_key=True)
    party_id: int = Field(foreign_key="party.id", primary_key=True, index=True)


class Member(SQLModel, table=True):
    """A person's role in a partnership, with the responsibilities it carries."""

    __table_args__ = (UniqueConstraint("partnership_id", "person_id", "role"),)
    id: int | None = Field(default=None, primary_key=True)
    partnership_id: int = Field(foreign_key="partnership.id", index=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    role: str
    responsibilities: str = ""
