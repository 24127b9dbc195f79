"""Imports are bounded and accept nothing wrong: hostile YAML, numbers beyond their column, texts that are not text.

Each case is refused as a located error (file, line, field) with nothing written, on
SQLite and PostgreSQL; none may reach the database as an exception of its own.
"""

import pytest
from sqlalchemy import select

import partnerflow.engine.intake.check as intake_check
import partnerflow.engine.intake.existing as intake_existing
import partnerflow.engine.intake.read as intake_read
from partnerflow.gates.documents import MAX_DOCUMENT_BYTES, InvalidDocument
from partnerflow.engine import import_files
from partnerflow.models import CommunicationPlan, Meeting, Metric, Party, Person, session_scope
from tests.engine.test_intake import CSV, PORTFOLIO, fetch, line_of, portfolio, refused, run


def errors_of(engine, *documents) -> list[str]:
    """Every error as `file:line: field: message`; asserts that nothing was written."""
    return [str(e) for e in refused(engine, *documents)]


def evidence(section: str) -> str:
    """The portfolio with one more evidence section, written as the YAML lines of `section`."""
    return PORTFOLIO + "".join(f"      {line}\n" for line in section.splitlines())


# ------------------------------------------------------------------ YAML that must not hang, crash or expand

BILLION_LAUGHS = """\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


def test_an_alias_bomb_is_refused_at_each_alias(engine):
    assert len(BILLION_LAUGHS.encode()) == 342
    errors = errors_of(engine, ("bomb.yaml", BILLION_LAUGHS))
    aliases = [e for e in errors if "an alias" in e]
    assert len(aliases) == 72
    assert aliases[0] == "bomb.yaml:2: b[0]: an alias (*a) is not accepted: write the value out"


def test_a_recursive_alias_is_refused_at_its_field(engine):
    text = portfolio("    kind: supplier\n", "    kind: supplier\n    parties: &p [*p, *p]\n")
    line = line_of(text, "&p")
    assert f"p.yaml:{line}: partnerships[0].parties[0]: an alias (*p) is not accepted: write the value out" in (
        errors_of(engine, ("p.yaml", text)))


@pytest.mark.parametrize("nesting", ["[" * 600 + "]" * 600, "{a: " * 600 + "1" + "}" * 600])
def test_deep_nesting_is_refused_where_it_goes_too_deep(engine, nesting):
    text = PORTFOLIO + f"      initiatives: {nesting}\n"
    assert errors_of(engine, ("p.yaml", text)) == [
        f"p.yaml:{line_of(text, 'initiatives')}: (document): lists and mappings are nested more than 20 levels deep"]


def test_a_merge_key_is_refused_at_its_field(engine):
    text = evidence("knowledge_sessions:\n  - {<<: {held_on: 2026-03-01}, topics: Outlook}")
    assert errors_of(engine, ("p.yaml", text))[0] == (
        f"p.yaml:{line_of(text, '<<')}: partnerships[0].evidence.knowledge_sessions[0].<<: merge keys (<<) are not "
        "accepted: write the fields out")


def test_a_complex_key_is_refused_at_its_field(engine):
    text = portfolio("    kind: supplier\n", "    kind: supplier\n    ? [a, b]\n    : 1\n")
    assert errors_of(engine, ("p.yaml", text)) == [
        (f"p.yaml:{line_of(text, '? [a, b]')}: partnerships[0]: a key must be a plain name, not a list, a mapping or "
        "an alias")]


@pytest.mark.parametrize(("tagged", "tag"), [
    ("!!binary QUNNRQ==", "!!binary"), ("!!python/object/apply:os.system [echo]", "!!python/object/apply:os.system"),
    ("!!set {a, b}", "!!set"), ("!acme Acme", "!acme"),
])
def test_a_yaml_tag_is_refused_at_its_field(engine, tagged, tag):
    text = portfolio("{key: acme, name: Acme Castings}", f"{{key: acme, name: {tagged}}}")
    assert errors_of(engine, ("p.yaml", text)) == [
        f"p.yaml:{line_of(text, tagged)}: parties[1].name: the YAML tag {tag} is not accepted: remove it"]


def test_a_document_beyond_the_size_limit_is_refused_before_it_is_parsed(engine):
    text = PORTFOLIO + "#" * MAX_DOCUMENT_BYTES
    assert errors_of(engine, ("big.yaml", text)) == [
        "big.yaml:1: (document): the document is larger than 4 MB: split it into several files"]


def test_a_huge_file_is_refused_without_being_read_whole(engine, tmp_path):
    """A 64 GB (sparse) file: only one byte past the limit is read before it is refused."""
    huge = tmp_path / "huge.yaml"
    with huge.open("wb") as file:
        file.truncate(64 * 1024 ** 3)
    with session_scope(engine) as session, pytest.raises(InvalidDocument) as refused:
        import_files(session, [huge])
    assert [str(e) for e in refused.value.errors] == [
        f"{huge}:1: (document): the document is larger than 4 MB: split it into several files"]


def test_too_many_values_are_refused(engine, monkeypatch):
    monkeypatch.setattr("partnerflow.gates.documents.MAX_VALUES", 50)
    assert errors_of(engine, ("p.yaml", PORTFOLIO)) == [
        "p.yaml:13: (document): more than 50 values in one document: split it into several files"]


def test_a_csv_file_beyond_its_rows_is_refused(engine, monkeypatch):
    monkeypatch.setattr(intake_read, "MOST_CSV_ROWS", 2)
    rows = "".join(f"p-{n},P {n}\n" for n in range(3))
    assert errors_of(engine, ("p.csv", "key,name\n" + rows)) == [  # the rows' own errors are not listed too
        "p.csv:4: (document): more than 2 rows in one CSV file: split it into several files"]


def test_a_csv_header_of_a_million_columns_is_one_error(engine):
    expected = ("p.csv:1: (header): 1,000,001 columns (expected some of key, name, kind, program, parties, phase, "
                "phase_since, sponsor, owner)")
    assert errors_of(engine, ("p.csv", "x," * 1_000_000 + "\n")) == [expected]


def test_an_import_beyond_its_entities_is_refused(engine, monkeypatch):
    monkeypatch.setattr(intake_check, "MOST_PER_IMPORT", 1)
    assert "p.yaml:5: parties[1]: more than 1 parties in one import: import the rest separately" in errors_of(
        engine, ("p.yaml", PORTFOLIO))


def test_lookups_of_many_keys_are_split_into_batches(engine, monkeypatch):
    monkeypatch.setattr(intake_existing, "KEYS_PER_QUERY", 1)
    run(engine, ("p.yaml", PORTFOLIO), ("p.csv", CSV))
    assert run(engine, ("p.yaml", PORTFOLIO), ("p.csv", CSV)).partnerships_updated == 0


# ------------------------------------------------------------------ numbers within their columns

@pytest.mark.parametrize("days", ["2147483648", "9223372036854775808", "0", "-1", "3651", "7.5", '"30"', "true"])
def test_days_are_a_whole_number_from_1_to_3650(engine, days):
    text = evidence(f"communication: {{formal_cadence_days: {days}}}")
    [error] = errors_of(engine, ("p.yaml", text))
    assert error.startswith(f"p.yaml:{line_of(text, 'formal_cadence_days')}: "
                            "partnerships[0].evidence.communication.formal_cadence_days: should be ")


def test_the_largest_number_of_days_is_stored_on_every_database(engine):
    run(engine, ("p.yaml", evidence("communication: {formal_cadence_days: 3650, response_target_days: 1}")))
    assert fetch(engine, select(CommunicationPlan.formal_cadence_days)) == [(3650,)]


@pytest.mark.parametrize(("written", "message"), [
    (".nan", "should be a finite number, not nan"), (".inf", "should be a finite number, not inf"),
    ("-.inf", "should be a finite number, not -inf"), ("1.0e+400", "should be a finite number, not inf"),
    ("1" + "0" * 30, "should be between -10^15 and 10^15, not 1000000000000000000…"),
    ("1.0e+16", "should be between -10^15 and 10^15, not 1e+16"),
    ('"95"', "should be a number, not '95'"), ("yes", "should be a number, not true"),
])
def test_a_target_is_a_finite_number_within_bounds(engine, written, message):
    text = portfolio("target: 95", f"target: {written}")
    assert errors_of(engine, ("p.yaml", text)) == [
        f"p.yaml:{line_of(text, 'target:')}: partnerships[0].evidence.metrics[0].target: {message}"]


def test_an_integer_of_thousands_of_digits_is_a_located_error(engine):
    text = portfolio("target: 95", "target: " + "9" * 5000)
    assert errors_of(engine, ("p.yaml", text)) == [
        (f"p.yaml:{line_of(text, 'target:')}: partnerships[0].evidence.metrics[0].target: '{'9' * 39}…' is not a "
        "valid value")]


def test_a_target_keeps_its_value(engine):
    run(engine, ("p.yaml", portfolio("target: 95", "target: -1.0e+15")))
    assert fetch(engine, select(Metric.target)) == [(-1e15,)]


@pytest.mark.parametrize("day", ["9999-12-31", "1899-12-31", "2200-01-01", '"0001-01-01"'])
def test_a_date_is_within_the_accepted_years(engine, day):
    text = portfolio("held_on: 2026-02-03", f"held_on: {day}")
    [error] = errors_of(engine, ("p.yaml", text))
    assert error.endswith("is outside the dates accepted (1900-01-01 to 2199-12-31)")


@pytest.mark.parametrize("day", ['"2026-W05-2"', '"20260203"', '" 2026-02-03"', '"2026-02-03\\n"'])
def test_a_date_written_as_text_is_exactly_yyyy_mm_dd(engine, day):
    text = portfolio("held_on: 2026-02-03", f"held_on: {day}")
    [error] = errors_of(engine, ("p.yaml", text))
    assert error.endswith("is not a date (YYYY-MM-DD)")


# ------------------------------------------------------------------ keys, emails and texts of their shape

@pytest.mark.parametrize(("old", "new", "field"), [
    ("{key: acme, name: Acme Castings}", '{key: "acme\\n", name: Acme Castings}', "parties[1].key"),
    ("  - key: acme-castings\n", '  - key: "acme-castings\\n"\n', "partnerships[0].key"),
    ("{email: nina@acme.example,", '{email: "nina@acme.example\\n",', "people[1].email"),
    ("{email: nina@acme.example,", '{email: "nina\\u200b@acme.example",', "people[1].email"),
    ("{email: nina@acme.example,", '{email: "nina@acme.example\\u00a0",', "people[1].email"),
    ("roles: [gatekeeper]", 'roles: ["gatekeeper\\n"]', "people[0].roles[0]"),
])
def test_a_key_email_or_role_must_match_whole(engine, old, new, field):
    run(engine, ("p.yaml", PORTFOLIO))
    text = portfolio(old, new)
    [error] = errors_of(engine, ("p.yaml", text))
    assert error.startswith(f"p.yaml:{line_of(text, new.strip())}: {field}: ")
    assert {key for key, in fetch(engine, select(Party.key))} == {"northwind", "acme"}  # no twin
    assert len(fetch(engine, select(Person.email))) == 2


@pytest.mark.parametrize("name", ['" "', '"\\t"', '"\\u200b"', '" \\u00a0\\ufeff"'])
def test_a_blank_name_is_refused(engine, name):
    text = portfolio("{key: acme, name: Acme Castings}", f"{{key: acme, name: {name}}}")
    assert errors_of(engine, ("p.yaml", text)) == [(f"p.yaml:{line_of(text, 'key: acme,')}: parties[1].name: "
                                                   "should not be blank")]


def test_a_megabyte_name_is_refused_without_being_repeated(engine):
    text = portfolio("    name: Acme Castings\n", f"    name: {'x' * 1_000_000}\n")
    assert errors_of(engine, ("p.yaml", text)) == [
        f"p.yaml:{line_of(text, 'xxxx')}: partnerships[0].name: should have at most 200 characters (1,000,000 given)"]


@pytest.mark.parametrize(("escaped", "code"), [
    ("\\0", "U+0000"), ("\\e[2J", "U+001B"), ("\\x7f", "U+007F"), ("\\x85", "U+0085"), ("\\ud800", "U+D800"),
])
def test_control_characters_are_refused_in_every_text(engine, escaped, code):
    text = portfolio("summary: Kick-off", f'summary: "Kick{escaped}-off"').replace(
        "{key: acme, name: Acme Castings}", f'{{key: acme, name: "Acme{escaped}"}}')
    assert errors_of(engine, ("p.yaml", text)) == [
        (f"p.yaml:{line_of(text, 'key: acme,')}: parties[1].name: contains a control character ({code}, character 5), "
        "which is not allowed here"),
        (f"p.yaml:{line_of(text, 'summary:')}: partnerships[0].evidence.meetings[0].summary: contains a control "
        f"character ({code}, character 5), which is not allowed here"),
    ]


def test_a_key_with_a_nul_is_refused_without_reaching_the_database(engine):
    text = portfolio("{key: acme, name: Acme Castings}", '{key: "acme\\0", name: Acme Castings}')
    expected = (f"p.yaml:{line_of(text, 'key: ' + chr(34) + 'acme')}: parties[1].key: 'acme\\x00' is not a valid "
                "key: use lower-case letters, digits, '.', '_', '-'")
    assert expected in errors_of(engine, ("p.yaml", text))


def test_a_name_is_one_line_but_a_summary_may_have_several(engine):
    text = portfolio("{key: acme, name: Acme Castings}", '{key: acme, name: "Acme\\nCastings"}')
    assert errors_of(engine, ("p.yaml", text)) == [
        (f"p.yaml:{line_of(text, 'key: acme,')}: parties[1].name: contains a line break (U+000A, character 5), "
        "which is not allowed here")]
    run(engine, ("p.yaml", portfolio("summary: Kick-off", 'summary: "Kick-off\\n\\tagenda: scope"')))
    assert fetch(engine, select(Meeting.summary)) == [("Kick-off\n\tagenda: scope",)]


@pytest.mark.parametrize(("old", "new", "column"), [
    ("Acme brackets", "Acme\x00brackets", "name"), ("Acme brackets", "\u200b", "name"),
    (",tom@northwind.example\n", ",tom\u200b@northwind.example\n", "owner"),
])
def test_csv_cells_have_the_same_shapes(engine, old, new, column):
    errors = errors_of(engine, ("p.yaml", PORTFOLIO), ("p.csv", CSV.replace(old, new)))
    assert [e.split(": ")[:2] for e in errors] == [["p.csv:2", column]]


@pytest.mark.parametrize(("section", "field", "limit"), [
    ("parties", "partnerships[0].parties", "should have at most 20 party keys (21 given)"),
    ("roles", "people[0].roles", "should have at most 20 roles (21 given)"),
])
def test_lists_are_bounded(engine, section, field, limit):
    many = "[" + ", ".join(f"p{n}" for n in range(21)) + "]"
    old = "parties: [northwind, acme]" if section == "parties" else "roles: [gatekeeper]"
    text = portfolio(old, f"{section}: {many}")
    assert f"p.yaml:{line_of(text, many)}: {field}: {limit}" in errors_of(engine, ("p.yaml", text))


# ------------------------------------------------------------------ every error, at its line, in plain words

def test_an_invalid_date_hides_no_other_error(engine):
    text = portfolio("effective_on: 2026-01-01", "effective_on: 2026-02-30").replace(
        "target: 95", "target: high").replace("{key: acme, name: Acme Castings}", '{key: acme, name: " "}')
    assert [e.split(": ")[:2] for e in errors_of(engine, ("p.yaml", text))] == [
        [f"p.yaml:{line_of(text, 'key: acme,')}", "parties[1].name"],
        [f"p.yaml:{line_of(text, 'effective_on')}", "partnerships[0].evidence.agreements[0].effective_on"],
        [f"p.yaml:{line_of(text, 'target: high')}", "partnerships[0].evidence.metrics[0].target"],
    ]


def test_an_unclosed_bracket_is_reported_where_it_opens(engine):
    text = "programs:\n  - {key: supply-base, name: Supply base}\nparties: [{key: acme, name: Acme}\n\n"
    assert errors_of(engine, ("p.yaml", text)) == [
        ("p.yaml:3: (document): YAML syntax error: expected ',' or ']', but got '<stream end>': the flow sequence that "
        "begins on this line is never closed")]


def test_a_syntax_error_inside_a_bracket_names_both_lines(engine):
    text = "programs:\n  - {key: supply-base, name: Supply base}\nparties: [{key: acme, name: Acme}\npeople: []\n"
    assert errors_of(engine, ("p.yaml", text)) == [
        ("p.yaml:4: (document): YAML syntax error: expected ',' or ']', but got '<scalar>' (in the flow sequence "
        "that begins on line 3)")]


def test_a_control_character_in_the_document_is_reported_at_its_line(engine):
    text = portfolio("name: Tom Becker", "name: Tom\x07Becker")
    line = line_of(text, "Tom")
    column = text.splitlines()[line - 1].index("\x07") + 1
    assert errors_of(engine, ("p.yaml", text)) == [
        f"p.yaml:{line}: (document): the character U+0007 (column {column}) is not allowed in a YAML document"]


@pytest.mark.parametrize(("old", "new", "message"), [
    ("parties: [northwind, acme]", "parties: northwind", ("partnerships[0].parties: should be a list of party keys, "
                                                         "not 'northwind'")),
    ("parties: [northwind, acme]", "parties: [northwind, [acme]]", ("partnerships[0].parties[1]: should be a valid "
                                                                   "key, not a list")),
    ("    evidence:\n", "    evidence: 5\n    unused:\n", ("partnerships[0].evidence: should be a mapping of fields, "
                                                          "not 5")),
    ("      - {person: nina@acme.example,", "      - [nina@acme.example]\n      - {person: nina@acme.example,",
     "partnerships[0].members[0]: should be a mapping of fields, not a list"),
    ("name: Tom Becker,", "name: 2026,", "people[0].name: should be text, not 2026"),
    ("internal: true", "internal: maybe", "parties[0].internal: should be true or false, not 'maybe'"),
    ("      risks:\n", "      processes:\n        - {name: Call-off, owners: []}\n      risks:\n",
     "partnerships[0].evidence.processes[0].owners: should not be empty"),
])
def test_messages_are_in_plain_words(engine, old, new, message):
    errors = errors_of(engine, ("p.yaml", portfolio(old, new)))
    assert any(e.endswith(message) for e in errors), errors
    for jargon in ("valid tuple", "dictionary", "instance of", "In\n", "Input should", "Value error"):
        assert not any(jargon in e for e in errors), errors


def test_a_field_in_error_hides_none_of_the_same_entitys_other_errors(engine):
    """A new partnership with an impossible date is still checked for what a new one needs and whom it names."""
    text = ("partnerships:\n"
            "  - key: evil\n"
            "    name: Evil\n"
            "    phase_since: 2026-02-30\n"
            "    owner: nobody@x.example\n")
    errors = errors_of(engine, ("p.yaml", text))
    fields = [e.split(": ")[1] for e in errors]
    assert "partnerships[0].phase_since" in fields  # the date itself, once
    assert fields.count("partnerships[0].phase_since") == 1
    assert any("partnerships[0].owner" in e and "nobody@x.example" in e for e in errors)  # an unknown person
    assert any("partnerships[0].program" in e for e in errors)  # what a new partnership needs
    assert any("partnerships[0].sponsor" in e for e in errors)
