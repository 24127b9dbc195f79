"""Commands for the web: serve the pages and the API, and the API tokens people hand to other systems."""

from datetime import datetime, time, timezone
from typing import Annotated

import typer

from partnerflow.cli import render
from partnerflow.cli.errors import reported
from partnerflow.cli.options import Json
from partnerflow.engine import create_token, now, ready_engine, revoke_token, token_listing, transaction

token_app = typer.Typer(help="API tokens: create (shown once), list, revoke.", no_args_is_help=True)
APP = "partnerflow.web.app:create_app"  # by name: the CLI and the web are sibling rooms


def register(app: typer.Typer) -> None:
    app.command()(serve)
    app.add_typer(token_app, name="token")


@reported
def serve(host: Annotated[str, typer.Option(help="The address to listen on.")] = "127.0.0.1",
          port: Annotated[int, typer.Option(help="The port to listen on.", min=1, max=65535)] = 8000) -> None:
    """Serve the pages and the REST API (/api/v1) with uvicorn until interrupted."""
    import uvicorn

    ready_engine()  # a database that is not ready is said now, not at the first request
    render.console.print(f"Partnerflow at http://{host}:{port}/ (the API at /api/v1; Ctrl-C stops)")
    uvicorn.run(APP, factory=True, host=host, port=port, log_level="warning", proxy_headers=False)


@token_app.command("create")
@reported
def token_create(email: str,
                 expires: Annotated[str | None, typer.Option("--expires", help="Last day it works (2027-06-30).")] = None,
                 label: Annotated[str, typer.Option("--label", help="What the token is for.")] = "") -> None:
    """Create an API token for a person; it is printed once and stored only as a digest."""
    until = None
    if expires is not None:
        try:
            until = datetime.combine(datetime.fromisoformat(expires).date(), time.max, tzinfo=timezone.utc)
        except ValueError:
            raise typer.BadParameter(f"{expires!r} is not a date like 2027-06-30", param_hint="--expires") from None
    with transaction(ready_engine()) as session:
        token_id, token = create_token(session, email, label=label, expires_at=until, now=now())
    render.console.print(f"token {token_id} for {render.shown(email)} (shown once; keep it secret):")
    print(token)


@token_app.command("list")
@reported
def token_list(email: Annotated[str | None, typer.Argument()] = None, json: Json = False) -> None:
    """The tokens (never their values): holder, label, created, expires, revoked."""
    with transaction(ready_engine()) as session:
        tokens = token_listing(session, email=email)
    if json:
        render.print_json(tokens)
        return
    for t in tokens:
        state = f"revoked {t['revoked_at'][:10]}" if t["revoked_at"] else (
            f"expires {t['expires_at'][:10]}" if t["expires_at"] else "no expiry")
        render.console.print(f"{t['id']:>4}  {render.shown(t['person'])}  {render.shown(t['label'])}  {state}")


@token_app.command("revoke")
@reported
def token_revoke(token_id: int, by: Annotated[str, typer.Option("--by", help="Who revokes it (its holder or "
                                                                             "a program manager).")]) -> None:
    """Revoke a token at once: every call with it is refused from now on."""
    with transaction(ready_engine()) as session:
        revoke_token(session, token_id, by=by, now=now())
    render.console.print(f"token {token_id} revoked")
