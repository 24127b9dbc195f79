"""The `partnerflow` command in-process: answers, JSON shapes, clear errors, nothing written on refusal."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import typer

from partnerflow.engine.settings import DEFAULT_POLICY
from tests.cli.commands import run
from tests.engine.harness import table_counts
from tests.factories import AS_OF

ROOT = Path(__file__).resolve().parents[2]


def test_status_of_the_portfolio(reviewed):
    code, out, _ = run("status")
    assert code == 0
    assert "Waiting for a gatekeeper" in out and "acme-supply" in out
    assert "empty" in out and "business-case-approved" in out


def test_status_of_the_portfolio_as_of_a_date_evaluates_that_date_and_writes_nothing(reviewed):
    """Once the agreement has expired (2027-12-31), the ready partnership is blocked by it on that date."""
    before = table_counts(reviewed)
    code, out, _ = run("status", "--json", "--as-of", "2028-02-01")
    later = json.loads(out)
    assert code == 0 and later["as_of"] == "2028-02-01"
    assert {b["key"]: b["blockers"] for b in later["blocked"]}["acme-supply"] == ["agreement-in-force"]
    assert later["ready"] == []  # blocked that day, it is not shown waiting for a gatekeeper too
    _, out, _ = run("status", "--json")
    stored = json.loads(out)
    assert stored["as_of"] is None and "acme-supply" not in {b["key"] for b in stored["blocked"]}
    _, out, _ = run("status", "--as-of", "2028-02-01")
    assert "Blockers evaluated as of 2028-02-01, nothing stored" in out
    assert table_counts(reviewed) == before


def test_status_json_of_a_partnership_explains_every_criterion(reviewed):
    code, out, _ = run("status", "empty", "--json", "--as-of", AS_OF)
    view = json.loads(out)
    assert code == 0
    assert (view["key"], view["phase"], view["state"]) == ("empty", "alignment", "active")
    gate = view["next_gate"]
    assert gate["id"] == "alignment-to-execution" and gate["passed"] is False
    first = gate["criteria"][0]
    assert {"id", "practice", "level", "passed", "explanation"} <= set(first)
    assert (first["id"], first["passed"], first["explanation"]) == (
        "business-case-approved", False, "no business case recorded")


def test_status_text_of_a_partnership(reviewed):
    code, out, _ = run("status", "acme-supply", "--as-of", AS_OF)
    assert code == 0
    assert "needs 2 gatekeeper(s), one from each party" in out and "business case approved on 2026-01-10" in out


def test_status_says_when_the_last_review_looked_and_until_when_it_holds(reviewed):
    """The `reviewed` fixture's review as of AS_OF; the empty partnership's result holds as long as
    nothing is recorded for it."""
    code, out, _ = run("status", "empty", "--as-of", AS_OF)
    assert code == 0
    assert f"Last reviewed as of {AS_OF}, confirmed as of {AS_OF}; the result holds while its evidence stays" in out


@pytest.mark.parametrize("args", [("status", "nope"), ("history", "nope"),
                                  ("decide", "nope", "go", "--by", "gina@northwind.example", "--reason", "x")])
def test_an_unknown_partnership_is_named(reviewed, args):
    code, _, err = run(*args)
    assert code == 1 and "error: no partnership with key 'nope'" in err


def test_a_decision_by_a_non_gatekeeper_is_refused_and_nothing_is_written(reviewed):
    before = table_counts(reviewed)
    code, _, err = run("decide", "acme-supply", "go", "--by", "max@acme.example", "--reason", "Looks fine")
    assert code == 1 and "error: max@acme.example is not a gatekeeper" in err
    assert table_counts(reviewed) == before


def test_a_decision_on_a_terminated_partnership_is_refused(reviewed):
    assert run("decide", "empty", "kill", "--by", "gina@northwind.example", "--reason", "Never started")[0] == 0
    before = table_counts(reviewed)
    code, _, err = run("decide", "empty", "hold", "--by", "gus@northwind.example", "--reason", "Wait")
    assert code == 1 and "error: empty is terminated: no further decisions" in err
    assert table_counts(reviewed) == before


def test_decide_and_history(reviewed):
    code, out, _ = run("decide", "acme-supply", "go", "--by", "gina@northwind.example", "--reason", "Solid case",
                       "--as-of", AS_OF)
    assert code == 0 and "vote recorded: 1 of 2 votes" in out
    code, out, _ = run("history", "acme-supply", "--json")
    kinds = [event["kind"] for event in json.loads(out)]
    assert code == 0 and kinds == ["state.ready", "decision.go"]


def test_history_shows_what_a_decision_was_made_on_and_people_not_ids(reviewed):
    from partnerflow.engine import read_policy
    from partnerflow.models import Decision, Task, session_scope

    code, out, _ = run("decide", "acme-supply", "go", "--by", "gina@northwind.example", "--reason", "Solid [b]case",
                       "--condition", "Sign the [/] annex", "--as-of", AS_OF)
    assert code == 0, out
    decided = out
    with session_scope(reviewed) as session:
        digest, version = session.query(Decision.evidence_digest, Decision.policy_version).one()
        task_id = session.query(Task.id).filter_by(kind="condition").scalar()
    assert f"Condition to meet: task #{task_id} for olivia@northwind.example, due 2026-12-11" in decided
    code, out, _ = run("history", "acme-supply")
    assert code == 0
    assert f"made on policy {version}, gate alignment-to-execution (cycle 1), evidence digest {digest}" in out
    assert "✔ must   business-case-approved" in out and "reason=Solid [b]case" in out
    assert f"task={task_id}, criterion=condition, assignee=olivia@northwind.example" in out
    code, out, _ = run("history", "acme-supply", "--json")
    vote = next(e for e in json.loads(out) if e["kind"] == "decision.go")
    assert (vote["decision"]["policy_version"], vote["decision"]["evidence_digest"]) == (version, digest)
    assert len(vote["decision"]["results"]) == len(read_policy(DEFAULT_POLICY).gates[0].criteria)
    assert vote["decision"]["by"] == "gina@northwind.example"
    code, out, _ = run("status", "acme-supply", "--as-of", AS_OF)
    assert code == 0 and (f"Open condition: Sign the [/] annex (since 2026-11-27) — task #{task_id} for "
                          "olivia@northwind.example, due 2026-12-11") in out


def test_a_bad_date_is_a_usage_error(reviewed):
    code, _, err = run("status", "empty", "--as-of", "27/11/2026")
    assert code == 2 and "is not a date like 2026-11-27" in err


def test_an_uninitialized_database_says_to_run_init(tmp_path, monkeypatch):
    monkeypatch.setenv("PARTNERFLOW_DATABASE_URL", f"sqlite:///{tmp_path / 'new.db'}")
    from partnerflow.engine.settings import get_settings

    get_settings.cache_clear()
    for command in (("status",), ("history", "x"), ("tasks",), ("review",)):
        code, _, err = run(*command)
        assert code == 1 and f"there is no database at {tmp_path / 'new.db'}: run `partnerflow init`" in err
    assert list(tmp_path.iterdir()) == []  # asking left no empty database behind
    assert run("init")[0] == 0 and run("init")[0] == 0  # idempotent
    code, out, _ = run("status")
    assert code == 0 and "Not reviewed yet" in out


def test_an_empty_database_file_says_it_is_not_initialized(tmp_path, monkeypatch):
    (tmp_path / "empty.db").touch()
    monkeypatch.setenv("PARTNERFLOW_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    from partnerflow.engine.settings import get_settings

    get_settings.cache_clear()
    code, _, err = run("status")
    assert code == 1 and "is not initialized: run `partnerflow init`" in err
    get_settings.cache_clear()


def test_a_database_that_does_not_answer_is_named(monkeypatch):
    monkeypatch.setenv("PARTNERFLOW_DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2")
    from partnerflow.engine.settings import get_settings

    get_settings.cache_clear()
    code, _, err = run("status")
    get_settings.cache_clear()
    assert code == 1 and "does not answer" in err


def test_policy_check_names_every_problem(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(DEFAULT_POLICY.read_text().replace("check: roles_assigned", "check: nope"))
    code, _, err = run("policy", "check", bad)
    assert code == 1
    line = DEFAULT_POLICY.read_text().splitlines().index("        check: roles_assigned") + 1
    assert f"{bad}:{line}: gates[0].criteria[3].check: unknown check 'nope'" in err
    assert f"1 problem(s) found; {bad} is not a valid policy" in err and "nothing was written" not in err
    code, out, _ = run("policy", "check", DEFAULT_POLICY)
    assert code == 0 and "is valid (2 gates, 20 criteria, 4 monitors)" in out


def test_policy_show_json_is_the_policy_in_force():
    code, out, _ = run("policy", "show", "--json")
    shown = json.loads(out)
    assert code == 0 and shown["version"] == "2026.11-2" and shown["gates"][0]["from"] == "alignment"


def test_policy_what_if_lists_flips_and_writes_nothing(reviewed, tmp_path):
    stricter = tmp_path / "stricter.yaml"
    stricter.write_text(DEFAULT_POLICY.read_text().replace('"2026.11-2"', '"2027.1"')
                        .replace("params: {minimum: 1}\n        level: must\n        owner_role: owner\n"
                                 "        task: Assess", "params: {minimum: 2}\n        level: must\n"
                                 "        owner_role: owner\n        task: Assess"))
    before = table_counts(reviewed)
    code, out, _ = run("policy", "what-if", stricter, "--json", "--as-of", AS_OF)
    result = json.loads(out)
    assert code == 0 and table_counts(reviewed) == before
    assert result["proposed_version"] == "2027.1"
    assert result["flips"] == [{"key": "acme-supply", "phase": "alignment", "gate": "alignment-to-execution",
                                "passes_now": True, "would_pass": False,
                                "reasons": ["would fail risks-mitigated: 1 risk(s) assessed, at least 2 needed"]}]


def test_help_and_status_answer_without_importing_prefect(database_url):
    script = ("import sys\nfrom partnerflow.cli.main import app\n"
              "for args in (['--help'], ['status'], ['policy', 'show']):\n"
              "    try:\n        app(args)\n    except SystemExit as exit:\n        assert exit.code == 0, args\n"
              "assert 'prefect' not in sys.modules, 'prefect was imported'\n")
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "Portfolio" in done.stdout


def test_import_prints_every_error_with_its_place_and_writes_nothing(engine, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("parties:\n  - key: acme\n    name: Acme\n    colour: blue\n"
                   "partnerships:\n  - key: p1\n    name: P1\n    program: nowhere\n    parties: [acme]\n")
    before = table_counts(engine)
    code, _, err = run("import", bad)
    assert code == 1
    assert f"{bad}:4: parties[0].colour: unknown field" in err
    assert "nothing was written" in err
    assert table_counts(engine) == before


def test_import_of_the_sample_portfolio(engine):
    code, out, _ = run("import", ROOT / "examples" / "portfolio.yaml", ROOT / "examples" / "partnerships.csv")
    assert code == 0 and "created" in out and "17 partnerships" in out
    code, out, _ = run("import", ROOT / "examples" / "portfolio.yaml", ROOT / "examples" / "partnerships.csv")
    assert code == 0 and "nothing changed" in out


def test_an_error_quoting_control_characters_cannot_drive_the_terminal(capsys):
    """A refusal may quote what someone typed; its escape sequences are printed, not obeyed."""
    from partnerflow.cli.errors import reported
    from partnerflow.engine import NotFound

    @reported
    def refuse():
        raise NotFound("no person \x1b]0;owned\x07\x1b[2J with that email")

    with pytest.raises(typer.Exit):
        refuse()
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\x07" not in err
    assert err == "error: no person \\x1b]0;owned\\x07\\x1b[2J with that email\n"
