"""The application: the one write path. Review, decide, transition, import; owns transactions.

Callable without Prefect, so the CLI answers fast. What other rooms may use is listed here, as
names (no modules): the CLI, the flows and the web call these and nothing behind them.
The base (settings, database, clock, audit, lookup, policies, people, sealing) sits flat in
this folder; the work is in wings whose arrows run one way: phases -> work -> notifications,
and intake -> notifications (docs/architecture.md).
"""

from partnerflow.engine.access import (
    AccessRefused,
    Actor,
    actor,
    create_token,
    revoke_token,
    token_actor,
    token_listing,
)
from partnerflow.engine.clock import monotonic, now, today
from partnerflow.engine.database import get_engine, ready_engine, transaction
from partnerflow.engine.intake import (
    EVIDENCE_SECTIONS,
    FIRST_DAY,
    LAST_DAY,
    LIST_SECTIONS,
    ImportSummary,
    import_documents,
    import_files,
    may_change_evidence,
    supply_evidence,
)
from partnerflow.engine.lookup import NotFound, partnership_ids
from partnerflow.engine.notifications import (
    ChannelRefused,
    DispatchReport,
    LinkRefused,
    SweepReport,
    add_channel,
    channel_listing,
    dispatch_all,
    dispatch_batch,
    drain,
    compose_held,
    notification_listing,
    remove_channel,
    reseal,
    read_token,
    request_sign_in,
    resend_task_link,
    retry_notifications,
    secret_of,
    session_of,
    sign_out,
    sign_in,
    sign_in_link_for,
    sign_token,
    sweep,
    usable_link,
)
from partnerflow.engine.phases import (
    CRITERION_ID,
    PARTNERSHIP_SORTS,
    OverviewCache,
    VERDICTS,
    Conflict,
    DecisionOutcome,
    DecisionRefused,
    PolicyChanged,
    ReviewReport,
    ReviewPlan,
    ShardState,
    ShardWork,
    assign_shard,
    finish_run,
    plan_shards,
    review_shard_batch,
    shard_states,
    shards_report,
    take_shard,
    plan_review,
    collector_frozen,
    decide,
    gate_queue,
    partnership_history,
    partnership_rows,
    partnership_view,
    review_listing,
    readable,
    partnership_status,
    plan_batches,
    portfolio,
    portfolio_overview,
    review_all,
    review_batch,
    review_summary,
    vote_standing,
    what_if,
)
from partnerflow.engine.policies import policy_document, policy_in_force, read_policy
from partnerflow.engine.progress import listening as progress_listening
from partnerflow.engine.progress import report as report_progress
from partnerflow.engine.settings import DEFAULT_POLICY, Settings, SettingsError, get_settings
from partnerflow.engine.health import health_findings
from partnerflow.engine.notifications import Finding
from partnerflow.engine.setup import init_database
from partnerflow.engine.work import MemberRefused, TaskRefused, delegate, remove_member, task_detail, task_listing
from partnerflow.engine.work import complete as complete_task
from partnerflow.engine.work import complete_by_link as complete_task_by_link
from partnerflow.engine.work import reassign as reassign_task
from partnerflow.gates import EVIDENCE_OF_PRACTICE, DocumentError, PHASE_NAMES, PHASES, PRACTICES, STATES, InvalidDocument, Policy
from partnerflow.models import DatabaseNotReady, head_revision

__all__ = [
    # reading and writing the portfolio
    "transaction", "get_engine", "ready_engine", "init_database", "head_revision", "partnership_ids",
    "health_findings", "Finding",
    "import_documents", "import_files", "ImportSummary", "supply_evidence", "may_change_evidence", "EVIDENCE_SECTIONS", "LIST_SECTIONS", "FIRST_DAY", "LAST_DAY",
    # the phases
    "Policy", "DEFAULT_POLICY", "policy_in_force", "read_policy", "policy_document", "PHASES", "PHASE_NAMES", "VERDICTS",
    "ReviewReport", "plan_review", "finish_run", "ReviewPlan", "collector_frozen", "plan_batches", "review_all", "review_batch", "review_summary",
    "plan_shards", "assign_shard", "take_shard", "review_shard_batch", "shard_states", "shards_report", "ShardWork",
    "ShardState", "PolicyChanged", "decide", "DecisionOutcome", "what_if", "portfolio", "partnership_status", "partnership_history",
    "progress_listening", "report_progress", "gate_queue", "vote_standing", "partnership_rows", "PARTNERSHIP_SORTS", "CRITERION_ID", "portfolio_overview", "OverviewCache",
    "readable", "partnership_view", "review_listing",
    # the work
    "complete_task", "complete_task_by_link", "task_detail", "reassign_task", "task_listing", "remove_member", "delegate",
    # the notifications
    "add_channel", "channel_listing", "remove_channel", "reseal", "secret_of", "compose_held", "notification_listing",
    "retry_notifications", "dispatch_all", "dispatch_batch", "drain", "DispatchReport", "sweep", "SweepReport",
    # who is acting: API tokens, sign-in links, sessions
    "Actor", "actor", "create_token", "revoke_token", "token_listing", "token_actor", "request_sign_in", "sign_in", "sign_in_link_for",
    "session_of", "sign_out", "sign_token", "read_token", "usable_link", "resend_task_link",
    # the domain's words, for the faces
    "PRACTICES", "STATES", "EVIDENCE_OF_PRACTICE",
    # settings and the clock
    "Settings", "SettingsError", "get_settings", "now", "today", "monotonic",
    # what a caller may catch
    "NotFound", "AccessRefused", "Conflict", "DecisionRefused", "TaskRefused", "MemberRefused", "LinkRefused", "ChannelRefused",
    "InvalidDocument", "DocumentError", "DatabaseNotReady",
]
