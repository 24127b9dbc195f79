"""The domain rules: phases, practices, the gate policy, checks and their evaluation.

Pure: no database, network, Prefect or clock. `as_of` is always a parameter.
"""

from partnerflow.gates.documents import (
    MAX_DOCUMENT_BYTES,
    UNREADABLE,
    DocumentError,
    InvalidDocument,
    Located,
    decode,
    described,
    field_name,
    parse_yaml,
    shown,
)
from partnerflow.gates.evaluate import (
    Assessment,
    CriterionResult,
    GateEvaluation,
    assess,
    evaluate,
    evaluate_gate,
    evaluate_monitors,
)
from partnerflow.gates.policy import Approvers, Criterion, Gate, Policy, parse_policy
from partnerflow.gates.practices import (
    EVIDENCE_OF_PRACTICE,
    PARTNERSHIP_KINDS,
    PHASE_NAMES,
    PHASES,
    PRACTICE_BY_KEY,
    PRACTICES,
    STATES,
    Practice,
    next_phase,
    previous_phase,
)
from partnerflow.gates.pyramid import PracticeStatus, practice_statuses
from partnerflow.gates.registry import CHECKS, Outcome
from partnerflow.gates.snapshot import (
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
    PartnershipSnapshot,
    ProblemKind,
)

__all__ = [
    "MAX_DOCUMENT_BYTES", "UNREADABLE", "described", "field_name", "shown", "CHECKS", "PARTNERSHIP_KINDS", "PHASE_NAMES", "PHASES", "PRACTICES", "STATES", "PRACTICE_BY_KEY", "Approvers", "Criterion", "CriterionResult",
    "DocumentError", "Gate", "GateEvaluation", "InvalidDocument", "Located", "Outcome",
    "PartnershipSnapshot", "Policy", "Practice", "decode", "assess", "Assessment", "evaluate", "evaluate_gate",
    "evaluate_monitors", "EVIDENCE_OF_PRACTICE", "PracticeStatus", "practice_statuses",
    "AgreementKind", "CommitmentStatus", "Direction", "Influence", "InitiativeKind", "InitiativeStatus", "Level",
    "MeetingKind", "MetricKind", "OpportunityKind", "OpportunityStatus", "ProblemKind", "next_phase", "parse_policy", "parse_yaml", "previous_phase",
]
