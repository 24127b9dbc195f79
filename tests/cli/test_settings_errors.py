"""Misconfigured settings: every command prints one line per problem and exits 2; no traceback, no value."""

import pytest

from partnerflow.cli.errors import reported
from partnerflow.cli.main import app
from partnerflow.engine import get_settings
from tests.cli.commands import run

PASSWORD = "hunter2-smtp-password-never-shown"


@pytest.fixture
def misconfigured(monkeypatch):
    """Production without a secret key, an SMTP password set, and a port that is not a number."""
    monkeypatch.setenv("PARTNERFLOW_ENVIRONMENT", "production")
    monkeypatch.delenv("PARTNERFLOW_SECRET_KEY", raising=False)
    monkeypatch.setenv("PARTNERFLOW_SMTP_PASSWORD", PASSWORD)
    monkeypatch.setenv("PARTNERFLOW_SMTP_PORT", "twenty-five")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def commands(typer_app):
    for command in typer_app.registered_commands:
        yield command.name or command.callback.__name__, command.callback
    for group in typer_app.registered_groups:
        for name, callback in commands(group.typer_instance):
            yield f"{group.name} {name}", callback


@pytest.mark.parametrize("command", [("status",), ("init",), ("review",), ("policy", "show"), ("channel", "list"),
                                     ("tasks",), ("channel", "add", "x@example.com", "slack")])
def test_a_misconfigured_setting_is_one_line_per_problem(misconfigured, command):
    code, out, err = run(*command)
    assert code == 2 and out == ""
    assert err.splitlines() == [
        ("error: PARTNERFLOW_SECRET_KEY: is the development placeholder; set 32 random bytes or more, e.g. from "
         "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`"),
        "error: PARTNERFLOW_SMTP_PORT: Input should be a valid integer, unable to parse string as an integer"]
    assert PASSWORD not in err and "twenty-five" not in err and "Traceback" not in err


def test_every_command_reports_settings_errors():
    """A command outside `reported` would print a traceback, and the values in it."""
    wrapper = reported(lambda: None).__code__
    found = dict(commands(app))
    assert {"status", "review", "dispatch", "task done", "channel reseal", "policy what-if"} <= set(found)
    assert [name for name, callback in found.items() if callback.__code__ is not wrapper] == []
