"""Reading YAML documents while remembering where every value came from.

Policies and imports are validated whole, and every error names its place as
`file:line: field: message`. This module turns text (never a path: no I/O here) into
plain Python data plus an index from each field path to its line, and turns pydantic
validation errors into such located errors.

A document is read within bounds, whatever its author intended: at most
MAX_DOCUMENT_BYTES, MAX_VALUES values and MAX_DEPTH levels of nesting. YAML aliases
(`*name`) are refused, so no document expands beyond what is written; so are merge keys
(`<<`), keys that are lists or mappings, and tags other than YAML's plain scalars.
"""

import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any, NamedTuple

import yaml
from pydantic import ValidationError

Path = tuple[str | int, ...]

MAX_DOCUMENT_BYTES = 4 * 1024 * 1024
MAX_VALUES = 100_000  # scalars, lists and mappings in one document
MAX_DEPTH = 20  # lists and mappings within each other
YAML_TAG = "tag:yaml.org,2002:"
TEXT_TAGS = {YAML_TAG + "value", YAML_TAG + "merge"}  # a lone `=` or `<<` as a value: the text written
PLAIN_TAGS = {YAML_TAG + name for name in ("str", "int", "float", "bool", "null", "timestamp")} | TEXT_TAGS
ALIAS_TAG = "!partnerflow/alias"  # a refused alias, kept in the node tree to be reported at its field
LINE_BREAK = re.compile(r"\r\n|[\n\r\x85\u2028\u2029]")  # what YAML counts as a line break


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


class _Unreadable:
    """The value of a field that could not be read; its error is already reported."""

    def __repr__(self) -> str:
        return "<unreadable>"


UNREADABLE = _Unreadable()


def shown(value: Any, longest: int = 40) -> str:
    """`value` as a message may quote it: control characters escaped, a long text cut short."""
    if isinstance(value, str) and len(value) > longest:
        return repr(value[:longest - 1] + "…")
    return repr(value)


def described(value: Any) -> str:
    """What a value given in a document is, in words: `empty`, `a list`, `'high'`, `95`..."""
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float)):
        text = str(value)
        return text if len(text) <= 20 else text[:19] + "…"
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, str):
        return shown(value)
    if isinstance(value, (list, tuple)):
        return "a list"
    return "a mapping" if isinstance(value, dict) else "another kind of value"


def field_name(path: Iterable[str | int]) -> str:
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
            continue
        name = part if part.isprintable() and len(part) <= 40 else shown(part)
        text += f".{name}" if text else name
    return text or "(document)"


def line_and_column(text: str, position: int) -> tuple[int, int]:
    """The line and column (from 1; lines as YAML counts them) of the character at `position` in `text`."""
    breaks = [found.end() for found in LINE_BREAK.finditer(text, 0, position)]
    return len(breaks) + 1, position - (breaks[-1] if breaks else 0) + 1


class Located:
    """Parsed data, the line of every field path in it, and the values that could not be read."""

    def __init__(self, source: str, data: Any, lines: dict[Path, int], errors: Sequence[DocumentError] = (),
                 unreadable: Iterable[Path] = ()):
        self.source, self.data, self.lines = source, data, lines
        self.errors, self.unreadable = list(errors), set(unreadable)

    def line_of(self, path: Sequence[str | int]) -> int:
        """The line of `path`, or of its nearest ancestor that has one."""
        path = tuple(path)
        while path and path not in self.lines:
            path = path[:-1]
        return self.lines.get(path, 1)

    def readable(self, path: Sequence[str | int]) -> bool:
        """False at and below a value that could not be read (its error is reported already)."""
        path = tuple(path)
        return not any(path[:end] in self.unreadable for end in range(len(path) + 1))

    def error(self, path: Sequence[str | int], message: str) -> DocumentError:
        return DocumentError(self.source, self.line_of(path), field_name(path), message)

    def errors_from(self, exc: ValidationError, prefix: Path = ()) -> list[DocumentError]:
        paths = ((prefix + tuple(_plain_loc(e["loc"])), e) for e in exc.errors())
        return [self.error(path, _message(e)) for path, e in paths if self.readable(path)]


def _plain_loc(loc: Sequence[Any]) -> list[str | int]:
    # pydantic adds the tag of a function validator or union member to the path; drop those
    return [part for part in loc if isinstance(part, int) or not str(part).startswith("function-")]


