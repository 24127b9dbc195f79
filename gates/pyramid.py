"""Where a partnership stands on each of the nine practices: the pyramid's colors, as data.

Pure: it reads the evaluation of the next gate and the monitors, never the database or the clock.
"""

from typing import Literal, NamedTuple

from partnerflow.gates.evaluate import CriterionResult, GateEvaluation
from partnerflow.gates.policy import Policy
from partnerflow.gates.practices import PHASES, PRACTICES, Practice

Status = Literal["met", "partly_met", "missing", "not_yet_due"]
LABELS: dict[str, str] = {"met": "met", "partly_met": "partly met", "missing": "missing", "not_yet_due": "not yet due"}


class PracticeStatus(NamedTuple):
    practice: Practice
    status: Status
    label: str  # the status in plain words
    missing: tuple[str, ...]  # the failing checks' explanations, in their own words
    counts: tuple[int, int]  # (passed, total) of the checks that count for the practice


def practice_statuses(policy: Policy, phase: str, evaluation: GateEvaluation | None,
                      monitors: tuple[CriterionResult, ...] | list[CriterionResult]) -> tuple[PracticeStatus, ...]:
    """One status per practice, in PRACTICES order.

    The checks that count for a practice are the criteria of the next gate (`evaluation`, None in
    the final phase, where only monitors count) that name it, plus its monitors that fired (failed).

    - A practice whose row (its phase) comes after `phase` and that has no criterion in the next
      gate is "not_yet_due", whatever its monitors say.
    - Otherwise, with at least one check: all pass -> "met"; some pass -> "partly_met";
      none pass -> "missing".
    - With no check at all: "met" when the partnership is beyond the practice's phase (the gate
      out of it was passed), else "not_yet_due".

    `missing` lists the explanations of the failing criteria, then of the fired monitors.
    `policy` is the policy the evaluation was made with; the rules read no more of it.
    """
    criteria = evaluation.results if evaluation is not None else ()
    fired = tuple(m for m in monitors if not m.passed)
    return tuple(_status_of(practice, phase, criteria, fired) for practice in PRACTICES)


def _status_of(practice: Practice, phase: str, criteria: tuple[CriterionResult, ...],
               fired: tuple[CriterionResult, ...]) -> PracticeStatus:
    gate_checks = [r for r in criteria if r.practice == practice.key]
    row, current = PHASES.index(practice.phase), PHASES.index(phase)
    if row > current and not gate_checks:
        return _made(practice, "not_yet_due", (), (0, 0))
    checks = gate_checks + [m for m in fired if m.practice == practice.key]
    missing = tuple(r.explanation for r in checks if not r.passed)
    counts = (len(checks) - len(missing), len(checks))
    if not checks:
        return _made(practice, "met" if current > row else "not_yet_due", (), counts)
    return _made(practice, "met" if not missing else "partly_met" if counts[0] else "missing", missing, counts)


def _made(practice: Practice, status: Status, missing: tuple[str, ...], counts: tuple[int, int]) -> PracticeStatus:
    return PracticeStatus(practice, status, LABELS[status], missing, counts)
