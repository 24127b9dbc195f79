"""The building blocks of the import shapes: strict field types and the `Shape` base.

Each shape says which of its fields refer to other entities (`refs`: field -> (column,
kind of entity)) and which hold nested shapes (`children`), so references are checked and
rows are built by walking the shapes, not by code per section.
"""

import re
from collections.abc import Iterator
from datetime import date, datetime
from typing import Annotated, Any, ClassVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, Strict, ValidationInfo

KEY_PATTERN = r"^[a-z0-9][a-z0-9._-]*$"
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
ROLE_PATTERN = r"^[a-z_]+$"


def _iso_date(value: Any) -> Any:
    """A YAML date or an ISO string `YYYY-MM-DD`; nothing else (no timestamps, no times)."""
    if isinstance(value, datetime):
        raise ValueError("a date without a time is required (YYYY-MM-DD)")
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"{value!r} is not a date (YYYY-MM-DD)") from None
    raise ValueError("a date is required (YYYY-MM-DD)")


def _matching(pattern: str, what: str, hint: str, longest: int) -> AfterValidator:
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if not compiled.match(value) or len(value) > longest:
            raise ValueError(f"{value!r} is not {what}{hint}")
        return value

    return AfterValidator(check)


Day = Annotated[date, BeforeValidator(_iso_date)]
Key = Annotated[str, _matching(KEY_PATTERN, "a valid key", ": use lower-case letters, digits, '.', '_', '-'", 100)]
Email = Annotated[str, _matching(EMAIL_PATTERN, "an email address", "", 320)]
Role = Annotated[str, _matching(ROLE_PATTERN, "a valid role", ": use lower-case letters and '_'", 50)]
Text = Annotated[str, Field(min_length=1)]
Number = Annotated[float, Strict()]
Count = Annotated[int, Strict(), Field(ge=1)]
Flag = Annotated[bool, Strict()]


def not_before(earlier: str, label: str = ""):
    """A field validator: the value may not be a date before the field `earlier`."""

    def check(cls, value: date | None, info: ValidationInfo) -> date | None:
        start = info.data.get(earlier)
        if value is not None and start is not None and value < start:
            raise ValueError(f"{value} is before {label or earlier} {start}")
        return value

    return check


class Shape(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    refs: ClassVar[dict[str, tuple[str, str]]] = {}  # field -> (column, "party" | "person")
    children: ClassVar[tuple[str, ...]] = ()


Path = tuple[str | int, ...]


def references(shape: Shape, path: Path = ()) -> Iterator[tuple[Path, str, str]]:
    """Every reference in `shape` and its nested shapes: (path, kind of entity, key or email)."""
    for name, (_column, kind) in shape.refs.items():
        value = getattr(shape, name)
        if isinstance(value, tuple):
            yield from ((path + (name, index), kind, key) for index, key in enumerate(value))
        elif value is not None:
            yield path + (name,), kind, value
    for name in shape.children:
        value = getattr(shape, name)
        if isinstance(value, Shape):
            yield from references(value, path + (name,))
        elif value is not None:
            for index, child in enumerate(value):
                yield from references(child, path + (name, index))
