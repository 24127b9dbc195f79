"""Commands for the work that reviews hand out: tasks, channels, members, notifications."""

import sys
from typing import Annotated

import typer

from partnerflow.cli import render
from partnerflow.cli.errors import reported
from partnerflow.cli.flowruns import run_dispatch
from partnerflow.cli.options import AsOf, Json, parse_date
from partnerflow.cli.render import shown
from partnerflow.engine import (
    add_channel,
    channel_listing,
    complete_task,
    complete_task_by_link,
    delegate,
    get_settings,
    notification_listing,
    ready_engine,
    reassign_task,
    remove_channel,
    remove_member,
    reseal,
    retry_notifications,
    secret_of,
    task_listing,
    transaction,
)

task_app = typer.Typer(help="Act on one task: complete it, or move it to someone else.", no_args_is_help=True)
channel_app = typer.Typer(help="How people are reached: email, webhook, Slack, Teams, inbox.", no_args_is_help=True)
member_app = typer.Typer(help="People in a partnership, and who stands in for whom.", no_args_is_help=True)
notifications_app = typer.Typer(help="The notification outbox: list, re-drive.", invoke_without_command=True)


def register(app: typer.Typer) -> None:
    app.command()(tasks)
    app.command()(dispatch)
    app.add_typer(task_app, name="task")
    app.add_typer(channel_app, name="channel")
    app.add_typer(member_app, name="member")
    app.add_typer(notifications_app, name="notifications")


@reported
def tasks(owner: Annotated[str | None, typer.Option("--owner", help="Only this person's tasks.")] = None,
          overdue: Annotated[bool, typer.Option("--overdue", help="Only tasks past their due date.")] = False,
          status: Annotated[str, typer.Option(help="open, done, cancelled or all.")] = "open",
          as_of: AsOf = None, json: Json = False) -> None:
    """Tasks opened by reviews, soonest due first."""
    with transaction() as session:
        found = task_listing(session, owner=owner, overdue=overdue, status=status, as_of=parse_date(as_of))
    render.print_json(found) if json else render.tasks(found)


@task_app.command("done")
@reported
def task_done(task_id: Annotated[int | None, typer.Argument(help="The task's id (or use --token).")] = None,
              by: Annotated[str | None, typer.Option("--by", help="Who completes it.")] = None,
              note: Annotated[str, typer.Option("--note", help="What was done; kept with the task.")] = "",
              token: Annotated[str | None, typer.Option("--token", help="The signed link's token.")] = None) -> None:
    """Complete a task: by id (its assignee, the owner or a program manager), or with a signed link."""
    if (task_id is None) == (token is None):
        raise typer.BadParameter("give a task id with --by, or --token", param_hint="TASK_ID")
    with transaction() as session:
        if token is not None:
            done = complete_task_by_link(session, token, secret=get_settings().secret_key, note=note)
        else:
            if not by:
                raise typer.BadParameter("say who completes it", param_hint="--by")
            done = complete_task(session, task_id, by=by, note=note)
        render.console.print(f"Task {done.id} done by {shown(done.closed_by)}.")


@task_app.command("reassign")
@reported
def task_reassign(task_id: int, to: Annotated[str, typer.Option("--to", help="The new assignee's email.")],
                  by: Annotated[str, typer.Option("--by", help="Who moves it.")]) -> None:
    """Move an open task to another person."""
    with transaction() as session:
        moved = reassign_task(session, task_id, to=to, by=by)
        render.console.print(f"Task {moved.id} now assigned to {shown(to)}.")


@notifications_app.callback()
@reported
def notifications(ctx: typer.Context,
                  status: Annotated[str | None, typer.Option(help="pending, sending, sent or dead.")] = None,
                  json: Json = False) -> None:
    """List notifications with their status and last error."""
    if ctx.invoked_subcommand is not None:
        return
    with transaction() as session:
        found = notification_listing(session, status=status)
    render.print_json(found) if json else render.notifications(found)


