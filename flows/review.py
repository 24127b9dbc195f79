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
    ReviewPlan,
    ReviewReport,
    collector_frozen,
    finish_run,
    get_engine,
    get_settings,
    now,
    plan_review,
    policy_in_force,
    ready_engine,
    report_progress,
    review_batch,
    review_summary,
    transaction,
)
from partnerflow.flows.events import Announcer


class ReviewParameters(BaseModel):
    as_of: date | None = Field(None, description="Review as of this date; default today.")
    partnerships: list[str] = Field(default_factory=list, description="Only these partnership keys; default all.")
    batch_size: int | None = Field(None, ge=1, description="Partnerships per batch; default from settings.")
    full: bool = Field(False, description="Reload every live partnership; by default only those whose last "
                                          "review no longer holds (evidence changed, or its result may have "
                                          "expired) are reloaded, the others confirmed as they are.")


@task(name="plan-review-batches", cache_policy=NO_CACHE)
def plan_the_review(parameters: ReviewParameters, as_of: date, now: datetime, policy: Policy,
                    batch_size: int) -> ReviewPlan:
    with transaction(get_engine()) as session:
        return plan_review(session, policy, as_of, keys=parameters.partnerships, batch_size=batch_size,
                           incremental=not parameters.full, now=now)


@task(name="finish-review-run", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[1, 5])
def finish_the_run(plan: ReviewPlan, report: ReviewReport, now: datetime) -> None:
    with transaction(get_engine()) as session:
        finish_run(session, plan, report, now=now)


@task(name="review-batch", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[1, 5])
def review_one_batch(batch, as_of: date, now: datetime, policy: Policy, wait: bool = False) -> ReviewReport:
    """One transaction: safe to retry, since reviewing twice changes nothing the second time.
    Partnerships another review is working on are left to it, unless `wait` (named partnerships)."""
    with transaction(get_engine()) as session:
        return review_batch(session, policy, batch, as_of, now=now, wait=wait)


@flow(name="review-portfolio", log_prints=False)
def review_portfolio(parameters: ReviewParameters | None = None) -> dict:
    """Review the portfolio (or the partnerships named in `partnerships`) and publish a summary."""
    parameters = parameters or ReviewParameters()
    settings = get_settings()
    moment = now()  # once per run: every batch stamps its rows with the same moment
    as_of = parameters.as_of or moment.date()
    policy = policy_in_force(settings.policy_path)
    ready_engine()  # fails the run at once, with a clear reason, if the database is not ready
    plan = plan_the_review(parameters, as_of, moment, policy, parameters.batch_size or settings.review_batch_size)
    report, announcer = plan.held, Announcer()  # the held: as a full review finds them
    with collector_frozen(plan.batches):  # one collector policy for the run (docs/performance.md)
        for done, batch in enumerate(plan.batches, start=1):
            reviewed = review_one_batch(batch, as_of, moment, policy,  # one policy version for the whole run
                                        wait=bool(parameters.partnerships))
            announcer.review(reviewed)
            report += reviewed
            report_progress(done, len(plan.batches))
    announcer.close()
    finish_the_run(plan, report, moment)
    create_markdown_artifact(key="portfolio-review", markdown=review_summary(
        report, as_of=as_of, policy_version=policy.version), description="What the portfolio review did")
    return {"as_of": as_of.isoformat(), "policy_version": policy.version, **report.as_dict()}


@flow(name="review-partnership")
def review_partnership(key: str, as_of: date | None = None) -> dict:
    """Review one partnership now, e.g. after its owner supplied evidence."""
    return review_portfolio(ReviewParameters(as_of=as_of, partnerships=[key]))
