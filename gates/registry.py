"""The registry of named check functions.

A check is a pure function `check(snapshot, as_of, **params) -> Outcome`. It reads only
the snapshot and `as_of`, and explains itself in a sentence a person can act on. Its
keyword-only parameters, with their annotations and defaults, are the params a policy
may give it; a policy is validated against them when it is loaded.
"""

import inspect
from collections.abc import Callable
from datetime import date
from typing import Any, NamedTuple

from pydantic import BaseModel, ConfigDict, create_model

from partnerflow.gates.snapshot import PartnershipSnapshot


class Outcome(NamedTuple):
    passed: bool
    explanation: str


CheckFunction = Callable[..., Outcome]


class Check(NamedTuple):
    name: str
    function: CheckFunction
    params: type[BaseModel]

    def __call__(self, snapshot: PartnershipSnapshot, as_of: date, params: dict[str, Any]) -> Outcome:
        return self.function(snapshot, as_of, **params)


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
    CHECKS[function.__name__] = Check(function.__name__, function, params)
    return function


def passed(explanation: str) -> Outcome:
    return Outcome(True, explanation)


def failed(explanation: str) -> Outcome:
    return Outcome(False, explanation)
