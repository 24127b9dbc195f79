"""`partnerflow doctor`: what is wrong with this installation and how to fix it.

It checks the settings, the database and its migrations, the secret key, every channel (the SMTP
login, each webhook, Slack and Teams host), and Prefect: the API, and when PREFECT_API_URL names a
server of your own, its `partnerflow` work pool, a worker on it and the deployments of
prefect.yaml. Prefect is asked over its REST API (the CLI never imports Prefect for this). Exit
code 0 when nothing failed (warnings included), 1 when something did, 2 for unreadable settings.
"""

import os
from importlib import resources
from typing import Annotated

import httpx
import typer
import yaml

from partnerflow.cli import render, server
from partnerflow.cli.errors import reported
from partnerflow.cli.options import Json
from partnerflow.cli.render import shown
from partnerflow.engine import Finding, get_settings, health_findings

POOL = "partnerflow"


def declared_deployments() -> tuple[str, ...]:
    """flow/deployment of each deployment of the prefect.yaml shipped in the package (a flow is named
    after its function, dashed: tests/flows/test_deployments.py holds them to it)."""
    spec = yaml.safe_load(resources.files("partnerflow").joinpath("prefect.yaml").read_text())
    return tuple(f"{d['entrypoint'].rsplit('.', 1)[1].replace('_', '-')}/{d['name']}" for d in spec["deployments"])


DEPLOYMENTS = declared_deployments()
MARKS = {"ok": "[green]✔[/green]", "warn": "[yellow]![/yellow]", "fail": "[red]✘[/red]"}


def register(app: typer.Typer) -> None:
    app.command()(doctor)


@reported
def doctor(json: Json = False,
           timeout: Annotated[float, typer.Option(help="Seconds each connection may take.", min=0.1, max=60)] = 3.0
           ) -> None:
    """Check the database, the channels and Prefect; say what is wrong and how to fix it."""
    findings = health_findings(get_settings(), timeout=timeout) + prefect_findings(timeout)
    if json:
        render.print_json([f._asdict() for f in findings])
    else:
        for finding in findings:
            render.console.print(f"{MARKS[finding.status]} {shown(finding.area)}: {shown(finding.message)}")
            if finding.fix and finding.status != "ok":
                render.console.print(f"    [dim]→ {shown(finding.fix)}[/dim]")
    if any(f.status == "fail" for f in findings):
        raise typer.Exit(1)


def prefect_findings(timeout: float) -> list[Finding]:
    own = os.environ.get("PREFECT_API_URL")
    local = None if own else server.recorded()
    api = own or (local or {}).get("url")
    if not api:
        return [Finding("Prefect", "warn", "no server: each flow command starts Prefect's ephemeral one (7–11 s)",
                        "`partnerflow server start`, or PREFECT_API_URL for a server of your own (docs/operations.md)")]
    try:
        with httpx.Client(base_url=api.rstrip("/"), timeout=timeout) as client:
            client.get("/health").raise_for_status()
            found = [Finding("Prefect", "ok", f"{api} answers" + ("" if own else " (the local `partnerflow server`)"))]
            if own:  # a server of your own runs the deployments: they and their pool must be there
                found += _pool(client) + _deployments(client)
            return found
    except httpx.HTTPError as problem:
        return [Finding("Prefect", "fail", f"{api} does not answer: {type(problem).__name__}: {problem}",
                        "start the server, or fix PREFECT_API_URL" if own else "`partnerflow server start`")]


def _pool(client: httpx.Client) -> list[Finding]:
    if client.get(f"/work_pools/{POOL}").status_code == 404:
        return [Finding(f"work pool {POOL}", "fail", "missing", "`make deploy` (docs/operations.md)")]
    workers = client.post(f"/work_pools/{POOL}/workers/filter", json={"limit": 50}).raise_for_status().json()
    online = [w for w in workers if w.get("status") == "ONLINE"]
    if not online:
        return [Finding(f"work pool {POOL}", "warn", "no worker online: scheduled runs wait",
                        f"`prefect worker start --pool {POOL}` (docs/operations.md)")]
    return [Finding(f"work pool {POOL}", "ok", f"{len(online)} worker(s) online")]


def _deployments(client: httpx.Client) -> list[Finding]:
    missing = [name for name in DEPLOYMENTS if client.get(f"/deployments/name/{name}").status_code == 404]
    if missing:
        return [Finding("deployments", "fail", "missing: " + ", ".join(missing), "`make deploy` (docs/operations.md)")]
    return [Finding("deployments", "ok", f"all {len(DEPLOYMENTS)} of prefect.yaml are deployed")]
