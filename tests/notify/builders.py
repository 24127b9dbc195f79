"""Messages, targets and a one-call `deliver` for the channel tests."""

from __future__ import annotations

import asyncio
import base64

from partnerflow.notify.channels import CheckedClient, SmtpSettings, deliver_all
from partnerflow.notify.message import Delivery, Message, Target
from tests import factories

SECRET = "whsec_" + base64.b64encode(b"partnerflow-test-signing-key-32b").decode()
LOCAL = frozenset({"127.0.0.1"})
NOW = int(factories.NOW.timestamp())  # the frozen clock of every test, in unix seconds


def message(number: int = 1, **changes) -> Message:
    fields = {
        "id": f"msg_{number:04d}",
        "event": "task.opened",
        "subject": f"Task {number}: supply the business case",
        "text": f"Task {number} is yours.\nOpen it to act.",
        "html": f"<p>Task {number} is <b>yours</b>.</p>",
        "data": {"task": number, "partnership": "Acme & Globex"},
        "slack": {"text": f"Task {number}",
                  "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "*Task*"}}]},
        "teams": teams_card(number),
    }
    return Message(**{**fields, **changes})


def teams_card(number: int) -> dict:
    card = {"type": "AdaptiveCard", "version": "1.4", "body": [{"type": "TextBlock", "text": f"Task {number}"}]}
    return {"type": "message",
            "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive", "content": card}]}


def webhook(url: str, secret: str | None = SECRET) -> Target:
    return Target("webhook", url, secret)


def deliver(items: list[tuple[Message, Target]], *, timeout: float = 5.0, smtp: SmtpSettings | None = None,
            allow_hosts: frozenset[str] = LOCAL, timestamp=lambda: NOW, client: dict | None = None, **options
            ) -> list[Delivery]:
    """deliver_all over a fresh pooled CheckedClient with the given timeout, on a fresh event loop.

    `client`: more options of the CheckedClient (a `resolver`, a `network`, `verify`)."""
    async def run() -> list[Delivery]:
        async with CheckedClient(allow_hosts=allow_hosts, timeout=timeout, **(client or {})) as http:
            return await deliver_all(items, http=http, smtp=smtp, timestamp=timestamp, **options)
    return asyncio.run(run())
