"""Gatekeepers' decisions: validated first, four eyes and two sides, frozen records, history."""

import pytest
from sqlalchemy import func, select
from sqlmodel import SQLModel

from engine import status
from engine.decisions import DecisionRefused, decide
from engine.lookup import NotFound
from engine.policies import read_policy
from engine.review import review_portfolio
from engine.settings import DEFAULT_POLICY
from models import Decision, Partnership, Person, session_scope
from tests import factories
from tests.factories import AS_OF

POLICY = read_policy(DEFAULT_POLICY)
GINA, GUS, GRACE, OLIVIA, MAX = ("gina@northwind.example", "gus@northwind.example", "grace@acme.example",
                                 "olivia@northwind.example", "max@acme.example")


@pytest.fixture
def ready(engine):
    """One alignment partnership passing its gatekeeper gate (2 approvers, one per party)."""
    with session_scope(engine) as session:
        factories.small_portfolio(session)
    review_portfolio(engine, POLICY, AS_OF, batch_size=100)
    return engine


def go(engine, by, key="acme-supply", policy=POLICY, **kwargs):
    with session_scope(engine) as session:
        return decide(session, policy, key, kwargs.pop("verdict", "go"), by=by,
                      reason=kwargs.pop("reason", "Evidence is complete"), as_of=AS_OF, **kwargs)


def snapshot_of_tables(engine):
    with engine.connect() as connection:
        return {t.name: connection.execute(select(func.count()).select_from(t)).scalar_one()
                for t in SQLModel.metadata.sorted_tables} | {
            "partnerships": connection.execute(select(Partnership.key, Partnership.phase, Partnership.state,
                                                      Partnership.version).order_by(Partnership.key)).all()}


def phase_state(engine, key="acme-supply"):
    with engine.connect() as connection:
        return tuple(connection.execute(select(Partnership.phase, Partnership.state)
                                        .where(Partnership.key == key)).one())


@pytest.mark.parametrize(("by", "key", "verdict", "message"), [
    (MAX, "acme-supply", "go", "max@acme.example is not a gatekeeper"),
    (GINA, "empty", "go", "go refused: must-meet criteria of alignment-to-execution fail — business-case-approved"),
    (GINA, "nope", "go", "no partnership with key 'nope'"),
    ("who@nowhere.example", "acme-supply", "go", "no person with email 'who@nowhere.example'"),
    (GINA, "acme-supply", "recycle", "acme-supply is in its first phase"),
    (GINA, "acme-supply", "maybe", "unknown decision 'maybe'"),
    (GINA, "star", "hold", None),  # allowed: a baseline that the table itself can fail
])
def test_refused_decisions_write_nothing(ready, by, key, verdict, message):
    before = snapshot_of_tables(ready)
    if message is None:
        go(ready, by, key, verdict=verdict)
        assert snapshot_of_tables(ready) != before
        return
    with pytest.raises((DecisionRefused, NotFound), match=message.replace("(", r"\(")):
        go(ready, by, key, verdict=verdict)
    assert snapshot_of_tables(ready) == before


def test_owner_may_not_decide_on_their_own_partnership(ready):
    with session_scope(ready) as session:
        session.query(Person).filter_by(email=OLIVIA).update({"roles": ["gatekeeper"]})
    before = snapshot_of_tables(ready)
    with pytest.raises(DecisionRefused, match="olivia@northwind.example owns acme-supply"):
        go(ready, OLIVIA)
    assert snapshot_of_tables(ready) == before


def test_a_reason_is_required(ready):
    with pytest.raises(DecisionRefused, match="needs a reason"):
        go(ready, GINA, reason="  ")


def test_two_sided_four_eyes_gate_advances_on_the_last_required_vote(ready):
    first = go(ready, GINA)
    assert first.effect == "vote recorded (1 of 2); waiting for 1 more gatekeeper(s) and a gatekeeper of Acme"
    with pytest.raises(DecisionRefused, match="already voted go"):
        go(ready, GINA)
    second = go(ready, GUS)
    assert second.effect == "vote recorded (2 of 2); waiting for a gatekeeper of Acme"
    assert phase_state(ready) == ("alignment", "ready")
    third = go(ready, GRACE)
    assert third.effect == "advanced to execution"
    assert phase_state(ready) == ("execution", "active")


