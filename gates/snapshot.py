"""The immutable picture of one partnership that gate checks read.

A snapshot is built from plain rows (see `models.snapshots`), never from ORM objects, and
holds only tuples: checks cannot change it and a review of 100,000 partnerships stays fast.
Each record names the party a person belongs to, so checks can ask "is every side covered".
"""

from dataclasses import dataclass
from datetime import date
from typing import Literal, NamedTuple

# The words an evidence record may use: one declaration, read by the import's shapes (and the
# pages' forms) through `typing.get_args`; the tables store them as plain strings.
AgreementKind = Literal["contract", "mou", "sla", "charter"]
Level = Literal["low", "medium", "high"]
Influence = Literal["decision_maker", "critical", "informed"]
CommitmentStatus = Literal["open", "honored", "missed"]
ProblemKind = Literal["problem", "special_request"]
MetricKind = Literal["cost", "performance", "customer_satisfaction", "relationship"]
Direction = Literal["higher", "lower"]  # which way is better
MeetingKind = Literal["formal", "informal"]
InitiativeKind = Literal["shared_system", "process", "structure", "business_model"]
InitiativeStatus = Literal["proposed", "active", "done"]
OpportunityKind = Literal["joint_opportunity", "renewal", "extension"]
OpportunityStatus = Literal["exploring", "pursuing", "won", "lost", "committed"]


class Party(NamedTuple):
    id: int
    key: str
    name: str
    internal: bool


class Member(NamedTuple):
    """A person with a role in the partnership (roles and responsibilities)."""

    person_id: int
    party_id: int
    role: str
    responsibilities: str


class BusinessCase(NamedTuple):
    outcomes: str
    processes: str
    measures: str
    approved_by_id: int | None
    approved_on: date | None


class Win(NamedTuple):
    """The shared purpose: what one party must win."""

    party_id: int
    statement: str


class Signature(NamedTuple):
    agreement_id: int
    party_id: int
    signed_by_id: int | None
    signed_on: date


class Agreement(NamedTuple):
    """A contract, MOU, SLA, or for internal partnerships a charter."""

    id: int
    kind: AgreementKind
    reference: str
    effective_on: date
    expires_on: date | None
    signatures: tuple[Signature, ...] = ()


class ProcessOwner(NamedTuple):
    """One side's owner of a critical process; a process is aligned when every party has one."""

    process: str
    person_id: int
    party_id: int


class Risk(NamedTuple):
    description: str
    likelihood: Level
    impact: Level
    mitigation: str
    owner_id: int | None


class Stakeholder(NamedTuple):
    person_id: int
    party_id: int
    influence: Influence
    engaged_by_id: int | None
    contact_every_days: int | None
    last_contact_on: date | None


class Commitment(NamedTuple):
    party_id: int
    description: str
    due_on: date
    status: CommitmentStatus
    resolved_on: date | None


class Problem(NamedTuple):
    """A problem or special request, and how fast it was resolved."""

    kind: ProblemKind
    summary: str
    raised_on: date
    resolved_on: date | None


class Measurement(NamedTuple):
    metric_id: int
    period_end: date
    value: float


class Metric(NamedTuple):
    id: int
    key: str
    name: str
    kind: MetricKind
    target: float | None
    direction: Direction
    unit: str
    owner_id: int | None
    shared: bool
    measurements: tuple[Measurement, ...] = ()  # oldest period first

    def on_target(self, value: float) -> bool:
        if self.target is None:
            return False
        return value >= self.target if self.direction == "higher" else value <= self.target


class TaskResponse(NamedTuple):
    """How fast an owner acted on a task of this partnership: from being told to done."""

    closed_on: date
    days: float


class CommunicationPlan(NamedTuple):
    formal_cadence_days: int | None
    informal_cadence_days: int | None
    decision_process: str
    escalation_path: str
    response_target_days: int | None
    prioritization: str
    information_access: str


class Meeting(NamedTuple):
    held_on: date
    kind: MeetingKind
    summary: str


class KnowledgeSession(NamedTuple):
    held_on: date
    topics: str


class Initiative(NamedTuple):
    kind: InitiativeKind
    name: str
    status: InitiativeStatus
    started_on: date | None


class Opportunity(NamedTuple):
    kind: OpportunityKind
    name: str
    status: OpportunityStatus
    committed_on: date | None


@dataclass(frozen=True, slots=True)
class PartnershipSnapshot:
    id: int
    key: str
    name: str
    phase: str
    state: str
    version: int
    cycle: int = 1
    owner_id: int | None = None
    sponsor_id: int | None = None
    parties: tuple[Party, ...] = ()
    members: tuple[Member, ...] = ()
    business_case: BusinessCase | None = None
    wins: tuple[Win, ...] = ()
    agreements: tuple[Agreement, ...] = ()
    process_owners: tuple[ProcessOwner, ...] = ()
    risks: tuple[Risk, ...] = ()
    stakeholders: tuple[Stakeholder, ...] = ()
    commitments: tuple[Commitment, ...] = ()
    problems: tuple[Problem, ...] = ()
    metrics: tuple[Metric, ...] = ()
    communication: CommunicationPlan | None = None
    meetings: tuple[Meeting, ...] = ()
    knowledge_sessions: tuple[KnowledgeSession, ...] = ()
    initiatives: tuple[Initiative, ...] = ()
    opportunities: tuple[Opportunity, ...] = ()
    responses: tuple[TaskResponse, ...] = ()

    def party_name(self, party_id: int) -> str:
        for party in self.parties:
            if party.id == party_id:
                return party.name
        return f"party #{party_id}"
