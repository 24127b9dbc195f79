"""The registry of named check functions.

A check is a pure function `check(snapshot, as_of, **params) -> Outcome`. It reads only
the snapshot and `as_of`, and explains itself in a sentence a person can act on. Its
keyword-only parameters, with their annotations and defaults, are the params a policy
may give it; a policy is validated against them when it is loaded.

A check that compares `as_of` with dates of the snapshot also says on which days those
comparisons may flip (`watch`): its outcome then holds for the same snapshot until the first
of them, which lets a review skip a partnership whose evidence has not changed. A check that
reads `as_of` and says nothing is taken to change every day; one that never reads `as_of`
holds as long as its snapshot does.
"""

import dis
import inspect
from collections.abc import Callable, Iterable
from datetime import date, timedelta
from typing import Any, NamedTuple

from pydantic import BaseModel, ConfigDict, create_model

from partnerflow.gates.snapshot import PartnershipSnapshot


class Outcome(NamedTuple):
    passed: bool
    explanation: str
    # the days on which a comparison of `as_of` with the snapshot's dates may flip (the first day it
    # reads differently); None: not said, so the outcome may change any day
    watch: tuple[date, ...] | None = None


CheckFunction = Callable[..., Outcome]


class Check(NamedTuple):
    name: str
    function: CheckFunction
    params: type[BaseModel]
    reads_as_of: bool  # whether the outcome can depend on the date at all

    def __call__(self, snapshot: PartnershipSnapshot, as_of: date, params: dict[str, Any]) -> Outcome:
        return self.function(snapshot, as_of, **params)

    def changes_on(self, outcome: Outcome, as_of: date) -> date | None:
        """The first day after `as_of` on which `outcome` may differ for the same snapshot; None: never."""
        if not self.reads_as_of:
            return None
        if outcome.watch is None:
            return as_of + timedelta(days=1)
        return min((day for day in outcome.watch if day > as_of), default=None)


def reads_as_of(function: CheckFunction) -> bool:
    """Whether `function`'s code (its comprehensions and lambdas included) reads its date argument
    (the second, whatever its name)."""
    code = function.__code__
    if code.co_argcount < 2:
        return True  # not a check's signature: assume the worst
    name = code.co_varnames[1]
    if name in code.co_cellvars:  # read by a nested comprehension or function
        return True
    return any(i.argval == name for i in dis.get_instructions(code) if i.opname.startswith("LOAD_"))


CHECKS: dict[str, Check] = {}


def check(function: CheckFunction) -> CheckFunction:
    """Register `function` under its own name; its keyword-only parameters are its params."""
    fields: dict[str, Any] = {}
    for parameter in inspect.signature(function).parameters.values():
        if parameter.kind is inspect.Parameter.KEYWORD_ONLY:
            default = ... if parameter.default is inspect.Parameter.empty else parameter.default
            fields[parameter.name] = (parameter.annotation, default)
    params = create_model(
        f"{function.__name__}_params", __config__=ConfigDict(extra="forbid", strict=True), **fields
    )
    if function.__name__ in CHECKS:
        raise ValueError(f"check {function.__name__!r} is registered twice")
    CHECKS[function.__name__] = Check(function.__name__, function, params, reads_as_of(function))
    return function


def passed(explanation: str, *, watch: Iterable[date] | None = None) -> Outcome:
    return Outcome(True, explanation, None if watch is None else tuple(watch))


def failed(explanation: str, *, watch: Iterable[date] | None = None) -> Outcome:
    return Outcome(False, explanation, None if watch is None else tuple(watch))
