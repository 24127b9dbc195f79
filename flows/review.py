"""Prefect flows around engine.review: batching, retries, the summary artifact.

A task reviews a whole batch (thousands of partnerships) in one transaction: a task per
partnership would cap a review at ~40 partnerships per second (see docs/performance.md).
"""

from datetime import date, datetime

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from pydantic import BaseModel, Field

from partnerflow.engine import (
    Policy,
    ReviewReport,
    batches_to_review,
    collector_frozen,
    get_engine,
    get_settings,
    now,
    policy_in_force,
    ready_engine,
    report_progress,
    review_batch,
    review_summary,
    transaction,
)


class ReviewParameters(BaseModel):
    as_of: date | None = Field(None, description="Review as of this date; default today.")
    partnerships: list[str] = Field(default_factory=list, description="Only these partnership keys; default all.")
    batch_size: int | None = Field(None, ge=1, description="Partnerships per batch; default from settings.")


@task(name="plan-review-batches", cache_policy=NO_CACHE)
def plan_review(keys: list[str], batch_size: int) -> list:
    with transaction(get_engine()) as session:
        return batches_to_review(session, keys=keys, batch_size=batch_size)


@task(name="review-batch", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[1, 5])
def review_one_batch(batch, as_of: date, now: datetime, policy: Policy) -> ReviewReport:
    """One transaction: safe to retry, since reviewing twice changes nothing the second time."""
    with transaction(get_engine()) as session:
        return review_batch(session, policy, batch, as_of, now=now)


@flow(name="review-portfolio", log_prints=False)
def review_portfolio(parameters: ReviewParameters | None = None) -> dict:
    """Review the portfolio (or the partnerships named in `partnerships`) and publish a summary."""
    parameters = parameters or ReviewParameters()
    settings = get_settings()
    moment = now()  # once per run: every batch stamps its rows with the same moment
    as_of = parameters.as_of or moment.date()
    policy = policy_in_force(settings.policy_path)
    ready_engine()  # fails the run at once, with a clear reason, if the database is not ready
    batches = plan_review(parameters.partnerships, parameters.batch_size or settings.review_batch_size)
    report = ReviewReport()
    with collector_frozen(batches):  # one collector policy for the run (docs/performance.md)
        for done, batch in enumerate(batches, start=1):
            report += review_one_batch(batch, as_of, moment, policy)  # one policy version for the whole run
            report_progress(done, len(batches))
    create_markdown_artifact(key="portfolio-review", markdown=review_summary(
        report, as_of=as_of, policy_version=policy.version), description="What the portfolio review did")
    return {"as_of": as_of.isoformat(), "policy_version": policy.version, **report.as_dict()}


@flow(name="review-partnership")
def review_partnership(key: str, as_of: date | None = None) -> dict:
    """Review one partnership now, e.g. after its owner supplied evidence."""
    return review_portfolio(ReviewParameters(as_of=as_of, partnerships=[key]))
