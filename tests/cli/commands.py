"""Running the `partnerflow` command in-process for tests."""

from typer.testing import CliRunner

from partnerflow.cli.main import app

runner = CliRunner()


def run(*args):
    """(exit code, stdout, stderr) of `partnerflow ARGS…`."""
    result = runner.invoke(app, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr
