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
