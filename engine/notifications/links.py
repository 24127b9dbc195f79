"""Signed action links: a notification's link to its task, for one person, until an expiry, once.

A token is `payload.signature`, both base64url: the payload names the task, the person, the
expiry and a nonce; the signature is HMAC-SHA256 with PARTNERFLOW_SECRET_KEY. A tampered,
expired or already used token is refused. The same signing serves sign-in links and the web's
session cookies, each under its own purpose (and key), so one can never stand for another.
"""

import base64
import hashlib
import hmac
import json
import secrets
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from partnerflow.models import UsedLink

LIFETIME = timedelta(days=30)
MAX_TOKEN = 2_000  # characters: a token is about 200; anything longer is refused unread


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


def _signature(secret: str, purpose: str, payload: str) -> str:
    # a task's action link keeps the bare key (links already sent stay valid); every other purpose
    # signs with its own key, so no token made for one purpose is ever accepted for another
    key = secret if purpose == "task" else f"{secret}\x1f{purpose}"
    return _b64(hmac.new(key.encode(), payload.encode(), hashlib.sha256).digest())


def sign_token(secret: str, purpose: str, fields: dict[str, Any], *, expires_at: datetime) -> str:
    """A token carrying `fields`, an expiry and a fresh nonce, signed for `purpose` only."""
    body = {**fields, "expires_at": int(expires_at.timestamp()), "nonce": secrets.token_hex(16)}
    payload = _b64(json.dumps(body, separators=(",", ":")).encode())
    return f"{payload}.{_signature(secret, purpose, payload)}"


def read_token(secret: str, purpose: str, token: str, *, now: datetime) -> dict[str, Any]:
    """The fields of a token signed for `purpose`, if its signature holds and it has not expired."""
    payload, _, signature = token.strip().partition(".")
    if not payload or len(token) > MAX_TOKEN or not hmac.compare_digest(signature, _signature(secret, purpose, payload)):
        raise LinkRefused("the link is not valid (it was changed or not issued here)")
    try:
        fields = json.loads(_unb64(payload))
        expires_at = int(fields["expires_at"])
    except (ValueError, TypeError, KeyError):
        raise LinkRefused("the link is not valid (unreadable)") from None
    if now.timestamp() > expires_at:
        raise LinkRefused("the link has expired: ask for a new one")
    return fields


def sign_link(secret: str, task_id: int, person_id: int, *, now: datetime, lifetime: timedelta = LIFETIME) -> str:
    return sign_token(secret, "task", {"task_id": task_id, "person_id": person_id}, expires_at=now + lifetime)


def verify_link(secret: str, token: str, *, now: datetime) -> ActionLink:
    """The task link the token carries, if its signature holds and it has not expired."""
    try:
        return ActionLink(**read_token(secret, "task", token, now=now))
    except TypeError:
        raise LinkRefused("the link is not valid (unreadable)") from None
    except LinkRefused as refused:
        if "expired" in str(refused):
            raise LinkRefused("the link has expired: ask for a new one or use `partnerflow task done ID`") from None
        raise


def usable_link(session: Session, secret: str, token: str, *, now: datetime) -> ActionLink:
    """The task link the token carries, if it is valid, unexpired and not used yet (a page opened
    with a used link says so rather than showing the task)."""
    link = verify_link(secret, token, now=now)
    if session.get(UsedLink, link.nonce[:64]) is not None:
        raise LinkRefused("the link was already used")
    return link


def consume_link(session: Session, link: ActionLink, *, now: datetime) -> None:
    """Mark the link used; a second use is refused. Flushes; the caller commits."""
    consume_nonce(session, link.nonce, now=now, task_id=link.task_id)


def consume_nonce(session: Session, nonce: str, *, now: datetime, task_id: int | None = None) -> None:
    """Mark the token with `nonce` used; a second use is refused. Flushes; the caller commits."""
    try:
        with session.begin_nested():
            session.add(UsedLink(nonce=str(nonce)[:64], used_at=now, task_id=task_id))
            session.flush()
    except IntegrityError:
        raise LinkRefused("the link was already used") from None
