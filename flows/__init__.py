"""Prefect flows around engine/: the only room that imports Prefect.

The environment Prefect reads at import (no telemetry, quiet) is prepared here, before any
flow module imports it.
"""

from partnerflow.flows.environment import prepare_prefect_environment

prepare_prefect_environment()

from partnerflow.flows.deadlines import sweep_deadlines  # noqa: E402
from partnerflow.flows.dispatch import dispatch_notifications  # noqa: E402
from partnerflow.flows.events import announce_evidence_changed  # noqa: E402
from partnerflow.flows.review import ReviewParameters, review_partnership, review_portfolio, review_shard  # noqa: E402
from partnerflow.flows.running import run_in_process  # noqa: E402

__all__ = ["ReviewParameters", "announce_evidence_changed", "dispatch_notifications", "review_partnership",
           "review_portfolio", "review_shard", "run_in_process", "sweep_deadlines"]
