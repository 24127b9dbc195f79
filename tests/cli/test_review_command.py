"""`partnerflow review` runs the Prefect flow and prints its result (under Prefect's test harness)."""

import json

import pytest
from typer.testing import CliRunner

from partnerflow.cli.main import app
from tests import factories
from tests.engine.harness import build


@pytest.mark.usefixtures("prefect_harness")  # session-scoped: started here, not for every CLI test
def test_review_command_runs_the_flow_and_prints_json(engine):
    build(engine, ("star", "execution", factories.execution_evidence), ("empty", "alignment", None))
    result = CliRunner().invoke(app, ["review", "--as-of", "2026-11-27", "--json"])
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["reviewed"] == 2 and summary["advanced"] == ["star"] and summary["as_of"] == "2026-11-27"
    again = CliRunner().invoke(app, ["review", "--as-of", "2026-11-27"])
    assert again.exit_code == 0
    assert "Reviewed 1 partnerships as of 2026-11-27" in again.stdout and "0 new reviews, 1 unchanged" in again.stdout


@pytest.mark.usefixtures("prefect_harness")
def test_review_reloads_only_what_changed_unless_asked_for_a_full_review(engine):
    """By default a partnership whose last review still holds is confirmed without reloading;
    `--full` reloads every live one. Both report the same results."""
    build(engine, ("good", "alignment", factories.alignment_evidence), ("empty", "alignment", None))
    first = CliRunner().invoke(app, ["review", "--as-of", "2026-11-27", "--json"])
    assert first.exit_code == 0, first.stderr
    CliRunner().invoke(app, ["review", "--as-of", "2026-11-27"])  # reads once more what the first changed
    incremental = CliRunner().invoke(app, ["review", "--as-of", "2026-11-27"])
    assert "2 confirmed without reloading" in incremental.stdout
    full = CliRunner().invoke(app, ["review", "--as-of", "2026-11-27", "--full", "--json"])
    assert full.exit_code == 0, full.stderr
    summary = json.loads(full.stdout)
    assert summary["skipped"] == 0 and (summary["reviewed"], summary["written"]) == (2, 0)
    assert "Reviewed 2 partnerships as of 2026-11-27" in incremental.stdout
