"""Configuring how a person is reached. A target is validated when it is configured."""

import base64
import secrets
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import update
from sqlmodel import Session, select

from engine import audit, clock
from engine.lookup import person_by_email
from engine.settings import get_settings
from models import Channel, Notification, Person
from notify.message import Target
from notify.targets import InvalidTarget, validate_target

KINDS = ("email", "webhook", "slack", "teams", "inbox")


class ChannelRefused(ValueError):
    """The channel cannot be configured (an invalid or forbidden target); nothing was written."""


def new_webhook_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def add_channel(session: Session, email: str, kind: str, *, address: str = "", secret: str | None = None,
                digest: bool = False, allow_hosts: frozenset[str] | None = None, now: datetime | None = None
                ) -> Channel:
    """Add a channel; a webhook without a secret gets a new one (shown once to the operator)."""
    person = person_by_email(session, email)
    if kind not in KINDS:
        raise ChannelRefused(f"unknown channel kind {kind!r}: choose one of {', '.join(KINDS)}")
    if kind == "email" and not address:
        address = person.email
    if kind == "webhook" and not secret:
        secret = new_webhook_secret()
    problem = target_problem(kind, address, secret, allow_hosts=allow_hosts)
    if problem:
        raise ChannelRefused(problem)
    duplicate = session.exec(select(Channel).where(Channel.person_id == person.id, Channel.kind == kind,
                                                   Channel.address == address)).first()
    if duplicate is not None:
        raise ChannelRefused(f"{person.email} already has this {kind} channel (#{duplicate.id})")
    channel = Channel(person_id=person.id, kind=kind, address=address, secret=secret, digest=digest)
    session.add(channel)
    session.flush()
    audit.record(session, "channel.added", actor="operator", at=now or clock.now(), person=person.email,
                 channel_kind=kind, channel=channel.id, digest=digest)
    return channel


def target_problem(kind: str, address: str, secret: str | None, *, allow_hosts: frozenset[str] | None = None
                   ) -> str | None:
    """Why a channel's target may not be used, or None. Hosts allowed by the operator's settings pass."""
    if kind == "inbox":
        return None
    if allow_hosts is None:
        allow_hosts = get_settings().allowed_hosts
    try:
        validate_target(Target(kind, address, secret), allow_hosts=allow_hosts)
    except InvalidTarget as exc:
        return f"{kind} target refused: {exc.reason}"
    return None


def write_channels(session: Session, person_id: int, wanted: list[dict], *, now: datetime) -> bool:
    """Make the person's channels those `wanted` (kind, address, secret, digest); True if anything changed."""
    current = {(c.kind, c.address): c for c in session.exec(select(Channel).where(Channel.person_id == person_id))}
    changed = False
    for spec in wanted:
        found = current.pop((spec["kind"], spec["address"]), None)
        if found is None:
            session.add(Channel(person_id=person_id, **spec))
            changed = True
        elif (found.secret, found.digest) != (spec["secret"], spec["digest"]):
            found.secret, found.digest = spec["secret"], spec["digest"]
            changed = True
    for gone in current.values():
        remove_channel(session, gone.id, now=now)
        changed = True
    session.flush()
    return changed


def remove_channel(session: Session, channel_id: int, *, now: datetime | None = None) -> None:
    channel = session.get(Channel, channel_id)
    if channel is None:
        raise ChannelRefused(f"no channel #{channel_id}")
    # its history stays (attempts, sent messages); what was still waiting for it cannot go anywhere now
    session.execute(update(Notification).where(Notification.channel_id == channel_id, Notification.status != "sent")
                    .values(status="dead", last_error="the channel was removed", claimed_until=None)
                    .execution_options(synchronize_session=False))
    session.execute(update(Notification).where(Notification.channel_id == channel_id).values(channel_id=None)
                    .execution_options(synchronize_session=False))
    session.delete(channel)
    audit.record(session, "channel.removed", actor="operator", at=now or clock.now(), channel=channel_id,
                 channel_kind=channel.kind)
    session.flush()


def channels(session: Session, email: str | None = None) -> list[dict]:
    """Channels with their person; secrets and full URLs are never listed."""
    statement = select(Channel, Person.email).join(Person, Person.id == Channel.person_id).order_by(Channel.id)
    if email:
        statement = statement.where(Person.id == person_by_email(session, email).id)
    return [{"id": c.id, "person": who, "kind": c.kind, "address": _shown(c), "digest": c.digest}
            for c, who in session.exec(statement)]


def _shown(channel: Channel) -> str:
    if channel.kind in ("webhook", "slack", "teams"):
        parts = urlsplit(channel.address)
        return f"{parts.scheme}://{parts.netloc}/…"
    return channel.address
