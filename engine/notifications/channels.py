"""Configuring how a person is reached. A target is validated when it is configured.

Webhook, Slack and Teams URLs and webhook signing secrets are stored sealed (engine/sealing.py)
and never listed: a listing shows a URL's scheme and host only.
"""

import base64
import secrets
from datetime import datetime
from typing import NamedTuple
from urllib.parse import urlsplit

from sqlalchemy import update
from sqlmodel import Session, select

from partnerflow.engine import audit, clock
from partnerflow.engine.lookup import person_by_email
from partnerflow.engine.sealing import LONGEST_SEALED_ADDRESS, SEALED_ADDRESSES, Keyring, Unreadable
from partnerflow.engine.settings import get_settings
from partnerflow.models import Channel, Notification, Person
from partnerflow.notify import CHANNELS, InvalidTarget, Target, validate_target

KINDS = CHANNELS


class ChannelRefused(ValueError):
    """The channel cannot be configured (an invalid or forbidden target); nothing was written."""


def new_webhook_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def add_channel(session: Session, email: str, kind: str, *, address: str = "", secret: str | None = None,
                digest: bool = False, allow_hosts: frozenset[str] | None = None, now: datetime | None = None,
                keyring: Keyring | None = None) -> Channel:
    """Add a channel; a webhook without a secret gets a new one (shown once to the operator: `secret_of`)."""
    keyring = keyring or Keyring.of(get_settings())
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
    stored = keyring.address(kind, address)
    duplicate = session.exec(select(Channel).where(Channel.person_id == person.id, Channel.kind == kind,
                                                   Channel.address.in_(keyring.stored_forms(kind, address)))).first()
    if duplicate is not None:
        raise ChannelRefused(f"{person.email} already has this {kind} channel (#{duplicate.id})")
    channel = Channel(person_id=person.id, kind=kind, address=stored, secret=keyring.secret(secret), digest=digest)
    session.add(channel)
    session.flush()
    audit.record(session, "channel.added", actor="operator", at=now or clock.now(), person=person.email,
                 channel_kind=kind, channel=channel.id, digest=digest)
    return channel


def secret_of(channel: Channel, keyring: Keyring | None = None) -> str | None:
    """A channel's signing secret in plain text, for the operator who just added it."""
    return None if channel.secret is None else (keyring or Keyring.of(get_settings())).unseal(channel.secret)


def target_problem(kind: str, address: str, secret: str | None, *, allow_hosts: frozenset[str] | None = None
                   ) -> str | None:
    """Why a channel's target may not be used, or None. Hosts allowed by the operator's settings pass."""
    if kind == "inbox":
        return None
    if kind in SEALED_ADDRESSES and len(address) > LONGEST_SEALED_ADDRESS:
        return f"{kind} target refused: the URL is longer than {LONGEST_SEALED_ADDRESS:,} characters"
    if allow_hosts is None:
        allow_hosts = get_settings().allowed_hosts
    try:
        validate_target(Target(kind, address, secret), allow_hosts=allow_hosts)
    except InvalidTarget as exc:
        return f"{kind} target refused: {exc.reason}"
    return None


def write_channels(session: Session, person_id: int, wanted: list[dict], *, now: datetime,
                   keyring: Keyring | None = None) -> bool:
    """Make the person's channels those `wanted` (kind, address, secret, digest); True if anything changed.

    Compares plain values; a channel no key in hand opens matches nothing, so it is replaced."""
    keyring = keyring or Keyring.of(get_settings())
    rows = session.exec(select(Channel).where(Channel.person_id == person_id))
    current = {_compared(keyring, c): c for c in rows}
    changed = False
    for spec in wanted:
        found = current.pop((spec["kind"], spec["address"]), None)
        sealed = {**spec, "address": keyring.address(spec["kind"], spec["address"]),
                  "secret": keyring.secret(spec["secret"])}
        if found is None:
            session.add(Channel(person_id=person_id, **sealed))
            changed = True
        elif (_readable(keyring, found.secret), found.digest) != (spec["secret"], spec["digest"]):
            found.address, found.secret, found.digest = sealed["address"], sealed["secret"], spec["digest"]
            changed = True
    for gone in current.values():
        remove_channel(session, gone.id, now=now)
        changed = True
    session.flush()
    return changed


def _compared(keyring: Keyring, channel: Channel) -> tuple:
    """A channel's kind and plain address; one that no key opens is set apart, matching nothing."""
    address = _readable(keyring, channel.address)
    return ("unreadable", channel.id) if address is None else (channel.kind, address)


def _readable(keyring: Keyring, stored: str | None) -> str | None:
    try:
        return None if stored is None else keyring.unseal(stored)
    except Unreadable:
        return None


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


def channel_listing(session: Session, email: str | None = None, *, keyring: Keyring | None = None) -> list[dict]:
    """Channels with their person; secrets and full URLs are never listed."""
    keyring = keyring or Keyring.of(get_settings())
    statement = select(Channel, Person.email).join(Person, Person.id == Channel.person_id).order_by(Channel.id)
    if email:
        statement = statement.where(Person.id == person_by_email(session, email).id)
    return [{"id": c.id, "person": who, "kind": c.kind, "address": _shown(c, keyring), "digest": c.digest}
            for c, who in session.exec(statement)]


def _shown(channel: Channel, keyring: Keyring) -> str:
    """An email address as it is; of a URL, its scheme and host only (the rest may be a credential)."""
    if channel.kind not in SEALED_ADDRESSES:
        return channel.address
    address = _readable(keyring, channel.address)
    if address is None:
        return "(sealed with another secret key: reseal, or remove and add again)"
    parts = urlsplit(address)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}/…"


class Resealed(NamedTuple):
    channels: int  # channels whose credentials were sealed (again) with the current key
    unreadable: list[int]  # channels whose credentials no key in hand opens: left as they are


def reseal(session: Session, *, keyring: Keyring | None = None, now: datetime | None = None) -> Resealed:
    """Seal every channel credential with the current secret key. Flushes; the caller commits.

    Seals what an earlier version stored in plain text and what was sealed with the previous key
    (PARTNERFLOW_PREVIOUS_SECRET_KEY); what no key opens is left and listed. Idempotent.
    """
    keyring = keyring or Keyring.of(get_settings())
    count, unreadable = 0, []
    for channel in session.exec(select(Channel).order_by(Channel.id)):
        try:
            changes = _resealed(channel, keyring)
        except Unreadable:
            unreadable.append(channel.id)
            continue
        for name, value in changes.items():
            setattr(channel, name, value)
        count += bool(changes)
    if count:
        audit.record(session, "channel.resealed", actor="operator", at=now or clock.now(), channels=count)
    session.flush()
    return Resealed(count, unreadable)


def _resealed(channel: Channel, keyring: Keyring) -> dict[str, str]:
    """The credentials of `channel` sealed with the current key, for those that are not yet."""
    stored = {"address": channel.address if channel.kind in SEALED_ADDRESSES else None, "secret": channel.secret}
    return {name: keyring.seal(keyring.unseal(value)) for name, value in stored.items()
            if value and not keyring.sealed_with_current(value)}
