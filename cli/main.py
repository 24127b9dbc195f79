"""The `partnerflow` command: parses, calls engine/ or flows/, prints.

`status`, `history`, `decide` and `--help` answer without starting Prefect; `review` and
`demo` run the Prefect flow (ephemeral mode unless PREFECT_API_URL points at a server).
"""

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from cli import render
from cli.errors import reported
from engine import (
    assignments,
    channels,
    members,
    clock,
    get_settings,
    import_files,
    init_database,
    outbox,
    policy_in_force,
    read_policy,
    ready_engine,
    what_if,
)
from engine import decide as apply_decision
from engine import status as views

app = typer.Typer(help="Partnerflow: phase-gated business partnerships.", no_args_is_help=True,
                  pretty_exceptions_enable=False, add_completion=False)
policy_app = typer.Typer(help="Check, show and try out gate policies.", no_args_is_help=True)
app.add_typer(policy_app, name="policy")
task_app = typer.Typer(help="Act on one task: complete it, or move it to someone else.", no_args_is_help=True)
app.add_typer(task_app, name="task")
channel_app = typer.Typer(help="How people are reached: email, webhook, Slack, Teams, inbox.", no_args_is_help=True)
app.add_typer(channel_app, name="channel")
member_app = typer.Typer(help="People in a partnership, and who stands in for whom.", no_args_is_help=True)
app.add_typer(member_app, name="member")
notifications_app = typer.Typer(help="The notification outbox: list, re-drive.", invoke_without_command=True)
app.add_typer(notifications_app, name="notifications")

AsOf = Annotated[str | None, typer.Option("--as-of", help="Evaluate as of this date (YYYY-MM-DD); default today.")]
Json = Annotated[bool, typer.Option("--json", help="Print JSON for programs.")]


def parse_date(text: str | None) -> date:
    if text is None:
        return clock.today()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a date like 2026-11-27", param_hint="--as-of") from None


def policy():

    return policy_in_force(get_settings().policy_path)


@app.command()
@reported
def init() -> None:
    """Create or upgrade the database schema (safe to run again)."""
    from models import head_revision

    engine = init_database()
    render.console.print(f"Database ready at {engine.url!r} (schema {head_revision()}).")


@app.command("import")
@reported
def import_(paths: Annotated[list[Path], typer.Argument(help="YAML documents and CSV files of partnerships.")]) -> None:
    """Import programs, parties, people, partnerships and evidence; all-or-nothing."""
    from models import session_scope

    with session_scope(ready_engine()) as session:
        summary = import_files(session, list(paths))
    render.console.print(f"Imported: {summary}")


@app.command()
@reported
def status(key: Annotated[str | None, typer.Argument(help="A partnership key; omit for the portfolio.")] = None,
           as_of: AsOf = None, json: Json = False) -> None:
    """The portfolio, or one partnership with its next gate and every criterion explained."""
    from models import session_scope

    with session_scope(ready_engine()) as session:
        view = views.portfolio(session) if key is None else views.partnership_status(
            session, policy(), key, parse_date(as_of))
    if json:
        render.print_json(view)
    else:
        (render.portfolio if key is None else render.partnership)(view)


@app.command()
@reported
def review(as_of: AsOf = None, json: Json = False,
           key: Annotated[list[str] | None, typer.Option("--key", help="Review only this partnership.")] = None,
           batch_size: Annotated[int | None, typer.Option(min=1, help="Partnerships per batch.")] = None) -> None:
    """Review the portfolio through the Prefect flow: write gate reviews, advance or mark ready."""

    ready_engine()  # a clear error before Prefect starts
    result = run_review(parse_date(as_of), key or [], batch_size, show_progress=not json)
    if json:
        render.print_json(result)
    else:
        render.console.print(
            f"Reviewed {result['reviewed']} partnerships as of {result['as_of']} (policy {result['policy_version']}): "
            f"{result['passed']} pass their gate, {len(result['advanced'])} advanced, {len(result['ready'])} now "
            f"ready, {result['written']} new reviews, {result['unchanged']} unchanged.")


def run_review(as_of: date, keys: list[str], batch_size: int | None, *, show_progress: bool) -> dict:
    from cli.offline import prepare_prefect_environment, run_flow

    prepare_prefect_environment()  # before anything imports Prefect
    with render.progress_bar(enabled=show_progress, description="Reviewing") as listener:
        from engine import progress
        from flows import ReviewParameters, review_portfolio

        with progress.listening(listener):
            return run_flow(review_portfolio, ReviewParameters(as_of=as_of, partnerships=keys, batch_size=batch_size))


