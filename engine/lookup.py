"""Finding partnerships and people by their keys, with errors a person can act on."""

from sqlalchemy import func
from sqlmodel import Session, select

from partnerflow.models import Partnership, Person


class NotFound(LookupError):
    """No such partnership or person."""


def partnership_by_key(session: Session, key: str) -> Partnership:
    found = session.exec(select(Partnership).where(Partnership.key == key)).first()
    if found is None:
        raise NotFound(f"no partnership with key {key!r} (see `partnerflow status` for the portfolio)")
    return found


def partnership_ids(session: Session, keys: list[str]) -> list[int]:
    """Ids of the partnerships with these keys, in order; NotFound names every missing key."""
    found = dict(session.exec(select(Partnership.key, Partnership.id).where(Partnership.key.in_(keys))).all())
    missing = [key for key in keys if key not in found]
    if missing:
        raise NotFound(f"no partnership with key {', '.join(repr(k) for k in missing)}")
    return [found[key] for key in keys]


def person_by_email(session: Session, email: str) -> Person:
    found = session.exec(select(Person).where(func.lower(Person.email) == email.strip().lower())).first()
    if found is None:
        raise NotFound(f"no person with email {email!r}")
    return found
