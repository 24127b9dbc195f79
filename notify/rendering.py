"""Rendering a notification into a Message for its channel, from templates/notifications/.

Per event: `<event>.subject.txt.j2`, `<event>.txt.j2`, `<event>.html.j2`; Slack and Teams
payloads from `<event>.slack.json.j2` / `<event>.teams.json.j2` when an operator provides
them, else the shared `_slack.json.j2` / `_teams.json.j2`. A payload template passes every
value through `tojson`, after `slack` (mrkdwn fields) or `markdown` (Teams' TextBlocks) for
text, so what people typed stays valid JSON and is shown as typed (see notify.escaping).

Each channel gets only the parts it delivers (notify.message.PARTS), so a broken template of
one channel fails that channel alone: email renders the subject, text and HTML; Slack and Teams
their payload (which renders the subject and text inside it); the webhook its data (no
template); the inbox nothing.
"""

import json
from functools import cached_property
from typing import Any

from jinja2 import TemplateNotFound

from partnerflow.notify.message import PARTS, Message
from partnerflow.notify.templating import environment

FOLDER = "notifications"
EVERY_PART = ("subject", "text", "html", "data", "slack", "teams")


def render_message(notification_id: str, event: str, context: dict[str, Any], *, recipient: dict[str, Any],
                   action_url: str | None = None, overrides: str | None = None, channel: str | None = None
                   ) -> Message:
    """The message for one notification, with the parts `channel` delivers (every part when None).

    A template error raises (and is recorded by the caller)."""
    if channel is not None and channel not in PARTS:
        raise ValueError(f"unknown channel {channel!r}")
    parts = Parts(event, context, recipient, action_url, notification_id, overrides)
    wanted = EVERY_PART if channel is None else PARTS[channel]
    return Message(notification_id, event, **{part: getattr(parts, part) for part in wanted})


class Parts:
    """The parts of one notification, each rendered when first asked for (the subject and text once)."""

    def __init__(self, event: str, context: dict[str, Any], recipient: dict[str, Any], action_url: str | None,
                 notification_id: str, overrides: str | None) -> None:
        self.event, self.context, self.action_url, self.overrides = event, context, action_url, overrides
        self.full = {**context, "recipient": recipient, "action_url": action_url, "notification_id": notification_id}

    def render(self, name: str, **more: Any) -> str:
        return environment(self.overrides).get_template(f"{FOLDER}/{name}").render({**self.full, **more})

    @cached_property
    def subject(self) -> str:
        return " ".join(self.render(f"{self.event}.subject.txt.j2").split())

    @cached_property
    def text(self) -> str:
        return self.render(f"{self.event}.txt.j2")

    @cached_property
    def html(self) -> str:
        return self.render(f"{self.event}.html.j2", subject=self.subject)

    @cached_property
    def data(self) -> dict:
        return {"event": self.event, **self.context, "action_url": self.action_url}

    @cached_property
    def slack(self) -> dict:
        return self.payload("slack")

    @cached_property
    def teams(self) -> dict:
        return self.payload("teams")

    def payload(self, kind: str) -> dict:
        shared = {"subject": self.subject, "text": self.text}
        try:
            text = self.render(f"{self.event}.{kind}.json.j2", **shared)
        except TemplateNotFound:
            text = self.render(f"_{kind}.json.j2", **shared)
        return json.loads(text)
