"""A review of the portfolio in shards: runs of consecutive batches that any process can review.

The run's plan (`plan_review`) is cut into shards of about `shard_size` partnerships, each a row
(`review_shard`) with its batches. The shard is given to a run (`assign_shard`: the run handing
shards out names the flow run it submitted), which takes it (`take_shard`: only the run it was
given to, or anyone while it was given to none) and reviews its batches one transaction each
(`review_shard_batch`); each transaction also records the shard's progress: batches done, the
sum of their reports, a heartbeat. So:

- a shard whose process died is given to a new run, which resumes at its first batch not
  committed: nothing reviewed twice, nothing lost;
- a run the shard was taken from (thought lost, but alive after all, or started again by hand)
  stops at its next batch or cannot take it, so two runs never review the same batch;
- the run's report is the sum of what the shards committed, whoever reviewed them.

Where the shards run (here, or on Prefect workers) is the flows' business, not this module's.
"""

from collections import Counter
from datetime import date, datetime
from typing import NamedTuple

from sqlalchemy import func, insert, or_, select, update
from sqlmodel import Session

from partnerflow.engine.phases.review import SUMMED, ReviewPlan, ReviewReport, batch_size, policy_mark, review_batch
from partnerflow.gates import Policy
from partnerflow.models import Batch, IdRange, ReviewRun, ReviewShard

S = ReviewShard.__table__.c
RUN = ReviewRun.__table__.c


class PolicyChanged(RuntimeError):
    """The policy this process loaded is not the one the run started with."""


class ShardWork(NamedTuple):
    """A shard as the run that took it sees it: what to review, as of when, and how far it got."""

    shard_id: int
    number: int
    run_id: int
    as_of: date
    now: datetime  # the run's moment: every row a shard writes is stamped with it
    policy_mark: str
    batches: list[Batch]
    done: int
    taken: bool  # False: the shard is given to another run (or finished): nothing to do here
    shards: int  # of the run: each announces its share of the run's events


class ShardState(NamedTuple):
    """A shard's progress, as the run that hands shards out watches it."""

    shard_id: int
    number: int
    done: int
    batches: int
    runner: str | None
    heartbeat_at: datetime | None
    finished: bool


def plan_shards(session: Session, plan: ReviewPlan, shard_size: int) -> list[int]:
    """Cut the run's batches into shards of consecutive batches, at most `shard_size` partnerships each
    (at least one batch); record them and return their ids, in order."""
    if plan.run_id is None:
        raise ValueError("only a review of the portfolio (a run) is reviewed in shards")
    shards: list[list[Batch]] = []
    size = 0
    for batch in plan.batches:
        if not shards or size + batch_size(batch) > shard_size:
            shards.append([])
            size = 0
        shards[-1].append(batch)
        size += batch_size(batch)
    if not shards:
        return []
    rows = [{"run_id": plan.run_id, "number": number, "batches": [_stored(b) for b in batches],
             "batch_count": len(batches), "partnerships": sum(batch_size(b) for b in batches)}
            for number, batches in enumerate(shards, start=1)]
    ids = session.connection().execute(insert(ReviewShard).returning(S.id, sort_by_parameter_order=True), rows)
    return list(ids.scalars())


def assign_shard(session: Session, shard_id: int, runner: str) -> None:
    """Give the shard to `runner` (a run about to start): the run it was given to before cannot take
    it any more, and stops at its next batch if it is working on it."""
    session.connection().execute(update(ReviewShard).where(S.id == shard_id, S.finished_at.is_(None))
                                 .values(runner=runner))