@app.command()
@reported
def decide(key: str,
           verdict: Annotated[str, typer.Argument(help="go, hold, recycle or kill.")],
           by: Annotated[str, typer.Option("--by", help="The deciding gatekeeper's email.")],
           reason: Annotated[str, typer.Option("--reason", help="Why; kept with the decision.")],
           condition: Annotated[str | None, typer.Option("--condition", help="A conditional go's open item.")] = None,
           as_of: AsOf = None) -> None:
    """Record a gatekeeper's decision at the partnership's next gate."""
    from models import session_scope

    with session_scope(ready_engine()) as session:
        outcome = apply_decision(session, policy(), key, verdict, by=by, reason=reason, condition=condition,
                                 as_of=parse_date(as_of))
    render.console.print(f"{outcome.key}: {outcome.verdict} — {outcome.effect}. "
                         f"Now {outcome.phase}, {outcome.state.replace('_', ' ')}.")


@app.command()
@reported
def history(key: str, json: Json = False) -> None:
    """Every phase change, decision and import of a partnership, oldest first."""
    from models import session_scope

    with session_scope(ready_engine()) as session:
        events = views.history(session, key)
    render.print_json(events) if json else render.history(events)


@policy_app.command("check")
@reported
def policy_check(path: Path) -> None:
    """Validate a policy file; every problem is printed as file:line: field: message."""

    checked = read_policy(path)
    criteria = sum(len(g.criteria) for g in checked.gates)
    render.console.print(f"{path}: policy {checked.version} is valid ({len(checked.gates)} gates, "
                         f"{criteria} criteria, {len(checked.monitors)} monitors).")


@policy_app.command("show")
@reported
def policy_show(json: Json = False) -> None:
    """Print the policy in force."""
    active = policy()
    if json:
        render.print_json(active.model_dump(mode="json", by_alias=True))
        return
    render.console.print(f"Policy {active.version} — {active.name} ({get_settings().policy_path})")
    for gate in active.gates:
        render.console.print(f"\n[bold]{gate.id}[/bold] ({gate.from_phase} → {gate.to_phase}), approval "
                             f"{gate.approval}, {gate.approvers.count} approver(s)"
                             f"{', one from each party' if gate.approvers.from_each_party else ''}")
        for c in gate.criteria:
            render.console.print(f"  {c.level:<6} {c.id:<32} {c.practice:<26} {c.check} {c.params or ''}")
    render.console.print("\n[bold]monitors[/bold]")
    for m in active.monitors:
        render.console.print(f"  {m.id:<39} {m.practice:<26} {m.check} {m.params or ''}")


@policy_app.command("what-if")
@reported
def policy_what_if(path: Path, as_of: AsOf = None, json: Json = False) -> None:
    """Evaluate a proposed policy against every live partnership; writes nothing."""

    result = what_if(ready_engine(), policy(), read_policy(path), parse_date(as_of))
    render.print_json(result) if json else render.what_if(result)


@app.command()
@reported
def demo(directory: Annotated[Path, typer.Option("--dir", help="Where to build the demo database.")] = Path("demo"),
         ) -> None:
    """Build a fresh demo database from the sample portfolio, review it, and explain it."""
    from cli.demo import run_demo

    run_demo(directory)


@app.command()
@reported
def tasks(owner: Annotated[str | None, typer.Option("--owner", help="Only this person's tasks.")] = None,
          overdue: Annotated[bool, typer.Option("--overdue", help="Only tasks past their due date.")] = False,
          status: Annotated[str, typer.Option(help="open, done, cancelled or all.")] = "open",
          as_of: AsOf = None, json: Json = False) -> None:
    """Tasks opened by reviews, soonest due first."""
    from models import session_scope

    with session_scope(ready_engine()) as session:
        found = assignments.listing(session, owner=owner, overdue=overdue, status=status, as_of=parse_date(as_of))
    render.print_json(found) if json else render.tasks(found)


@task_app.command("done")
@reported
def task_done(task_id: Annotated[int | None, typer.Argument(help="The task's id (or use --token).")] = None,
              by: Annotated[str | None, typer.Option("--by", help="Who completes it.")] = None,
              note: Annotated[str, typer.Option("--note", help="What was done; kept with the task.")] = "",
              token: Annotated[str | None, typer.Option("--token", help="The signed link's token.")] = None) -> None:
    """Complete a task: by id (its assignee, the owner or a program manager), or with a signed link."""
    from models import session_scope

    if (task_id is None) == (token is None):
        raise typer.BadParameter("give a task id with --by, or --token", param_hint="TASK_ID")
    with session_scope(ready_engine()) as session:
        if token is not None:
            done = assignments.complete_by_link(session, token, secret=get_settings().secret_key, note=note)
        else:
            if not by:
                raise typer.BadParameter("say who completes it", param_hint="--by")
            done = assignments.complete(session, task_id, by=by, note=note)
        render.console.print(f"Task {done.id} done by {done.closed_by}.")


@task_app.command("reassign")
@reported
def task_reassign(task_id: int, to: Annotated[str, typer.Option("--to", help="The new assignee's email.")],
                  by: Annotated[str, typer.Option("--by", help="Who moves it.")]) -> None:
    """Move an open task to another person."""
    from models import session_scope

    with session_scope(ready_engine()) as session:
        moved = assignments.reassign(session, task_id, to=to, by=by)
        render.console.print(f"Task {moved.id} now assigned to {to}.")


