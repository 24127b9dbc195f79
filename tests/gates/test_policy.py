"""Loading a policy: bad ones are rejected whole, each problem named by file, line and field."""

from pathlib import Path

import pytest

from partnerflow.engine.policies import read_policy
from partnerflow.engine.settings import DEFAULT_POLICY
from partnerflow.gates import InvalidDocument, parse_policy, parse_yaml
from partnerflow.gates.documents import MAX_DOCUMENT_BYTES, UNREADABLE

TEXT = DEFAULT_POLICY.read_text()


def errors_of(text: str) -> list[str]:
    with pytest.raises(InvalidDocument) as caught:
        parse_policy("proposed.yaml", text)
    return [str(e) for e in caught.value.errors]


def line_of(needle: str) -> int:
    return next(n for n, line in enumerate(TEXT.splitlines(), start=1) if needle in line)


def test_the_default_policy_loads_with_its_version():
    policy = read_policy(DEFAULT_POLICY)
    assert policy.version == "2026.11-2"
    assert [g.id for g in policy.gates] == ["alignment-to-execution", "execution-to-shared-vision"]
    assert policy.gate_from("shared_vision") is None


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("check: roles_assigned", "check: roles_asigned",
     "proposed.yaml:{line}: gates[0].criteria[3].check: unknown check 'roles_asigned'"),
    ("practice: knowledge_exchange", "practice: knowledge",
     "proposed.yaml:{line}: gates[1].criteria[6].practice: unknown practice 'knowledge'"),
    ("params: {periods: 3}", "params: {periods: three}",
     "proposed.yaml:{line}: gates[1].criteria[1].params.periods: should be a whole number, not 'three'"),
    ("params: {periods: 3}", "params: {period: 3}",
     "proposed.yaml:{line}: gates[1].criteria[1].params.period: unknown field"),
    ("params: {kind: relationship}", "params: {}",
     "proposed.yaml:{line}: gates[0].criteria[10].params.kind: required field is missing"),
    ("level: must\n        owner_role: sponsor", "level: might\n        owner_role: sponsor",
     "proposed.yaml:{line}: gates[0].criteria[0].level: should be 'must' or 'should'"),
    ("    to: shared_vision", "    to: nirvana",
     "proposed.yaml:{line}: gates[1].to: unknown phase 'nirvana' (phases: alignment, execution, shared_vision)"),
    ("    from: execution", "    from: alignment", "proposed.yaml:{line}: gates[1].from: a second gate leaves alignment"),
    ("id: risks-mitigated", "id: roles-assigned",
     "proposed.yaml:{line}: gates[0].criteria[5].id: duplicate id 'roles-assigned' (first used at line {first})"),
    ("task_due_days: 14", "task_due_days: 14\nbudget: 5", "proposed.yaml:{next_line}: budget: unknown field"),
])
def test_a_bad_policy_names_the_place_of_the_problem(old, new, expected):
    line = TEXT[:TEXT.index(old)].count("\n") + 1
    message = expected.format(line=line, next_line=line + 1, first=line_of("id: roles-assigned"))
    assert message in errors_of(TEXT.replace(old, new, 1))


def test_every_problem_is_reported_at_once():
    text = TEXT.replace("check: roles_assigned", "check: nope").replace("practice: knowledge_exchange", "practice: x")
    assert len(errors_of(text)) == 2


@pytest.mark.parametrize(("text", "expected"), [
    ("", "proposed.yaml:1: (document): the file is empty"),
    ("version: [1\n", ("proposed.yaml:1: (document): YAML syntax error: expected ',' or ']', but got '<stream end>': "
                      "the flow sequence that begins on this line is never closed")),
    ("version: '1'\nversion: '2'\ngates: []\n", "proposed.yaml:2: version: duplicate key"),
    ("version: '1'\n", "proposed.yaml:1: gates: required field is missing"),
])
def test_malformed_documents_are_named(text, expected):
    assert errors_of(text) == [expected]


