"""Checks of the execution phase: alignment kept, plus metrics, communication and trust."""

from datetime import date, timedelta
from statistics import median

from partnerflow.gates.registry import Outcome, check, failed, passed
from partnerflow.gates.snapshot import PartnershipSnapshot


@check
def repeated_successes(snapshot: PartnershipSnapshot, as_of: date, *, periods: int = 3) -> Outcome:
    """All metrics with a target on target for the last `periods` consecutive periods."""
    metrics = [m for m in snapshot.metrics if m.target is not None]
    if not metrics:
        return failed("no metric with a target to show a track record", watch=())
    watch = period_ends(metrics)
    for metric in metrics:
        recent = [m for m in metric.measurements if m.period_end <= as_of][-periods:]
        if len(recent) < periods:
            return failed(f"metric {metric.name!r} has {len(recent)} of the {periods} periods measured", watch=watch)
        for measurement in recent:
            if not metric.on_target(measurement.value):
                return failed(
                    f"metric {metric.name!r} was off target in the period ending {measurement.period_end} "
                    f"({measurement.value:g} {metric.unit} against {metric.target:g})".replace("  ", " "),
                    watch=watch)
    return passed(f"all {len(metrics)} metric(s) on target for the last {periods} periods", watch=watch)


def period_ends(metrics) -> list[date]:
    """The days on which a measured period comes in (a measurement counts from its period's end)."""
    return [m.period_end for metric in metrics for m in metric.measurements]


def window_changes(days, window_days: int) -> list[date]:
    """The days on which something dated `day` enters (`day`) or leaves (`day + window`) a trailing window."""
    return [*days, *(day + timedelta(days=window_days) for day in days)]


@check
def commitments_honored(snapshot: PartnershipSnapshot, as_of: date, *, minimum_ratio: float = 0.9) -> Outcome:
    """Of the commitments due by `as_of`, at least `minimum_ratio` were honored."""
    due = [c for c in snapshot.commitments if c.due_on <= as_of]
    watch = [c.due_on for c in snapshot.commitments]
    if not due:
        return failed("no commitment has come due yet: there is no track record to judge", watch=watch)
    honored = sum(1 for c in due if c.status == "honored")
    ratio = honored / len(due)
    sentence = f"{honored} of {len(due)} commitments due were honored ({ratio:.0%}, {minimum_ratio:.0%} needed)"
    return passed(sentence, watch=watch) if ratio >= minimum_ratio else failed(sentence, watch=watch)


@check
def meetings_at_cadence(snapshot: PartnershipSnapshot, as_of: date, *, window_days: int = 90) -> Outcome:
    """At least one formal meeting per agreed cadence over the last `window_days`."""
    plan = snapshot.communication
    if plan is None or not plan.formal_cadence_days:
        return failed("no meeting cadence agreed", watch=())
    start = as_of - timedelta(days=window_days)
    formal = [m.held_on for m in snapshot.meetings if m.kind == "formal"]
    watch = window_changes(formal, window_days)
    held = sum(1 for day in formal if start < day <= as_of)
    expected = max(1, window_days // plan.formal_cadence_days)
    sentence = (
        f"{held} formal meeting(s) in the last {window_days} days; "
        f"{expected} expected at one every {plan.formal_cadence_days} days"
    )
    return passed(sentence, watch=watch) if held >= expected else failed(sentence, watch=watch)


@check
def problems_resolved_within_target(snapshot: PartnershipSnapshot, as_of: date) -> Outcome:
    """Every problem and special request resolved (or still open) within the response target."""
    plan = snapshot.communication
    if plan is None or not plan.response_target_days:
        return failed("no response target agreed in the escalation path", watch=())
    target = plan.response_target_days
    # a problem counts from the day it is raised, stops being open the day it is resolved, and is
    # late from the day after its target
    watch = [day for p in snapshot.problems
             for day in (p.raised_on, p.resolved_on, p.raised_on + timedelta(days=target + 1)) if day]
    late = []
    for problem in snapshot.problems:
        if problem.raised_on > as_of:
            continue
        end = problem.resolved_on if problem.resolved_on and problem.resolved_on <= as_of else as_of
        if (end - problem.raised_on).days > target:
            late.append(problem)
    if late:
        first = min(late, key=lambda p: p.raised_on)
        state = "resolved late" if first.resolved_on and first.resolved_on <= as_of else "still open"
        return failed(
            f"{len(late)} problem(s) past the {target}-day response target; "
            f"{first.summary!r} raised on {first.raised_on} is {state}", watch=watch
        )
    count = sum(1 for p in snapshot.problems if p.raised_on <= as_of)
    spans = [(p.resolved_on - p.raised_on).days for p in snapshot.problems if p.resolved_on and p.resolved_on <= as_of]
    typical = f", median {median(spans):g} days" if spans else ""
    return passed(f"{count} problem(s) within the {target}-day response target{typical}", watch=watch)


@check
def knowledge_exchange_started(snapshot: PartnershipSnapshot, as_of: date, *, minimum: int = 1) -> Outcome:
    held = [s for s in snapshot.knowledge_sessions if s.held_on <= as_of]
    watch = [s.held_on for s in snapshot.knowledge_sessions]
    if len(held) < minimum:
        return failed(f"{len(held)} knowledge exchange session(s) held, {minimum} wanted", watch=watch)
    return passed(f"{len(held)} knowledge exchange session(s), the latest on {max(s.held_on for s in held)}",
                  watch=watch)


@check
def metric_kind_on_target(snapshot: PartnershipSnapshot, as_of: date, *, kind: str) -> Outcome:
    """Every metric of `kind` on target in its latest measured period."""
    label = kind.replace("_", " ")
    metrics = [m for m in snapshot.metrics if m.kind == kind and m.target is not None]
    if not metrics:
        return failed(f"no {label} metric with a target", watch=())
    watch = period_ends(metrics)
    for metric in metrics:
        recent = [m for m in metric.measurements if m.period_end <= as_of]
        if not recent:
            return failed(f"{label} metric {metric.name!r} has no measurement yet", watch=watch)
        if not metric.on_target(recent[-1].value):
            return failed(f"{label} metric {metric.name!r} is off target: {recent[-1].value:g} against {metric.target:g}",
                          watch=watch)
    return passed(f"{label} on target in the latest period", watch=watch)


@check
def owners_respond_in_time(snapshot: PartnershipSnapshot, as_of: date, *, window_days: int = 90,
                           target_days: float = 5.0) -> Outcome:
    """The median time owners took to act on their tasks over the last `window_days` (seed: response
    times are evidence that a partner shares your sense of commitment)."""
    start = as_of - timedelta(days=window_days)
    days = [r.days for r in snapshot.responses if start < r.closed_on <= as_of]
    watch = window_changes([r.closed_on for r in snapshot.responses], window_days)
    if not days:
        return passed(f"no task was completed in the last {window_days} days: nothing to measure yet", watch=watch)
    typical = median(days)
    sentence = (f"owners acted on their tasks in a median of {typical:.1f} days over the last {window_days} days "
                f"({len(days)} task(s); target {target_days:g} days)")
    return passed(sentence, watch=watch) if typical <= target_days else failed(sentence, watch=watch)
