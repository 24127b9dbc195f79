"""The evidence sections of a partnership, as import shapes named after the columns they fill."""

from datetime import date
from typing import Any, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from engine.intake.fields import Count, Day, Email, Flag, Key, Number, Shape, Text, not_before

Level = Literal["low", "medium", "high"]


# 1. Business objective
class BusinessCaseIn(Shape):
    refs = {"approved_by": ("approved_by_id", "person")}
    outcomes: str = ""
    processes: str = ""
    measures: str = ""
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
    statement: Text


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
    reference: Text
    kind: Literal["contract", "mou", "sla", "charter"] = "contract"
    effective_on: Day
    expires_on: Day | None = None
    signatures: tuple[SignatureIn, ...] = ()
    _expiry = field_validator("expires_on")(not_before("effective_on", "effective_on"))


# 2. Operational alignment
class ProcessIn(Shape):
    refs = {"owners": ("person_id", "person")}
    name: Text
    owners: tuple[Email, ...] = Field(min_length=1)


class RiskIn(Shape):
    refs = {"owner": ("owner_id", "person")}
    description: Text
    likelihood: Level = "medium"
    impact: Level = "medium"
    mitigation: str = ""
    owner: Email | None = None


# 3. Relationship management
class StakeholderIn(Shape):
    refs = {"person": ("person_id", "person"), "engaged_by": ("engaged_by_id", "person")}
    person: Email
    influence: Literal["decision_maker", "critical", "informed"] = "critical"
    engaged_by: Email | None = None
    contact_every_days: Count | None = None
    last_contact_on: Day | None = None


# 4. Trust & credibility
class CommitmentIn(Shape):
    refs = {"party": ("party_id", "party")}
    party: Key
    description: Text
    due_on: Day
    status: Literal["open", "honored", "missed"] = "open"
    resolved_on: Day | None = None

    @field_validator("resolved_on")
    @classmethod
    def _open_is_unresolved(cls, value: date | None, info: ValidationInfo) -> date | None:
        if value is not None and info.data.get("status") == "open":
            raise ValueError("an open commitment has no resolved_on: set its status to honored or missed")
        return value


class ProblemIn(Shape):
    kind: Literal["problem", "special_request"] = "problem"
    summary: Text
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
    name: Text
    kind: Literal["cost", "performance", "customer_satisfaction", "relationship"] = "performance"
    target: Number | None = None
    direction: Literal["higher", "lower"] = "higher"
    unit: str = ""
    owner: Email | None = None
    shared: Flag = False
    measurements: tuple[MeasurementIn, ...] = ()


# 6. Communication structure
class CommunicationIn(Shape):
    formal_cadence_days: Count | None = None
    informal_cadence_days: Count | None = None
    decision_process: str = ""
    escalation_path: str = ""
    response_target_days: Count | None = None
    prioritization: str = ""
    information_access: str = ""


class MeetingIn(Shape):
    held_on: Day
    kind: Literal["formal", "informal"] = "formal"
    summary: str = ""


# 7-9. Knowledge exchange, organizational alignment, long-term relationship
class KnowledgeSessionIn(Shape):
    held_on: Day
    topics: str = ""


class InitiativeIn(Shape):
    kind: Literal["shared_system", "process", "structure", "business_model"] = "process"
    name: Text
    status: Literal["proposed", "active", "done"] = "proposed"
    started_on: Day | None = None


class OpportunityIn(Shape):
    kind: Literal["joint_opportunity", "renewal", "extension"] = "joint_opportunity"
    name: Text
    status: Literal["exploring", "pursuing", "won", "lost", "committed"] = "exploring"
    committed_on: Day | None = None


class EvidenceIn(Shape):
    """Every section is optional; a section given replaces the partnership's rows of it."""

    children = ("business_case", "wins", "agreements", "processes", "risks", "stakeholders", "commitments",
                "problems", "metrics", "communication", "meetings", "knowledge_sessions", "initiatives",
                "opportunities")

    business_case: BusinessCaseIn | None = None
    wins: tuple[WinIn, ...] | None = None
    agreements: tuple[AgreementIn, ...] | None = None
    processes: tuple[ProcessIn, ...] | None = None
    risks: tuple[RiskIn, ...] | None = None
    stakeholders: tuple[StakeholderIn, ...] | None = None
    commitments: tuple[CommitmentIn, ...] | None = None
    problems: tuple[ProblemIn, ...] | None = None
    metrics: tuple[MetricIn, ...] | None = None
    communication: CommunicationIn | None = None
    meetings: tuple[MeetingIn, ...] | None = None
    knowledge_sessions: tuple[KnowledgeSessionIn, ...] | None = None
    initiatives: tuple[InitiativeIn, ...] | None = None
    opportunities: tuple[OpportunityIn, ...] | None = None

    def given(self) -> dict[str, Any]:
        """The sections present in the document, in document-independent order."""
        return {name: getattr(self, name) for name in self.children if getattr(self, name) is not None}
