"""Prefect flows around engine.review: shards, batches, retries, the summary artifact.

A task reviews a whole batch (thousands of partnerships) in one transaction: a task per
partnership would cap a review at ~40 partnerships per second (see docs/performance.md).
A review of the portfolio is cut into shards of consecutive batches; each shard is reviewed
here, or by a run of the `review-shard` flow on a worker when the review fans out
(flows/fanout.py, docs/scaling.md).
"""

from datetime import date, datetime

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run
from prefect.utilities.annotations import quote
from pydantic import BaseModel, Field

from partnerflow.engine import (
    Policy,
    ReviewPlan,
    ReviewReport,
    ShardWork,
    collector_frozen,
    finish_run,
    get_engine,
    get_settings,
    now,
    plan_review,
    plan_shards,
    policy_in_force,
    ready_engine,
    report_progress,
    review_batch,
    review_shard_batch,
    review_summary,
    shard_states,
    shards_report,
    take_shard,
    transaction,
)
from partnerflow.flows.events import Announcer
from partnerflow.flows.fanout import fan_out_to, review_on_workers


class ReviewParameters(BaseModel):
    as_of: date | None = Field(None, description="Review as of this date; default today.")
    partnerships: list[str] = Field(default_factory=list, description="Only these partnership keys; default all.")
    batch_size: int | None = Field(None, ge=1, description="Partnerships per batch; default from settings.")
    full: bool = Field(False, description="Reload every live partnership; by default only those whose last "
                                          "review no longer holds (evidence changed, or its result may have "
                                          "expired) are reloaded, the others confirmed as they are.")
    shard_size: int | None = Field(None, ge=1, description="Partnerships per shard; default from settings.")
    fan_out: bool | None = Field(None, description="Review the shards on the work pool's workers, as runs of "
                                                   "`shard_deployment`, or here; default: on the workers when "
                                                   "this run came from a deployment and that deployment exists.")
    shard_deployment: str = Field("review-shard/shards", description="The deployment that reviews one shard.")
    shard_timeout: float = Field(300, gt=0, le=86_400, description="Seconds a shard's run may go without "
                                 "finishing a batch before it is taken as lost and its shard handed to a new run.")


@task(name="plan-review-batches", cache_policy=NO_CACHE)
def plan_the_review(parameters: ReviewParameters, as_of: date, now: datetime, policy: Policy,
                    batch_size: int, shard_size: int) -> tuple[ReviewPlan, list[int]]:
    """The run's batches, cut into shards (none for named partnerships: one batch, reviewed here)."""
    with transaction(get_engine()) as session:
        plan = plan_review(session, policy, as_of, keys=parameters.partnerships, batch_size=batch_size,
                           incremental=not parameters.full, now=now)
        return plan, [] if plan.run_id is None else plan_shards(session, plan, shard_size)


@task(name="finish-review-run", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[1, 5])
def finish_the_run(plan: ReviewPlan, now: datetime) -> ReviewReport:
    """What the whole run did (the held, and every shard's batches, whoever reviewed them), recorded."""
    with transaction(get_engine()) as session:
        report = plan.held + shards_report(session, plan.run_id)
        finish_run(session, plan, report, now=now)
        return report


@task(name="review-batch", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[1, 5])
def review_one_batch(batch, as_of: date, now: datetime, policy: Policy, wait: bool = False) -> ReviewReport:
    """One transaction: safe to retry, since reviewing twice changes nothing the second time.
    Partnerships another review is working on are left to it, unless `wait` (named partnerships)."""
    with transaction(get_engine()) as session:
        return review_batch(session, policy, batch, as_of, now=now, wait=wait)


@task(name="review-shard-batch", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[1, 5])
def review_next_batch(work: ShardWork, runner: str, policy: Policy) -> ReviewReport | None:
    """The shard's next batch and its progress, in one transaction: retried, it reviews the batch
    that did not commit. None when the shard is finished or another run took it over."""
    with transaction(get_engine()) as session:
        return review_shard_batch(session, policy, work, runner=runner, at=now())