def take_shard(session: Session, shard_id: int, *, runner: str, at: datetime,
               policy: Policy | None = None) -> ShardWork:
    """Take the shard for `runner`, if it was given to it (or to none), and say what is left of it.
    With `policy`, refuse at once one that is not the run's (PolicyChanged)."""
    connection = session.connection()
    taken = connection.execute(update(ReviewShard).where(
        S.id == shard_id, S.finished_at.is_(None), or_(S.runner.is_(None), S.runner == runner))
        .values(runner=runner, attempts=S.attempts + 1, heartbeat_at=at)).rowcount == 1
    others = ReviewShard.__table__.alias("others")
    shards = select(func.count()).where(others.c.run_id == S.run_id).scalar_subquery()
    row = connection.execute(
        select(S.number, S.run_id, S.batches, S.done, RUN.as_of, RUN.started_at, RUN.policy_mark, shards)
        .join(ReviewRun.__table__, RUN.id == S.run_id).where(S.id == shard_id)).one_or_none()
    if row is None:
        raise LookupError(f"no review shard {shard_id}")
    number, run_id, batches, done, as_of, started_at, mark, count = row
    work = ShardWork(shard_id, number, run_id, as_of, started_at, mark, [_batch(b) for b in batches], done, taken,
                     count)
    if taken and policy is not None:
        _same_policy(policy, work)
    return work


def review_shard_batch(session: Session, policy: Policy, work: ShardWork, *, runner: str,
                       at: datetime) -> ReviewReport | None:
    """Review the shard's next batch, if `runner` still runs the shard, and record it as done in the
    same transaction. None when there is nothing left for this runner: the shard is finished, or
    another run took it over. Flushes; the caller commits."""
    _same_policy(policy, work)
    connection = session.connection()
    # one statement that checks the runner, locks the shard (its row on PostgreSQL, the database's
    # write lock on SQLite: a runner taking over waits for this batch to commit) and beats
    mine = connection.execute(update(ReviewShard).where(S.id == work.shard_id, S.runner == runner,
                                                        S.finished_at.is_(None)).values(heartbeat_at=at))
    if mine.rowcount == 0:
        return None
    done, stored = connection.execute(select(S.done, S.report).where(S.id == work.shard_id)).one()
    report = review_batch(session, policy, work.batches[done], work.as_of, now=work.now)
    total = report_from_dict(stored) + report
    connection.execute(update(ReviewShard).where(S.id == work.shard_id).values(
        done=done + 1, report=total.as_dict(),
        finished_at=at if done + 1 == len(work.batches) else None))
    return report


def shard_states(session: Session, run_id: int) -> list[ShardState]:
    """The run's shards, in order, with how far each got."""
    rows = session.connection().execute(
        select(S.id, S.number, S.done, S.batch_count, S.runner, S.heartbeat_at, S.finished_at)
        .where(S.run_id == run_id).order_by(S.number))
    return [ShardState(sid, number, done, count, runner, beat, finished is not None)
            for sid, number, done, count, runner, beat, finished in rows]


def shards_report(session: Session, run_id: int) -> ReviewReport:
    """What the run's shards committed, summed (a shard in progress counts its batches done)."""
    total = ReviewReport()
    for (stored,) in session.connection().execute(select(S.report).where(S.run_id == run_id).order_by(S.number)):
        total += report_from_dict(stored)
    return total


def report_from_dict(stored: dict | None) -> ReviewReport:
    """A report as `ReviewReport.as_dict` stored it (None: an empty one)."""
    if not stored:
        return ReviewReport()
    values = {name: stored[name] for name in SUMMED if name != "blockers"}
    return ReviewReport(**values, blockers=Counter(stored["blockers"]))


def _same_policy(policy: Policy, work: ShardWork) -> None:
    if policy_mark(policy) != work.policy_mark:
        raise PolicyChanged(f"the policy changed since review run {work.run_id} started: this process loaded "
                            f"version {policy.version!r} with a different content; start a new review")


def _stored(batch: Batch) -> dict | list[int]:
    return {"first": batch.first, "last": batch.last} if isinstance(batch, IdRange) else list(batch)


def _batch(stored: dict | list[int]) -> Batch:
    return IdRange(stored["first"], stored["last"]) if isinstance(stored, dict) else stored
