"""What a channel is handed (a rendered Message and its Target) and what it hands back (a Delivery)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

CHANNELS = ("email", "webhook", "slack", "teams", "inbox")


@dataclass(frozen=True)
class Message:
    """A notification already rendered for every channel; channels only deliver it."""

    id: str
    event: str
    subject: str
    text: str
    html: str
    data: dict = field(default_factory=dict)
    slack: dict = field(default_factory=dict)
    teams: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Target:
    """Where one notification goes: an email address, or the URL of a webhook, Slack or Teams."""

    channel: str
    address: str
    secret: str | None = field(default=None, repr=False)


class Delivery(NamedTuple):
    """The outcome of one attempt, recorded by the caller."""

    ok: bool
    status_code: int | None
    error: str | None
    retryable: bool
    duration_ms: float


def delivered(status_code: int | None, duration_ms: float) -> Delivery:
    return Delivery(True, status_code, None, False, duration_ms)


def failed(error: str, *, retryable: bool, status_code: int | None = None, duration_ms: float = 0.0) -> Delivery:
    return Delivery(False, status_code, error, retryable, duration_ms)
