"""The portfolio review on a real Prefect server, fanned out to two process workers, one of them
killed mid-shard: every partnership reviewed exactly once, the same rows as a review in one process.

Everything real: a Prefect server on 127.0.0.1 backed by a PostgreSQL database of its own, the work
pool and the deployments of prefect.yaml created by `make deploy`, two `prefect worker start`
processes, Partnerflow's portfolio in another PostgreSQL database. PostgreSQL only (the server and
the portfolio both need it); it takes about a minute and a half.
"""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from prefect import get_client
from prefect.client.schemas.filters import FlowFilter, FlowFilterName, FlowRunFilter, FlowRunFilterParentFlowRunId
from prefect.client.schemas.objects import StateType
from prefect.deployments import run_deployment
from prefect.settings import PREFECT_API_URL, temporary_settings
from sqlalchemy import func, make_url, select

from partnerflow.engine import get_settings, policy_in_force, review_all
from partnerflow.models import GateReview, Partnership, ReviewRun, ReviewShard, make_engine, upgrade
from tests.conftest import POSTGRES_URL, create_postgres_database, drop_postgres_database
from tests.engine.test_concurrent_reviews import written
from tests.engine.test_incremental_review import sample
from tests.factories import AS_OF

pytestmark = pytest.mark.skipif(not POSTGRES_URL, reason="needs PostgreSQL (PARTNERFLOW_TEST_DATABASE_URL), which "
                                "`make test` sets when the server at 127.0.0.1:5432 answers")

ROOT = Path(__file__).resolve().parents[2]
PREFECT = str(Path(sys.executable).parent / "prefect")
WORKERS = ("worker-a", "worker-b")
SHARD_TIMEOUT = 40  # seconds without a batch before the review hands a shard to a new run
FINISH_WITHIN = 300


class Processes:
    """What the test started, each in its own session with its log in a file; all stopped at the end."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.started = folder, {}

    def start(self, name: str, command: list[str], env: dict) -> subprocess.Popen:
        log = open(self.folder / f"{name}.log", "wb")  # noqa: SIM115 (closed with the process)
        process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        self.started[name] = (process, log)
        return process

    def log(self, name: str) -> str:
        return (self.folder / f"{name}.log").read_text(errors="replace")[-3000:]

    def logs(self) -> str:
        return "\n".join(f"--- {name} ---\n{self.log(name)}" for name in self.started)

    def stop(self) -> None:
        for process, _ in self.started.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        for process, log in self.started.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
            log.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(what: str, found, *, within: float, processes: Processes):
    """Poll `found()` until it answers something truthy; fail with the processes' logs after `within` s."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        answer = found()
        if answer:
            return answer
        time.sleep(0.2)
    pytest.fail(f"{what} did not happen within {within} s\n{processes.logs()}")


def kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def flow_run_processes(api: str) -> list[int]:
    """The processes of the server's flow runs still alive (a worker starts each in a session of its
    own, so stopping the worker leaves them; one whose worker was killed lives on)."""
    answer = httpx.post(f"{api}/flow_runs/filter", json={"limit": 200}, timeout=10)
    pids = [int(str(run["infrastructure_pid"]).rsplit(":", 1)[-1]) for run in answer.json()
            if run.get("infrastructure_pid")] if answer.is_success else []
    alive = []
    for pid in pids:
        with contextlib.suppress(OSError):
            if b"prefect" in Path(f"/proc/{pid}/cmdline").read_bytes():
                alive.append(pid)
    return alive


