"""The building blocks of the import shapes: field types with their limits, and the `Shape` base.

Every field has a shape and a limit that agree with its column (docs/import-format.md has
the table): identifiers match their pattern whole (`fullmatch`: no trailing newline), texts
hold no control characters (multi-line texts may hold newlines and tabs), numbers are
finite and bounded, dates fall in a plausible range, lists are bounded.

Each shape says which of its fields refer to other entities (`refs`: field -> (column,
kind of entity)) and which hold nested shapes (`children`), so references are checked and
rows are built by walking the shapes, not by code per section.
"""

import math
import re
import unicodedata
from collections.abc import Callable, Iterator
from datetime import date, datetime
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Strict, ValidationInfo

from partnerflow.gates import described, shown

KEY_PATTERN = re.compile(r"[a-z0-9][a-z0-9._-]*")
EMAIL_PATTERN = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
ROLE_PATTERN = re.compile(r"[a-z_]+")
DATE_PATTERN = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")  # Unicode Cc, and surrogates (not encodable)
LINE_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")  # the same, newline and tab allowed
LINE_SEPARATORS = re.compile(r"[\u2028\u2029]")

FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2199, 12, 31)
LARGEST_NUMBER = 10 ** 15  # a float keeps every integer up to 2^53 exactly
MOST_DAYS = 3650  # cadences and targets in days: ten years at most (columns are 32-bit integers)
MOST_ENTRIES, MOST_PARTIES, MOST_ROLES, MOST_CHANNELS = 1000, 20, 20, 10  # entries of one list


def is_key(value: Any) -> bool:
    return isinstance(value, str) and len(value) <= 100 and KEY_PATTERN.fullmatch(value) is not None


def is_email(value: Any) -> bool:
    return (isinstance(value, str) and len(value) <= 320 and value.isprintable()
            and EMAIL_PATTERN.fullmatch(value) is not None)


def is_role(value: Any) -> bool:
    return isinstance(value, str) and len(value) <= 50 and ROLE_PATTERN.fullmatch(value) is not None


def _identifier(fits: Callable[[Any], bool], what: str, hint: str, longest: int) -> BeforeValidator:
    def check(value: Any) -> str:
        if not isinstance(value, str):
            raise ValueError(f"should be {what}, not {described(value)}")
        if len(value) > longest:
            raise ValueError(f"{what} has at most {longest} characters ({len(value):,} given)")
        if not fits(value):
            raise ValueError(f"{shown(value)} is not {what}{hint}")
        return value

    return BeforeValidator(check)


def _visible(char: str) -> bool:
    return not char.isspace() and unicodedata.category(char) not in ("Cc", "Cf", "Cs", "Zs")


def _text(longest: int, *, multiline: bool, required: bool, secret: bool = False) -> BeforeValidator:
    """Text of at most `longest` characters, without control characters; `required`: not blank.

    Messages never quote a text (only its length, or where a bad character is); a `secret` not even another value."""
    forbidden = LINE_CONTROL if multiline else CONTROL

    def check(value: Any) -> str:
        if not isinstance(value, str):
            raise ValueError("should be text" + ("" if secret else f", not {described(value)}"))
        if len(value) > longest:
            raise ValueError(f"should have at most {longest:,} characters ({len(value):,} given)")
        if required and not any(_visible(char) for char in value):
            raise ValueError("should not be blank")
        found = forbidden.search(value) or (None if multiline else LINE_SEPARATORS.search(value))
        if found:
            what = "a line break" if found.group() in "\n\r\u2028\u2029" else "a control character"
            raise ValueError(f"contains {what} (U+{ord(found.group()):04X}, character {found.start() + 1}), "
                             "which is not allowed here")
        return value

    return BeforeValidator(check)


def _iso_date(value: Any) -> date:
    """A YAML date or an ISO string `YYYY-MM-DD` from FIRST_DAY to LAST_DAY; nothing else (no times)."""
    if isinstance(value, datetime):
        raise ValueError("a date without a time is required (YYYY-MM-DD)")
    if isinstance(value, str):
        if not DATE_PATTERN.fullmatch(value):
            raise ValueError(f"{shown(value)} is not a date (YYYY-MM-DD)")
        try:
            value = date.fromisoformat(value)
        except ValueError as exc:
            raise ValueError(f"{shown(value)} is not a valid date: {exc}") from None
    if not isinstance(value, date):
        raise ValueError(f"a date is required (YYYY-MM-DD), not {described(value)}")
    if not FIRST_DAY <= value <= LAST_DAY:
        raise ValueError(f"{value} is outside the dates accepted ({FIRST_DAY} to {LAST_DAY})")
    return value


def _number(value: Any) -> float:
    """A finite number within ±LARGEST_NUMBER (an integer or a decimal, not text, not true/false)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"should be a number, not {described(value)}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"should be a finite number, not {described(value)}")
    if abs(value) > LARGEST_NUMBER:
        raise ValueError(f"should be between -10^15 and 10^15, not {described(value)}")
    return float(value)


def _days(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"should be a whole number of days, not {described(value)}")
    if not 1 <= value <= MOST_DAYS:
        raise ValueError(f"should be from 1 to {MOST_DAYS} days, not {described(value)}")
    return value


def listing(what: str, most: int, *, least: int = 0) -> BeforeValidator:
    """A list of `what` with `least` to `most` entries."""

    def check(value: Any) -> Any:
        if not isinstance(value, (list, tuple)):
            raise ValueError(f"should be a list of {what}, not {described(value)}")
        if len(value) > most:
            raise ValueError(f"should have at most {most:,} {what} ({len(value):,} given)")
        if len(value) < least:
            raise ValueError("should not be empty" if least == 1 else f"should have at least {least} {what}")
        return value

    return BeforeValidator(check)


def entries(item: Any, what: str, most: int = MOST_ENTRIES, *, least: int = 0) -> Any:
    """The type of a list of `item`s (a tuple: shapes are frozen)."""
    return Annotated[tuple[item, ...], listing(what, most, least=least)]


Day = Annotated[date, BeforeValidator(_iso_date)]
Key = Annotated[str, _identifier(is_key, "a valid key", ": use lower-case letters, digits, '.', '_', '-'", 100)]
Email = Annotated[str, _identifier(is_email, "an email address", "", 320)]
Role = Annotated[str, _identifier(is_role, "a valid role", ": use lower-case letters and '_'", 50)]
Name = Annotated[str, _text(200, multiline=False, required=True)]  # names, titles, document references
Label = Annotated[str, _text(50, multiline=False, required=False)]  # a unit
Statement = Annotated[str, _text(10_000, multiline=True, required=True)]  # a win, a risk, a commitment, a problem
Prose = Annotated[str, _text(10_000, multiline=True, required=False)]  # the texts that may be left empty
Address = Annotated[str, _text(1_500, multiline=False, required=False)]  # an email address or a URL (sealed, it must fit an index: engine/sealing.py)
Secret = Annotated[str, _text(200, multiline=False, required=False, secret=True)]
Number = Annotated[float, BeforeValidator(_number)]
Days = Annotated[int, BeforeValidator(_days)]
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
