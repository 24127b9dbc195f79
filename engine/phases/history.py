"""A partnership's history: every audit event, oldest first, in people's terms.

Events store a person's id where the engine knew only the id (a task's assignee, a
reassignment's `from` and `to`); the history shows their email instead. A review's one event per
partnership is shown as the changes it records, one by one (`audit.unfolded`). Each decision event
carries what the decision was made on: the policy version, every criterion's result and the
evidence digest, from the decision's frozen record.
"""

from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from partnerflow.engine.audit import unfolded
from partnerflow.engine.lookup import partnership_by_key
from partnerflow.models import AuditEvent, Decision, Person

PE = Person.__table__.c
PERSON_FIELDS = {"task.opened": ("assignee",), "task.reassigned": ("from", "to")}  # data fields holding a person id


def partnership_history(session: Session, key: str) -> list[dict[str, Any]]:
    """Every audit event of the partnership, oldest first; decisions with their basis, people by email."""
    partnership = partnership_by_key(session, key)
    events = session.scalars(select(AuditEvent).where(AuditEvent.partnership_id == partnership.id)
                             .order_by(AuditEvent.id)).all()
    decisions = session.scalars(select(Decision).where(Decision.partnership_id == partnership.id)
                                .order_by(Decision.id)).all()
    ids = {data.get(field) for e in events for kind, data in unfolded(e.kind, e.data)
           for field in PERSON_FIELDS.get(kind, ())}
    ids |= {d.by_id for d in decisions} | {d.cast_by_id for d in decisions}
    emails = dict(session.execute(select(PE.id, PE.email).where(PE.id.in_([i for i in ids if isinstance(i, int)]))
                                  ).all())
    basis = _decisions_of(events, decisions)
    return [_event(e, kind, data, emails, basis.get(e.id)) for e in events for kind, data in unfolded(e.kind, e.data)]


def _decisions_of(events, decisions) -> dict[int, Decision]:
    """audit event id -> its decision: named by the event (`decision`), else paired in order (older
    events did not name it; each decision wrote exactly one `decision.*` event with it)."""
    by_id = {d.id: d for d in decisions}
    named = {e.data.get("decision") for e in events}
    unnamed = iter([d for d in decisions if d.id not in named])
    found = {}
    for event in events:
        if event.kind.startswith("decision."):
            decision = by_id.get(event.data.get("decision")) or next(unnamed, None)
            if decision is not None:
                found[event.id] = decision
    return found


def _event(event: AuditEvent, kind: str, data: dict[str, Any], emails: dict[int, str], decision: Decision | None
           ) -> dict[str, Any]:
    data = {k: v for k, v in data.items() if not (k == "decision" and decision is not None)}
    for field in PERSON_FIELDS.get(kind, ()):
        if isinstance(data.get(field), int):
            data[field] = emails.get(data[field], f"person #{data[field]}")
    shown = {"at": event.at.isoformat(), "actor": event.actor, "kind": kind, "data": data}
    if decision is not None:
        shown["decision"] = _basis(decision, emails)
    return shown


def _basis(decision: Decision, emails: dict[int, str]) -> dict[str, Any]:
    return {
        "id": decision.id, "verdict": decision.verdict, "gate": decision.gate, "cycle": decision.cycle,
        "phase": decision.phase, "by": emails.get(decision.by_id), "cast_by": emails.get(decision.cast_by_id),
        "reason": decision.reason, "condition": decision.condition, "effect": decision.effect,
        "decided_at": decision.decided_at.isoformat(), "policy_version": decision.policy_version,
        "evidence_digest": decision.evidence_digest,
        "results": [dict(r) for r in decision.results],  # id, practice, level, passed, explanation
    }
