"""`partnerflow doctor` against real parts: the test database, a real SMTP server (aiosmtpd), a real
HTTP receiver, Prefect's test server; what is wrong is named with its fix, and the exit code says it."""

import json
from pathlib import Path

import pytest
import yaml

from partnerflow.cli.doctor import DEPLOYMENTS
from partnerflow.engine import add_channel, get_settings, transaction
from tests import factories
from tests.cli.commands import run
from tests.notify.conftest import USERNAME, PASSWORD, closed_port, receiver, smtp_server_with_login  # noqa: F401

pytestmark = pytest.mark.usefixtures("no_prefect_server")


@pytest.fixture
def no_prefect_server(monkeypatch, tmp_path):
    """No PREFECT_API_URL and no local `partnerflow server` recorded: Prefect would run ephemerally."""
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "prefect-home"))


def configure(monkeypatch, **settings) -> None:
    for name, value in settings.items():
        monkeypatch.setenv(f"PARTNERFLOW_{name.upper()}", str(value))
    get_settings.cache_clear()


def findings(*args) -> tuple[int, dict[str, tuple[str, str]]]:
    code, out, err = run("doctor", "--json", *args)
    assert err == "" or code != 0, err
    return code, {f["area"]: (f["status"], f["message"]) for f in json.loads(out)}


def test_a_ready_installation_passes_and_says_what_it_could_do_better(engine, monkeypatch, smtp_server_with_login):
    _, port = smtp_server_with_login
    configure(monkeypatch, smtp_host="127.0.0.1", smtp_port=port, smtp_security="none", smtp_username=USERNAME,
              smtp_password=PASSWORD)
    code, found = findings()
    assert code == 0
    assert found["database"][0] == "ok" and "migration" in found["database"][1]
    assert found["email"] == ("ok", f"127.0.0.1:{port} (none) answers, logged in as {USERNAME}; 0 email channel(s)")
    assert found["Prefect"][0] == "warn" and "ephemeral" in found["Prefect"][1]
    code, out, _ = run("doctor")
    assert code == 0 and "✔ database" in out and "→ `partnerflow server start`" in out


def test_a_database_without_its_schema_fails_and_says_run_init(monkeypatch, tmp_path):
    configure(monkeypatch, database_url=f"sqlite:///{tmp_path / 'new.db'}")
    code, found = findings()
    assert code == 1 and found["database"][0] == "fail"
    _, out, _ = run("doctor")
    assert "partnerflow init" in out


def test_a_refused_login_and_a_webhook_nobody_answers_fail(engine, monkeypatch, smtp_server_with_login, receiver,
                                                            closed_port):
    _, port = smtp_server_with_login
    configure(monkeypatch, smtp_host="127.0.0.1", smtp_port=port, smtp_security="none", smtp_username=USERNAME,
              smtp_password="wrong", webhook_allow_hosts="127.0.0.1", secret_key="doctor-test-secret")
    with transaction(engine) as session:
        w = factories.world(session)
        add_channel(session, w.owner.email, "webhook", address=f"http://127.0.0.1:{receiver.server.server_port}/hook")
        add_channel(session, w.sponsor.email, "webhook", address=f"http://127.0.0.1:{closed_port}/hook")
    code, found = findings()
    assert code == 1
    assert found["email"][0] == "fail" and "SMTPAuthenticationError" in found["email"][1]
    assert found[f"127.0.0.1:{closed_port}"][0] == "fail"
    assert f"127.0.0.1:{receiver.server.server_port}" not in found  # the one that answers is not a problem
    assert receiver.requests == []  # connected to, never sent anything


def test_a_webhook_to_a_private_address_that_is_not_allowed_fails(engine, monkeypatch):
    configure(monkeypatch, webhook_allow_hosts="127.0.0.1", secret_key="doctor-test-secret")
    with transaction(engine) as session:
        w = factories.world(session)
        channel = add_channel(session, w.owner.email, "webhook", address="http://127.0.0.1:9/hook")
    configure(monkeypatch, webhook_allow_hosts="")  # the allowance was withdrawn since
    code, found = findings()
    assert code == 1 and found[f"webhook channel #{channel.id}"][0] == "fail"


def test_a_weak_secret_key_in_production_is_named_without_its_value(engine, monkeypatch):
    configure(monkeypatch, environment="production", secret_key="hunter2hunter2")
    code, out, err = run("doctor")
    assert code == 2 and "PARTNERFLOW_SECRET_KEY" in err and "hunter2" not in err


@pytest.mark.usefixtures("prefect_harness")
def test_a_prefect_server_of_ones_own_needs_the_pool_a_worker_and_the_deployments(engine, monkeypatch):
    from prefect.settings import PREFECT_API_URL

    monkeypatch.setenv("PREFECT_API_URL", PREFECT_API_URL.value())
    code, found = findings()
    assert code == 1
    assert found["Prefect"][0] == "ok"
    assert found["work pool partnerflow"] == ("fail", "missing")


def test_a_prefect_server_nobody_answers_on_fails(engine, monkeypatch, closed_port):
    monkeypatch.setenv("PREFECT_API_URL", f"http://127.0.0.1:{closed_port}/api")
    code, found = findings("--timeout", "1")
    assert code == 1 and found["Prefect"][0] == "fail"


def test_the_deployments_checked_are_those_of_prefect_yaml():
    declared = yaml.safe_load((Path(__file__).resolve().parents[2] / "prefect.yaml").read_text())["deployments"]
    flows = {"flows/review.py:review_portfolio": "review-portfolio", "flows/review.py:review_partnership":
             "review-partnership", "flows/dispatch.py:dispatch_notifications": "dispatch-notifications",
             "flows/deadlines.py:sweep_deadlines": "sweep-deadlines", "flows/review.py:review_shard": "review-shard"}
    assert sorted(DEPLOYMENTS) == sorted(f"{flows[d['entrypoint']]}/{d['name']}" for d in declared)