PLAIN_MESSAGES = {  # pydantic's error types, in plain words (and the value given is said after them)
    "string_type": "should be text",
    "int_type": "should be a whole number", "int_parsing": "should be a whole number",
    "int_from_float": "should be a whole number",
    "float_type": "should be a number", "float_parsing": "should be a number",
    "finite_number": "should be a finite number",
    "bool_type": "should be true or false", "bool_parsing": "should be true or false",
    "list_type": "should be a list", "tuple_type": "should be a list", "set_type": "should be a list",
    "dict_type": "should be a mapping of fields", "model_type": "should be a mapping of fields",
    "model_attributes_type": "should be a mapping of fields",
}
LIMIT_MESSAGES = {
    "too_short": "should have at least {min_length} entries", "too_long": "should have at most {max_length} entries",
    "string_too_short": "should not be empty", "string_too_long": "should have at most {max_length} characters",
    "string_pattern_mismatch": "should match {pattern}",
    "greater_than_equal": "should be at least {ge}", "less_than_equal": "should be at most {le}",
    "greater_than": "should be more than {gt}", "less_than": "should be less than {lt}",
}


def _message(error: dict[str, Any]) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        return "unknown field"
    if kind == "missing":
        return "required field is missing"
    if kind == "string_unicode":
        return "contains a lone surrogate, which is not text"
    if kind in PLAIN_MESSAGES:
        return f"{PLAIN_MESSAGES[kind]}, not {described(error.get('input'))}"
    if kind == "too_short" and error.get("ctx", {}).get("min_length") == 1:
        return "should not be empty"
    if kind in LIMIT_MESSAGES:
        return LIMIT_MESSAGES[kind].format(**error.get("ctx", {}))
    return str(error["msg"]).removeprefix("Value error, ").removeprefix("Input ")


def _too_big(source: str, size: int) -> None:
    if size > MAX_DOCUMENT_BYTES:
        message = f"the document is larger than {MAX_DOCUMENT_BYTES // 1024 ** 2} MB: split it into several files"
        raise InvalidDocument([DocumentError(source, 1, "(document)", message)])


def decode(source: str, raw: bytes) -> str:
    """UTF-8 text of `raw`, or an InvalidDocument naming the line of the first bad byte."""
    _too_big(source, len(raw))
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InvalidDocument(
            [DocumentError(source, line, "(document)", f"not UTF-8 text (byte 0x{raw[exc.start]:02x})")]
        ) from None


def parse_yaml(source: str, text: str, *, strict: bool = True) -> Located:
    """Parse one YAML document, within bounds, into data and the line of every field path.

    A document that cannot be read at all (a syntax error, an empty file, beyond a bound) raises
    InvalidDocument. A value that cannot be read (an invalid date, an alias, a tag) is an error
    at its field, and so is a duplicate key (the first is kept): raised when `strict`, otherwise
    kept in `errors` of the result (the value is UNREADABLE, its path in `unreadable`), so the
    caller reports them with every other error of the document.
    """
    _too_big(source, len(text))
    node = _compose(source, text)
    if node is None:
        raise InvalidDocument([DocumentError(source, 1, "(document)", "the file is empty")])
    builder = _Builder(source)
    document = Located(source, builder.build(node, ()), builder.lines, builder.errors, builder.unreadable)
    if strict and document.errors:
        raise InvalidDocument(document.errors)
    return document


class _Unbounded(yaml.YAMLError):
    def __init__(self, mark: yaml.Mark, problem: str):
        super().__init__(problem)
        self.mark, self.problem = mark, problem


class _BoundedLoader(yaml.SafeLoader):
    """PyYAML's safe loader composing at most MAX_VALUES nodes, MAX_DEPTH deep, with aliases set aside."""

    def __init__(self, text: str):
        super().__init__(text)
        self.values = self.depth = 0

    def compose_node(self, parent: Any, index: Any) -> yaml.Node:
        event = self.peek_event()
        self.values += 1
        if self.values > MAX_VALUES:
            raise _Unbounded(event.start_mark, f"more than {MAX_VALUES:,} values in one document: "
                                               "split it into several files")
        if isinstance(event, yaml.AliasEvent):
            self.get_event()
            return yaml.ScalarNode(ALIAS_TAG, event.anchor, event.start_mark, event.end_mark)
        if self.depth >= MAX_DEPTH and isinstance(event, yaml.CollectionStartEvent):
            raise _Unbounded(event.start_mark, f"lists and mappings are nested more than {MAX_DEPTH} levels deep")
        self.depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1

    @classmethod
    def node_of(cls, text: str) -> yaml.Node | None:
        loader = cls(text)  # checks every character first
        try:
            return loader.get_single_node()
        finally:
            loader.dispose()


