"""`partnerflow server`: a local Prefect server started once, which the flow commands then use.

Without a server, every `partnerflow review`, `dispatch` or `demo` starts Prefect's ephemeral
server in its own process (7–11 s, docs/performance.md). `partnerflow server start` starts
`prefect server start` on 127.0.0.1 in the background (its own session, telemetry off) and writes
where it is to `$PREFECT_HOME/partnerflow-server.json`; later flow commands use it when
`PREFECT_API_URL` is not set and it answers, so their runs show in Prefect's UI and start in
about a second. `stop` ends it; `status` says whether it answers.

The server is a subprocess (`python -m prefect`): the CLI never imports Prefect for this.
"""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Annotated

import httpx
import typer

from partnerflow.cli import render
from partnerflow.cli.errors import reported

server_app = typer.Typer(help="A local Prefect server for the flow commands: start, stop, status.",
                         no_args_is_help=True)
START_TIMEOUT_S = 90


def register(app: typer.Typer) -> None:
    app.add_typer(server_app, name="server")


def prefect_home() -> Path:
    return Path(os.environ.get("PREFECT_HOME") or Path.home() / ".prefect").expanduser()


def state_file() -> Path:
    return prefect_home() / "partnerflow-server.json"


def answers(url: str, timeout: float = 1.0) -> bool:
    try:
        return httpx.get(f"{url}/health", timeout=timeout).status_code == 200
    except httpx.HTTPError:
        return False


def recorded() -> dict | None:
    try:
        found = json.loads(state_file().read_text())
    except (OSError, ValueError):
        return None
    return found if isinstance(found, dict) and isinstance(found.get("url"), str) else None


def use_local_server() -> str | None:
    """Point Prefect at the local server `server start` recorded, when PREFECT_API_URL is not set and
    it answers (before Prefect is imported). Its URL, or None: then Prefect runs ephemerally."""
    if os.environ.get("PREFECT_API_URL"):
        return None
    found = recorded()
    if found is None or not answers(found["url"], timeout=0.5):
        return None
    os.environ["PREFECT_API_URL"] = found["url"]
    return found["url"]


@server_app.command("start")
@reported
def start(port: Annotated[int, typer.Option(help="The port on 127.0.0.1.", min=1, max=65535)] = 4200) -> None:
    """Start a local Prefect server in the background (once; the flow commands then use it)."""
    found = recorded()
    if found is not None and answers(found["url"]):
        render.console.print(f"A local Prefect server already answers at {found['url']} (pid {found.get('pid')}).")
        return
    url = f"http://127.0.0.1:{port}/api"
    if answers(url):
        raise typer.BadParameter(f"something else already answers at {url}: choose another --port", param_hint="--port")
    home = prefect_home()
    home.mkdir(parents=True, exist_ok=True)
    log = home / "partnerflow-server.log"
    env = {**os.environ, "DO_NOT_TRACK": "1", "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    env.pop("PREFECT_API_URL", None)
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port),
             "--no-ui", "--analytics-off"], stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env=env, start_new_session=True)
    deadline = time.monotonic() + START_TIMEOUT_S
    while not answers(url):
        if process.poll() is not None or time.monotonic() > deadline:
            _end(process.pid)
            print(f"error: the Prefect server did not answer within {START_TIMEOUT_S} s (its log: {log})",
                  file=sys.stderr)
            raise typer.Exit(1)
        time.sleep(0.25)
    state_file().write_text(json.dumps({"url": url, "pid": process.pid, "log": str(log)}))
    render.console.print(f"Prefect server at {url} (pid {process.pid}, log {log}); `partnerflow review`, "
                         "`dispatch` and `demo` use it now. `partnerflow server stop` ends it.")


@server_app.command("stop")
@reported
def stop() -> None:
    """Stop the local Prefect server `server start` started."""
    found = recorded()
    if found is None:
        render.console.print("No local Prefect server was started with `partnerflow server start`.")
        return
    if isinstance(found.get("pid"), int):
        _end(found["pid"])
    state_file().unlink(missing_ok=True)
    render.console.print(f"Stopped the local Prefect server at {found['url']}.")


@server_app.command("status")
@reported
def status() -> None:
    """Whether the local Prefect server answers, and where; exit code 1 when it does not."""
    found = recorded()
    if found is None:
        render.console.print("No local Prefect server (flow commands run Prefect ephemerally): "
                             "`partnerflow server start`.")
        raise typer.Exit(1)
    if not answers(found["url"]):
        render.console.print(f"The local Prefect server at {found['url']} does not answer: "
                             "`partnerflow server stop`, then `start`.")
        raise typer.Exit(1)
    render.console.print(f"The local Prefect server answers at {found['url']} (pid {found.get('pid')}).")


def _end(pid: int) -> None:
    """SIGTERM the server's process group (it has its own session), then SIGKILL after 10 s."""
    try:
        os.killpg(pid, signal.SIGTERM)
    except (ProcessLookupError, PermissionError):
        return
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.killpg(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
