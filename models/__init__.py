"""Persistence: SQLModel tables, engines and sessions, batched snapshot queries.

Functions take the session or connection from the caller and never commit.
"""

from partnerflow.models.access import ApiToken
from partnerflow.models.batches import Batch, IdRange, within
from partnerflow.models.bulk import insert_rows, update_rows
from partnerflow.models.core import Member, Partnership, PartnershipParty, Party, Person, Program
from partnerflow.models.db import (
    DatabaseNotReady,
    downgrade,
    exists_on,
    head_revision,
    make_engine,
    require_current,
    session_scope,
    upgrade,
)
from partnerflow.models.evidence import (
    Agreement,
    BusinessCase,
    Commitment,
    CommunicationPlan,
    Initiative,
    KnowledgeSession,
    Measurement,
    Meeting,
    Metric,
    Opportunity,
    Problem,
    ProcessOwner,
    Risk,
    Signature,
    Stakeholder,
    Win,
)
from partnerflow.models.outbox import DeliveryAttempt, NoticeBatch, Notification
from partnerflow.models.records import (AuditEvent, Decision, GateReview, ReviewConfirmation, ReviewRun, ReviewShard,
                                        checked, confirm_reviews, confirmed_from)
from partnerflow.models.reads import Read, read_rows
from partnerflow.models.snapshots import load_snapshots
from partnerflow.models.work import Channel, Delegation, Task, UsedLink

EVIDENCE_TABLES = (
    BusinessCase, Win, Agreement, Signature, ProcessOwner, Risk, Stakeholder, Commitment, Problem, Metric,
    Measurement, CommunicationPlan, Meeting, KnowledgeSession, Initiative, Opportunity,
)

__all__ = [
    "EVIDENCE_TABLES", "ApiToken", "Batch", "IdRange", "within", "Agreement", "AuditEvent", "BusinessCase", "Channel", "CommunicationPlan", "Commitment",
    "DatabaseNotReady", "Decision", "Delegation", "DeliveryAttempt", "NoticeBatch", "Notification", "Task", "UsedLink", "GateReview", "Initiative", "KnowledgeSession", "Measurement", "Meeting",
    "Member", "Metric", "Opportunity", "Party", "Partnership", "PartnershipParty", "Person", "Problem",
    "ProcessOwner", "Program", "ReviewConfirmation", "ReviewRun", "ReviewShard", "Risk", "Signature", "Stakeholder", "Win", "downgrade", "exists_on", "head_revision",
    "checked", "confirm_reviews", "confirmed_from", "load_snapshots", "Read", "read_rows", "insert_rows", "update_rows", "make_engine", "require_current", "session_scope", "upgrade",
]
