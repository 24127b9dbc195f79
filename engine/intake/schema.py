"""The shapes of an import document: programs, parties, people and partnerships.

Only the keys are always required of a partnership; a new one also needs the fields of
REQUIRED_ON_CREATE. Evidence sections are in `engine.intake.evidence`.
"""

from typing import Literal

from pydantic import field_validator

from partnerflow.engine.intake.evidence import EvidenceIn
from partnerflow.engine.intake.fields import (
    MOST_CHANNELS,
    MOST_PARTIES,
    MOST_ROLES,
    Address,
    Day,
    Email,
    Flag,
    Key,
    Name,
    Path,
    Prose,
    Role,
    Secret,
    Shape,
    entries,
    references,
)
from partnerflow.gates import PARTNERSHIP_KINDS, PHASES
from partnerflow.notify import CHANNELS

__all__ = ["ENTITY_SHAPES", "REQUIRED_ON_CREATE", "PartnershipIn", "Path", "Shape", "references"]


# Who and what
class ProgramIn(Shape):
    key: Key
    name: Name


class PartyIn(Shape):
    key: Key
    name: Name
    internal: Flag = False


class ChannelIn(Shape):
    """A way to reach the person; validated like `partnerflow channel add`."""

    kind: Literal[CHANNELS]  # type: ignore[valid-type]
    address: Address = ""
    secret: Secret | None = None
    digest: Flag = False


class PersonIn(Shape):
    refs = {"party": ("party_id", "party")}
    children = ("channels",)
    email: Email
    name: Name
    party: Key
    roles: entries(Role, "roles", MOST_ROLES) = ()
    channels: entries(ChannelIn, "channels", MOST_CHANNELS) | None = None  # given: replaces the person's channels


class MemberIn(Shape):
    refs = {"person": ("person_id", "person")}
    person: Email
    role: Role
    responsibilities: Prose = ""


class PartnershipIn(Shape):
    """Only `key` is always required; a new partnership also needs the fields of REQUIRED_ON_CREATE."""

    refs = {"program": ("program_id", "program"), "parties": ("party_id", "party"),
            "sponsor": ("sponsor_id", "person"), "owner": ("owner_id", "person")}
    children = ("members", "evidence")
    key: Key
    name: Name | None = None
    kind: Literal[PARTNERSHIP_KINDS] | None = None  # type: ignore[valid-type]
    program: Key | None = None
    parties: entries(Key, "party keys", MOST_PARTIES) | None = None
    phase: Literal[PHASES] | None = None  # type: ignore[valid-type]
    phase_since: Day | None = None
    sponsor: Email | None = None
    owner: Email | None = None
    members: entries(MemberIn, "members") | None = None
    evidence: EvidenceIn | None = None

    @field_validator("parties")
    @classmethod
    def _two_distinct_parties(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if value is None:
            return value
        twice = sorted({key for key in value if value.count(key) > 1})
        if twice:
            raise ValueError(f"party {', '.join(map(repr, twice))} is listed more than once")
        if len(value) < 2:
            raise ValueError(f"a partnership needs at least two distinct parties ({len(value)} given)")
        return value


REQUIRED_ON_CREATE = ("name", "program", "parties", "sponsor", "owner")

ENTITY_SHAPES: dict[str, type[Shape]] = {
    "programs": ProgramIn, "parties": PartyIn, "people": PersonIn, "partnerships": PartnershipIn,
}
