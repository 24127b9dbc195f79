"""prefect.yaml names flows that exist, with parameters they accept."""

import importlib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_every_deployment_entrypoint_is_a_flow_accepting_its_parameters():
    spec = yaml.safe_load((ROOT / "prefect.yaml").read_text())
    names = set()
    for deployment in spec["deployments"]:
        path, name = deployment["entrypoint"].split(":")
        module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
        flow = getattr(module, name)
        flow.validate_parameters(deployment.get("parameters") or ({"key": "x"} if name == "review_partnership" else {}))
        names.add(flow.name)
    assert names == {"review-portfolio", "review-partnership", "dispatch-notifications", "sweep-deadlines"}


def test_nightly_review_is_scheduled():
    spec = yaml.safe_load((ROOT / "prefect.yaml").read_text())
    nightly = next(d for d in spec["deployments"] if d["name"] == "nightly")
    assert nightly["schedules"][0]["cron"] == "15 2 * * *"
