"""`partnerflow review` runs the Prefect flow and prints its result."""

import json

from typer.testing import CliRunner

from partnerflow.cli.main import app
from partnerflow.models import session_scope
from tests import factories


def test_review_command_runs_the_flow_and_prints_json(engine):
    with session_scope(engine) as session:
        w = factories.world(session)
        factories.execution_evidence(session, w, factories.partnership(session, w, "star", phase="execution"))
        factories.partnership(session, w, "empty")
    result = CliRunner().invoke(app, ["review", "--as-of", "2026-11-27", "--json"])
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["reviewed"] == 2 and summary["advanced"] == ["star"] and summary["as_of"] == "2026-11-27"
    again = CliRunner().invoke(app, ["review", "--as-of", "2026-11-27"])
    assert again.exit_code == 0
    assert "Reviewed 1 partnerships as of 2026-11-27" in again.stdout and "0 new reviews, 1 unchanged" in again.stdout
