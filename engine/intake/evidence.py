"""The evidence sections of a partnership, as import shapes named after the columns they fill."""

from datetime import date
from typing import Any

from pydantic import ValidationInfo, field_validator, model_validator

from partnerflow.engine.intake.fields import (
    MOST_PARTIES,
    Day,
    Days,
    Email,
    Flag,
    Key,
    Label,
    Name,
    Number,
    Prose,
    Shape,
    Statement,
    entries,
    not_before,
)
from partnerflow.gates import (
    AgreementKind,
    CommitmentStatus,
    Direction,
    Influence,
    InitiativeKind,
    InitiativeStatus,
    Level,
    MeetingKind,
    MetricKind,
    OpportunityKind,
    OpportunityStatus,
    ProblemKind,
)

# 1. Business objective
class BusinessCaseIn(Shape):
    refs = {"approved_by": ("approved_by_id", "person")}
    outcomes: Prose = ""
    processes: Prose = ""
    measures: Prose = ""
    approved_by: Email | None = None
    approved_on: Day | None = None

    @model_validator(mode="after")
    def _approval_complete(self) -> "BusinessCaseIn":
        if (self.approved_by is None) != (self.approved_on is None):
            raise ValueError("approved_by and approved_on go together: give both or neither")
        return self


class WinIn(Shape):
    refs = {"party": ("party_id", "party")}
    party: Key
    statement: Statement


class SignatureIn(Shape):
    refs = {"party": ("party_id", "party"), "by": ("signed_by_id", "person")}
    party: Key
    by: Email | None = None
    signed_on: Day

    @model_validator(mode="before")
    @classmethod
    def _bare_on(cls, data: Any) -> Any:
        if isinstance(data, dict) and "on" in data:
            raise ValueError("YAML reads a bare `on:` key as true: write `signed_on:`")
        return data


class AgreementIn(Shape):
    children = ("signatures",)
    reference: Name
    kind: AgreementKind = "contract"
    effective_on: Day
    expires_on: Day | None = None
    signatures: entries(SignatureIn, "signatures", MOST_PARTIES) = ()
    _expiry = field_validator("expires_on")(not_before("effective_on", "effective_on"))


# 2. Operational alignment
class ProcessIn(Shape):
    refs = {"owners": ("person_id", "person")}
    name: Name
    owners: entries(Email, "owners' emails", MOST_PARTIES, least=1)


class RiskIn(Shape):
    refs = {"owner": ("owner_id", "person")}
    description: Statement
    likelihood: Level = "medium"
    impact: Level = "medium"
    mitigation: Prose = ""
    owner: Email | None = None


# 3. Relationship management
class StakeholderIn(Shape):
    refs = {"person": ("person_id", "person"), "engaged_by": ("engaged_by_id", "person")}
    person: Email
    influence: Influence = "critical"
    engaged_by: Email | None = None
    contact_every_days: Days | None = None
    last_contact_on: Day | None = None


# 4. Trust & credibility
class CommitmentIn(Shape):
    refs = {"party": ("party_id", "party")}
    party: Key
    description: Statement
    due_on: Day
    status: CommitmentStatus = "open"
    resolved_on: Day | None = None

    @field_validator("resolved_on")
    @classmethod
    def _open_is_unresolved(cls, value: date | None, info: ValidationInfo) -> date | None:
        if value is not None and info.data.get("status") == "open":
            raise ValueError("an open commitment has no resolved_on: set its status to honored or missed")
        return value


class ProblemIn(Shape):
    kind: ProblemKind = "problem"
    summary: Statement
    raised_on: Day
    resolved_on: Day | None = None
    _resolution = field_validator("resolved_on")(not_before("raised_on", "raised_on"))


# 5. Performance metrics
class MeasurementIn(Shape):
    period_end: Day
    value: Number


class MetricIn(Shape):
    refs = {"owner": ("owner_id", "person")}
    children = ("measurements",)
    key: Key
    name: Name
    kind: MetricKind = "performance"
    target: Number | None = None
    direction: Direction = "higher"
    unit: Label = ""
    owner: Email | None = None
    shared: Flag = False
    measurements: entries(MeasurementIn, "measurements") = ()


# 6. Communication structure
class CommunicationIn(Shape):
    formal_cadence_days: Days | None = None
    informal_cadence_days: Days | None = None
    decision_process: Prose = ""
    escalation_path: Prose = ""
    response_target_days: Days | None = None
    prioritization: Prose = ""
    information_access: Prose = ""


class MeetingIn(Shape):
    held_on: Day
    kind: MeetingKind = "formal"
    summary: Prose = ""


# 7-9. Knowledge exchange, organizational alignment, long-term relationship
class KnowledgeSessionIn(Shape):
    held_on: Day
    topics: Prose = ""


class InitiativeIn(Shape):
    kind: InitiativeKind = "process"
    name: Name
    status: InitiativeStatus = "proposed"
    started_on: Day | None = None


class OpportunityIn(Shape):
    kind: OpportunityKind = "joint_opportunity"
    name: Name
    status: OpportunityStatus = "exploring"
    committed_on: Day | None = None


class EvidenceIn(Shape):
    """Every section is optional; a section given replaces the partnership's rows of it."""

    children = ("business_case", "wins", "agreements", "processes", "risks", "stakeholders", "commitments",
                "problems", "metrics", "communication", "meetings", "knowledge_sessions", "initiatives",
                "opportunities")

    business_case: BusinessCaseIn | None = None
    wins: entries(WinIn, "wins", MOST_PARTIES) | None = None
    agreements: entries(AgreementIn, "agreements") | None = None
    processes: entries(ProcessIn, "processes") | None = None
    risks: entries(RiskIn, "risks") | None = None
    stakeholders: entries(StakeholderIn, "stakeholders") | None = None
    commitments: entries(CommitmentIn, "commitments") | None = None
    problems: entries(ProblemIn, "problems") | None = None
    metrics: entries(MetricIn, "metrics") | None = None
    communication: CommunicationIn | None = None
    meetings: entries(MeetingIn, "meetings") | None = None
    knowledge_sessions: entries(KnowledgeSessionIn, "knowledge sessions") | None = None
    initiatives: entries(InitiativeIn, "initiatives") | None = None
    opportunities: entries(OpportunityIn, "opportunities") | None = None

    def given(self) -> dict[str, Any]:
        """The sections present in the document, in document-independent order."""
        return {name: getattr(self, name) for name in self.children if getattr(self, name) is not None}
