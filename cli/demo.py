"""`partnerflow demo`: a fresh database from the sample portfolio, reviewed and explained."""

import os
import shutil
import sys
from collections import Counter
from datetime import date
from importlib.resources import files
from pathlib import Path

from partnerflow.cli import render
from partnerflow.cli.flowruns import run_review
from partnerflow.engine import (
    PHASES,
    get_settings,
    import_files,
    now,
    sign_in_link_for,
    init_database,
    notification_listing,
    partnership_status,
    task_listing,
    transaction,
)
from partnerflow.engine import portfolio as portfolio_view

EXAMPLES = Path(str(files("partnerflow.examples")))
DEMO_AS_OF = date(2026, 11, 27)
DEMO_SIGN_IN = "priya.raman@northwind.example"  # the sample's program manager  # the sample's dates are written relative to this day


def run_demo(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    database = directory.resolve() / "partnerflow.db"
    for leftover in directory.glob("partnerflow.db*"):
        leftover.unlink()
    url = f"sqlite:///{database}"
    os.environ["PARTNERFLOW_DATABASE_URL"] = url
    get_settings.cache_clear()

    engine = init_database(url)
    with transaction(engine) as session:
        summary = import_files(session, [EXAMPLES / "portfolio.yaml", EXAMPLES / "partnerships.csv"])
    render.console.print(f"[bold]1. Imported the sample portfolio[/bold] into {render.shown(database)}: "
                         f"{render.shown(summary)}")

    render.console.print(f"\n[bold]2. Reviewing it with the Prefect flow[/bold] as of {DEMO_AS_OF} "
                         "(Prefect's ephemeral mode; the first flow of a process takes a few seconds to start)")
    result = run_review(DEMO_AS_OF, [], None, full=False, show_progress=True)
    render.console.print(f"   {result['reviewed']} reviewed, {result['passed']} pass their gate; advanced: "
                         f"{render.shown(', '.join(result['advanced']) or 'none')}; "
                         f"now ready: {render.shown(', '.join(result['ready']) or 'none')}")

    with transaction(engine) as session:
        portfolio = portfolio_view(session)
        render.console.print("\n[bold]3. The portfolio[/bold]")
        render.portfolio(portfolio)
        example = _telling_example(portfolio)
        if example:
            render.console.print(f"\n[bold]4. Why {render.shown(example)} is blocked[/bold]")
            from partnerflow.engine import policy_in_force

            render.partnership(partnership_status(session, policy_in_force(get_settings().policy_path),
                                                        example, DEMO_AS_OF))
        found = task_listing(session, as_of=DEMO_AS_OF)
        pending = notification_listing(session, status="pending", limit=10_000)
    render.console.print(f"\n[bold]5. The review opened {len(found)} tasks[/bold] (the first ten, soonest due first)")
    render.tasks(found[:10])
    by_channel = Counter(n["channel"] for n in pending)
    render.console.print(f"\n[bold]6. {len(pending)} notifications wait in the outbox[/bold] "
                         f"({render.shown(', '.join(f'{n} {channel}' for channel, n in by_channel.items()))}); "
                         "`partnerflow dispatch` delivers them. The first five:")
    render.notifications(pending[:5])
    _next_steps(url, portfolio, example)


def _telling_example(portfolio: dict) -> str | None:
    """The furthest-along partnership held back by a single blocker: the most instructive one."""
    blocked = sorted(portfolio["blocked"], key=lambda b: (len(b["blockers"]), -PHASES.index(b["phase"]), b["key"]))
    return blocked[0]["key"] if blocked else None


def _next_steps(url: str, portfolio: dict, example: str | None) -> None:
    """Lines that work when pasted in this order, from any folder."""
    ready = portfolio["ready"][0]["key"] if portfolio["ready"] else "KEY"
    activate = Path(sys.prefix) / "bin" / "activate"
    lines = [
        *([f"source {activate}                # puts `partnerflow` on your PATH"]
          if sys.prefix != sys.base_prefix and shutil.which("partnerflow") != sys.argv[0] else []),
        f"export PARTNERFLOW_DATABASE_URL={url}",
        "partnerflow status                                  # the portfolio",
        f"partnerflow status {example or 'KEY'} --as-of {DEMO_AS_OF}     # every criterion explained",
        f"partnerflow policy what-if {EXAMPLES / 'stricter-policy.yaml'} --as-of {DEMO_AS_OF}",
        f'partnerflow decide {ready} go --by daniel.okafor@northwind.example --reason "Business case is solid"',
        f'partnerflow decide {ready} go --by frank.miller@acme.example --reason "Our win is clear"',
        f"partnerflow history {ready}",
        "partnerflow review --as-of 2027-01-31               # time moves on: agreements expire, tracks lengthen",
        "partnerflow tasks --owner tom.becker@northwind.example",
        "partnerflow channel add tom.becker@northwind.example email   # then set PARTNERFLOW_SMTP_HOST and dispatch",
        "partnerflow dispatch && partnerflow notifications --status sent",
    ]
    render.console.print("\n[bold]Try next[/bold]")
    for line in lines:
        render.console.print(f"  {render.shown(line)}")


def sign_in_hint(port: int) -> None:
    """The demo's people have no channel to receive a sign-in link: hand the program manager one."""
    settings = get_settings()
    with transaction() as session:
        link = sign_in_link_for(session, DEMO_SIGN_IN, secret=settings.secret_key,
                                base_url=f"http://127.0.0.1:{port}", now=now())
    render.console.print(f"\n[bold]Open the demo in a browser[/bold] as {DEMO_SIGN_IN} (the link works once, "
                         f"for 15 minutes; another person signs in at /sign-in):\n  {render.shown(link)}")