def _compose(source: str, text: str) -> yaml.Node | None:
    try:
        return _BoundedLoader.node_of(text)
    except _Unbounded as exc:
        raise InvalidDocument([DocumentError(source, exc.mark.line + 1, "(document)", exc.problem)]) from None
    except yaml.YAMLError as exc:
        raise InvalidDocument([_syntax_error(source, text, exc)]) from None


def _syntax_error(source: str, text: str, exc: yaml.YAMLError) -> DocumentError:
    if isinstance(exc, yaml.reader.ReaderError):  # a character YAML does not allow, at a position in the text
        line, column = line_and_column(text, exc.position)
        message = f"the character U+{exc.character:04X} (column {column}) is not allowed in a YAML document"
        return DocumentError(source, line, "(document)", message)
    problem, mark = getattr(exc, "problem", None) or str(exc), getattr(exc, "problem_mark", None)
    begun, context = getattr(exc, "context_mark", None), getattr(exc, "context", None) or ""
    construct = re.sub(r"^while (?:parsing|scanning) (?:an?|the) ", "", context)
    if mark is None or begun is None:
        pass
    elif not context.startswith("while "):  # such as "found duplicate anchor 'a'; first occurrence"
        problem = f"{context} on line {begun.line + 1}, {problem}"
    elif not text[mark.index:].strip():  # the end of the document came first: name where the construct began
        ending = "never closed" if "flow" in construct or "quoted" in construct else "not finished"
        problem += f": the {construct} that begins on this line is {ending}"
        mark = begun
    elif begun.line != mark.line:
        problem += f" (in the {construct} that begins on line {begun.line + 1})"
    return DocumentError(source, mark.line + 1 if mark else 1, "(document)", f"YAML syntax error: {problem}")


class _Builder:
    """Plain data from composed nodes, remembering lines; a value that cannot be read is an error at its field."""

    def __init__(self, source: str):
        self.source = source
        self.lines: dict[Path, int] = {}
        self.errors: list[DocumentError] = []
        self.unreadable: set[Path] = set()
        self.constructor = yaml.SafeLoader("")

    def build(self, node: yaml.Node, path: Path) -> Any:
        self.lines[path] = node.start_mark.line + 1
        refusal = _refusal(node)
        if refusal:
            return self.refuse(node, path, refusal)
        if isinstance(node, yaml.MappingNode):
            return self.mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, path + (index,)) for index, item in enumerate(node.value)]
        return self.scalar(node, path)

    def mapping(self, node: yaml.MappingNode, path: Path) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = self.key(key_node, path)
            if key is None:
                continue
            if key in result:
                self.report(key_node, path + (key,), "duplicate key")
                continue
            result[key] = self.build(value_node, path + (key,))
            self.lines[path + (key,)] = key_node.start_mark.line + 1
        return result

    def key(self, node: yaml.Node, path: Path) -> str | None:
        """The key as written (`on:` and `yes:` are booleans to YAML; the text is kept), or None if refused."""
        if node.tag == YAML_TAG + "merge":
            return self.report(node, path + ("<<",), "merge keys (<<) are not accepted: write the fields out")
        if not isinstance(node, yaml.ScalarNode) or node.tag == ALIAS_TAG:
            return self.report(node, path, "a key must be a plain name, not a list, a mapping or an alias")
        return node.value

    def scalar(self, node: yaml.ScalarNode, path: Path) -> Any:
        if node.tag in TEXT_TAGS:
            return node.value
        try:
            return self.constructor.construct_object(node, deep=True)
        except (ValueError, yaml.YAMLError) as exc:  # a date such as 2026-02-30, an integer of 5,000 digits
            if node.tag == YAML_TAG + "timestamp":
                return self.refuse(node, path, f"{shown(node.value)} is not a valid date: {exc}")
            return self.refuse(node, path, f"{shown(node.value)} is not a valid value")

    def refuse(self, node: yaml.Node, path: Path, message: str) -> _Unreadable:
        self.report(node, path, message)
        self.unreadable.add(path)
        return UNREADABLE

    def report(self, node: yaml.Node, path: Path, message: str) -> None:
        self.errors.append(DocumentError(self.source, node.start_mark.line + 1, field_name(path), message))


def _refusal(node: yaml.Node) -> str | None:
    """Why a node is not accepted as a value, or None."""
    if node.tag == ALIAS_TAG:
        return f"an alias (*{node.value}) is not accepted: write the value out"
    expected = {yaml.MappingNode: {YAML_TAG + "map"}, yaml.SequenceNode: {YAML_TAG + "seq"}}.get(type(node), PLAIN_TAGS)
    if node.tag not in expected:
        return f"the YAML tag {node.tag.replace(YAML_TAG, '!!')} is not accepted: remove it"
    return None
