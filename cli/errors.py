"""Turning the engine's refusals into one clear line on stderr and a non-zero exit.

Messages may quote what people typed: control characters are printed as their escapes.
Settings that cannot be used exit 2 with one line per problem, naming the variable and never
showing its value (a traceback would show them all, passwords included).
"""

import functools
import sys

import typer

from partnerflow.cli.render import visible
from partnerflow.engine import (
    AccessRefused,
    ChannelRefused,
    Conflict,
    DatabaseNotReady,
    DecisionRefused,
    InvalidDocument,
    LinkRefused,
    MemberRefused,
    NotFound,
    SettingsError,
    TaskRefused,
)

EXPECTED = (DatabaseNotReady, NotFound, DecisionRefused, Conflict, TaskRefused, MemberRefused, LinkRefused,
            ChannelRefused, AccessRefused)


def reported(command):
    """Run `command`; expected failures print `error: ...` and exit 1, documents every error, settings 2."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except InvalidDocument as exc:
            for error in exc.errors:
                print(visible(error), file=sys.stderr)
            print(f"error: {len(exc.errors)} problem(s) found; nothing was written", file=sys.stderr)
            raise typer.Exit(1) from None
        except SettingsError as exc:
            for problem in exc.problems:
                print(f"error: {visible(problem)}", file=sys.stderr)
            raise typer.Exit(2) from None
        except EXPECTED as exc:
            print(f"error: {visible(exc)}", file=sys.stderr)
            raise typer.Exit(1) from None

    return wrapper