@pytest.fixture
def stack(tmp_path):
    """A Prefect server on PostgreSQL with the deployments and two workers, and a portfolio database.
    Everything it started is stopped, and both databases dropped, however the test ends."""
    databases, processes, api = [], Processes(tmp_path), f"http://127.0.0.1:{free_port()}/api"
    portfolio = None
    try:
        prefect_db = create_postgres_database("pf_prefect")
        databases.append(prefect_db)
        portfolio_url = create_postgres_database("pf_workers")
        databases.append(portfolio_url)
        portfolio = make_engine(portfolio_url)
        upgrade(portfolio)
        sample(portfolio)
        env = {
            **os.environ,
            "PREFECT_HOME": str(tmp_path / "prefect-home"),
            "PREFECT_API_URL": api,
            "PREFECT_API_DATABASE_CONNECTION_URL": make_url(prefect_db).set(drivername="postgresql+asyncpg")
            .render_as_string(hide_password=False),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "DO_NOT_TRACK": "1",
            "PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED": "false",  # no nightly or every-minute runs of its own
            "PREFECT_WORKER_QUERY_SECONDS": "1",
            "PREFECT_LOGGING_LEVEL": "INFO",
            "PARTNERFLOW_DATABASE_URL": portfolio_url,
            "PROJECT_DIR": str(ROOT),  # where the pull step of prefect.yaml runs the flows from (docs/operations.md)
        }
        server = processes.start("server", [PREFECT, "server", "start", "--host", "127.0.0.1", "--port",
                                            api.split(":")[-1].removesuffix("/api"), "--no-ui", "--analytics-off"], env)

        def healthy():
            if server.poll() is not None:
                pytest.fail(f"the Prefect server stopped\n{processes.log('server')}")
            with contextlib.suppress(httpx.HTTPError):
                return httpx.get(f"{api}/health", timeout=2).status_code == 200

        wait_for("the Prefect server's start", healthy, within=120, processes=processes)
        deploy = subprocess.run(["make", "-s", "deploy"], cwd=ROOT, env=env, capture_output=True, text=True,
                                timeout=300, stdin=subprocess.DEVNULL)
        assert deploy.returncode == 0, deploy.stdout + deploy.stderr
        workers = {name: processes.start(name, [PREFECT, "worker", "start", "--pool", "partnerflow", "--name", name,
                                                "--limit", "2"], env)
                   for name in WORKERS}
        with temporary_settings(updates={PREFECT_API_URL: api}):
            yield {"portfolio": portfolio, "workers": workers, "processes": processes}
    finally:
        leftovers = []
        with contextlib.suppress(httpx.HTTPError, ValueError):
            leftovers = flow_run_processes(api) if processes.started else []
        processes.stop()
        for pid in leftovers:
            kill(pid)
        if portfolio is not None:
            portfolio.dispose()
        for url in databases:
            drop_postgres_database(url)


def flow_run(client, run_id):
    return client.read_flow_run(run_id)


def worker_of(run) -> str | None:
    return (run.labels or {}).get("prefect.worker.name")


def shards_given(portfolio) -> bool:
    """The run's shards are planned, and each is given to the run submitted for it."""
    with portfolio.connect() as connection:
        runners = connection.execute(select(ReviewShard.runner)).scalars().all()
    return bool(runners) and all(runners)


def lock_shards(portfolio, ids=None):
    """An open transaction holding the rows of the run's shards (all, or `ids`), and what they say:
    {id: (done, runner)}. A shard's run waits for it to take the shard or start its next batch."""
    connection = portfolio.connect()
    connection.begin()
    query = select(ReviewShard.id, ReviewShard.done, ReviewShard.runner).with_for_update()
    rows = connection.execute(query if ids is None else query.where(ReviewShard.id.in_(ids))).all()
    return connection, {shard: (done, runner) for shard, done, runner in rows}


def a_shard_run_on(client, worker: str):
    """A run of a shard that `worker` started (its process is up, waiting for the shard): or None."""
    runs = client.read_flow_runs(flow_filter=FlowFilter(name=FlowFilterName(any_=["review-shard"])))
    return next((run for run in runs if worker_of(run) == worker and run.infrastructure_pid
                 and run.state_type is StateType.RUNNING), None)


def stop_mid_way(portfolio, run, held):
    """Let the run on the shard take one step (a transaction) at a time, until it has taken the shard and
    committed its first batch; then hold the shard, so that its second batch waits. Returns the lock."""
    shard = run.parameters["shard"]
    deadline = time.monotonic() + SHARD_TIMEOUT
    while time.monotonic() < deadline:
        held.commit()  # the run, waiting on the shard's row, goes on with one transaction...
        held, found = lock_shards(portfolio, [shard])  # ...and this waits for it to commit
        done, runner = found[shard]
        if runner == str(run.id) and done == 1:
            return held
        assert done < 2, "the shard went on past its first batch: the lock did not hold it"
        time.sleep(0.1)  # holding the row: the run's next transaction queues behind it
    pytest.fail(f"shard {shard} did not commit its first batch within {SHARD_TIMEOUT} s")


