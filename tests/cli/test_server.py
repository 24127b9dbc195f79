"""`partnerflow server`: a real local Prefect server, started once, used by `partnerflow review`, stopped.

Every command runs as a person would run it, in a subprocess, with its own PREFECT_HOME and no
PREFECT_API_URL (the suite's Prefect harness is not theirs). libfaketime is left out of these
processes: the server is threaded, and what is tested here is where the run goes, not dates.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.notify.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
FAKED = ("LD_PRELOAD", "FAKETIME", "FAKETIME_DONT_FAKE_MONOTONIC")


def partnerflow(env: dict, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([str(Path(sys.executable).parent / "partnerflow"), *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def person_env(tmp_path) -> dict:
    """The sample portfolio in a SQLite file of its own, set up with the CLI (the server does not
    depend on the database, so this runs once, not per database)."""
    env = {k: v for k, v in os.environ.items() if k not in FAKED and not k.startswith(("PREFECT_", "PARTNERFLOW_"))}
    env.update(PREFECT_HOME=str(tmp_path / "prefect-home"), DO_NOT_TRACK="1", PREFECT_SERVER_ANALYTICS_ENABLED="false",
               PREFECT_LOGGING_LEVEL="WARNING", PARTNERFLOW_DATABASE_URL=f"sqlite:///{tmp_path / 'sample.db'}")
    for command in (("init",), ("import", "examples/portfolio.yaml", "examples/partnerships.csv")):
        done = partnerflow(env, *command)
        assert done.returncode == 0, done.stdout + done.stderr
    yield env
    partnerflow(env, "server", "stop")  # never leave a server behind, whatever failed


def test_a_local_server_started_once_runs_the_reviews_and_stops(person_env):
    port = free_port()
    assert partnerflow(person_env, "server", "status").returncode == 1  # none yet
    started = partnerflow(person_env, "server", "start", "--port", str(port))
    assert started.returncode == 0, started.stdout + started.stderr
    url = f"http://127.0.0.1:{port}/api"
    assert url in started.stdout
    state = json.loads((Path(person_env["PREFECT_HOME"]) / "partnerflow-server.json").read_text())
    assert state["url"] == url
    assert partnerflow(person_env, "server", "status").returncode == 0
    again = partnerflow(person_env, "server", "start", "--port", str(port))
    assert again.returncode == 0 and "already answers" in again.stdout  # started once

    reviewed = partnerflow(person_env, "review", "--json", "--as-of", "2026-11-27")
    assert reviewed.returncode == 0, reviewed.stderr
    assert json.loads(reviewed.stdout)["reviewed"] > 0
    runs = httpx.post(f"{url}/flow_runs/filter", json={"limit": 50}, timeout=10).json()
    assert runs and all(r["state"]["type"] == "COMPLETED" for r in runs)
    flows = {f["id"]: f["name"] for f in httpx.post(f"{url}/flows/filter", json={}, timeout=10).json()}
    assert "review-portfolio" in {flows[r["flow_id"]] for r in runs}  # the review ran on this server

    stopped = partnerflow(person_env, "server", "stop")
    assert stopped.returncode == 0 and url in stopped.stdout
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"{url}/health", timeout=2)
    assert partnerflow(person_env, "server", "status").returncode == 1
    assert not (Path(person_env["PREFECT_HOME"]) / "partnerflow-server.json").exists()
