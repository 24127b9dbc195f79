"""A review in shards: cut from the run's plan, taken by a runner, resumed by another after a crash,
and finding exactly what a review in one piece finds."""

import dataclasses

import pytest
from sqlalchemy import func, select

from partnerflow.engine import (
    PolicyChanged,
    assign_shard,
    finish_run,
    plan_review,
    plan_shards,
    review_all,
    review_shard_batch,
    shard_states,
    shards_report,
    take_shard,
    transaction,
)
from partnerflow.models import GateReview, ReviewShard
from tests.engine.harness import POLICY
from tests.engine.test_incremental_review import sample, what_a_review_decides
from tests.factories import AS_OF, NOW


def planned(engine, *, batch_size=3, shard_size=7, incremental=False):
    with transaction(engine) as session:
        plan = plan_review(session, POLICY, AS_OF, batch_size=batch_size, incremental=incremental, now=NOW)
        return plan, plan_shards(session, plan, shard_size)


def review_shard(engine, shard: int, runner: str, *, batches: int | None = None, work=None) -> int:
    """Take the shard (unless `work` says it was taken) and review up to `batches` of its batches (all
    by default); the batches reviewed."""
    if work is None:
        with transaction(engine) as session:
            work = take_shard(session, shard, runner=runner, at=NOW)
    reviewed = 0
    while batches is None or reviewed < batches:
        with transaction(engine) as session:
            if review_shard_batch(session, POLICY, work, runner=runner, at=NOW) is None:
                return reviewed
        reviewed += 1
    return reviewed


def finish(engine, plan):
    with transaction(engine) as session:
        report = plan.held + shards_report(session, plan.run_id)
        finish_run(session, plan, report, now=NOW)
        return report


def test_shards_are_consecutive_batches_of_at_most_the_shard_size(engine):
    sample(engine)
    plan, shards = planned(engine, batch_size=3, shard_size=7)  # 17 partnerships: batches 3,3,3,3,3,2
    with engine.connect() as connection:
        rows = connection.execute(select(ReviewShard.number, ReviewShard.batches, ReviewShard.partnerships)
                                  .where(ReviewShard.run_id == plan.run_id).order_by(ReviewShard.number)).all()
    assert [number for number, _, _ in rows] == [1, 2, 3]
    assert [len(batches) for _, batches, _ in rows] == [2, 2, 2]
    assert sum(size for _, _, size in rows) >= 17
    assert [b for _, batches, _ in rows for b in batches] == [b._asdict() for b in plan.batches]
    assert len(shards) == 3


def test_a_review_in_shards_finds_what_a_review_in_one_piece_finds(engine, twin):
    sample(engine)
    sample(twin)
    plan, shards = planned(engine)
    for number, shard in enumerate(shards):
        review_shard(engine, shard, runner=f"run-{number % 2}")  # two runners, as two workers would
    sharded = finish(engine, plan)
    whole = review_all(twin, POLICY, AS_OF, batch_size=3, now=NOW)
    assert dataclasses.replace(sharded, opened=[]) == dataclasses.replace(whole, opened=[])
    assert sharded.reviewed == sharded.written == 15  # two of the 17 are in the last phase: no gate
    assert what_a_review_decides(engine) == what_a_review_decides(twin)


def test_a_shard_whose_runner_died_is_resumed_by_the_next_at_its_first_batch_not_committed(engine, twin):
    sample(engine)
    sample(twin)
    plan, shards = planned(engine, shard_size=100)  # one shard of six batches
    assert review_shard(engine, shards[0], "killed", batches=2) == 2
    # the first runner died after committing two batches, it seems; the shard is given to a new run
    with transaction(engine) as session:
        assert not take_shard(session, shards[0], runner="retry", at=NOW).taken  # not given to it yet
        assign_shard(session, shards[0], "retry")
        work = take_shard(session, shards[0], runner="retry", at=NOW)
    assert work.taken and work.done == 2
    with transaction(engine) as session:  # the first runner, not dead after all, stops at its next batch
        assert review_shard_batch(session, POLICY, work, runner="killed", at=NOW) is None
        assert not take_shard(session, shards[0], runner="killed", at=NOW).taken  # nor can it take it back
    assert review_shard(engine, shards[0], "retry", work=work) == 4
    with transaction(engine) as session:
        [state] = shard_states(session, plan.run_id)
        assert (state.done, state.batches, state.runner, state.finished) == (6, 6, "retry", True)
        assert review_shard_batch(session, POLICY, work, runner="retry", at=NOW) is None  # nothing left
    report = finish(engine, plan)
    whole = review_all(twin, POLICY, AS_OF, batch_size=3, now=NOW)
    assert (report.reviewed, report.written, report.tasks_opened) == (whole.reviewed, whole.written, whole.tasks_opened)
    assert what_a_review_decides(engine) == what_a_review_decides(twin)
    with engine.connect() as connection:
        attempts = connection.execute(select(ReviewShard.attempts)).scalar_one()
        reviews = connection.execute(select(func.count()).select_from(GateReview)).scalar_one()
    assert attempts == 2 and reviews == 15


def test_a_shard_refuses_a_policy_other_than_the_runs(engine):
    sample(engine)
    _, shards = planned(engine)
    edited = POLICY.model_copy(update={"version": POLICY.version + "-edited"})
    with pytest.raises(PolicyChanged, match="the policy changed since review run"), transaction(engine) as session:
        take_shard(session, shards[0], runner="r", at=NOW, policy=edited)  # refused before any batch
    with transaction(engine) as session:
        work = take_shard(session, shards[0], runner="r", at=NOW)
    with pytest.raises(PolicyChanged, match="start a new review"), transaction(engine) as session:
        review_shard_batch(session, edited, work, runner="r", at=NOW)


def test_an_incremental_review_in_shards_reviews_only_what_no_longer_holds(engine, twin):
    sample(engine)
    sample(twin)
    plan, shards = planned(engine)
    for shard in shards:
        review_shard(engine, shard, "r")
    finish(engine, plan)
    again, shards = planned(engine, incremental=True)
    with engine.connect() as connection:
        stale = connection.execute(select(func.sum(ReviewShard.partnerships))
                                   .where(ReviewShard.run_id == again.run_id)).scalar_one()
    # those a review moved on (advanced, or ready) are looked at again; the others hold
    assert 0 < stale < 17 and again.held.skipped == 17 - stale
    for shard in shards:
        review_shard(engine, shard, "r")
    report = finish(engine, again)
    review_all(twin, POLICY, AS_OF, batch_size=3, now=NOW)
    full = review_all(twin, POLICY, AS_OF, batch_size=3, now=NOW)
    assert report.skipped == 17 - stale
    assert dataclasses.replace(report, skipped=0, opened=[]) == dataclasses.replace(full, opened=[])
    assert what_a_review_decides(engine) == what_a_review_decides(twin)


def test_only_a_run_of_the_portfolio_is_sharded(engine):
    sample(engine)
    with transaction(engine) as session:
        plan = plan_review(session, POLICY, AS_OF, keys=["acme-machining"], batch_size=3, now=NOW)
        with pytest.raises(ValueError, match="only a review of the portfolio"):
            plan_shards(session, plan, 10)
