"""Rendering a notification into a Message for every channel, from templates/notifications/.

Per event: `<event>.subject.txt.j2`, `<event>.txt.j2`, `<event>.html.j2`; Slack and Teams
payloads from `<event>.slack.json.j2` / `<event>.teams.json.j2` when an operator provides
them, else the shared `_slack.json.j2` / `_teams.json.j2`. A payload template passes every
value through `tojson`, after `slack` (mrkdwn fields) or `markdown` (Teams' TextBlocks) for
text, so what people typed stays valid JSON and is shown as typed (see notify.escaping).
"""

import json
from typing import Any

from jinja2 import TemplateNotFound

from partnerflow.notify.message import Message
from partnerflow.notify.templating import environment

FOLDER = "notifications"


def _render(name: str, overrides: str | None, context: dict[str, Any]) -> str:
    return environment(overrides).get_template(f"{FOLDER}/{name}").render(**context)


def _payload(event: str, kind: str, overrides: str | None, context: dict[str, Any]) -> dict:
    try:
        text = _render(f"{event}.{kind}.json.j2", overrides, context)
    except TemplateNotFound:
        text = _render(f"_{kind}.json.j2", overrides, context)
    return json.loads(text)


def render_message(notification_id: str, event: str, context: dict[str, Any], *, recipient: dict[str, Any],
                   action_url: str | None = None, overrides: str | None = None) -> Message:
    """The message for one notification; a template error raises (and is recorded by the caller)."""
    full = {**context, "recipient": recipient, "action_url": action_url, "notification_id": notification_id}
    subject = " ".join(_render(f"{event}.subject.txt.j2", overrides, full).split())
    text = _render(f"{event}.txt.j2", overrides, full)
    html = _render(f"{event}.html.j2", overrides, {**full, "subject": subject})
    shared = {**full, "subject": subject, "text": text}
    data = {"event": event, **context, "action_url": action_url}
    return Message(notification_id, event, subject, text, html, data,
                   _payload(event, "slack", overrides, shared), _payload(event, "teams", overrides, shared))
