"""Who is acting, and what they may see: API tokens and a person's reach.

An API token is `pf_` and 43 random characters, shown once; only its SHA-256 digest is kept,
so a copy of the database signs no one in. Reach: a person of one of our own (internal)
parties reads the whole portfolio; a person of an outside party reads only the partnerships
their party is in. What a person may *change* is decided where the change is made (decisions,
tasks, evidence), by the same rules for the CLI, the web and the API.
"""

import hashlib
import secrets
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import select, update
from sqlmodel import Session

from partnerflow.engine import audit
from partnerflow.engine.lookup import NotFound, person_by_email
from partnerflow.models import ApiToken, Party, Person

TOKEN_PREFIX = "pf_"
MAX_TOKEN_LENGTH = 100
tokens, people, parties = ApiToken.__table__.c, Person.__table__.c, Party.__table__.c


class AccessRefused(Exception):
    """Not signed in, or not allowed to see or do this; nothing was written."""


class Actor(NamedTuple):
    """The person behind a request: who they are and how far they reach."""

    id: int
    email: str
    name: str
    roles: tuple[str, ...]
    party_id: int
    party: str
    internal: bool  # of one of our own parties: reads the whole portfolio

    @property
    def reach(self) -> int | None:
        """The party whose partnerships this person may read, or None for the whole portfolio."""
        return None if self.internal else self.party_id


def actor(session: Session, person_id: int) -> Actor:
    row = session.execute(select(people.id, people.email, people.name, people.roles, people.party_id, parties.name,
                                 parties.internal).join(Party, parties.id == people.party_id)
                          .where(people.id == person_id)).first()
    if row is None:
        raise AccessRefused("this person is no longer known here: sign in again")
    return Actor(row[0], row[1], row[2], tuple(row[3]), row[4], row[5], bool(row[6]))


def digest_of(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, email: str, *, label: str = "", expires_at: datetime | None = None,
                 now: datetime) -> tuple[int, str]:
    """A new API token for the person: (its id, the token). The token is not stored; show it once."""
    person = person_by_email(session, email)
    if expires_at is not None and expires_at <= now:
        raise AccessRefused("the token would expire before it is used: give a later --expires")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    record = ApiToken(person_id=person.id, digest=digest_of(token), label=label.strip()[:200], created_at=now,
                      expires_at=expires_at)
    session.add(record)
    session.flush()
    audit.record(session, "token.created", actor=person.email, at=now, token=record.id, label=record.label,
                 expires_at=expires_at.isoformat() if expires_at else None)
    return record.id, token


def revoke_token(session: Session, token_id: int, *, by: str, now: datetime) -> None:
    """Revoke a token: its holder, or a program manager of our own, may."""
    record = session.get(ApiToken, token_id)
    if record is None:
        raise NotFound(f"no API token with id {token_id} (see `partnerflow token list`)")
    revoker = actor(session, person_by_email(session, by).id)
    if revoker.id != record.person_id and not (revoker.internal and "program_manager" in revoker.roles):
        raise AccessRefused(f"{revoker.email} may not revoke token {token_id}: only its holder or the program office")
    if record.revoked_at is None:
        session.execute(update(ApiToken).where(tokens.id == token_id).values(revoked_at=now))
        audit.record(session, "token.revoked", actor=revoker.email, at=now, token=token_id)


def token_listing(session: Session, *, email: str | None = None) -> list[dict]:
    """Tokens (never the tokens themselves): id, holder, label, created, expires, revoked."""
    statement = (select(tokens.id, people.email, tokens.label, tokens.created_at, tokens.expires_at, tokens.revoked_at)
                 .join(Person, people.id == tokens.person_id).order_by(tokens.id))
    if email:
        statement = statement.where(people.id == person_by_email(session, email).id)
    return [{"id": row.id, "person": row.email, "label": row.label, "created_at": row.created_at.isoformat(),
             "expires_at": row.expires_at.isoformat() if row.expires_at else None,
             "revoked_at": row.revoked_at.isoformat() if row.revoked_at else None} for row in session.execute(statement)]


def token_actor(session: Session, token: str, *, now: datetime) -> Actor:
    """The person an API token belongs to, if it is live (not expired, not revoked)."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > MAX_TOKEN_LENGTH:
        raise AccessRefused("the API token is not valid")
    row = session.execute(select(tokens.person_id, tokens.expires_at, tokens.revoked_at)
                          .where(tokens.digest == digest_of(token))).first()
    if row is None or row.revoked_at is not None:
        raise AccessRefused("the API token is not valid (unknown or revoked)")
    if row.expires_at is not None and row.expires_at <= now:
        raise AccessRefused("the API token has expired: create a new one with `partnerflow token create`")
    return actor(session, row.person_id)