def review_the_shard(shard: int, runner: str, policy: Policy, *, batches_before: int = 0,
                     batches_in_run: int | None = None) -> int:
    """Take the shard and review what is left of it, batch by batch; returns the batches reviewed.
    Progress is reported over the run's batches when the caller says where the shard lies in them."""
    with transaction(get_engine()) as session:
        work = take_shard(session, shard, runner=runner, at=now(), policy=policy)
    if not work.taken:
        return 0  # given to another run, or finished
    announcer, reviewed = Announcer.for_shard(work.shards), 0
    total = batches_in_run or len(work.batches)
    with collector_frozen():  # a shard's run on a worker freezes here; the review flow froze already
        for _ in range(work.done, len(work.batches)):
            # quoted: Prefect would otherwise walk the shard's batches and the whole policy for futures,
            # once per batch (visit_collection, a tenth of a second per run at 100,000)
            report = review_next_batch(quote(work), runner, quote(policy))
            if report is None:
                break
            announcer.review(report)
            reviewed += 1
            report_progress(batches_before + work.done + reviewed, total)
    announcer.close()
    return reviewed


def this_run() -> str:
    """The id of the flow run this code runs in: a shard's runner."""
    return str(flow_run.get_id())


@flow(name="review-shard", log_prints=False)
def review_shard(shard: int) -> int:
    """Review one shard of a portfolio review (a run of it on a worker): resumes where an earlier run
    of the shard stopped; stops if another run takes the shard over. Returns the batches it reviewed."""
    ready_engine()
    return review_the_shard(shard, this_run(), policy_in_force(get_settings().policy_path))


@flow(name="review-portfolio", log_prints=False)
def review_portfolio(parameters: ReviewParameters | None = None) -> dict:
    """Review the portfolio (or the partnerships named in `partnerships`) and publish a summary."""
    with collector_frozen():  # the whole run: one collector policy (docs/performance.md)
        return _review_portfolio(parameters or ReviewParameters())


def _review_portfolio(parameters: ReviewParameters) -> dict:
    settings = get_settings()
    moment = now()  # once per run: every batch stamps its rows with the same moment
    as_of = parameters.as_of or moment.date()
    policy = policy_in_force(settings.policy_path)
    ready_engine()  # fails the run at once, with a clear reason, if the database is not ready
    # where the shards will run, known before anything is planned: a missing deployment fails here
    deployment = None if parameters.partnerships else fan_out_to(parameters.fan_out, parameters.shard_deployment)
    plan, shards = plan_the_review(parameters, as_of, moment, policy, parameters.batch_size or settings.review_batch_size,
                                   parameters.shard_size or settings.review_shard_size)
    if plan.run_id is None:  # named partnerships: one batch, here, waiting for a review that holds them
        report, announcer = review_one_batch(plan.batches[0], as_of, moment, policy, wait=True), Announcer()
        announcer.review(report)
        announcer.close()
    else:
        if deployment is not None and shards:
            review_on_workers(plan.run_id, shards, deployment, timeout=parameters.shard_timeout)
        else:
            with transaction(get_engine()) as session:
                counts = [state.batches for state in shard_states(session, plan.run_id)]
            for number, shard in enumerate(shards):
                review_the_shard(shard, this_run(), policy, batches_before=sum(counts[:number]),
                                 batches_in_run=len(plan.batches))
        report = finish_the_run(plan, moment)
    create_markdown_artifact(key="portfolio-review", markdown=review_summary(
        report, as_of=as_of, policy_version=policy.version), description="What the portfolio review did")
    return {"as_of": as_of.isoformat(), "policy_version": policy.version, **report.as_dict()}


@flow(name="review-partnership")
def review_partnership(key: str, as_of: date | None = None) -> dict:
    """Review one partnership now, e.g. after its owner supplied evidence."""
    return review_portfolio(ReviewParameters(as_of=as_of, partnerships=[key]))
