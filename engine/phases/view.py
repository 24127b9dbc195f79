"""One partnership as its page shows it, for a person whose reach allows it.

Everything the partnership page and the gate-review report need, read in one place: the status
and next gate (as `partnership status` prints them), the pyramid's statuses, each metric's
measurements, the open tasks and the timeline.
"""

from datetime import date

from sqlalchemy import select
from sqlmodel import Session

from partnerflow.engine.access import AccessRefused, Actor
from partnerflow.engine.lookup import partnership_by_key
from partnerflow.engine.phases.decisions import vote_standing
from partnerflow.engine.phases.history import partnership_history
from partnerflow.engine.phases.status import status_of
from partnerflow.engine.work import task_listing
from partnerflow.gates import Policy, evaluate, evaluate_monitors, practice_statuses
from partnerflow.models import (GateReview, Notification, Partnership, PartnershipParty, checked, confirmed_from,
                                load_snapshots)

MOST_EVENTS = 200  # the timeline shows the latest events of each kind, newest first
reviews, notifications = GateReview.__table__.c, Notification.__table__.c


def readable(session: Session, viewer: Actor, key: str) -> Partnership:
    """The partnership, if the viewer may read it: people of our own parties read every partnership,
    others only those their party is in (AccessRefused otherwise)."""
    partnership = partnership_by_key(session, key)
    if viewer.reach is not None and session.execute(select(PartnershipParty.party_id).where(
            PartnershipParty.partnership_id == partnership.id, PartnershipParty.party_id == viewer.reach)).first() is None:
        raise AccessRefused(f"{viewer.email} may not see {key}: it is not a partnership of {viewer.party}")
    return partnership


def partnership_view(session: Session, policy: Policy, key: str, *, viewer: Actor, as_of: date) -> dict:
    partnership = readable(session, viewer, key)
    snapshot = load_snapshots(session.connection(), [partnership.id], include_terminated=True)[0]
    evaluation = evaluate(policy, snapshot, as_of)
    monitors = evaluate_monitors(policy, snapshot, as_of)
    return {
        "status": status_of(session, policy, partnership, snapshot, evaluation, monitors, as_of),
        "practices": practice_statuses(policy, partnership.phase, evaluation, monitors),
        "metrics": [{"key": m.key, "name": m.name, "target": m.target, "direction": m.direction, "unit": m.unit,
                     "measurements": [(x.period_end, x.value) for x in m.measurements]} for m in snapshot.metrics],
        "tasks": task_listing(session, partnership=key, as_of=as_of),
        "votes": vote_standing(session, policy, partnership) if partnership.state == "ready" else None,
        "timeline": timeline(session, partnership),
    }


MOST_REVIEWS = 100


def review_listing(session: Session, key: str, *, viewer: Actor, before: int | None = None,
                   limit: int = 20) -> dict:
    """The partnership's gate reviews, newest first, each with every criterion's result and
    explanation: `limit` of them (1 to MOST_REVIEWS) older than the review id `before`, and the
    cursor for the next page (None on the last)."""
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= MOST_REVIEWS:
        raise ValueError(f"limit must be a whole number from 1 to {MOST_REVIEWS}, not {limit!r}")
    partnership = readable(session, viewer, key)
    query = select(reviews.id, reviews.gate, reviews.phase, reviews.policy_version, reviews.as_of, reviews.passed,
                   reviews.blockers, reviews.results, reviews.created_at, *checked()
                   ).select_from(confirmed_from()).where(reviews.partnership_id == partnership.id)
    if before is not None:
        query = query.where(reviews.id < before)
    rows = session.execute(query.order_by(reviews.id.desc()).limit(limit + 1)).all()
    found = [{"id": r.id, "gate": r.gate, "phase": r.phase, "policy_version": r.policy_version,
              "as_of": r.as_of.isoformat(), "passed": r.passed, "blockers": list(r.blockers), "results": r.results,
              "created_at": r.created_at.isoformat(), "checked_at": r.checked_at.isoformat(),
              "checked_as_of": r.checked_as_of.isoformat()} for r in rows[:limit]]
    return {"reviews": found, "next_before": found[-1]["id"] if len(rows) > limit else None}


def timeline(session: Session, partnership: Partnership) -> list[dict]:
    """Reviews, decisions, phase changes, tasks and notifications of the partnership, newest first."""
    events = [{"at": e["at"], "kind": e["kind"], "actor": e["actor"], "what": _what(e)}
              for e in partnership_history(session, partnership.key)[-MOST_EVENTS:]]
    for row in session.execute(select(reviews.created_at, reviews.gate, reviews.passed, reviews.blockers)
                               .where(reviews.partnership_id == partnership.id)
                               .order_by(reviews.id.desc()).limit(MOST_EVENTS)):
        events.append({"at": row.created_at.isoformat(), "kind": "review", "actor": "review",
                       "what": f"{row.gate}: " + ("passed" if row.passed else f"blocked by {', '.join(row.blockers)}")})
    for row in session.execute(select(notifications.created_at, notifications.event, notifications.channel,
                                      notifications.status).where(notifications.partnership_id == partnership.id)
                               .order_by(notifications.created_at.desc()).limit(MOST_EVENTS)):
        events.append({"at": row.created_at.isoformat(), "kind": "notification", "actor": "outbox",
                       "what": f"{row.event} by {row.channel}: {row.status}"})
    return sorted(events, key=lambda e: e["at"], reverse=True)


def _what(event: dict) -> str:
    data = event.get("data") or {}
    return ", ".join(f"{k}: {v}" for k, v in data.items() if v not in (None, "", [], {}) and k not in HIDDEN)[:300]


HIDDEN = {"results", "evidence_digest", "digest", "decision", "task"}
