"""Mutated copies of the shipped examples: every import either succeeds or names each error, and writes nothing.

Byte flips, truncations, deleted and repeated lines and hostile values (huge numbers, NaN,
control characters, aliases, deep nesting, trailing newlines, invisible characters) are
applied to examples/portfolio.yaml and examples/partnerships.csv. Whatever comes out, an
import never raises anything but InvalidDocument, every error has a file, a line within
the file and a field, and a refused import has written nothing. Each import runs in its own
transaction, rolled back afterwards, so every example starts from the same database.
"""

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session

from partnerflow.engine.intake import import_documents
from partnerflow.gates.documents import LINE_BREAK, InvalidDocument
from partnerflow.models import session_scope
from tests.engine.harness import table_counts

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PORTFOLIO = (EXAMPLES / "portfolio.yaml").read_bytes()
CSV = (EXAMPLES / "partnerships.csv").read_bytes()
BOMB = "[" + ", ".join(  # the alias bomb on one line: nine levels of nine aliases each
    [f"&l0 [{', '.join(['lol'] * 9)}]"]
    + [f"&l{n} [{', '.join([f'*l{n - 1}'] * 9)}]" for n in range(1, 9)]) + "]"
HOSTILE_YAML = [
    ".nan", ".inf", "-.inf", "9223372036854775808", "2147483648", "-1", "0", "1e400", "1" * 5000,
    "2026-02-30", "9999-12-31", "0001-01-01", '"acme-castings\\n"', '"tom.becker@northwind.example\\n"',
    '" "', '"\\t"', '"\\u200b"', '"a\\u200bb@northwind.example"', '"\\0"', '"\\e[2J"', '"\\x85"', '"\\ud800"',
    '"' + "x" * 100_000 + '"', "*nowhere", "&a [*a, *a]", BOMB, "[" * 600 + "]" * 600, "<<", "=",
    "!!binary AAAA", "!!python/object/apply:os.system [echo]", "!custom x", "? [a, b]", "[", "{", "'", '"',
    "true", "null", "~", "[]", "{}", "[northwind]", "[northwind, northwind]",
]
HOSTILE_CSV = [
    "acme-castings ", "acme\x00", "\x1b[2J", "x" * 300, "=cmd|' /C calc'!A0", "northwind;northwind", "\u200b",
    '"unclosed', "2026-02-30", "9999-12-31", "a@b", "", ";", "execution,extra,cells,beyond,the,header",
]
YAML_VALUE = re.compile(r"(?<=: )[^,{}\[\]\n]+")  # a value after `: `, up to the end of a flow entry
CSV_CELL = re.compile(r"(?<=,)[^,\n]*|^[^,\n]*")


POSITION = st.integers(min_value=0, max_value=10 ** 6)


def hostile_values(hostile: list[str]) -> st.SearchStrategy:
    """A value of some line replaced by one of `hostile` (drawn as its index, to keep examples short)."""
    return st.tuples(st.just("hostile value"), POSITION, POSITION, st.sampled_from(range(len(hostile))))


def mutations(hostile: list[str]) -> st.SearchStrategy:
    """Any change of a document's bytes: a flipped byte, a truncation, a line deleted or repeated, a hostile value."""
    return st.one_of(
        st.tuples(st.just("flip"), POSITION, st.integers(0, 255)),
        st.tuples(st.just("truncate"), POSITION),
        st.tuples(st.just("delete line"), POSITION),
        st.tuples(st.just("repeat line"), POSITION),
        hostile_values(hostile),
    )


def mutate(raw: bytes, mutation: tuple, hostile: list[str], values: re.Pattern = YAML_VALUE) -> bytes:
    kind, where, *rest = mutation
    if kind == "flip":
        index = where % max(len(raw), 1)
        return raw[:index] + bytes([rest[0]]) + raw[index + 1:]
    if kind == "truncate":
        return raw[:where % (len(raw) + 1)]
    lines = raw.split(b"\n")
    index = where % len(lines)
    if kind == "delete line":
        return b"\n".join(lines[:index] + lines[index + 1:])
    if kind == "repeat line":
        return b"\n".join(lines[:index + 1] + lines[index:])
    changed = hostile_value(lines[index], rest[0], hostile[rest[1]], values)
    return b"\n".join(lines[:index] + [changed] + lines[index + 1:])


