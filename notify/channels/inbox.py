"""The in-app inbox: the caller stores the notification; there is nothing to send."""

from __future__ import annotations

from partnerflow.notify.message import Delivery, Message, Target, delivered


def deliver_inbox(message: Message, target: Target) -> Delivery:
    return delivered(None, 0.0)
