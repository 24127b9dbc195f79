"""Signed webhooks following Standard Webhooks (https://www.standardwebhooks.com).

The body is `{"type", "id", "timestamp", "data"}` as compact JSON. Three headers go with it:
`webhook-id` (the notification's id, the same on every retry, for de-duplication),
`webhook-timestamp` (Unix seconds of this attempt) and `webhook-signature`: `v1,` and the
base64 HMAC-SHA256 of `f"{id}.{timestamp}.{body}"`, keyed with the base64-decoded secret
after its `whsec_` prefix. A receiver checks it with `verify`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import UTC, datetime

import httpx

from partnerflow.notify.channels.posting import post_json
from partnerflow.notify.message import Delivery, Message, Target, failed


class InvalidSignature(ValueError):
    """A webhook that must not be trusted: unsigned, badly signed, or too old or new."""


def signing_key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix("whsec_"))


def sign(secret: str, msg_id: str, timestamp: int, body: bytes | str) -> str:
    """The `webhook-signature` header value: "v1," and the base64 HMAC-SHA256."""
    body = body.encode() if isinstance(body, str) else body
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(signing_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def verify(secret: str, headers: Mapping[str, str], body: bytes | str, *, now: int, tolerance_s: int = 300) -> dict:
    """Check a received webhook; return its decoded JSON, or raise InvalidSignature.

    `now` is the receiver's current time in unix seconds; the timestamp must be within
    `tolerance_s` of it. `headers` needs case-insensitive or lowercase keys. Any one of the space-separated `v1,`
    signatures may match (a sender rotating secrets signs with both).
    """
    msg_id, stamp, signatures = (header(headers, name) for name in ("id", "timestamp", "signature"))
    timestamp = checked_timestamp(stamp, tolerance_s, now)
    expected = sign(secret, msg_id, timestamp, body).encode()
    if not any(hmac.compare_digest(expected, candidate.encode()) for candidate in signatures.split()):
        raise InvalidSignature("no signature matches")
    return json.loads(body)


def header(headers: Mapping[str, str], name: str) -> str:
    value = headers.get(f"webhook-{name}")
    if not value:
        raise InvalidSignature(f"missing webhook-{name} header")
    return value


def checked_timestamp(stamp: str, tolerance_s: int, now: int) -> int:
    try:
        timestamp = int(stamp)
    except ValueError:
        raise InvalidSignature("webhook-timestamp is not a number") from None
    if abs(now - timestamp) > tolerance_s:
        raise InvalidSignature("webhook-timestamp is outside the tolerance")
    return timestamp


def webhook_request(message: Message, secret: str, timestamp: int) -> tuple[bytes, dict[str, str]]:
    """The body and the Standard Webhooks headers of one attempt."""
    payload = {"type": message.event, "id": message.id, "timestamp": iso_time(timestamp), "data": message.data}
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    headers = {
        "webhook-id": message.id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, message.id, timestamp, body),
    }
    return body, headers


def iso_time(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat().replace("+00:00", "Z")


async def deliver_webhook(http: httpx.AsyncClient, message: Message, target: Target, timestamp: int) -> Delivery:
    try:
        body, headers = webhook_request(message, target.secret or "", timestamp)
    except (TypeError, ValueError) as error:
        return failed(f"the payload is not JSON ({error})", retryable=False)
    return await post_json(http, target.address, body, headers)
