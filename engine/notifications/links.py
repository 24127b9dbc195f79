"""Signed action links: a notification's link to its task, for one person, until an expiry, once.

A token is `payload.signature`, both base64url: the payload names the task, the person, the
expiry and a nonce; the signature is HMAC-SHA256 with PARTNERFLOW_SECRET_KEY. A tampered,
expired or already used token is refused.
"""

import base64
import hashlib
import hmac
import json
import secrets
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from partnerflow.models import UsedLink

LIFETIME = timedelta(days=30)


class LinkRefused(Exception):
    """The link is not valid: tampered, expired, for another task, or already used."""


class ActionLink(NamedTuple):
    task_id: int
    person_id: int
    expires_at: int  # epoch seconds
    nonce: str


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(secret: str, payload: str) -> str:
    return _b64(hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest())


def sign_link(secret: str, task_id: int, person_id: int, *, now: datetime, lifetime: timedelta = LIFETIME) -> str:
    link = ActionLink(task_id, person_id, int((now + lifetime).timestamp()), secrets.token_hex(16))
    payload = _b64(json.dumps(link._asdict(), separators=(",", ":")).encode())
    return f"{payload}.{_signature(secret, payload)}"


def verify_link(secret: str, token: str, *, now: datetime) -> ActionLink:
    """The link the token carries, if its signature holds and it has not expired."""
    payload, _, signature = token.strip().partition(".")
    if not payload or not hmac.compare_digest(signature, _signature(secret, payload)):
        raise LinkRefused("the link is not valid (it was changed or not issued here)")
    try:
        link = ActionLink(**json.loads(_unb64(payload)))
    except (ValueError, TypeError):
        raise LinkRefused("the link is not valid (unreadable)") from None
    if now.timestamp() > link.expires_at:
        raise LinkRefused("the link has expired: ask for a new one or use `partnerflow task done ID`")
    return link


def consume_link(session: Session, link: ActionLink, *, now: datetime) -> None:
    """Mark the link used; a second use is refused. Flushes; the caller commits."""
    try:
        with session.begin_nested():
            session.add(UsedLink(nonce=link.nonce, used_at=now, task_id=link.task_id))
            session.flush()
    except IntegrityError:
        raise LinkRefused("the link was already used") from None
