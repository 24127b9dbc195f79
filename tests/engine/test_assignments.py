"""Owners acting on tasks: by hand or by signed link, who may, and the response time it leaves."""

from datetime import timedelta

import pytest

from partnerflow.engine import LinkRefused, TaskRefused, dispatch_all, get_settings
from partnerflow.engine.work import assignments
from partnerflow.engine.notifications import links
from partnerflow.gates import evaluate
from partnerflow.models import AuditEvent, Person, load_snapshots, session_scope
from tests import factories
from tests.engine.harness import POLICY, build, one_task, review
from tests.factories import AS_OF, NOW

TOLD = NOW  # the owners are first told when the frozen clock says
SECRET = "test-secret-for-links"


@pytest.fixture
def world(engine):
    """acme-supply in execution, missing its knowledge exchange (a should task for its sponsor)."""
    w = build(engine, ("acme-supply", "execution", factories.execution_evidence))
    with session_scope(engine) as session:
        session.query(factories.KnowledgeSession).delete()
        session.query(Person).filter_by(email="sam@northwind.example").update({"roles": []})
        session.add(Person(email="pmo@northwind.example", name="PMO", party_id=w.us.id, roles=["program_manager"]))
        session.query(factories.Meeting).filter(factories.Meeting.held_on < AS_OF - timedelta(days=30)).delete()
    review(engine)
    dispatch_all(engine, get_settings(), now=TOLD)
    return w


def complete(engine, task_id, by, note="Done", now=None):
    with session_scope(engine) as session:
        return assignments.complete(session, task_id, by=by, note=note, now=now)


def test_the_assignee_completes_a_task_and_a_stranger_may_not(engine, world):
    task = one_task(engine, criterion="meetings-at-cadence")
    with pytest.raises(TaskRefused, match="max@acme.example may not complete task"):
        complete(engine, task.id, "max@acme.example")
    done = complete(engine, task.id, "olivia@northwind.example", note="Monthly reviews booked for 2027")
    assert (done.status, done.closed_by) == ("done", "olivia@northwind.example")
    with pytest.raises(TaskRefused, match="is done already"):
        complete(engine, task.id, "olivia@northwind.example")


def test_a_program_manager_may_complete_any_task_and_a_note_is_required(engine, world):
    task = one_task(engine, criterion="knowledge-exchange-started")
    with pytest.raises(TaskRefused, match="say what was done"):
        complete(engine, task.id, "pmo@northwind.example", note=" ")
    assert complete(engine, task.id, "pmo@northwind.example").status == "done"
    with session_scope(engine) as session:
        event = session.query(AuditEvent).filter_by(kind="task.done").one()
    assert event.actor == "pmo@northwind.example" and event.data["task"] == task.id


def complete_by_link(engine, token, now):
    with session_scope(engine) as session:
        return assignments.complete_by_link(session, token, secret=SECRET, note="Done from the email", now=now)


def test_a_signed_link_completes_its_task_once(engine, world):
    task = one_task(engine, criterion="meetings-at-cadence")
    token = links.sign_link(SECRET, task.id, task.assignee_id, now=TOLD)
    done = complete_by_link(engine, token, TOLD + timedelta(days=1))
    assert done.status == "done" and done.closed_by == "olivia@northwind.example"
    with pytest.raises(LinkRefused, match="already used"):
        complete_by_link(engine, token, TOLD + timedelta(days=1))


@pytest.mark.parametrize(("mangle", "later", "message"), [
    (lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"), 1, "changed or not issued here"),
    (lambda t: "x" + t, 1, "changed or not issued here"),
    (lambda t: t, 31, "has expired"),
])
def test_a_tampered_or_expired_link_is_refused_and_nothing_changes(engine, world, mangle, later, message):
    task = one_task(engine, criterion="meetings-at-cadence")
    token = links.sign_link(SECRET, task.id, task.assignee_id, now=TOLD)
    with pytest.raises(LinkRefused, match=message):
        complete_by_link(engine, mangle(token), TOLD + timedelta(days=later))
    assert one_task(engine, criterion="meetings-at-cadence").status == "open"


def test_a_link_signed_with_another_secret_is_refused(engine, world):
    task = one_task(engine, criterion="meetings-at-cadence")
    forged = links.sign_link("someone-elses-secret", task.id, task.assignee_id, now=TOLD)
    with pytest.raises(LinkRefused):
        complete_by_link(engine, forged, TOLD)


def test_reassign_moves_an_open_task(engine, world):
    task = one_task(engine, criterion="meetings-at-cadence")
    with session_scope(engine) as session:
        moved = assignments.reassign(session, task.id, to="gus@northwind.example", by="pmo@northwind.example")
    assert moved.assignee_id == world.our_gatekeepers[1].id
    with session_scope(engine) as session:
        assert [t["id"] for t in assignments.task_listing(session, owner="gus@northwind.example")] == [task.id]


def test_a_former_assignees_link_no_longer_acts_after_a_reassign(engine, world):
    """The link is checked by the same rule as acting by id, at the moment it is used."""
    task = one_task(engine, criterion="knowledge-exchange-started")  # the sponsor's (Sam) task
    old_link = links.sign_link(SECRET, task.id, task.assignee_id, now=TOLD)
    with session_scope(engine) as session:
        assignments.reassign(session, task.id, to="gus@northwind.example", by="pmo@northwind.example")
    with pytest.raises(TaskRefused, match="sam@northwind.example may not complete task"):
        complete(engine, task.id, "sam@northwind.example")
    with pytest.raises(LinkRefused, match=f"this link no longer acts on task {task.id}"):
        complete_by_link(engine, old_link, TOLD + timedelta(days=1))
    assert one_task(engine, criterion="knowledge-exchange-started").status == "open"
    new_link = links.sign_link(SECRET, task.id, world.our_gatekeepers[1].id, now=TOLD + timedelta(days=1))
    assert complete_by_link(engine, new_link, TOLD + timedelta(days=2)).closed_by == "gus@northwind.example"


def test_overdue_listing_uses_the_date_given(engine, world):
    with session_scope(engine) as session:
        assert assignments.task_listing(session, overdue=True, as_of=AS_OF) == []
        late = assignments.task_listing(session, overdue=True, as_of=AS_OF + timedelta(days=15))
    assert late and all(t["overdue"] for t in late)


def test_how_fast_owners_act_becomes_evidence_for_the_trust_criterion(engine, world):
    for criterion, days in (("meetings-at-cadence", 8), ("knowledge-exchange-started", 9)):
        complete(engine, one_task(engine, criterion=criterion).id, "pmo@northwind.example",
                 now=TOLD + timedelta(days=days))
    with engine.connect() as connection:
        snapshot = load_snapshots(connection, [1])[0]
    assert sorted(round(r.days) for r in snapshot.responses) == [8, 9]
    result = {r.id: r for r in evaluate(POLICY, snapshot, AS_OF + timedelta(days=10)).results}["owners-respond-in-time"]
    assert not result.passed
    assert result.explanation.startswith("owners acted on their tasks in a median of 8.5 days")


def test_status_shows_the_owners_response_time(engine, world):
    from partnerflow.engine.phases import status

    complete(engine, one_task(engine, criterion="meetings-at-cadence").id, "pmo@northwind.example",
             now=TOLD + timedelta(days=2))
    with session_scope(engine) as session:
        view = status.partnership_status(session, POLICY, "acme-supply", AS_OF + timedelta(days=3))
    assert view["response_time"] == {"passed": True, "explanation": (
        "owners acted on their tasks in a median of 2.0 days over the last 90 days (1 task(s); target 5 days)")}
