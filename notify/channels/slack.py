"""Slack incoming webhooks: POST the rendered `message.slack` payload; the URL is the secret."""

from __future__ import annotations

import httpx

from partnerflow.notify.channels.posting import post_payload
from partnerflow.notify.message import Delivery, Message, Target


async def deliver_slack(http: httpx.AsyncClient, message: Message, target: Target) -> Delivery:
    """Slack answers 200 "ok"; failures come back as 4xx with a short code ("no_service")."""
    return await post_payload(http, target.address, message.slack)
