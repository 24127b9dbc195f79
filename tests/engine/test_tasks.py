"""Tasks opened and closed by reviews, exactly once per key; their notifications in the outbox."""

from datetime import date

from partnerflow.models import Channel, Delegation, Member, NoticeBatch, Notification, Stakeholder, Task, Win, session_scope
from tests import factories
from tests.engine.harness import GINA, GRACE, POLICY, build, count, decide, review, told

EMPTY = ("acme-supply", "alignment", None)
ALIGNED = ("acme-supply", "alignment", factories.alignment_evidence)


def tasks(engine, **where):
    with session_scope(engine) as session:
        query = session.query(Task).filter_by(**where).order_by(Task.id)
        return [(t.criterion, t.status, t.assignee_id) for t in query]


def test_a_review_opens_one_task_per_failing_criterion_assigned_by_owner_role(engine):
    w = build(engine, EMPTY)
    with session_scope(engine) as session:
        session.add(Member(partnership_id=1, person_id=w.their_manager.id, role="relationship_manager",
                           responsibilities="Keeps in touch"))
    report = review(engine)
    opened = {criterion: assignee for criterion, _, assignee in tasks(engine, status="open")}
    failing_gate = {c.id for c in POLICY.gates[0].criteria}  # nothing recorded: every criterion fails
    assert set(opened) == failing_gate | {"agreement-expiring"}
    assert report.tasks_opened == len(opened)
    assert opened["business-case-approved"] == w.sponsor.id  # owner_role sponsor
    assert opened["decision-makers-known"] == w.their_manager.id  # a member in the role
    assert opened["every-party-wins"] == w.owner.id  # owner_role owner
    with session_scope(engine) as session:
        task = session.query(Task).filter_by(criterion="every-party-wins").one()
        assert task.due_on == date(2026, 12, 11) and task.cycle == 1 and task.kind == "gate"
        assert task.explanation == "parties Acme, Northwind have not stated their wins"
        assert task.title.startswith("Ask every party to state what it must win")


def test_reviewing_twice_opens_no_second_task_and_sends_no_second_notification(engine):
    build(engine, EMPTY)
    review(engine)
    tasks_before, notifications_before = count(engine, Task), count(engine, Notification)
    again = review(engine)
    assert again.tasks_opened == 0 and again.tasks_closed == 0
    assert (count(engine, Task), count(engine, Notification)) == (tasks_before, notifications_before)


def test_a_task_closes_itself_when_its_criterion_passes_and_reopens_when_it_fails_again(engine):
    build(engine, ALIGNED)
    with session_scope(engine) as session:
        session.query(Win).filter(Win.statement == "Predictable volume").delete()
    review(engine)
    assert tasks(engine, criterion="every-party-wins")[0][1] == "open"
    with session_scope(engine) as session:
        session.add(Win(partnership_id=1, party_id=2, statement="Predictable volume"))
    assert review(engine).tasks_closed == 1
    with session_scope(engine) as session:
        task = session.query(Task).filter_by(criterion="every-party-wins").one()
        assert (task.status, task.closed_by) == ("done", "review") and task.closed_at is not None
        session.query(Win).filter(Win.statement == "Predictable volume").delete()
    review(engine)
    assert tasks(engine, criterion="every-party-wins") == [("every-party-wins", "open", 1)]  # the same row


def test_a_monitor_opens_a_task_in_any_phase(engine):
    build(engine, ALIGNED)
    with session_scope(engine) as session:
        session.query(Stakeholder).update({"last_contact_on": date(2026, 6, 1)})
    review(engine)
    assert [t[0] for t in tasks(engine, kind="monitor")] == ["decision-maker-contact"]


def test_a_phase_change_cancels_the_old_gate_tasks_and_keeps_monitors(engine):
    w = build(engine, ALIGNED)
    with session_scope(engine) as session:
        session.query(Stakeholder).update({"last_contact_on": date(2026, 6, 1)})
    with session_scope(engine) as session:
        factories.execution_evidence(session, w, factories.partnership(session, w, "star", phase="execution"))
        session.query(Win).filter(Win.partnership_id == 1).delete()
    review(engine)
    with session_scope(engine) as session:
        session.add_all([Win(partnership_id=1, party_id=1, statement="Lead time"),
                         Win(partnership_id=1, party_id=2, statement="Volume")])
    review(engine)  # acme-supply passes now: ready
    for by in (GINA, GRACE):
        decide(engine, "acme-supply", "go", by, reason="Ready")
    with session_scope(engine) as session:
        statuses = dict(session.query(Task.criterion, Task.status).filter(Task.partnership_id == 1).all())
    assert statuses["every-party-wins"] == "done"
    assert statuses["decision-maker-contact"] == "open"  # monitors span phases


