"""Delivery channels: deliver a batch of rendered messages, one Delivery per item, in order.

HTTP channels (webhook, Slack, Teams) go concurrently over the caller's pooled client, at most
`concurrency` requests in flight; email goes over one SMTP connection for the whole batch
(smtplib in a worker thread); inbox items are stored by the caller, so they deliver at once.
Every target is checked again at delivery (DNS may have changed since it was saved): its form
here, its host by the CheckedClient when it connects, which resolves the name once, checks every
address and connects only to those (connections.py). A refused target is a permanent failure and
nothing is sent to it; a name that does not resolve may be retried. A message without a part its
channel delivers (notify.message.PARTS) is refused the same way, permanently.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from partnerflow.notify.channels.connections import CheckedClient
from partnerflow.notify.channels.email import SmtpSettings, check_smtp, deliver_emails
from partnerflow.notify.channels.inbox import deliver_inbox
from partnerflow.notify.channels.posting import refused
from partnerflow.notify.channels.slack import deliver_slack
from partnerflow.notify.channels.teams import deliver_teams
from partnerflow.notify.channels.webhook import InvalidSignature, deliver_webhook, sign, verify
from partnerflow.notify.message import Delivery, Message, Target, failed
from partnerflow.notify.targets import InvalidTarget, checked_form

__all__ = ["CheckedClient", "InvalidSignature", "SmtpSettings", "check_smtp", "deliver_all", "sign", "verify"]
log = logging.getLogger(__name__)
Item = tuple[Message, Target]


async def deliver_all(items: list[Item], *, http: CheckedClient, smtp: SmtpSettings | None,
                      timestamp: Callable[[], int], concurrency: int = 50) -> list[Delivery]:
    """Deliver every item; results in the order of items. Never raises for a delivery failure.

    `http` is a CheckedClient (it carries the hosts the operator allows although not public):
    no other client may deliver, since none other checks the addresses it connects to.
    """
    if not isinstance(http, CheckedClient):
        raise TypeError("deliver_all needs a notify.channels.CheckedClient, which checks every address it connects to")
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    clock = timestamp  # unix seconds, from the caller's clock (engine/clock.py): signatures and Date headers
    refusals = refused_forms(items)
    emails = [index for index, (_, target) in enumerate(items) if target.channel == "email" and index not in refusals]
    email_batch = asyncio.ensure_future(deliver_emails([items[index] for index in emails], smtp, clock()))
    email_results = dict(zip(emails, range(len(emails)), strict=True))
    gate = asyncio.Semaphore(concurrency)

    async def deliver_one(index: int, message: Message, target: Target) -> Delivery:
        if index in refusals:
            return refusals[index]
        if target.channel == "email":
            return (await email_batch)[email_results[index]]
        if target.channel == "inbox":
            return deliver_inbox(message, target)
        async with gate:
            return await post(http, message, target, clock)

    return list(await asyncio.gather(*(last_resort(deliver_one(index, *item)) for index, item in enumerate(items))))


async def post(http: CheckedClient, message: Message, target: Target, clock: Callable[[], int]) -> Delivery:
    if target.channel == "webhook":
        return await deliver_webhook(http, message, target, clock())
    if target.channel == "slack":
        return await deliver_slack(http, message, target)
    return await deliver_teams(http, message, target)


async def last_resort(delivery: Awaitable[Delivery]) -> Delivery:
    """A bug in a channel fails its own delivery (retryable), never the batch."""
    try:
        return await delivery
    except Exception as error:
        log.exception("delivery failed unexpectedly")
        return failed(f"unexpected error ({type(error).__name__})", retryable=True)


def refused_forms(items: list[Item]) -> dict[int, Delivery]:
    """The items not to send, by index, for their form (channel, URL, secret) or a message not rendered for
    their channel; hosts are checked on connecting."""
    refusals: dict[int, Delivery] = {}
    for index, (message, target) in enumerate(items):
        try:
            checked_form(target)
        except InvalidTarget as error:
            refusals[index] = refused(error)
            continue
        if missing := message.missing(target.channel):
            refusals[index] = failed(f"the message was not rendered for {target.channel} (no {', '.join(missing)})",
                                     retryable=False)
    return refusals
