"""Microsoft Teams incoming webhooks (Workflows): POST `message.teams`, an Adaptive Card message."""

from __future__ import annotations

import httpx

from partnerflow.notify.channels.posting import post_payload
from partnerflow.notify.message import Delivery, Message, Target


async def deliver_teams(http: httpx.AsyncClient, message: Message, target: Target) -> Delivery:
    """Teams answers 200 or 202 on acceptance; the URL carries its own signature, so none is added."""
    return await post_payload(http, target.address, message.teams)
