"""Gatekeepers' decisions: validated first, four eyes and two sides, frozen records, history."""

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from partnerflow.engine.lookup import NotFound
from partnerflow.engine.phases import status
from partnerflow.engine.phases.decisions import DecisionRefused, decide, votes_still_needed
from partnerflow.engine.phases.history import partnership_history
from partnerflow.models import Decision, Delegation, Notification, Partnership, Party, Person, Task, Win, session_scope
from tests import factories
from tests.engine import harness
from tests.engine.harness import GINA, GRACE, GUS, MAX, OLIVIA, POLICY, portfolio, review, table_counts
from tests.factories import AS_OF, NOW


@pytest.fixture
def ready(engine):
    """One alignment partnership passing its gatekeeper gate (2 approvers, one per party)."""
    portfolio(engine)
    review(engine)
    return engine


def go(engine, by, key="acme-supply", verdict="go", **kwargs):
    return harness.decide(engine, key, verdict, by, **kwargs)


def snapshot_of_tables(engine):
    with engine.connect() as connection:
        return table_counts(connection) | {
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
    assert first.effect == "vote recorded: 1 of 2 votes; still needs a gatekeeper of Acme"
    with pytest.raises(DecisionRefused, match="already voted go"):
        go(ready, GINA)
    second = go(ready, GUS)
    assert second.effect == "vote recorded: 2 of 3 votes; still needs a gatekeeper of Acme"
    assert phase_state(ready) == ("alignment", "ready")
    third = go(ready, GRACE)
    assert third.effect == "advanced to execution"
    assert phase_state(ready) == ("execution", "active")


def test_four_eyes_without_sides_needs_two_distinct_gatekeepers(ready):
    gate = POLICY.gates[0].model_copy(update={"approvers": POLICY.gates[0].approvers.model_copy(
        update={"from_each_party": False})})
    policy = POLICY.model_copy(update={"gates": (gate, POLICY.gates[1])})
    assert go(ready, GINA, policy=policy).effect == "vote recorded: 1 of 2 votes; still needs 1 more gatekeeper"
    assert go(ready, GUS, policy=policy).effect == "advanced to execution"


def test_a_hold_clears_earlier_votes(ready):
    go(ready, GINA)
    go(ready, GUS, verdict="hold", reason="Budget freeze")
    assert phase_state(ready) == ("alignment", "on_hold")
    after_hold = go(ready, GRACE)  # Gina's vote before the hold no longer counts
    assert after_hold.effect == "vote recorded: 1 of 2 votes; still needs a gatekeeper of Northwind"


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
    assert go(ready, GUS).effect.startswith("vote recorded: 1 of 2 votes")


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


def test_two_votes_on_the_same_evidence_record_the_same_evidence_digest_and_new_evidence_another(ready):
    """Each vote bumps the partnership's version; the digest is of the evidence only."""
    go(ready, GINA)
    go(ready, GINA, verdict="hold", reason="Wait for the plant audit")
    with session_scope(ready) as session:
        session.execute(update(Win).values(statement="Shorter lead times on castings"))
    go(ready, GINA, verdict="go", reason="Audit passed")
    with ready.connect() as connection:
        digests = connection.execute(select(Decision.evidence_digest).order_by(Decision.id)).scalars().all()
    assert digests[0] == digests[1] != digests[2]


def test_conditional_go_shows_its_open_item_and_history_tells_the_story(ready):
    go(ready, GINA, condition="Sign the data processing annex within 30 days")
    go(ready, GUS)
    go(ready, GRACE)
    with session_scope(ready) as session:
        view = status.partnership_status(session, POLICY, "acme-supply", AS_OF)
        events = partnership_history(session, "acme-supply")
    assert view["open_conditions"][0]["condition"] == "Sign the data processing annex within 30 days"
    assert [e["kind"] for e in events] == ["state.ready", "decision.go", "task.opened", "decision.go",
                                           "decision.go", "phase.advanced"]
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

    from partnerflow.models import AuditEvent, Delegation

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


# --- who may decide: the gatekeepers of the partnership's parties; the program office holds or kills ----------

PMO, FRANK = "pmo@northwind.example", "frank@cobalt.example"


@pytest.fixture
def outsiders(ready):
    """A gatekeeper of a party (Cobalt) that is not in acme-supply, and a program manager of Northwind."""
    with session_scope(ready) as session:
        w = factories.existing_world(session)
        cobalt = Party(key="cobalt", name="Cobalt")
        session.add(cobalt)
        session.flush()
        session.add_all([Person(email=FRANK, name="Frank", party_id=cobalt.id, roles=["gatekeeper"]),
                         Person(email=PMO, name="Program office", party_id=w.us.id, roles=["program_manager"])])
    return ready


@pytest.mark.parametrize("verdict", ["go", "hold", "kill", "recycle"])
def test_a_gatekeeper_of_a_party_outside_the_partnership_decides_nothing(outsiders, verdict):
    before = snapshot_of_tables(outsiders)
    with pytest.raises(DecisionRefused, match=f"{FRANK} is not a gatekeeper of a party in acme-supply: only "
                                              r"gatekeepers of its parties \(Northwind, Acme\) decide"):
        go(outsiders, FRANK, verdict=verdict)
    assert snapshot_of_tables(outsiders) == before


@pytest.mark.parametrize("verdict", ["hold", "kill"])
def test_the_program_manager_role_held_by_someone_of_an_outside_party_confers_nothing(outsiders, verdict):
    with session_scope(outsiders) as session:
        acme_pm = Person(email="pm@acme.example", name="Acme PM", party_id=2, roles=["program_manager"])
        session.add(acme_pm)
    before = snapshot_of_tables(outsiders)
    with pytest.raises(DecisionRefused, match="pm@acme.example is a program manager of an outside party"):
        go(outsiders, "pm@acme.example", verdict=verdict, reason="Not theirs to stop")
    assert snapshot_of_tables(outsiders) == before


@pytest.mark.parametrize(("verdict", "effect", "state"), [("hold", "put on hold", "on_hold"),
                                                          ("kill", "terminated", "terminated")])
def test_the_program_office_may_hold_or_kill_any_partnership(outsiders, verdict, effect, state):
    assert go(outsiders, PMO, verdict=verdict, reason="Portfolio review").effect == effect
    assert phase_state(outsiders) == ("alignment", state)


@pytest.mark.parametrize(("key", "verdict"), [("acme-supply", "go"), ("star", "recycle")])
def test_the_program_office_never_votes_go_or_recycle(outsiders, key, verdict):
    before = snapshot_of_tables(outsiders)
    with pytest.raises(DecisionRefused, match=f"{PMO} is a program manager: the program office may hold or kill"):
        go(outsiders, PMO, key, verdict=verdict)
    assert snapshot_of_tables(outsiders) == before


def test_a_gatekeeper_outside_the_partnership_casts_for_one_of_its_gatekeepers_they_stand_in_for(outsiders):
    from datetime import date

    from partnerflow.models import Delegation

    with session_scope(outsiders) as session:
        grace, frank = (session.query(Person).filter_by(email=e).one() for e in (GRACE, FRANK))
        session.add(Delegation(person_id=grace.id, delegate_id=frank.id, starts_on=date(2026, 11, 20),
                               ends_on=date(2026, 12, 4)))
    go(outsiders, GINA)
    assert go(outsiders, FRANK).effect == "advanced to execution"
    with session_scope(outsiders) as session:
        decision = session.query(Decision).order_by(Decision.id.desc()).first()
        assert (decision.by_id, decision.cast_by_id) == (grace.id, frank.id)


def test_the_sample_portfolio_refuses_acmes_gatekeeper_on_cobalt_and_lets_the_program_office_hold_it(engine):
    from tests.engine.test_examples import import_examples

    import_examples(engine)
    with pytest.raises(DecisionRefused, match="frank.miller@acme.example is not a gatekeeper of a party in "
                                              "cobalt-logistics"):
        go(engine, "frank.miller@acme.example", "cobalt-logistics", verdict="kill")
    assert phase_state(engine, "cobalt-logistics") == ("alignment", "active")
    assert go(engine, "priya.raman@northwind.example", "cobalt-logistics", verdict="hold").effect == "put on hold"


# --- what a vote still needs --------------------------------------------------------------------------------

@pytest.mark.parametrize(("cast", "needed", "missing", "message"), [
    (1, 2, ["Acme Castings"], "1 of 2 votes; still needs a gatekeeper of Acme Castings"),
    (2, 2, ["Acme Castings"], "2 of 3 votes; still needs a gatekeeper of Acme Castings"),
    (1, 2, [], "1 of 2 votes; still needs 1 more gatekeeper"),
    (1, 4, [], "1 of 4 votes; still needs 3 more gatekeepers"),
    (1, 3, ["Acme"], "1 of 3 votes; still needs a gatekeeper of Acme and 1 more from any party"),
    (1, 4, ["Acme"], "1 of 4 votes; still needs a gatekeeper of Acme and 2 more from any party"),
    (1, 2, ["Acme", "Cobalt"], "1 of 3 votes; still needs a gatekeeper of Acme and a gatekeeper of Cobalt"),
    (1, 3, ["Acme", "Cobalt"], "1 of 3 votes; still needs a gatekeeper of Acme and a gatekeeper of Cobalt"),
    (1, 4, ["Acme", "Cobalt"],
     "1 of 4 votes; still needs a gatekeeper of Acme, a gatekeeper of Cobalt and 1 more from any party"),
    (0, 1, [], "0 of 1 vote; still needs 1 more gatekeeper"),
    (2, 2, [], None),
    (3, 2, [], None),
    (1, 1, [], None),
])
def test_a_vote_says_exactly_what_is_still_needed(cast, needed, missing, message):
    assert votes_still_needed(cast, needed, missing) == message


# --- a conditional go: a task for the owner, reminded, shown, closed when met ------------------------------

CONDITION = "Sign the data processing annex within 30 days"


def condition_tasks(engine):
    with session_scope(engine) as session:
        return [(t.kind, t.title, t.status, t.assignee_id, t.due_on, t.practice)
                for t in session.query(Task).filter_by(kind="condition")]


def test_a_conditional_go_opens_a_task_for_the_owner_that_survives_the_phase_change(ready):
    from datetime import timedelta

    from partnerflow.engine.work import assignments

    with session_scope(ready) as session:
        w = factories.existing_world(session)
    go(ready, GINA, condition=CONDITION)
    assert condition_tasks(ready) == [("condition", CONDITION, "open", w.owner.id, AS_OF + timedelta(days=14),
                                       "trust_credibility")]
    with session_scope(ready) as session:
        task = session.query(Task).filter_by(kind="condition").one()
        told = session.query(Notification).filter_by(event="task.opened", task_id=task.id).all()
    assert [(n.person_id, n.context["task"]["title"]) for n in told] == [(w.owner.id, CONDITION)]
    go(ready, GUS)
    go(ready, GRACE)  # advances: a new phase cancels gate tasks, not the condition
    assert phase_state(ready) == ("execution", "active")
    review(ready, as_of=AS_OF + timedelta(days=1))  # a review does not close it
    assert [t[2] for t in condition_tasks(ready)] == ["open"]
    with session_scope(ready) as session:
        view = status.partnership_status(session, POLICY, "acme-supply", AS_OF)
        listed = assignments.task_listing(session, owner=OLIVIA)
    assert view["open_conditions"] == [{"condition": CONDITION, "gate": "alignment-to-execution",
                                        "decided_at": "2026-11-27T09:00:00+00:00", "task": task.id, "owner": OLIVIA,
                                        "due_on": "2026-12-11"}]
    assert [t["id"] for t in listed if t["kind"] == "condition"] == [task.id]  # among the new phase's gate tasks
    with session_scope(ready) as session:
        assignments.complete(session, task.id, by=OLIVIA, note="Annex signed on 2026-12-01")
    assert [t[2] for t in condition_tasks(ready)] == ["done"]
    with session_scope(ready) as session:
        assert status.partnership_status(session, POLICY, "acme-supply", AS_OF)["open_conditions"] == []


def test_a_condition_task_is_reminded_and_escalated_like_any_task(ready):
    from datetime import UTC, datetime, timedelta

    from partnerflow.engine import dispatch_all, get_settings, sweep

    with session_scope(ready) as session:
        w = factories.existing_world(session)
    go(ready, GINA, condition=CONDITION)
    dispatch_all(ready, get_settings(), now=NOW)
    with session_scope(ready) as session:
        task = session.query(Task).filter_by(kind="condition").one()
        assert task.first_notified_at is not None
        sweep(session, POLICY, now=NOW + timedelta(days=7))
        sweep(session, POLICY, now=datetime(2026, 12, 16, 10, tzinfo=UTC))  # due 12-11, past the grace period
    with session_scope(ready) as session:
        reminded = {n.person_id for n in session.query(Notification).filter_by(event="task.reminder", task_id=task.id)}
        escalated = {n.person_id for n in session.query(Notification).filter_by(event="task.escalated",
                                                                                 task_id=task.id)}
    assert reminded == {w.owner.id} and escalated == {w.sponsor.id}


def test_the_same_condition_again_finds_its_task_and_a_kill_cancels_it(ready):
    go(ready, GINA, condition=CONDITION)
    go(ready, GUS, verdict="hold", reason="Budget freeze")
    go(ready, GINA, condition=f"  {CONDITION} ")  # the votes restart after a hold; the condition is the same
    assert [t[2] for t in condition_tasks(ready)] == ["open"]
    go(ready, GUS, verdict="kill", reason="Partner acquired")
    assert [t[2] for t in condition_tasks(ready)] == ["cancelled"]


def test_a_review_neither_closes_nor_duplicates_a_condition_task(ready):
    go(ready, GINA, condition=CONDITION)  # a vote: the partnership stays in alignment, ready
    review(ready)
    review(ready)
    assert [t[2] for t in condition_tasks(ready)] == ["open"]


def test_a_blank_condition_is_refused(ready):
    with pytest.raises(DecisionRefused, match="a condition needs words"):
        go(ready, GINA, condition="  ")


# --- history: what each decision was made on, and people instead of ids -------------------------------------

def test_history_shows_what_each_decision_was_made_on_and_people_by_email(ready):
    go(ready, GINA, condition=CONDITION)
    with session_scope(ready) as session:
        task = session.query(Task).filter_by(kind="condition").one()
        from partnerflow.engine.work import assignments

        assignments.reassign(session, task.id, to=GUS, by=OLIVIA)
    with session_scope(ready) as session:
        events = partnership_history(session, "acme-supply")
        decision = session.query(Decision).one()
    vote = next(e for e in events if e["kind"] == "decision.go")
    basis = vote["decision"]
    assert (basis["policy_version"], basis["evidence_digest"], basis["by"], basis["condition"]) == (
        POLICY.version, decision.evidence_digest, GINA, CONDITION)
    assert [r["id"] for r in basis["results"]] == [c.id for c in POLICY.gates[0].criteria]
    assert all({"passed", "level", "explanation"} <= set(r) for r in basis["results"])
    assert "decision" not in vote["data"]
    opened = next(e for e in events if e["kind"] == "task.opened")
    moved = next(e for e in events if e["kind"] == "task.reassigned")
    assert opened["data"]["assignee"] == OLIVIA
    assert (moved["data"]["from"], moved["data"]["to"]) == (OLIVIA, GUS)


# --- a decision is judged on the day it is cast ----------------------------------------------------------------

def test_a_go_cannot_be_backdated_to_evidence_that_has_changed_since(ready):
    before = snapshot_of_tables(ready)
    with session_scope(ready) as session, pytest.raises(DecisionRefused, match="a go is decided on today's evidence"):
        decide(session, POLICY, "acme-supply", "go", by=GINA, reason="It passed in July", as_of=AS_OF - timedelta(days=120))
    assert snapshot_of_tables(ready) == before


def test_a_delegation_that_has_ended_gives_no_authority_whatever_date_is_asked(ready):
    """Max stood in for Grace in January; in November he cannot kill, even asking 'as of' January."""
    with session_scope(ready) as session:
        grace = session.query(Person).filter_by(email=GRACE).one()
        max_ = session.query(Person).filter_by(email=MAX).one()
        session.add(Delegation(person_id=grace.id, delegate_id=max_.id, starts_on=AS_OF - timedelta(days=320),
                               ends_on=AS_OF - timedelta(days=290)))
    before = snapshot_of_tables(ready)
    with session_scope(ready) as session, pytest.raises(DecisionRefused, match="max@acme.example is not a gatekeeper"):
        decide(session, POLICY, "acme-supply", "kill", by=MAX, reason="x", as_of=AS_OF - timedelta(days=300))
    assert snapshot_of_tables(ready) == before and phase_state(ready) == ("alignment", "ready")
