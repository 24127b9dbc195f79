"""When the review gives a shard to a new run: the rules of flows/fanout.py, on Prefect's own run
objects (the real server and workers: test_on_workers.py)."""

from uuid import uuid4

import pytest
from prefect.client.schemas.objects import FlowRun, State, StateType

from partnerflow.engine import ShardState
from partnerflow.flows.fanout import SHARD_ATTEMPTS, ShardFailed, ShardRun, _give_again, _lost

TIMEOUT = 300


def run_in(state: StateType, message: str = "") -> FlowRun:
    return FlowRun(id=uuid4(), flow_id=uuid4(), name="review run 1, shard 2 of 3",
                   state=State(type=state, message=message), state_type=state)


def test_a_started_run_is_lost_only_after_the_timeout_without_moving():
    for started in (StateType.PENDING, StateType.RUNNING):
        run = run_in(started)
        assert _lost(run, TIMEOUT - 1, TIMEOUT) is None
        assert "finished no batch for 300 s" in _lost(run, TIMEOUT + 1, TIMEOUT)


@pytest.mark.parametrize("state", [StateType.SCHEDULED, StateType.PAUSED, StateType.CANCELLING])
def test_a_run_waiting_for_a_worker_or_a_person_is_never_lost(state):
    assert _lost(run_in(state), 2 * 86_400, TIMEOUT) is None


@pytest.mark.parametrize("state", [StateType.FAILED, StateType.CRASHED, StateType.CANCELLED])
def test_a_run_that_ended_without_finishing_says_how(state):
    reason = _lost(run_in(state, "connection refused"), 0, TIMEOUT)
    assert reason == f"run review run 1, shard 2 of 3 ended {state.value.lower()}: connection refused"


def test_a_completed_run_that_left_its_shard_unfinished_is_lost_and_a_vanished_run_too():
    assert "completed without finishing" in _lost(run_in(StateType.COMPLETED), 0, TIMEOUT)
    assert "gone from the Prefect server" in _lost(None, 0, TIMEOUT)


def test_a_shard_moves_when_its_run_changes_state_or_it_commits_a_batch():
    run, shard = run_in(StateType.RUNNING), ShardRun(2, "review run 1, shard 2 of 3", uuid4())
    state = ShardState(shard_id=2, number=2, done=1, batches=3, runner=str(run.id), heartbeat_at=None,
                       finished=False)
    assert shard.moved(run, state) and not shard.moved(run, state)
    assert shard.moved(run, state._replace(done=2))  # a batch committed
    assert shard.moved(run_in(StateType.CRASHED), state._replace(done=2))


def test_a_cancelled_run_or_a_shard_out_of_runs_fails_the_review_with_the_shard_named():
    shard = ShardRun(2, "review run 1, shard 2 of 3", uuid4(), attempts=SHARD_ATTEMPTS)
    with pytest.raises(ShardFailed, match="shard 2 of review run 1: .*ended cancelled: by hand; the review stops"):
        _give_again(None, shard, run_in(StateType.CANCELLED), "shard 2 of review run 1",
                    _lost(run_in(StateType.CANCELLED, "by hand"), 0, TIMEOUT), "review-shard/shards")
    with pytest.raises(ShardFailed, match="was not finished by 3 runs; the last run .* ended failed: boom"):
        _give_again(None, shard, run_in(StateType.FAILED), "shard 2 of review run 1",
                    _lost(run_in(StateType.FAILED, "boom"), 0, TIMEOUT), "review-shard/shards")
