"""A review's shards fanned out to the work pool's workers: one run of the `review-shard` deployment
per shard, watched until every shard is done.

Why runs of a deployment, not Prefect's task workers: a run is scheduled in the server's database
and any process worker picks it up, and the shard's progress is in ours; background tasks queue in
the server's memory, and were lost across a server restart (docs/scaling.md).

A shard's run that fails or crashes, or that a worker started but that went `timeout` seconds
without finishing a batch (its worker was killed: Prefect still shows it running), is marked
crashed and its shard handed to a new run, which resumes at the shard's first batch not committed.
After SHARD_ATTEMPTS runs of one shard the review fails, naming the shard and its last state.
"""

import time
from datetime import datetime, timedelta
from uuid import UUID

from prefect import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
from prefect.client.schemas.objects import StateType
from prefect.deployments import run_deployment
from prefect.exceptions import ObjectNotFound
from prefect.runtime import deployment
from prefect.states import Crashed

from partnerflow.engine import ShardState, now, shard_states, transaction

SHARD_ATTEMPTS = 3
POLL_SECONDS = 1.0
STARTED = (StateType.PENDING, StateType.RUNNING)  # a worker has the run: it must make progress


class ShardFailed(RuntimeError):
    """A shard no run could finish."""


def fan_out_to(fan_out: bool | None, shard_deployment: str) -> str | None:
    """The deployment to fan the shards out to, or None to review them here. By default (`fan_out`
    None) the review fans out when it runs from a deployment itself and the shard deployment exists;
    True insists (a clear error when the deployment is missing); False never fans out."""
    if fan_out is False or (fan_out is None and deployment.get_id() is None):
        return None
    with get_client(sync_client=True) as client:
        try:
            client.read_deployment_by_name(shard_deployment)
        except ObjectNotFound:
            if fan_out:
                raise ShardFailed(f"no deployment {shard_deployment!r} to fan the shards out to: deploy "
                                  "prefect.yaml to this server (make deploy)") from None
            return None
    return shard_deployment


def review_on_workers(run_id: int, shards: list[int], shard_deployment: str, *, timeout: float) -> None:
    """Submit a run of `shard_deployment` for each shard and watch them until every shard is finished."""
    runs = {shard: _submit(shard_deployment, shard, run_id) for shard in shards}
    attempts = dict.fromkeys(shards, 1)
    submitted = dict.fromkeys(shards, now())
    left = list(shards)
    while left:
        with get_client(sync_client=True) as client:
            # the runs first, then the shards: a run seen completed has committed its last batch
            found = client.read_flow_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[runs[s] for s in left])))
            flow_runs = {run.id: run for run in found}
            with transaction() as session:
                states = {s.shard_id: s for s in shard_states(session, run_id)}
            left = [shard for shard in left if not states[shard].finished]
            for shard in left:
                run = flow_runs.get(runs[shard])
                reason = _lost(run, states[shard], submitted[shard], timeout)
                if reason is None:
                    continue
                if attempts[shard] >= SHARD_ATTEMPTS:
                    raise ShardFailed(f"shard {states[shard].number} of review run {run_id} was not finished "
                                      f"by {attempts[shard]} runs; the last {reason}")
                if run is not None and run.state_type in STARTED:
                    client.set_flow_run_state(run.id, Crashed(message=f"Partnerflow: {reason}; the shard is "
                                                                      "handed to a new run"), force=True)
                runs[shard] = _submit(shard_deployment, shard, run_id)
                attempts[shard] += 1
                submitted[shard] = now()
        if left:
            time.sleep(POLL_SECONDS)  # watching other processes work: the only wait is for them


def _lost(run, shard: ShardState, submitted: datetime, timeout: float) -> str | None:
    """Why the shard's run will not finish it, or None while it may."""
    if run is None:
        return "run is gone from the Prefect server"
    if run.state_type in STARTED:
        mine = shard.runner == str(run.id) and shard.heartbeat_at is not None
        last = max(shard.heartbeat_at, submitted) if mine else submitted
        if now() - last > timedelta(seconds=timeout):
            return f"run {run.name} finished no batch for {timeout:g} s (its worker stopped?)"
        return None
    if run.state_type is StateType.SCHEDULED:
        return None  # waiting for a worker
    if run.state_type is StateType.COMPLETED:
        return f"run {run.name} completed without finishing the shard"
    message = run.state.message if run.state else ""
    return f"run {run.name} ended {run.state_type.value.lower()}: {message}"


def _submit(shard_deployment: str, shard: int, run_id: int) -> UUID:
    run = run_deployment(shard_deployment, parameters={"shard": shard}, timeout=0, as_subflow=True,
                         flow_run_name=f"run {run_id} shard {shard}")
    return run.id