@notifications_app.callback()
@reported
def notifications(ctx: typer.Context,
                  status: Annotated[str | None, typer.Option(help="pending, sending, sent or dead.")] = None,
                  json: Json = False) -> None:
    """List notifications with their status and last error."""
    if ctx.invoked_subcommand is not None:
        return
    from models import session_scope

    with session_scope(ready_engine()) as session:
        found = outbox.listing(session, status=status)
    render.print_json(found) if json else render.notifications(found)


@notifications_app.command("retry")
@reported
def notifications_retry(ids: Annotated[list[str] | None, typer.Argument(help="Notification ids.")] = None,
                        dead: Annotated[bool, typer.Option("--dead", help="Every dead notification.")] = False) -> None:
    """Make notifications due again (after fixing a template, a channel or a receiver)."""
    from models import session_scope

    if not ids and not dead:
        raise typer.BadParameter("name notification ids, or --dead")
    with session_scope(ready_engine()) as session:
        count = outbox.retry(session, ids=ids, dead=dead)
    render.console.print(f"{count} notification(s) will be delivered again by the next dispatch.")


@app.command()
@reported
def dispatch(json: Json = False) -> None:
    """Deliver the notifications that are due (the Prefect dispatch flow)."""
    from cli.offline import prepare_prefect_environment, run_flow

    ready_engine()
    prepare_prefect_environment()
    from flows import dispatch_notifications

    result = run_flow(dispatch_notifications)
    if json:
        render.print_json(result)
    else:
        render.console.print(f"Dispatched {result['claimed']}: {result['sent']} sent, {result['retrying']} to retry "
                             f"later, {result['dead']} dead.")


@channel_app.command("add")
@reported
def channel_add(email: str, kind: Annotated[str, typer.Argument(help="email, webhook, slack, teams or inbox.")],
                address: Annotated[str, typer.Option(help="Email address or URL (email: the person's own).")] = "",
                secret: Annotated[str | None, typer.Option(help="Webhook signing secret (whsec_…); new if omitted.")]
                = None,
                digest: Annotated[bool, typer.Option("--digest", help="A daily digest instead of each task.")] = False
                ) -> None:
    """Add a way to reach a person. Webhook, Slack and Teams URLs must be public unless allowed."""
    from models import session_scope

    with session_scope(ready_engine()) as session:
        added = channels.add_channel(session, email, kind, address=address, secret=secret, digest=digest,
                                     allow_hosts=get_settings().allowed_hosts)
        render.console.print(f"Channel #{added.id}: {kind} for {email}" + (" (daily digest)" if digest else ""))
        if kind == "webhook" and secret is None:
            render.console.print(f"Signing secret (shown once; give it to the receiver): {added.secret}")


@channel_app.command("list")
@reported
def channel_list(email: Annotated[str | None, typer.Argument()] = None, json: Json = False) -> None:
    """Configured channels (secrets and URL paths are not shown)."""
    from models import session_scope

    with session_scope(ready_engine()) as session:
        found = channels.channels(session, email)
    if json:
        render.print_json(found)
    else:
        for c in found:
            render.console.print(f"#{c['id']:<4} {c['person']:<32} {c['kind']:<8} {c['address']}"
                                 + (" (digest)" if c["digest"] else ""))


@channel_app.command("remove")
@reported
def channel_remove(channel_id: int) -> None:
    """Remove a channel; its person falls back to the inbox if none is left."""
    from models import session_scope

    with session_scope(ready_engine()) as session:
        channels.remove_channel(session, channel_id)
    render.console.print(f"Channel #{channel_id} removed.")


@member_app.command("remove")
@reported
def member_remove(key: str, email: str, by: Annotated[str, typer.Option("--by", help="The owner or a program manager.")]
                  ) -> None:
    """Remove a person from a partnership; their open tasks move by the owner-role rules."""
    from models import session_scope

    with session_scope(ready_engine()) as session:
        removal = members.remove_member(session, key, email, by=by)
    render.console.print(f"{email} left {key}: {removal.reassigned} task(s) reassigned, {removal.flagged} flagged "
                         "to the program office (nobody fills their role).")


@member_app.command("delegate")
@reported
def member_delegate(email: str, to: Annotated[str, typer.Option("--to", help="Who stands in.")],
                    starts: Annotated[str, typer.Option("--from", help="First day (YYYY-MM-DD).")],
                    ends: Annotated[str, typer.Option("--until", help="Last day (YYYY-MM-DD).")]) -> None:
    """Out of office: new tasks, reminders and gate votes go to the delegate meanwhile."""
    from models import session_scope

    with session_scope(ready_engine()) as session:
        members.delegate(session, email, to=to, starts_on=parse_date(starts), ends_on=parse_date(ends))
    render.console.print(f"From {starts} to {ends}, {to} stands in for {email}.")