def hostile_value(line: bytes, which: int, value: str, values: re.Pattern = YAML_VALUE) -> bytes:
    """`line` with one of its `values` replaced by `value` (or `value` appended when it holds none)."""
    text = line.decode("utf-8", "replace")
    found = list(values.finditer(text))
    if not found:
        return (text + value).encode("utf-8", "surrogatepass")
    match = found[which % len(found)]
    return (text[:match.start()] + value + text[match.end():]).encode("utf-8", "surrogatepass")


def hostile_changes() -> st.SearchStrategy:
    """One or two hostile values in the portfolio and perhaps one in the CSV; the rest of both files intact."""
    return st.tuples(st.lists(hostile_values(HOSTILE_YAML), min_size=1, max_size=2),
                     st.lists(hostile_values(HOSTILE_CSV), max_size=1))


def changes() -> st.SearchStrategy:
    """Up to three mutations of each example, at least one in all (drawn small: the examples are applied later)."""
    yaml_changes = st.lists(mutations(HOSTILE_YAML), max_size=3)
    csv_changes = st.lists(mutations(HOSTILE_CSV), max_size=3)
    return st.tuples(yaml_changes, csv_changes).filter(any)


def mutated_examples(changes: tuple[list, list]) -> list[tuple[str, bytes]]:
    portfolio, csv = PORTFOLIO, CSV
    for mutation in changes[0]:
        portfolio = mutate(portfolio, mutation, HOSTILE_YAML)
    for mutation in changes[1]:
        csv = mutate(csv, mutation, HOSTILE_CSV, CSV_CELL)
    return [("portfolio.yaml", portfolio), ("partnerships.csv", csv)]


def line_count(raw: bytes) -> int:
    """Lines as YAML counts them (a lone CR, NEL and U+2028 break lines too)."""
    return len(LINE_BREAK.findall(raw.decode("utf-8", "replace"))) + 1


def assert_imported_or_refused_whole(engine, docs: list[tuple[str, bytes]]) -> None:
    lines = {name: line_count(raw) for name, raw in docs}
    with Session(engine) as session:
        before = table_counts(session)
        try:
            import_documents(session, docs)
        except InvalidDocument as refused:
            assert refused.errors
            for error in refused.errors:
                assert error.source in lines and 1 <= error.line <= lines[error.source], error
                assert error.field and error.message, error
            assert table_counts(session) == before  # nothing was written, not even flushed
        finally:
            session.rollback()


PROPERTY = settings(max_examples=30, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@pytest.fixture
def imported_examples(engine):
    with session_scope(engine) as session:
        import_documents(session, [("portfolio.yaml", PORTFOLIO), ("partnerships.csv", CSV)])
    return engine


@PROPERTY
@given(change=hostile_changes())
def test_an_example_with_hostile_values_imports_or_is_refused_whole(engine, change):
    assert_imported_or_refused_whole(engine, mutated_examples(change))


@PROPERTY
@given(change=changes())
def test_a_mutated_example_imports_or_is_refused_whole_over_the_examples(imported_examples, change):
    assert_imported_or_refused_whole(imported_examples, mutated_examples(change))


def test_the_mutations_change_the_documents():
    line = b"  - {key: acme, name: Acme Castings}"
    assert hostile_value(line, 1, ".nan") == b"  - {key: acme, name: .nan}"
    assert hostile_value(b"key,name,kind", 1, "\x00", CSV_CELL) == b"key,\x00,kind"
    assert mutate(b"a\nb\n", ("repeat line", 0), []) == b"a\na\nb\n"
    assert mutate(b"a\nb\n", ("delete line", 1), []) == b"a\n"
    assert mutate(b"abc", ("flip", 1, 0), []) == b"a\x00c"
    assert mutate(b"a: b", ("hostile value", 0, 0, 1), ["x", "y"]) == b"a: y"
    assert BOMB.count("*") == 72 and BOMB.count("&") == 9
