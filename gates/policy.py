"""The gate policy as data: phases, gates, criteria, monitors, with a version.

`parse_policy(source, text)` validates a whole YAML policy and raises `InvalidDocument`
naming the file, line and field of every problem: an unknown check, practice or phase,
bad params, duplicate ids, a gate that does not lead to the next phase.
"""

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

import partnerflow.gates.checks  # noqa: F401  (registers the checks)
from partnerflow.gates.documents import DocumentError, InvalidDocument, Located, parse_yaml
from partnerflow.gates.practices import PHASES, PRACTICE_BY_KEY, next_phase
from partnerflow.gates.registry import CHECKS


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Criterion(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    practice: str
    check: str
    params: dict[str, Any] = Field(default_factory=dict)
    level: Literal["must", "should"] = "must"
    owner_role: str = "owner"
    task: str = Field(min_length=1)


class Approvers(_Strict):
    count: int = Field(default=1, ge=1, le=9)
    from_each_party: bool = False


class Gate(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    from_phase: str = Field(alias="from")
    to_phase: str = Field(alias="to")
    approval: Literal["auto", "gatekeeper"] = "gatekeeper"
    approvers: Approvers = Field(default_factory=Approvers)
    criteria: tuple[Criterion, ...] = Field(min_length=1)


class Policy(_Strict):
    version: str = Field(min_length=1)
    name: str = ""
    task_due_days: int = Field(default=14, ge=1)
    reminder_every_days: int = Field(default=7, ge=1)
    escalation_grace_days: int = Field(default=3, ge=0)
    program_office_after_days: int = Field(default=7, ge=1)
    gates: tuple[Gate, ...]
    monitors: tuple[Criterion, ...] = ()

    def gate_from(self, phase: str) -> Gate | None:
        """The gate that leads out of `phase`, or None for the final phase."""
        return next((gate for gate in self.gates if gate.from_phase == phase), None)

    def gate(self, gate_id: str) -> Gate:
        return next(gate for gate in self.gates if gate.id == gate_id)


def parse_policy(source: str, text: str) -> Policy:
    document = parse_yaml(source, text)
    try:
        policy = Policy.model_validate(document.data)
    except ValidationError as exc:
        raise InvalidDocument(document.errors_from(exc)) from None
    errors = _semantic_errors(policy, document)
    if errors:
        raise InvalidDocument(errors)
    return policy


def _semantic_errors(policy: Policy, document: Located) -> list[DocumentError]:
    errors: list[DocumentError] = []
    seen: dict[str, str] = {}
    leaving: set[str] = set()
    for g, gate in enumerate(policy.gates):
        path = ("gates", g)
        for end, phase in (("from", gate.from_phase), ("to", gate.to_phase)):
            if phase not in PHASES:
                errors.append(document.error(path + (end,), f"unknown phase {phase!r} (phases: {', '.join(PHASES)})"))
        if gate.from_phase in PHASES and gate.to_phase != next_phase(gate.from_phase):
            errors.append(document.error(path + ("to",), f"a gate from {gate.from_phase} must lead to "
                                                        f"{next_phase(gate.from_phase)}"))
        if gate.from_phase in leaving:
            errors.append(document.error(path + ("from",), f"a second gate leaves {gate.from_phase}"))
        leaving.add(gate.from_phase)
        _unique(gate.id, path + ("id",), seen, document, errors)
        for c, criterion in enumerate(gate.criteria):
            errors += _criterion_errors(criterion, path + ("criteria", c), seen, document)
    for m, monitor in enumerate(policy.monitors):
        errors += _criterion_errors(monitor, ("monitors", m), seen, document)
    return errors


def _unique(identifier: str, path, seen: dict[str, str], document: Located, errors: list) -> None:
    if identifier in seen:
        errors.append(document.error(path, f"duplicate id {identifier!r} (first used at line {seen[identifier]})"))
    else:
        seen[identifier] = str(document.line_of(path))


def _criterion_errors(criterion: Criterion, path, seen, document: Located) -> list[DocumentError]:
    errors: list[DocumentError] = []
    _unique(criterion.id, path + ("id",), seen, document, errors)
    if criterion.practice not in PRACTICE_BY_KEY:
        errors.append(document.error(path + ("practice",), f"unknown practice {criterion.practice!r}"))
    check = CHECKS.get(criterion.check)
    if check is None:
        errors.append(document.error(path + ("check",), f"unknown check {criterion.check!r}"))
        return errors
    try:
        check.params.model_validate(criterion.params)
    except ValidationError as exc:
        errors += document.errors_from(exc, prefix=path + ("params",))
    return errors
