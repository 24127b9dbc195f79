"""Signing in without a password: a one-time link sent through the person's own channels,
and the signed session that link opens.

A sign-in link lives SIGN_IN_LIFETIME from its delivery (it is signed when dispatched, like a
task's link, so nothing that signs anyone in is stored) and works once. A session is a signed
token (purpose "session") that the web keeps in a cookie; it names the person and carries the
nonce the web derives its CSRF token from.
"""

import uuid
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlmodel import Session

from partnerflow.engine import audit
from partnerflow.engine.lookup import NotFound, person_by_email
from partnerflow.engine.notifications.links import LinkRefused, consume_nonce, read_token, sign_token
from partnerflow.engine.notifications.outbox import Outgoing, enqueue
from partnerflow.models import Notification, Person, UsedLink

SIGN_IN_LIFETIME = timedelta(minutes=15)
SESSION_LIFETIME = timedelta(hours=12)
SIGN_IN_PAUSE = timedelta(minutes=1)  # one link a minute per person, so the form cannot flood an inbox
N = Notification.__table__.c


def request_sign_in(session: Session, email: str, *, now: datetime) -> bool:
    """Queue a sign-in link for the person with this email. False when no such person (the caller
    says the same thing either way, so the form does not tell who is known)."""
    try:
        person = person_by_email(session, email[:320])
    except NotFound:
        return False
    recent = session.execute(select(N.id).where(N.person_id == person.id, N.event == "sign_in",
                                                N.created_at > now - SIGN_IN_PAUSE).limit(1)).first()
    if recent is None:
        minutes = int(SIGN_IN_LIFETIME.total_seconds() // 60)
        enqueue(session, [Outgoing("sign_in", person.id, f"sign-in:{uuid.uuid4().hex}",
                                   {"minutes": minutes, "action_label": "Sign in to Partnerflow"})], now=now)
        audit.record(session, "sign_in.requested", actor=person.email, at=now)
    return True


def sign_in_link(secret: str, base_url: str, person_id: int, *, now: datetime) -> str:
    token = sign_token(secret, "sign_in", {"person_id": person_id}, expires_at=now + SIGN_IN_LIFETIME)
    return f"{base_url.rstrip('/')}/sign-in?token={token}"


def sign_in_link_for(session: Session, email: str, *, secret: str, base_url: str, now: datetime) -> str:
    """A sign-in link for a person, handed over directly rather than through their channels: for
    `partnerflow demo --serve` on a development machine, where the sample people have no channel."""
    return sign_in_link(secret, base_url, person_by_email(session, email).id, now=now)


def sign_in(session: Session, token: str, *, secret: str, now: datetime) -> str:
    """Use a sign-in link: the session token for its person. Once; a used, expired or changed
    link raises LinkRefused. Flushes; the caller commits."""
    fields = read_token(secret, "sign_in", token, now=now)
    person_id = fields.get("person_id")
    if not isinstance(person_id, int):
        raise LinkRefused("the link is not valid (unreadable)")
    consume_nonce(session, fields["nonce"], now=now)
    person = session.get(Person, person_id)
    if person is None:
        raise LinkRefused("the link is for a person who is no longer known here")
    audit.record(session, "sign_in", actor=person.email, at=now)
    return session_token(secret, person_id, now=now)


def session_token(secret: str, person_id: int, *, now: datetime) -> str:
    return sign_token(secret, "session", {"person_id": person_id}, expires_at=now + SESSION_LIFETIME)


def session_of(session: Session, secret: str, token: str, *, now: datetime) -> tuple[int, str]:
    """(person id, session nonce) of a live session token: signed, not expired, not signed out.
    LinkRefused otherwise."""
    fields = read_token(secret, "session", token, now=now)
    if not isinstance(fields.get("person_id"), int) or not isinstance(fields.get("nonce"), str):
        raise LinkRefused("the session is not valid")
    if session.get(UsedLink, fields["nonce"][:64]) is not None:
        raise LinkRefused("the session was signed out")
    return fields["person_id"], fields["nonce"]


def sign_out(session: Session, secret: str, token: str, *, now: datetime) -> None:
    """End a session for good: its nonce is recorded as used, so the token (a copy of the cookie
    included) is refused from now on, not only forgotten by the browser. Flushes; the caller commits."""
    person_id, nonce = session_of(session, secret, token, now=now)
    consume_nonce(session, nonce, now=now)
    person = session.get(Person, person_id)
    audit.record(session, "sign_out", actor=person.email if person else "unknown", at=now)
