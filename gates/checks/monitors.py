"""Monitors: checks that run in every phase and raise attention without moving phases."""

from datetime import date, timedelta

from partnerflow.gates.checks.alignment import in_force_changes
from partnerflow.gates.checks.execution import period_ends
from partnerflow.gates.registry import Outcome, check, failed, passed
from partnerflow.gates.snapshot import PartnershipSnapshot


@check
def agreement_not_expiring(snapshot: PartnershipSnapshot, as_of: date, *, within_days: int = 60) -> Outcome:
    in_force = [
        a for a in snapshot.agreements
        if a.effective_on <= as_of and (a.expires_on is None or as_of <= a.expires_on)
    ]
    # besides coming into force and lapsing, an agreement starts to expire soon `within_days` before its end
    watch = in_force_changes(snapshot.agreements) + [
        a.expires_on - timedelta(days=within_days) for a in snapshot.agreements if a.expires_on]
    if not in_force:
        return failed("no agreement in force", watch=watch)
    if any(a.expires_on is None for a in in_force):
        return passed("an agreement in force has no expiry", watch=watch)
    last = max(in_force, key=lambda a: a.expires_on)
    if last.expires_on - as_of <= timedelta(days=within_days):
        return failed(f"{last.kind} {last.reference} expires on {last.expires_on}, within {within_days} days",
                      watch=watch)
    return passed(f"{last.kind} {last.reference} in force until {last.expires_on}", watch=watch)


@check
def metrics_on_target_latest(snapshot: PartnershipSnapshot, as_of: date) -> Outcome:
    off = []
    watch = period_ends(snapshot.metrics)
    for metric in snapshot.metrics:
        recent = [m for m in metric.measurements if m.period_end <= as_of]
        if metric.target is not None and recent and not metric.on_target(recent[-1].value):
            off.append(metric.name)
    if off:
        return failed(f"off target in the latest period: {', '.join(sorted(off))}", watch=watch)
    return passed("every measured metric is on target in its latest period", watch=watch)


@check
def no_overdue_commitments(snapshot: PartnershipSnapshot, as_of: date) -> Outcome:
    overdue = [c for c in snapshot.commitments if c.status == "open" and c.due_on < as_of]
    watch = [c.due_on + timedelta(days=1) for c in snapshot.commitments if c.status == "open"]  # overdue the day after
    if overdue:
        first = min(overdue, key=lambda c: c.due_on)
        return failed(f"{len(overdue)} commitment(s) overdue; {first.description!r} was due on {first.due_on}",
                      watch=watch)
    return passed("no commitment is overdue", watch=watch)


@check
def decision_makers_contacted(snapshot: PartnershipSnapshot, as_of: date, *, max_days: int = 45) -> Outcome:
    stale = [
        s for s in snapshot.stakeholders
        if s.influence == "decision_maker"
        and (s.last_contact_on is None or (as_of - s.last_contact_on).days > max_days)
    ]
    # a contact goes stale the day after `max_days` have passed
    watch = [s.last_contact_on + timedelta(days=max_days + 1) for s in snapshot.stakeholders
             if s.influence == "decision_maker" and s.last_contact_on is not None]
    if stale:
        names = ", ".join(sorted({snapshot.party_name(s.party_id) for s in stale}))
        return failed(f"no contact with a decision maker at {names} for more than {max_days} days", watch=watch)
    return passed(f"every decision maker contacted within {max_days} days", watch=watch)