@notifications_app.command("retry")
@reported
def notifications_retry(ids: Annotated[list[str] | None, typer.Argument(help="Notification ids.")] = None,
                        dead: Annotated[bool, typer.Option("--dead", help="Every dead notification.")] = False) -> None:
    """Make notifications due again (after fixing a template, a channel or a receiver)."""
    if not ids and not dead:
        raise typer.BadParameter("name notification ids, or --dead")
    with transaction() as session:
        count = retry_notifications(session, ids=ids, dead=dead)
    render.console.print(f"{count} notification(s) will be delivered again by the next dispatch.")


@reported
def dispatch(json: Json = False) -> None:
    """Deliver the notifications that are due (the Prefect dispatch flow)."""
    ready_engine()
    result = run_dispatch()
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
    with transaction() as session:
        added = add_channel(session, email, kind, address=address, secret=secret, digest=digest,
                                     allow_hosts=get_settings().allowed_hosts)
        render.console.print(f"Channel #{added.id}: {shown(kind)} for {shown(email)}"
                             + (" (daily digest)" if digest else ""))
        if kind == "webhook" and secret is None:
            render.console.print("Signing secret (shown once; give it to the receiver): "
                                 f"{shown(secret_of(added))}")


@channel_app.command("list")
@reported
def channel_list(email: Annotated[str | None, typer.Argument()] = None, json: Json = False) -> None:
    """Configured channels (secrets and URL paths are not shown)."""
    with transaction() as session:
        found = channel_listing(session, email)
    if json:
        render.print_json(found)
    else:
        for c in found:
            render.console.print(f"#{c['id']:<4} {shown(c['person']):<32} {shown(c['kind']):<8} "
                                 f"{shown(c['address'])}"
                                 + (" (digest)" if c["digest"] else ""))


@channel_app.command("reseal")
@reported
def channel_reseal() -> None:
    """Seal every channel URL and secret with the current secret key.

    Seals values stored in plain text by an earlier version and values sealed with
    PARTNERFLOW_PREVIOUS_SECRET_KEY (set it to the old key after changing the secret key).
    """
    with transaction() as session:
        done = reseal(session)
    render.console.print(f"{done.channels} channel(s) sealed with the current secret key.")
    if done.unreadable:
        listed = ", ".join(f"#{number}" for number in done.unreadable)
        print(f"error: {len(done.unreadable)} channel(s) sealed with another key: {listed}; set "
              "PARTNERFLOW_PREVIOUS_SECRET_KEY to that key, or remove and add them again", file=sys.stderr)
        raise typer.Exit(1)


@channel_app.command("remove")
@reported
def channel_remove(channel_id: int) -> None:
    """Remove a channel; its person falls back to the inbox if none is left."""
    with transaction() as session:
        remove_channel(session, channel_id)
    render.console.print(f"Channel #{channel_id} removed.")


@member_app.command("remove")
@reported
def member_remove(key: str, email: str, by: Annotated[str, typer.Option("--by", help="The owner or a program manager.")]
                  ) -> None:
    """Remove a person from a partnership; their open tasks move by the owner-role rules."""
    with transaction() as session:
        removal = remove_member(session, key, email, by=by)
    render.console.print(f"{shown(email)} left {shown(key)}: {removal.reassigned} task(s) reassigned, "
                         f"{removal.flagged} flagged "
                         "to the program office (nobody fills their role).")


@member_app.command("delegate")
@reported
def member_delegate(email: str, to: Annotated[str, typer.Option("--to", help="Who stands in.")],
                    starts: Annotated[str, typer.Option("--from", help="First day (YYYY-MM-DD).")],
                    ends: Annotated[str, typer.Option("--until", help="Last day (YYYY-MM-DD).")]) -> None:
    """Out of office: new tasks, reminders and gate votes go to the delegate meanwhile."""
    with transaction() as session:
        delegate(session, email, to=to, starts_on=parse_date(starts), ends_on=parse_date(ends))
    render.console.print(f"From {shown(starts)} to {shown(ends)}, {shown(to)} stands in for "
                         f"{shown(email)}.")
