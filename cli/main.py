"""The `partnerflow` command: parses, calls engine/ or flows/, prints.

`status`, `history`, `decide` and `--help` answer without starting Prefect; `review` and
`demo` run the Prefect flow (ephemeral mode unless PREFECT_API_URL points at a server).
"""

import sys
from pathlib import Path
from typing import Annotated

import typer

from partnerflow import __version__
from partnerflow.cli import render
from partnerflow.cli.errors import reported
from partnerflow.cli.flowruns import run_review
from partnerflow.cli.options import AsOf, Json, parse_date
from partnerflow.cli.render import shown
from partnerflow.engine import (
    InvalidDocument,
    get_settings,
    head_revision,
    import_files,
    init_database,
    partnership_history,
    partnership_status,
    policy_in_force,
    read_policy,
    ready_engine,
    transaction,
    what_if,
)
from partnerflow.engine import decide as apply_decision
from partnerflow.engine import portfolio as portfolio_view

app = typer.Typer(help="Partnerflow: phase-gated business partnerships.", no_args_is_help=True,
                  pretty_exceptions_enable=False, add_completion=False)
policy_app = typer.Typer(help="Check, show and try out gate policies.", no_args_is_help=True)
app.add_typer(policy_app, name="policy")


def _print_version(asked: bool) -> None:
    if asked:
        print(f"partnerflow {__version__}")
        raise typer.Exit()


@app.callback()
def main(version: Annotated[bool, typer.Option("--version", callback=_print_version, is_eager=True,
                                               help="Print the version and exit.")] = False) -> None:
    """Partnerflow: phase-gated business partnerships."""


def policy():
    return policy_in_force(get_settings().policy_path)


@app.command()
@reported
def init() -> None:
    """Create or upgrade the database schema (safe to run again)."""
    engine = init_database()
    render.console.print(f"Database ready at {shown(repr(engine.url))} (schema {shown(head_revision())}).")


@app.command("import")
@reported
def import_(paths: Annotated[list[Path], typer.Argument(help="YAML documents and CSV files of partnerships.")]) -> None:
    """Import programs, parties, people, partnerships and evidence; all-or-nothing.

    The format, every field with its limits, and a complete example: docs/import-format.md.
    """
    with transaction() as session:
        summary = import_files(session, list(paths))
    render.console.print(f"Imported: {shown(summary)}")


@app.command()
@reported
def status(key: Annotated[str | None, typer.Argument(help="A partnership key; omit for the portfolio.")] = None,
           as_of: AsOf = None, json: Json = False) -> None:
    """The portfolio, or one partnership with its next gate and every criterion explained."""
    with transaction() as session:
        if key is None:  # the stored reviews, or every partnership evaluated on the date asked for
            view = portfolio_view(session, policy=policy(), as_of=parse_date(as_of)) if as_of else portfolio_view(
                session)
        else:
            view = partnership_status(session, policy(), key, parse_date(as_of))
    if json:
        render.print_json(view)
    else:
        (render.portfolio if key is None else render.partnership)(view)


@app.command()
@reported
def review(as_of: AsOf = None, json: Json = False,
           key: Annotated[list[str] | None, typer.Option("--key", help="Review only this partnership.")] = None,
           batch_size: Annotated[int | None, typer.Option(min=1, help="Partnerships per batch.")] = None,
           full: Annotated[bool, typer.Option(
               "--full", help="Reload every live partnership. By default only those whose evidence changed or "
                              "whose last result may have expired are reloaded; the others are confirmed.")] = False
           ) -> None:
    """Review the portfolio through the Prefect flow: write gate reviews, advance or mark ready."""

    ready_engine()  # a clear error before Prefect starts
    result = run_review(parse_date(as_of), key or [], batch_size, full=full, show_progress=not json)
    if json:
        render.print_json(result)
    else:
        render.console.print(
            f"Reviewed {result['reviewed']} partnerships as of {shown(result['as_of'])} "
            f"(policy {shown(result['policy_version'])}): "
            f"{result['passed']} pass their gate, {len(result['advanced'])} advanced, {len(result['ready'])} now "
            f"ready, {result['written']} new reviews, {result['unchanged']} unchanged"
            + (f" ({result['skipped']} confirmed without reloading: nothing they read changed)"
               if result["skipped"] else "")
            + (f"; {result['busy']} left to another review running at the same time." if result["busy"] else "."))


