"""The evidence of the nine practices. Every row belongs to one partnership.

Child rows (signatures, measurements) reach their partnership through their parent, so a
batch of partnerships is loaded with one query per table. A column that holds a word (a kind,
a status, a level, a direction) stores one of the vocabularies declared once in `gates.snapshot`
(`MetricKind`, `CommitmentStatus`, …); the import checks every word against them.
"""

from datetime import date

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel


def partnership_fk() -> int:
    return Field(foreign_key="partnership.id", index=True)


# 1. Clearly defined business objective
class BusinessCase(SQLModel, table=True):
    __tablename__ = "business_case"
    id: int | None = Field(default=None, primary_key=True)
    partnership_id: int = Field(foreign_key="partnership.id", unique=True)
    outcomes: str = ""
    processes: str = ""
    measures: str = ""
    approved_by_id: int | None = Field(default=None, foreign_key="person.id")
    approved_on: date | None = None


class Win(SQLModel, table=True):
    """The shared purpose: what each party must win."""

    __table_args__ = (UniqueConstraint("partnership_id", "party_id"),)
    id: int | None = Field(default=None, primary_key=True)
    partnership_id: int = partnership_fk()
    party_id: int = Field(foreign_key="party.id")
    statement: str


class Agreement(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("partnership_id", "reference"),)
    id: int | None = Field(default=None, primary_key=True)
    partnership_id: int = partnership_fk()
    kind: str = "contract"
    reference: str
    effective_on: date
    expires_on: date | None = None


class Signature(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("agreement_id", "party_id"),)
    id: int | None = Field(default=None, primary_key=True)
    agreement_id: int = Field(foreign_key="agreement.id", index=True)
    party_id: int = Field(foreign_key="party.id")
    signed_by_id: int | None = Field(default=None, foreign_key="person.id")
    signed_on: date


# 2. Operational alignment
class ProcessOwner(SQLModel, table=True):
    """One side's owner of a critical process (a process has one row per side)."""

    __tablename__ = "process_owner"
    __table_args__ = (UniqueConstraint("partnership_id", "process", "person_id"),)
    id: int | None = Field(default=None, primary_key=True)
    partnership_id: int = partnership_fk()
    process: str
    person_id: int = Field(foreign_key="person.id")


class Risk(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    partnership_id: int = partnership_fk()
    description: str
    likelihood: str = "medium"
    impact: str = "medium"
    mitigation: str = ""
    owner_id: int | None = Field(default=None, foreign_key="person.id")


# 3. Relationship management
class Stakeholder(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("partnership_id", "person_id"),)
    id: int | None = Field(default=None, primary_key=True)
    partnership_id: int = partnership_fk()
    person_id: int = Field(foreign_key="person.id")
    influence: str = "critical"
    engaged_by_id: int | None = Field(default=None, foreign_key="person.id")
    contact_every_days: int | None = None
    last_contact_on: date | None = None


# 4. Trust & credibility
class Commitment(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    partnership_id: int = partnership_fk()
    party_id: int = Field(foreign_key="party.id")
    description: str
    due_on: date
    status: str = "open"
    resolved_on: date | None = None


class Problem(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    partnership_id: int = partnership_fk()
    kind: str = "problem"
    summary: str
    raised_on: date
    resolved_on: date | None = None


# 5. Performance metrics
class Metric(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("partnership_id", "key"),)
    id: int | None = Field(default=None, primary_key=True)
    partnership_id: int = partnership_fk()
    key: str
    name: str
    kind: str = "performance"
    target: float | None = None
    direction: str = "higher"
    unit: str = ""
    owner_id: int | None = Field(default=None, foreign_key="person.id")
    shared: bool = False


class Measurement(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("metric_id", "period_end"),)
    id: int | None = Field(default=None, primary_key=True)
    metric_id: int = Field(foreign_key="metric.id", index=True)
    period_end: date
    value: float


# 6. Communication structure
class CommunicationPlan(SQLModel, table=True):
    __tablename__ = "communication_plan"
    id: int | None = Field(default=None, primary_key=True)
    partnership_id: int = Field(foreign_key="partnership.id", unique=True)
    formal_cadence_days: int | None = None
    informal_cadence_days: int | None = None
    decision_process: str = ""
    escalation_path: str = ""
    response_target_days: int | None = None
    prioritization: str = ""
    information_access: str = ""


class Meeting(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    partnership_id: int = partnership_fk()
    held_on: date
    kind: str = "formal"
    summary: str = ""


# 7. Knowledge exchange
class KnowledgeSession(SQLModel, table=True):
    __tablename__ = "knowledge_session"
    id: int | None = Field(default=None, primary_key=True)
    partnership_id: int = partnership_fk()
    held_on: date
    topics: str = ""


# 8. Organizational alignment
class Initiative(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    partnership_id: int = partnership_fk()
    kind: str = "process"
    name: str
    status: str = "proposed"
    started_on: date | None = None


# 9. Long-term relationship
class Opportunity(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    partnership_id: int = partnership_fk()
    kind: str = "joint_opportunity"
    name: str
    status: str = "exploring"
    committed_on: date | None = None
