"""Reading YAML documents while remembering where every value came from.

Policies and imports are validated whole, and every error names its place as
`file:line: field: message`. This module turns text (never a path: no I/O here) into
plain Python data plus an index from each field path to its line, and turns pydantic
validation errors into such located errors.
"""

from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

import yaml
from pydantic import ValidationError

Path = tuple[str | int, ...]


class DocumentError(NamedTuple):
    source: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.source}:{self.line}: {self.field}: {self.message}"


class InvalidDocument(Exception):
    """One or more errors in an input document; nothing was applied."""

    def __init__(self, errors: Sequence[DocumentError]):
        self.errors = sorted(errors, key=lambda e: (e.source, e.line, e.field))
        super().__init__("\n".join(str(e) for e in self.errors))


def field_name(path: Iterable[str | int]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(document)"


class Located:
    """Parsed data and the line of every field path in it."""

    def __init__(self, source: str, data: Any, lines: dict[Path, int]):
        self.source, self.data, self.lines = source, data, lines

    def line_of(self, path: Sequence[str | int]) -> int:
        """The line of `path`, or of its nearest ancestor that has one."""
        path = tuple(path)
        while path and path not in self.lines:
            path = path[:-1]
        return self.lines.get(path, 1)

    def error(self, path: Sequence[str | int], message: str) -> DocumentError:
        return DocumentError(self.source, self.line_of(path), field_name(path), message)

    def errors_from(self, exc: ValidationError, prefix: Path = ()) -> list[DocumentError]:
        return [self.error(prefix + tuple(_plain_loc(e["loc"])), _message(e)) for e in exc.errors()]


def _plain_loc(loc: Sequence[Any]) -> list[str | int]:
    # pydantic adds the tag of a function validator or union member to the path; drop those
    return [part for part in loc if isinstance(part, int) or not str(part).startswith("function-")]


def _message(error: dict[str, Any]) -> str:
    if error["type"] == "extra_forbidden":
        return "unknown field"
    if error["type"] == "missing":
        return "required field is missing"
    return str(error["msg"]).removeprefix("Value error, ")


def decode(source: str, raw: bytes) -> str:
    """UTF-8 text of `raw`, or an InvalidDocument naming the line of the first bad byte."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InvalidDocument(
            [DocumentError(source, line, "(document)", f"not UTF-8 text (byte 0x{raw[exc.start]:02x})")]
        ) from None


def parse_yaml(source: str, text: str) -> Located:
    """Parse one YAML document; syntax errors, duplicate keys and an empty file are errors."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        problem = getattr(exc, "problem", None) or str(exc)
        raise InvalidDocument([DocumentError(source, line, "(document)", f"YAML syntax error: {problem}")]) from None
    if node is None:
        raise InvalidDocument([DocumentError(source, 1, "(document)", "the file is empty")])
    lines: dict[Path, int] = {}
    errors: list[DocumentError] = []
    constructor = yaml.SafeLoader("")
    data = _build(node, (), lines, errors, source, constructor)
    if errors:
        raise InvalidDocument(errors)
    return Located(source, data, lines)


def _build(node, path: Path, lines, errors, source, constructor) -> Any:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = constructor.construct_object(key_node, deep=True)
            if isinstance(key, bool) or not isinstance(key, (str, int)):
                key = key_node.value  # `on:` and `yes:` are booleans to YAML; keep the text written
            if key in result:
                errors.append(DocumentError(source, key_node.start_mark.line + 1, field_name(path + (key,)),
                                            "duplicate key"))
                continue
            result[key] = _build(value_node, path + (key,), lines, errors, source, constructor)
            lines[path + (key,)] = key_node.start_mark.line + 1
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, path + (i,), lines, errors, source, constructor) for i, item in enumerate(node.value)]
    try:
        return constructor.construct_object(node, deep=True)
    except ValueError as exc:  # a scalar with no value, such as the date 2026-02-30
        what = "date" if node.tag.endswith(":timestamp") else "value"
        errors.append(DocumentError(source, node.start_mark.line + 1, field_name(path),
                                    f"{node.value!r} is not a valid {what}: {exc}"))
        return None
