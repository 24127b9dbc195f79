"""Options and parsing shared by the commands."""

from datetime import date
from typing import Annotated

import typer

from partnerflow.engine import today

AsOf = Annotated[str | None, typer.Option("--as-of", help="Evaluate as of this date (YYYY-MM-DD); default today.")]
Json = Annotated[bool, typer.Option("--json", help="Print JSON for programs.")]


def parse_date(text: str | None) -> date:
    if text is None:
        return today()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a date like 2026-11-27", param_hint="--as-of") from None