def test_a_review_fanned_out_to_two_workers_survives_one_killed_mid_shard(stack, twin_of_sample):
    portfolio, processes = stack["portfolio"], stack["processes"]
    policy = policy_in_force(get_settings().policy_path)
    parameters = {"as_of": AS_OF.isoformat(), "full": True, "batch_size": 1, "shard_size": 3,
                  "shard_timeout": SHARD_TIMEOUT}
    with get_client(sync_client=True) as client:
        parent = run_deployment("review-portfolio/nightly", parameters={"parameters": parameters}, timeout=0,
                                as_subflow=False)
        parent_worker = wait_for("the review's start on a worker", lambda: worker_of(flow_run(client, parent.id)),
                                 within=120, processes=processes)
        other = next(name for name in WORKERS if name != parent_worker)
        wait_for("the run's shards given to their runs", lambda: shards_given(portfolio), within=60,
                 processes=processes)
        held, _ = lock_shards(portfolio)  # every shard's run waits to take its shard
        killed_run = wait_for(f"a shard's run on {other}", lambda: a_shard_run_on(client, other), within=SHARD_TIMEOUT,
                              processes=processes)
        held = stop_mid_way(portfolio, killed_run, held)
        kill(int(str(killed_run.infrastructure_pid).rsplit(":", 1)[-1]))  # the shard's process, mid-shard
        kill(stack["workers"][other].pid)  # and its worker: the machine is gone
        held.rollback()
        held.close()
        shard = killed_run.parameters["shard"]
        final = wait_for("the review's end", lambda: (lambda run: run if run.state.is_final() else None)(
            flow_run(client, parent.id)), within=FINISH_WITHIN, processes=processes)
        assert final.state_type is StateType.COMPLETED, f"{final.state}\n{processes.logs()}"
        shard_runs = client.read_flow_runs(
            flow_filter=FlowFilter(name=FlowFilterName(any_=["review-shard"])),
            flow_run_filter=FlowRunFilter(parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[parent.id])))
        assert client.read_flow_run(killed_run.id).state_type is StateType.CRASHED  # marked by the review
    with portfolio.connect() as db:
        run = db.execute(select(ReviewRun.id, ReviewRun.started_at, ReviewRun.finished_at, ReviewRun.reviewed)).one()
        shards = db.execute(select(ReviewShard.id, ReviewShard.done, ReviewShard.batches, ReviewShard.attempts,
                                   ReviewShard.finished_at).order_by(ReviewShard.number)).all()
        reviews_per_gate = db.execute(select(func.count()).select_from(GateReview)
                                      .group_by(GateReview.partnership_id, GateReview.gate)).scalars().all()
        unmarked = db.execute(select(func.count()).where(Partnership.reviewed_as_of.is_(None))).scalar_one()
    # shards ran on both workers; the one killed was finished by a second run; nothing is left undone
    assert {worker_of(r) for r in shard_runs} == set(WORKERS)
    assert len(shards) == 6 and all(done == len(batches) and finished for _, done, batches, _, finished in shards)
    assert dict((sid, attempts) for sid, _, _, attempts, _ in shards)[shard] >= 2
    assert run.finished_at is not None and unmarked == 0
    # every partnership with a gate reviewed exactly once, and what the run wrote equals one process's review
    assert set(reviews_per_gate) == {1} and len(reviews_per_gate) == run.reviewed
    review_all(twin_of_sample, policy, AS_OF, batch_size=1, now=run.started_at)
    assert written(portfolio) == written(twin_of_sample)


@pytest.fixture
def twin_of_sample():
    url = create_postgres_database("pf_workers_twin")
    twin = make_engine(url)
    try:
        upgrade(twin)
        sample(twin)
        yield twin
    finally:
        twin.dispose()
        drop_postgres_database(url)