def test_four_eyes_without_sides_needs_two_distinct_gatekeepers(ready):
    gate = POLICY.gates[0].model_copy(update={"approvers": POLICY.gates[0].approvers.model_copy(
        update={"from_each_party": False})})
    policy = POLICY.model_copy(update={"gates": (gate, POLICY.gates[1])})
    assert go(ready, GINA, policy=policy).effect.startswith("vote recorded (1 of 2)")
    assert go(ready, GUS, policy=policy).effect == "advanced to execution"


def test_a_hold_clears_earlier_votes(ready):
    go(ready, GINA)
    go(ready, GUS, verdict="hold", reason="Budget freeze")
    assert phase_state(ready) == ("alignment", "on_hold")
    after_hold = go(ready, GRACE)  # Gina's vote before the hold no longer counts
    assert after_hold.effect == "vote recorded (1 of 2); waiting for 1 more gatekeeper(s) and a gatekeeper of Northwind"


def test_on_an_auto_gate_one_gatekeeper_go_advances_before_the_nightly_review(ready):
    with session_scope(ready) as session:
        w = factories.existing_world(session)
        factories.execution_evidence(session, w, factories.partnership(session, w, "fresh-star", phase="execution"))
    assert go(ready, GINA, "fresh-star").effect == "advanced to shared_vision"


def test_recycle_goes_back_one_phase_and_votes_do_not_carry_over(ready):
    go(ready, GINA)
    go(ready, GUS)
    go(ready, GRACE)
    go(ready, GINA, verdict="recycle", reason="Metrics were never agreed with the plant")
    assert phase_state(ready) == ("alignment", "active")
    assert go(ready, GUS).effect.startswith("vote recorded (1 of 2)")


def test_kill_terminates_and_no_decision_follows(ready):
    go(ready, GINA, verdict="kill", reason="Partner acquired by a competitor")
    assert phase_state(ready) == ("alignment", "terminated")
    with pytest.raises(DecisionRefused, match="acme-supply is terminated"):
        go(ready, GUS)


def test_a_decision_keeps_a_frozen_record_of_what_it_was_based_on(ready):
    go(ready, GINA, condition="Sign the data processing annex within 30 days")
    with ready.connect() as connection:
        decision = connection.execute(select(Decision)).one()
    assert decision.policy_version == POLICY.version and decision.verdict == "go"
    assert {r["id"] for r in decision.results} == {c.id for c in POLICY.gates[0].criteria}
    assert all(r["passed"] for r in decision.results if r["level"] == "must")
    assert len(decision.evidence_digest) == 64 and decision.cycle == 1


def test_conditional_go_shows_its_open_item_and_history_tells_the_story(ready):
    go(ready, GINA, condition="Sign the data processing annex within 30 days")
    go(ready, GUS)
    go(ready, GRACE)
    with session_scope(ready) as session:
        view = status.partnership_status(session, POLICY, "acme-supply", AS_OF)
        events = status.history(session, "acme-supply")
    assert view["open_conditions"][0]["condition"] == "Sign the data processing annex within 30 days"
    assert [e["kind"] for e in events] == ["state.ready", "decision.go", "decision.go", "decision.go",
                                           "phase.advanced"]
    assert events[-1]["data"]["approved_by"] == [GINA, GUS, GRACE]


def test_every_vote_bumps_the_version_so_concurrent_votes_conflict(ready):
    """Two gatekeepers voting on the same read: the version guard refuses the second, never loses it."""
    def version():
        with ready.connect() as connection:
            return connection.execute(select(Partnership.version).where(Partnership.key == "acme-supply")).scalar()

    before = version()
    go(ready, GINA)
    assert version() == before + 1


def test_a_delegate_votes_for_an_out_of_office_gatekeeper_and_the_record_shows_both(ready):
    from datetime import date

    from models import AuditEvent, Delegation

    with session_scope(ready) as session:
        grace = session.query(Person).filter_by(email=GRACE).one()
        max_ = session.query(Person).filter_by(email=MAX).one()
        session.add(Delegation(person_id=grace.id, delegate_id=max_.id, starts_on=date(2026, 11, 20),
                               ends_on=date(2026, 12, 4)))
    go(ready, GINA)
    assert go(ready, MAX).effect == "advanced to execution"  # Max casts Grace's vote: Acme is covered
    with session_scope(ready) as session:
        decision = session.query(Decision).order_by(Decision.id.desc()).first()
        assert (decision.by_id, decision.cast_by_id) == (grace.id, max_.id)
        event = session.query(AuditEvent).filter_by(kind="decision.go").order_by(AuditEvent.id.desc()).first()
        assert (event.actor, event.data["on_behalf_of"]) == (MAX, GRACE)
