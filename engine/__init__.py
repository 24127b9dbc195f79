"""The application: the one write path. Review, decide, transition, import; owns transactions.

Callable without Prefect, so the CLI answers fast. What other rooms may use is listed here.
"""

from partnerflow.engine import assignments, channels, clock, members, outbox, progress, status
from partnerflow.engine.assignments import TaskRefused
from partnerflow.engine.channels import ChannelRefused
from partnerflow.engine.database import get_engine, init_database, ready_engine
from partnerflow.engine.deadlines import SweepReport, sweep
from partnerflow.engine.decisions import VERDICTS, DecisionOutcome, DecisionRefused, decide
from partnerflow.engine.dispatch import DispatchReport, dispatch_all, dispatch_batch
from partnerflow.engine.history import partnership_history
from partnerflow.engine.intake import ImportSummary, import_documents, import_files
from partnerflow.engine.links import LinkRefused
from partnerflow.engine.lookup import NotFound, partnership_ids
from partnerflow.engine.policies import policy_in_force, read_policy
from partnerflow.engine.reports import review_summary
from partnerflow.engine.review import ReviewReport, plan_batches, review_batch, review_portfolio
from partnerflow.engine.settings import DEFAULT_POLICY, Settings, SettingsError, get_settings
from partnerflow.engine.transitions import Conflict
from partnerflow.engine.whatif import what_if

__all__ = [
    "DEFAULT_POLICY", "VERDICTS", "Conflict", "DecisionOutcome", "DecisionRefused", "DispatchReport", "ImportSummary",
    "NotFound", "dispatch_all", "dispatch_batch", "SweepReport", "sweep", "assignments", "channels", "members", "ChannelRefused", "outbox", "TaskRefused", "LinkRefused",
    "ReviewReport", "Settings", "SettingsError", "clock", "decide", "get_engine", "get_settings", "import_documents",
    "import_files",
    "init_database", "partnership_history", "partnership_ids", "plan_batches", "policy_in_force", "progress",
    "read_policy", "ready_engine",
    "review_batch", "review_portfolio", "review_summary", "status", "what_if",
]