def test_an_unreadable_policy_file_is_an_error_not_a_crash(tmp_path: Path):
    with pytest.raises(InvalidDocument, match="No such file or directory"):
        read_policy(tmp_path / "missing.yaml")
    (tmp_path / "latin1.yaml").write_bytes("name: caf\xe9\n".encode("latin-1"))
    with pytest.raises(InvalidDocument, match=r"latin1.yaml:1: \(document\): not UTF-8 text \(byte 0xe9\)"):
        read_policy(tmp_path / "latin1.yaml")


# ------------------------------------------------------------------ hostile documents: located errors, never a crash

@pytest.mark.parametrize(("text", "expected"), [
    ("version: &v '1'\nname: *v\ngates: []\n",
     "proposed.yaml:2: name: an alias (*v) is not accepted: write the value out"),
    ("version: '1'\ngates: &g [*g]\n", "proposed.yaml:2: gates[0]: an alias (*g) is not accepted: write the value out"),
    ("version: '1'\ngates:\n  - <<: {id: x}\n", ("proposed.yaml:3: gates[0].<<: merge keys (<<) are not accepted: "
                                                "write the fields out")),
    ("? [a, b]\n: 1\n", "proposed.yaml:1: (document): a key must be a plain name, not a list, a mapping or an alias"),
    ("version: !!binary AAAA\ngates: []\n",
     "proposed.yaml:1: version: the YAML tag !!binary is not accepted: remove it"),
    ("version: '1'\ngates: " + "[" * 500 + "]" * 500 + "\n",
     "proposed.yaml:2: (document): lists and mappings are nested more than 20 levels deep"),
    ("version: '1'\ngates:\n" + "".join("  " * n + "- \n" for n in range(1, 600)),
     "proposed.yaml:22: (document): lists and mappings are nested more than 20 levels deep"),
    ("version: '1'\n\ngates: []\nname: a\x00b\n",
     "proposed.yaml:4: (document): the character U+0000 (column 8) is not allowed in a YAML document"),
    ("version: '1'\rgates: []\rname: a\x1bb\r",
     "proposed.yaml:3: (document): the character U+001B (column 8) is not allowed in a YAML document"),
    ("version: '1'\ntask_due_days: " + "9" * 5000 + "\ngates: []\n",
     f"proposed.yaml:2: task_due_days: '{'9' * 39}…' is not a valid value"),
])
def test_a_hostile_document_is_a_located_error(text, expected):
    assert errors_of(text) == [expected]


def test_an_alias_bomb_is_refused_without_expanding():
    bomb = "version: '1'\ngates: []\na: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
        f"{chr(98 + n)}: &{chr(98 + n)} [{', '.join([f'*{chr(97 + n)}'] * 9)}]\n" for n in range(8))
    errors = errors_of(bomb)
    assert len(errors) == 72 and all("an alias" in e for e in errors)


def test_a_document_beyond_the_size_limit_is_refused():
    assert errors_of("version: '1'\ngates: []\n" + "#" * MAX_DOCUMENT_BYTES) == [
        "proposed.yaml:1: (document): the document is larger than 4 MB: split it into several files"]


def test_an_unreadable_value_is_an_error_of_its_own_and_the_reading_goes_on():
    document = parse_yaml("p.yaml", "a: 2026-02-30\nb: [1, *x]\nc: =\nd: <<\non: yes\n", strict=False)
    assert document.data == {"a": UNREADABLE, "b": [1, UNREADABLE], "c": "=", "d": "<<", "on": True}
    assert [str(e) for e in document.errors] == [
        "p.yaml:1: a: '2026-02-30' is not a valid date: day is out of range for month",
        "p.yaml:2: b[1]: an alias (*x) is not accepted: write the value out"]
    assert not document.readable(("b", 1)) and not document.readable(("a", "x")) and document.readable(("b", 0))
