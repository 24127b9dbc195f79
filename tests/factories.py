"""Object builders for tests: a small world of parties and people, partnerships with evidence.

`world(session)` creates a program, two parties (Northwind, ours; Acme, theirs) and their
people; `partnership(...)` adds one; `alignment_evidence` and `execution_evidence` add
evidence that passes every criterion of the gate out of that phase as of `AS_OF`.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlmodel import Session

from partnerflow.engine import clock
from partnerflow.models import (
    Agreement,
    BusinessCase,
    Commitment,
    CommunicationPlan,
    KnowledgeSession,
    Measurement,
    Meeting,
    Member,
    Metric,
    Partnership,
    PartnershipParty,
    Party,
    Person,
    Problem,
    ProcessOwner,
    Program,
    Risk,
    Signature,
    Stakeholder,
    Win,
)

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)  # the frozen clock of every test (tests/conftest.py)
AS_OF = NOW.date()


@dataclass
class World:
    program: Program
    us: Party
    them: Party
    owner: Person
    sponsor: Person
    our_gatekeepers: list[Person]
    their_gatekeeper: Person
    their_manager: Person


def world(session: Session) -> World:
    program = Program(key="supply", name="Supply chain")
    us, them = Party(key="northwind", name="Northwind", internal=True), Party(key="acme", name="Acme")
    session.add_all([program, us, them])
    session.flush()

    def person(email, party, roles=()):
        p = Person(email=email, name=email.split("@")[0].title(), party_id=party.id, roles=list(roles))
        session.add(p)
        return p

    w = World(program, us, them, person("olivia@northwind.example", us), person("sam@northwind.example", us),
              [person("gina@northwind.example", us, ["gatekeeper"]), person("gus@northwind.example", us, ["gatekeeper"])],
              person("grace@acme.example", them, ["gatekeeper"]), person("max@acme.example", them))
    session.flush()
    return w


def partnership(session: Session, w: World, key: str = "acme-supply", *, phase: str = "alignment",
                state: str = "active") -> Partnership:
    p = Partnership(key=key, name=f"Partnership {key}", kind="supplier", program_id=w.program.id, phase=phase,
                    state=state, sponsor_id=w.sponsor.id, owner_id=w.owner.id, phase_since=AS_OF - timedelta(days=200),
                    created_at=clock.now())
    session.add(p)
    session.flush()
    session.add_all([PartnershipParty(partnership_id=p.id, party_id=w.us.id),
                     PartnershipParty(partnership_id=p.id, party_id=w.them.id)])
    session.flush()
    return p


def alignment_evidence(session: Session, w: World, p: Partnership) -> None:
    """Evidence that passes every criterion of alignment-to-execution as of AS_OF."""
    pid = p.id
    agreement = Agreement(partnership_id=pid, kind="contract", reference="MSA-1", effective_on=date(2026, 1, 1),
                          expires_on=date(2027, 12, 31))
    session.add(agreement)
    session.flush()
    session.add_all([
        BusinessCase(partnership_id=pid, outcomes="Cut lead time", processes="Order to delivery",
                     measures="On-time delivery", approved_by_id=w.sponsor.id, approved_on=date(2026, 1, 10)),
        Win(partnership_id=pid, party_id=w.us.id, statement="Shorter lead times"),
        Win(partnership_id=pid, party_id=w.them.id, statement="Predictable volume"),
        Signature(agreement_id=agreement.id, party_id=w.us.id, signed_by_id=w.sponsor.id, signed_on=date(2026, 1, 1)),
        Signature(agreement_id=agreement.id, party_id=w.them.id, signed_by_id=w.their_manager.id,
                  signed_on=date(2026, 1, 2)),
        Member(partnership_id=pid, person_id=w.owner.id, role="owner", responsibilities="Runs the partnership"),
        Member(partnership_id=pid, person_id=w.their_manager.id, role="account_manager",
               responsibilities="Acme's side"),
        ProcessOwner(partnership_id=pid, process="Order to delivery", person_id=w.owner.id),
        ProcessOwner(partnership_id=pid, process="Order to delivery", person_id=w.their_manager.id),
        Risk(partnership_id=pid, description="Single plant", mitigation="Second source", owner_id=w.owner.id),
        Stakeholder(partnership_id=pid, person_id=w.sponsor.id, influence="decision_maker",
                    last_contact_on=AS_OF - timedelta(days=10)),
        Stakeholder(partnership_id=pid, person_id=w.their_gatekeeper.id, influence="decision_maker",
                    last_contact_on=AS_OF - timedelta(days=10)),
        CommunicationPlan(partnership_id=pid, formal_cadence_days=30, decision_process="Steering committee",
                          escalation_path="Owner, then sponsors", response_target_days=5),
    ])
    metrics = [Metric(partnership_id=pid, key="otd", name="On-time delivery", kind="performance", target=95,
                      unit="%", shared=True),
               Metric(partnership_id=pid, key="csat", name="CSAT", kind="customer_satisfaction", target=4, unit="pts"),
               Metric(partnership_id=pid, key="response", name="Response time", kind="relationship", target=3,
                      direction="lower", unit="days")]
    session.add_all(metrics)
    session.flush()


MONTH_ENDS = (date(2026, 8, 31), date(2026, 9, 30), date(2026, 10, 31))


def execution_evidence(session: Session, w: World, p: Partnership) -> None:
    """Evidence that passes every criterion of execution-to-shared-vision as of AS_OF."""
    alignment_evidence(session, w, p)
    execution_records(session, w, p)


def execution_records(session: Session, w: World, p: Partnership) -> None:
    """What execution adds to alignment's evidence: measurements, honored commitments, meetings, a solved problem."""
    values = {"otd": 97, "csat": 4.5, "response": 2}
    for metric in session.query(Metric).filter(Metric.partnership_id == p.id):
        session.add_all([Measurement(metric_id=metric.id, period_end=end, value=values[metric.key])
                         for end in MONTH_ENDS])
    session.add_all([
        *[Commitment(partnership_id=p.id, party_id=w.them.id, description=f"Commitment {i}",
                     due_on=date(2026, 6, i + 1), status="honored", resolved_on=date(2026, 6, i + 1))
          for i in range(10)],
        *[Meeting(partnership_id=p.id, held_on=AS_OF - timedelta(days=d), kind="formal", summary="Monthly review")
          for d in (5, 35, 65)],
        Problem(partnership_id=p.id, summary="Late truck", raised_on=date(2026, 10, 1), resolved_on=date(2026, 10, 3)),
        KnowledgeSession(partnership_id=p.id, held_on=date(2026, 10, 15), topics="Five-year outlook"),
    ])
    session.flush()


def existing_world(session: Session) -> World:
    """The world `world()` created earlier in this database."""
    from sqlmodel import select

    people = {p.email: p for p in session.exec(select(Person))}
    parties = {p.key: p for p in session.exec(select(Party))}
    return World(session.exec(select(Program)).first(), parties["northwind"], parties["acme"],
                 people["olivia@northwind.example"], people["sam@northwind.example"],
                 [people["gina@northwind.example"], people["gus@northwind.example"]],
                 people["grace@acme.example"], people["max@acme.example"])


def small_portfolio(session: Session) -> World:
    """Three partnerships: acme-supply passes its gatekeeper gate, star its auto gate, empty nothing."""
    w = world(session)
    alignment_evidence(session, w, partnership(session, w, "acme-supply"))
    execution_evidence(session, w, partnership(session, w, "star", phase="execution"))
    partnership(session, w, "empty")
    return w
