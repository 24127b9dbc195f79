"""The phases: review a batch, decide at a gate, transition, what-if, reports and the read-only views.

The review evaluates the policy (gates/) on snapshots and writes reviews, transitions, tasks
and notices in one transaction per batch. This wing imports the base, the work and the
notifications wings; nothing imports it but the engine's face.
"""

from partnerflow.engine.phases.decisions import VERDICTS, DecisionOutcome, DecisionRefused, decide, gate_queue, vote_standing
from partnerflow.engine.phases.history import partnership_history
from partnerflow.engine.phases.overview import CRITERION_ID
from partnerflow.engine.phases.overview import SORTS as PARTNERSHIP_SORTS
from partnerflow.engine.phases.overview import OverviewCache, partnership_rows, portfolio_overview
from partnerflow.engine.phases.reports import review_summary
from partnerflow.engine.phases.review import (
    ReviewReport,
    ReviewPlan,
    finish_run,
    plan_review,
    collector_frozen,
    plan_batches,
    review_all,
    review_batch,
)
from partnerflow.engine.phases.shards import (
    PolicyChanged,
    ShardState,
    ShardWork,
    assign_shard,
    plan_shards,
    review_shard_batch,
    shard_states,
    shards_report,
    take_shard,
)
from partnerflow.engine.phases.status import partnership_status, portfolio
from partnerflow.engine.phases.transitions import Conflict
from partnerflow.engine.phases.view import partnership_view, readable, review_listing
from partnerflow.engine.phases.whatif import what_if

__all__ = [
    "VERDICTS", "partnership_status", "portfolio", "Conflict", "DecisionOutcome", "DecisionRefused", "ReviewReport", "plan_review", "finish_run", "ReviewPlan", "collector_frozen", "decide",
    "partnership_history", "plan_batches", "review_all", "review_batch", "review_summary", "what_if",
    "PolicyChanged", "ShardState", "ShardWork", "assign_shard", "plan_shards", "review_shard_batch", "shard_states", "shards_report",
    "take_shard", "gate_queue", "vote_standing", "PARTNERSHIP_SORTS", "CRITERION_ID", "partnership_rows", "portfolio_overview", "OverviewCache", "readable", "partnership_view", "review_listing",
]
