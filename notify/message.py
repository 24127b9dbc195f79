"""What a channel is handed (a rendered Message and its Target) and what it hands back (a Delivery)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

PARTS: dict[str, tuple[str, ...]] = {  # the parts of a Message each channel delivers
    "email": ("subject", "text", "html"),
    "webhook": ("data",),
    "slack": ("slack",),  # its payload carries the subject and the text
    "teams": ("teams",),  # likewise
    "inbox": (),  # the caller stores the notification itself
}
CHANNELS = tuple(PARTS)
# the events a notification tells of, each with its templates in templates/notifications/
TASK_EVENTS = ("task.opened", "task.reminder", "task.escalated", "task.unassigned", "task.link")  # they link to their task
EVENTS = (*TASK_EVENTS, "gate.ready", "phase.changed", "digest", "sign_in")


@dataclass(frozen=True)
class Message:
    """A notification already rendered; channels only deliver it.

    Rendered for one channel, only the parts that channel delivers are set (PARTS), the others
    are None; rendered for no channel in particular (a preview, a test), every part is set.
    """

    id: str
    event: str
    subject: str | None = None
    text: str | None = None
    html: str | None = None
    data: dict | None = None
    slack: dict | None = None
    teams: dict | None = None

    def missing(self, channel: str) -> tuple[str, ...]:
        """The parts `channel` delivers that this message was not rendered with."""
        return tuple(part for part in PARTS[channel] if getattr(self, part) is None)


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
