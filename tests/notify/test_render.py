"""Rendering per channel: each channel gets only the parts it delivers, so a broken template of
one channel (an operator's override) leaves the others untouched."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

import pytest
from jinja2 import TemplateError

from partnerflow.notify import render_message
from partnerflow.notify.message import CHANNELS, EVENTS, PARTS, Message, Target
from tests.notify.builders import deliver
from tests.notify.test_email import email_to
from tests.notify.test_email import settings as smtp_settings

EVERY_PART = {"subject", "text", "html", "data", "slack", "teams"}
CONTEXT = {"partnership": {"key": "acme-supply", "name": "Acme Castings"}, "gate": "alignment-to-execution"}


def rendered(channel: str | None = None, overrides: str | None = None) -> Message:
    return render_message("n_0001", "gate.ready", CONTEXT, recipient={"name": "Olivia", "email": "o@example.com"},
                          overrides=overrides, channel=channel)


def parts(message: Message) -> set[str]:
    return {part for part in EVERY_PART if getattr(message, part) is not None}


def operator_folder(tmp_path, **templates: str) -> str:
    """An operator's template folder holding `templates` (file name in notifications/ -> source)."""
    (tmp_path / "notifications").mkdir()
    for name, source in templates.items():
        (tmp_path / "notifications" / name).write_text(source)
    return str(tmp_path)


@pytest.mark.parametrize("channel", CHANNELS)
def test_each_channel_renders_only_the_parts_it_delivers(channel):
    message = rendered(channel)
    assert parts(message) == set(PARTS[channel])
    assert message.missing(channel) == ()


def test_each_part_is_what_rendering_every_part_gives():
    every = rendered()
    assert parts(every) == EVERY_PART
    for channel in CHANNELS:
        one = rendered(channel)
        assert {part: getattr(one, part) for part in PARTS[channel]} == {
            part: getattr(every, part) for part in PARTS[channel]}
    assert every.slack["text"] == every.subject  # Slack's payload carries the subject


def test_an_unknown_channel_is_refused():
    with pytest.raises(ValueError, match="unknown channel 'pigeon'"):
        rendered("pigeon")


BROKEN = "{{ partnership.no_such_field }}"


@pytest.mark.parametrize(("broken", "fails"), [
    ("gate.ready.teams.json.j2", {"teams"}),
    ("gate.ready.slack.json.j2", {"slack"}),
    ("gate.ready.html.j2", {"email"}),
    ("gate.ready.txt.j2", {"email", "slack", "teams"}),  # the text is in every channel that shows it
    ("gate.ready.subject.txt.j2", {"email", "slack", "teams"}),
])
def test_a_broken_template_fails_only_the_channels_that_use_it(tmp_path, broken, fails):
    overrides = operator_folder(tmp_path, **{broken: BROKEN})
    for channel in CHANNELS:
        if channel in fails:
            with pytest.raises(TemplateError):
                rendered(channel, overrides)
        else:
            assert parts(rendered(channel, overrides)) == set(PARTS[channel])


def test_an_email_goes_out_although_the_teams_override_is_broken(tmp_path, smtp_server):
    mailbox, port = smtp_server
    overrides = operator_folder(tmp_path, **{"gate.ready.teams.json.j2": '{"type": "message", "text": '})
    with pytest.raises(ValueError):  # not JSON
        rendered("teams", overrides)
    [delivery] = deliver([(rendered("email", overrides), email_to("owner@example.com"))], smtp=smtp_settings(port))

    assert delivery.ok
    assert [mail.email["Subject"] for mail in mailbox.mails] == [rendered().subject]


@pytest.mark.parametrize("channel", ["email", "slack", "teams", "webhook"])
def test_a_message_not_rendered_for_its_channel_is_refused_and_nothing_sent(receiver, smtp_server, channel):
    mailbox, port = smtp_server
    address = "owner@example.com" if channel == "email" else receiver.url("/ok")
    inbox_only = rendered("inbox")
    [delivery] = deliver([(inbox_only, Target(channel, address, "whsec_" + "A" * 32))], smtp=smtp_settings(port))

    assert (delivery.ok, delivery.retryable) == (False, False)
    assert delivery.error == f"the message was not rendered for {channel} (no {', '.join(PARTS[channel])})"
    assert receiver.requests == [] and mailbox.mails == []


@pytest.mark.parametrize("event", EVENTS)
def test_every_event_has_its_subject_text_and_html_templates(event):
    """The one list of events (notify.EVENTS) and the templates agree: no notice can be unrenderable."""
    folder = Path(str(files("partnerflow.templates"))) / "notifications"
    assert {f"{event}.{part}.j2" for part in ("subject.txt", "txt", "html")} <= {p.name for p in folder.iterdir()}


def test_the_outbox_refuses_an_event_nobody_could_render(engine):
    from partnerflow.engine.notifications import Outgoing, enqueue
    from partnerflow.models import session_scope
    from tests.factories import NOW

    with session_scope(engine) as session, pytest.raises(ValueError, match="unknown notification event"):
        enqueue(session, [Outgoing("task.opend", 1, "x", {})], now=NOW)
