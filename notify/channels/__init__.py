"""Delivery channels: deliver a batch of rendered messages, one Delivery per item, in order.

HTTP channels (webhook, Slack, Teams) go concurrently over the caller's pooled client, at most
`concurrency` requests in flight; email goes over one SMTP connection for the whole batch
(smtplib in a worker thread); inbox items are stored by the caller, so they deliver at once.
Every target is checked again here (DNS may have changed since it was saved): a refused target
is a permanent failure and nothing is sent to it; a name that does not resolve may be retried.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import httpx

from notify.channels.email import SmtpSettings, deliver_emails
from notify.channels.inbox import deliver_inbox
from notify.channels.slack import deliver_slack
from notify.channels.teams import deliver_teams
from notify.channels.webhook import InvalidSignature, deliver_webhook, sign, verify
from notify.message import Delivery, Message, Target, failed
from notify.targets import InvalidTarget, UnresolvableHost, check_host, checked_form, is_allowed

__all__ = ["InvalidSignature", "SmtpSettings", "deliver_all", "sign", "verify"]
log = logging.getLogger(__name__)
Item = tuple[Message, Target]


async def deliver_all(items: list[Item], *, http: httpx.AsyncClient, smtp: SmtpSettings | None,
                      timestamp: Callable[[], int], concurrency: int = 50,
                      allow_hosts: frozenset[str] = frozenset()) -> list[Delivery]:
    """Deliver every item; results in the order of items. Never raises for a delivery failure.

    `allow_hosts`: hosts (names or IP literals) the operator allows although they are not
    public, as for `notify.targets.validate_target`.
    """
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    clock = timestamp  # unix seconds, from the caller's clock (engine/clock.py): signatures and Date headers
    refusals = await refused_targets(items, allow_hosts)
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


async def post(http: httpx.AsyncClient, message: Message, target: Target, clock: Callable[[], int]) -> Delivery:
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


async def refused_targets(items: list[Item], allow_hosts: frozenset[str]) -> dict[int, Delivery]:
    """The items not to send, by index: each distinct URL host is resolved once, in a thread."""
    refusals: dict[int, Delivery] = {}
    hosts: dict[str, list[int]] = {}
    for index, (_, target) in enumerate(items):
        try:
            host = checked_form(target)
        except InvalidTarget as error:
            refusals[index] = refused(error)
            continue
        if host is not None:
            hosts.setdefault(host, []).append(index)
    verdicts = await asyncio.gather(*(host_refusal(host, allow_hosts) for host in hosts))
    for indexes, verdict in zip(hosts.values(), verdicts, strict=True):
        refusals.update(dict.fromkeys(indexes, verdict) if verdict else {})
    return refusals


async def host_refusal(host: str, allow_hosts: frozenset[str]) -> Delivery | None:
    if is_allowed(host, allow_hosts):
        return None
    try:
        await asyncio.to_thread(check_host, host, allow_hosts=allow_hosts)
    except InvalidTarget as error:
        return refused(error)
    return None


def refused(error: InvalidTarget) -> Delivery:
    log.info("target refused: %s", error.reason)
    return failed(f"invalid target: {error.reason}", retryable=isinstance(error, UnresolvableHost))
