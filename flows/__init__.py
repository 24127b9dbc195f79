"""Prefect flows around engine/: the only room that imports Prefect."""

from partnerflow.flows.deadlines import sweep_deadlines
from partnerflow.flows.dispatch import dispatch_notifications
from partnerflow.flows.review import ReviewParameters, review_partnership, review_portfolio

__all__ = ["ReviewParameters", "dispatch_notifications", "review_partnership", "review_portfolio", "sweep_deadlines"]
