"""People by role and by stand-in: who decides at a gate, who is the program office, who is out of office.

One rule for every path that asks (a decision, the gate-ready notice): a person decides at a
partnership's gate when they hold the `gatekeeper` role and belong to one of its parties. The
program office (the `program_manager` role, held by a person of one of our own, internal, parties)
may put any partnership on hold or kill it, and never votes go or recycle; the role given to a
person of an outside party confers nothing. A delegate casts for a gatekeeper they stand in for (engine/phases/decisions.py).
"""

from datetime import date

from sqlalchemy import select
from sqlmodel import Session

from partnerflow.models import Delegation, PartnershipParty, Party, Person

PROGRAM_OFFICE_VERDICTS = ("hold", "kill")
PP, PE, D, PA = PartnershipParty.__table__.c, Person.__table__.c, Delegation.__table__.c, Party.__table__.c


def gatekeepers_by_partnership(session: Session, partnership_ids: list[int]) -> dict[int, list[int]]:
    """partnership id -> the ids of the gatekeepers of its parties (empty when its parties have none)."""
    rows = session.execute(select(PP.partnership_id, PE.id, PE.roles).join(Person, PE.party_id == PP.party_id)
                           .where(PP.partnership_id.in_(partnership_ids)).order_by(PE.id))
    found: dict[int, list[int]] = {pid: [] for pid in partnership_ids}
    for pid, person_id, roles in rows:
        if "gatekeeper" in roles:
            found[pid].append(person_id)
    return found


def may_stop(session: Session, person: Person, verdict: str) -> bool:
    """The program office may hold or kill any partnership of the portfolio."""
    return verdict in PROGRAM_OFFICE_VERDICTS and person.id in program_office(session)



def program_office(session: Session) -> list[int]:
    """The ids of the program managers of our own (internal) parties, in id order."""
    rows = session.execute(select(PE.id, PE.roles).join(Party, PA.id == PE.party_id).where(PA.internal.is_(True))
                           .order_by(PE.id))
    return [pid for pid, roles in rows if "program_manager" in roles]


def active_delegations(session: Session, on: date) -> dict[int, int]:
    """person id -> delegate id, for delegations in force on `on`."""
    rows = session.execute(select(D.person_id, D.delegate_id).where(D.starts_on <= on, D.ends_on >= on)
                           .order_by(D.id))
    return dict(rows.all())
