"""A review's shards fanned out to the work pool's workers: one run of the `review-shard` deployment
per shard, watched until every shard is done.

Why runs of a deployment, not Prefect's task workers: a run is scheduled in the server's database
and any process worker picks it up, and the shard's progress is in ours; background tasks queue in
the server's memory, and were lost across a server restart (docs/scaling.md).

A shard's run that fails or crashes, or that a worker started but that went `timeout` seconds
without changing state or finishing a batch (its worker was killed: Prefect still shows it
running), is marked crashed and its shard given to a new run, which resumes at the shard's first
batch not committed. Time is the review's own (`engine.clock.monotonic`): a run waiting in the
queue for a free worker is not silent, and no machine's clock is compared with another's. The
review fails, naming the shard and the reason, after SHARD_ATTEMPTS runs of one shard, when a
person cancelled a shard's run, or when nothing moved for `timeout` seconds (no worker takes the
runs); the shard runs still going are then cancelled.
"""

import contextlib
import time
from dataclasses import dataclass, field
from uuid import UUID

from prefect import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
from prefect.client.schemas.objects import StateType
from prefect.deployments import run_deployment
from prefect.exceptions import ObjectNotFound
from prefect.runtime import deployment
from prefect.states import Cancelled, Cancelling, Crashed

from partnerflow.engine import ShardState, assign_shard, monotonic, shard_states, transaction

SHARD_ATTEMPTS = 3
POLL_SECONDS = 1.0
PAGE = 200  # the server's default page limit (PREFECT_SERVER_API_DEFAULT_LIMIT)
STARTED = (StateType.PENDING, StateType.RUNNING)  # a worker has the run: it must make progress
WAITING = (StateType.SCHEDULED, StateType.PAUSED, StateType.CANCELLING)  # for a worker, a person, or its end


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


@dataclass
class ShardRun:
    """A shard, the run it is given to, and when the review last saw either of them move."""

    shard: int
    name: str
    run_id: UUID
    attempts: int = 1
    seen: tuple = ()  # the run's state type, the shard's batches done, runner and heartbeat
    since: float = field(default_factory=monotonic)

    def moved(self, run, state: ShardState) -> bool:
        """Note what the run and the shard show now: True when it differs from what was seen before."""
        seen = (run.state_type if run else None, state.done, state.runner, state.heartbeat_at)
        if seen == self.seen:
            return False
        self.seen, self.since = seen, monotonic()
        return True

    def silent_for(self) -> float:
        return monotonic() - self.since


def review_on_workers(run_id: int, shards: list[int], shard_deployment: str, *, timeout: float) -> None:
    """Submit a run of `shard_deployment` for each shard and watch them until every shard is finished.
    On failure the shard runs still going are cancelled, then the failure is raised."""
    with transaction() as session:
        names = {s.shard_id: f"review run {run_id}, shard {s.number} of {len(shards)}"
                 for s in shard_states(session, run_id)}
    watched = {shard: ShardRun(shard, names[shard], _give(shard_deployment, shard, names[shard])) for shard in shards}
    try:
        _watch(run_id, watched, shard_deployment, timeout)
    except BaseException:
        _cancel([shard.run_id for shard in watched.values()])
        raise


def _watch(run_id: int, watched: dict[int, ShardRun], shard_deployment: str, timeout: float) -> None:
    moved = monotonic()  # when any shard or its run last moved
    while watched:
        with get_client(sync_client=True) as client:
            # the runs first, then the shards: a run seen completed has committed its last batch
            flow_runs = _read_runs(client, [shard.run_id for shard in watched.values()])
            with transaction() as session:
                states = [s for s in shard_states(session, run_id) if s.shard_id in watched]
            for state in states:
                this = watched[state.shard_id]
                run = flow_runs.get(this.run_id)
                if state.finished:
                    del watched[state.shard_id]
                elif this.moved(run, state):
                    moved = monotonic()
                elif (reason := _lost(run, this.silent_for(), timeout)) is not None:
                    _give_again(client, this, run, f"shard {state.number} of review run {run_id}", reason,
                                shard_deployment)
        if watched and monotonic() - moved > timeout:
            raise ShardFailed(f"review run {run_id}: no shard or shard run moved for {timeout:g} s; "
                              f"{len(watched)} shard(s) left, waiting for a worker: is one online on the pool "
                              f"of {shard_deployment!r}?")
        if watched:
            time.sleep(POLL_SECONDS)  # watching other processes work: the only wait is for them


def _give_again(client, this: ShardRun, run, which: str, reason: str, shard_deployment: str) -> None:
    """Give the shard to a new run, the lost one marked crashed; or fail the review: a person cancelled
    the run, or the shard had its SHARD_ATTEMPTS runs."""
    if run is not None and run.state_type is StateType.CANCELLED:
        raise ShardFailed(f"{which}: {reason}; the review stops (start a new one to review what is left)")
    if this.attempts >= SHARD_ATTEMPTS:
        raise ShardFailed(f"{which} was not finished by {this.attempts} runs; the last {reason}")
    if run is not None and run.state_type in STARTED:
        client.set_flow_run_state(run.id, Crashed(message=f"Partnerflow: {reason}; the shard is given to a new "
                                                          "run"), force=True)
    this.run_id, this.attempts = _give(shard_deployment, this.shard, this.name), this.attempts + 1
    this.seen, this.since = (), monotonic()


def _give(shard_deployment: str, shard: int, name: str) -> UUID:
    """Submit a run of the shard and give it the shard (only that run may take it from now on)."""
    run = run_deployment(shard_deployment, parameters={"shard": shard}, timeout=0, as_subflow=True,
                         flow_run_name=name)
    with transaction() as session:
        assign_shard(session, shard, str(run.id))
    return run.id


def _cancel(run_ids: list[UUID]) -> None:
    """Cancel the shard runs not yet ended (best effort: the review is failing already)."""
    with contextlib.suppress(Exception), get_client(sync_client=True) as client:
        for run in _read_runs(client, run_ids).values():
            if run.state_type is StateType.RUNNING:  # its worker stops the process
                client.set_flow_run_state(run.id, Cancelling(message="Partnerflow: the review failed"), force=True)
            elif run.state is not None and not run.state.is_final():
                client.set_flow_run_state(run.id, Cancelled(message="Partnerflow: the review failed"), force=True)


def _read_runs(client, ids: list[UUID]) -> dict:
    """The flow runs of `ids`, by id, a page of PAGE at a time (the server answers at most 200 a request)."""
    found = {}
    for start in range(0, len(ids), PAGE):
        page = ids[start:start + PAGE]
        found.update((run.id, run) for run in client.read_flow_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=page)), limit=len(page)))
    return found


def _lost(run, silent_for: float, timeout: float) -> str | None:
    """Why the shard's run will not finish it, or None while it may. `silent_for`: seconds since the
    review last saw the run change state or the shard commit a batch."""
    if run is None:
        return "run is gone from the Prefect server"
    if run.state_type in STARTED:
        if silent_for > timeout:
            return f"run {run.name} finished no batch for {timeout:g} s (its worker stopped?)"
        return None
    if run.state_type in WAITING:
        return None
    if run.state_type is StateType.COMPLETED:
        return f"run {run.name} completed without finishing the shard"
    message = run.state.message if run.state else ""
    return f"run {run.name} ended {run.state_type.value.lower()}: {message}"
