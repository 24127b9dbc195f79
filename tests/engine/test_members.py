"""A person leaving a partnership: open tasks move by the owner-role rules, or go to the program office."""

import pytest

from partnerflow.engine import MemberRefused
from partnerflow.engine.work.members import remove_member
from partnerflow.models import Member, Notification, Partnership, Person, Task, session_scope
from tests.engine.harness import build, review


@pytest.fixture
def team(engine):
    """Max is Acme's relationship manager; Gus and Max share the role of relationship manager."""
    w = build(engine, ("acme-supply", "alignment", None))
    with session_scope(engine) as session:
        session.add_all([Member(partnership_id=1, person_id=w.their_manager.id, role="relationship_manager",
                                responsibilities="Acme's contact"),
                         Person(email="pmo@northwind.example", name="PMO", party_id=w.us.id,
                                roles=["program_manager"])])
    review(engine)
    return w


def assignees(engine, role):
    with session_scope(engine) as session:
        return {(t.assignee_id, t.flagged) for t in session.query(Task).filter_by(owner_role=role, status="open")}


def remove(engine, email, by="olivia@northwind.example"):
    with session_scope(engine) as session:
        return remove_member(session, "acme-supply", email, by=by)


def test_removing_a_member_moves_their_tasks_to_the_owner_and_tells_them(engine, team):
    assert assignees(engine, "relationship_manager") == {(team.their_manager.id, False)}
    removal = remove(engine, "max@acme.example")
    assert removal.reassigned > 0 and removal.flagged == 0
    assert assignees(engine, "relationship_manager") == {(team.owner.id, False)}
    with session_scope(engine) as session:
        told = session.query(Notification).filter(Notification.dedup_key.like("task.opened:task:%:to:%")).count()
    assert told == removal.reassigned


def test_a_task_nobody_can_take_is_flagged_to_the_program_office(engine, team):
    with session_scope(engine) as session:
        session.query(Partnership).update({"sponsor_id": team.owner.id})  # owner and sponsor are one person
        session.add(Member(partnership_id=1, person_id=team.owner.id, role="owner", responsibilities="Runs it"))
    review(engine)
    removal = remove(engine, "olivia@northwind.example", by="pmo@northwind.example")
    assert removal.flagged > 0
    with session_scope(engine) as session:
        flagged = session.query(Task).filter_by(flagged=True).all()
        pmo = session.query(Person).filter_by(email="pmo@northwind.example").one()
        alerts = session.query(Notification).filter_by(event="task.unassigned").all()
    assert all(t.assignee_id is None for t in flagged)
    assert {n.person_id for n in alerts} == {pmo.id} and len(alerts) == len(flagged)


def test_only_the_owner_or_a_program_manager_changes_members(engine, team):
    with pytest.raises(MemberRefused, match="may not change the members"):
        remove(engine, "max@acme.example", by="max@acme.example")
    with pytest.raises(MemberRefused, match="is not a member"):
        remove(engine, "grace@acme.example")