def test_killing_a_partnership_cancels_all_its_tasks(engine):
    build(engine, EMPTY)
    review(engine)
    decide(engine, "acme-supply", "kill", GINA, reason="Stop")
    assert {status for _, status, _ in tasks(engine)} == {"cancelled"}


def test_new_tasks_are_told_to_each_recipient_on_each_channel_once_the_held_notices_are_composed(engine):
    w = build(engine, EMPTY)
    with session_scope(engine) as session:
        session.add(Channel(person_id=w.owner.id, kind="email", address="olivia@northwind.example"))
    review(engine)
    assert count(engine, Notification) == 0 and count(engine, NoticeBatch) == 1  # held, in the review's transaction
    assert told(engine) == 1 and told(engine) == 0
    with session_scope(engine) as session:
        rows = session.query(Notification).filter_by(event="task.opened").all()
        by_channel = {(n.person_id, n.channel) for n in rows}
        assert (w.owner.id, "email") in by_channel and (w.sponsor.id, "inbox") in by_channel
        assert (w.owner.id, "inbox") not in by_channel  # a person with a channel is not also put in the inbox
        opened = session.query(Task).filter_by(status="open").count()
        assert len(rows) == opened
        sample = next(n for n in rows if n.context["task"]["criterion"] == "business-case-approved")
        assert sample.context["partnership"] == {"key": "acme-supply", "name": "Partnership acme-supply"}
        assert sample.context["task"]["practice_name"] == "Clearly Defined Business Objective"
        assert sample.id.startswith("msg_") and sample.status == "pending"


def test_gatekeepers_are_told_when_a_gate_is_ready_and_owners_when_the_phase_changes(engine):
    w = build(engine, ALIGNED)
    with session_scope(engine) as session:
        factories.execution_evidence(session, w, factories.partnership(session, w, "star", phase="execution"))
    review(engine)
    told(engine)
    with session_scope(engine) as session:
        ready = {n.person_id for n in session.query(Notification).filter_by(event="gate.ready")}
        changed = {n.person_id for n in session.query(Notification).filter_by(event="phase.changed")}
    assert ready == {g.id for g in w.our_gatekeepers} | {w.their_gatekeeper.id}
    assert changed == {w.owner.id, w.sponsor.id}


def test_a_ready_gate_is_never_announced_to_gatekeepers_outside_its_parties(engine):
    """Only gatekeepers of its parties decide; with none among them, the program office is told (to appoint one)."""
    from partnerflow.models import Party, Person

    w = build(engine, ALIGNED)
    with session_scope(engine) as session:
        cobalt = Party(key="cobalt", name="Cobalt")
        session.add(cobalt)
        session.flush()
        session.add_all([Person(email="frank@cobalt.example", name="Frank", party_id=cobalt.id, roles=["gatekeeper"]),
                         Person(email="pmo@northwind.example", name="PMO", party_id=w.us.id,
                                roles=["program_manager"])])
        for person in [*w.our_gatekeepers, w.their_gatekeeper]:
            session.get(Person, person.id).roles = []
    review(engine)
    told(engine)
    with session_scope(engine) as session:
        ready = {session.get(Person, n.person_id).email
                 for n in session.query(Notification).filter_by(event="gate.ready")}
    assert ready == {"pmo@northwind.example"}


def test_an_out_of_office_owner_has_new_tasks_go_to_the_delegate(engine):
    w = build(engine, EMPTY)
    with session_scope(engine) as session:
        session.add(Delegation(person_id=w.owner.id, delegate_id=w.our_gatekeepers[1].id,
                               starts_on=date(2026, 11, 20), ends_on=date(2026, 12, 4)))
    review(engine)
    with session_scope(engine) as session:
        task = session.query(Task).filter_by(criterion="every-party-wins").one()
    assert (task.assignee_id, task.delegated_from_id) == (w.our_gatekeepers[1].id, w.owner.id)
