"""The application: the one write path. Review, decide, transition, import; owns transactions.

Callable without Prefect, so the CLI answers fast. What other rooms may use is listed here.
The base (settings, database, clock, audit, lookup, policies, people, sealing) sits flat in
this folder; the work is in wings whose arrows run one way: phases -> work -> notifications,
and intake -> notifications (docs/architecture.md).
"""

from partnerflow.engine import clock, progress
from partnerflow.engine.database import get_engine, ready_engine, transaction
from partnerflow.engine.intake import ImportSummary, import_documents, import_files
from partnerflow.engine.lookup import NotFound, partnership_ids
from partnerflow.engine.notifications import (
    ChannelRefused,
    DispatchReport,
    LinkRefused,
    SweepReport,
    channels,
    dispatch_all,
    dispatch_batch,
    drain,
    outbox,
    sweep,
)
from partnerflow.engine.phases import (
    VERDICTS,
    Conflict,
    DecisionOutcome,
    DecisionRefused,
    ReviewReport,
    batches_to_review,
    decide,
    partnership_history,
    plan_batches,
    review_all,
    review_batch,
    review_summary,
    status,
    what_if,
)
from partnerflow.engine.policies import policy_in_force, read_policy
from partnerflow.engine.settings import DEFAULT_POLICY, Settings, SettingsError, get_settings
from partnerflow.engine.setup import init_database
from partnerflow.engine.work import MemberRefused, TaskRefused, assignments, members
from partnerflow.gates import InvalidDocument, Policy
from partnerflow.models import DatabaseNotReady, head_revision

__all__ = [
    "DEFAULT_POLICY", "VERDICTS", "Conflict", "DecisionOutcome", "DecisionRefused", "DispatchReport", "ImportSummary",
    "NotFound", "dispatch_all", "dispatch_batch", "SweepReport", "sweep", "assignments", "channels", "members",
    "ChannelRefused", "outbox", "TaskRefused", "MemberRefused", "LinkRefused",
    "ReviewReport", "Settings", "SettingsError", "clock", "decide", "get_engine", "get_settings", "import_documents",
    "import_files", "init_database", "partnership_history", "partnership_ids", "plan_batches", "policy_in_force",
    "progress", "read_policy", "ready_engine", "review_batch", "review_all", "review_summary", "status",
    "what_if", "transaction", "InvalidDocument", "DatabaseNotReady", "head_revision", "Policy", "batches_to_review",
    "drain",
]