@app.command()
@reported
def decide(key: str,
           verdict: Annotated[str, typer.Argument(help="go, hold, recycle or kill.")],
           by: Annotated[str, typer.Option("--by", help="The deciding gatekeeper's email.")],
           reason: Annotated[str, typer.Option("--reason", help="Why; kept with the decision.")],
           condition: Annotated[str | None, typer.Option("--condition", help="A conditional go's open item.")] = None,
           as_of: Annotated[str | None, typer.Option(
               "--as-of", help="Evaluate the gate for the record as of this date (hold, recycle, kill); a go is "
                               "always decided on today's evidence, and who may decide is judged today.")] = None
           ) -> None:
    """Record a gatekeeper's decision at the partnership's next gate."""
    with transaction() as session:
        outcome = apply_decision(session, policy(), key, verdict, by=by, reason=reason, condition=condition,
                                 as_of=parse_date(as_of) if as_of else None)
    render.console.print(f"{shown(outcome.key)}: {shown(outcome.verdict)} — {shown(outcome.effect)}. "
                         f"Now {shown(outcome.phase)}, {shown(outcome.state.replace('_', ' '))}.")
    if outcome.condition_task:
        render.console.print(f"Condition to meet: {shown(outcome.condition_task)} "
                             "(its owner closes it when met: `partnerflow task done ID --by EMAIL --note …`).")


@app.command()
@reported
def history(key: str, json: Json = False) -> None:
    """Every phase change, decision and task of a partnership, oldest first; each decision with what
    it was made on (policy version, every criterion's result, evidence digest)."""
    with transaction() as session:
        events = partnership_history(session, key)
    render.print_json(events) if json else render.history(events)


@policy_app.command("check")
@reported
def policy_check(path: Path) -> None:
    """Validate a policy file; every problem is printed as file:line: field: message."""
    try:
        checked = read_policy(path)
    except InvalidDocument as exc:  # a check writes nothing, so it does not say "nothing was written"
        for error in exc.errors:
            print(error, file=sys.stderr)
        print(f"error: {len(exc.errors)} problem(s) found; {path} is not a valid policy", file=sys.stderr)
        raise typer.Exit(1) from None
    criteria = sum(len(g.criteria) for g in checked.gates)
    render.console.print(f"{shown(path)}: policy {shown(checked.version)} is valid ({len(checked.gates)} gates, "
                         f"{criteria} criteria, {len(checked.monitors)} monitors).")


@policy_app.command("show")
@reported
def policy_show(json: Json = False) -> None:
    """Print the policy in force."""
    active = policy()
    if json:
        render.print_json(active.model_dump(mode="json", by_alias=True))
        return
    render.console.print(f"Policy {shown(active.version)} — {shown(active.name)} ({shown(get_settings().policy_path)})")
    for gate in active.gates:
        render.console.print(f"\n[bold]{shown(gate.id)}[/bold] ({shown(gate.from_phase)} → {shown(gate.to_phase)}), "
                             f"approval {shown(gate.approval)}, {gate.approvers.count} approver(s)"
                             f"{', one from each party' if gate.approvers.from_each_party else ''}")
        for c in gate.criteria:
            render.console.print(f"  {shown(c.level):<6} {shown(c.id):<32} {shown(c.practice):<26} {shown(c.check)} "
                                 f"{shown(c.params or '')}")
    render.console.print("\n[bold]monitors[/bold]")
    for m in active.monitors:
        render.console.print(f"  {shown(m.id):<39} {shown(m.practice):<26} {shown(m.check)} {shown(m.params or '')}")


@policy_app.command("what-if")
@reported
def policy_what_if(path: Path, as_of: AsOf = None, json: Json = False) -> None:
    """Evaluate a proposed policy against every live partnership; writes nothing."""

    result = what_if(ready_engine(), policy(), read_policy(path), parse_date(as_of))
    render.print_json(result) if json else render.what_if(result)


@app.command()
@reported
def demo(directory: Annotated[Path, typer.Option("--dir", help="Where to build the demo database.")] = Path("demo"),
         serve: Annotated[bool, typer.Option("--serve", help="Then serve it in the browser.")] = False,
         port: Annotated[int, typer.Option(help="The port --serve listens on.", min=1, max=65535)] = 8000) -> None:
    """Build a fresh demo database from the sample portfolio, review it, and explain it."""
    from partnerflow.cli.demo import run_demo, sign_in_hint

    run_demo(directory)
    if serve:
        sign_in_hint(port)
        web.serve(host="127.0.0.1", port=port)


from partnerflow.cli import work  # noqa: E402  (registers the task, channel, member and notification commands)

work.register(app)

from partnerflow.cli import doctor, server, web  # noqa: E402  (register serve, tokens, server, doctor)

web.register(app)
server.register(app)
doctor.register(app)
