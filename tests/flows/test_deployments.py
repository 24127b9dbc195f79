"""prefect.yaml names flows that exist, with parameters they accept."""

import importlib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_PARAMETERS = {"review_partnership": {"key": "x"}, "review_shard": {"shard": 1}}  # what their callers pass


def test_every_deployment_entrypoint_is_a_flow_accepting_its_parameters():
    spec = yaml.safe_load((ROOT / "prefect.yaml").read_text())
    names = set()
    for deployment in spec["deployments"]:
        path, name = deployment["entrypoint"].split(":")
        module = importlib.import_module("partnerflow." + path.removesuffix(".py").replace("/", "."))
        flow = getattr(module, name)
        flow.validate_parameters(deployment.get("parameters") or EXAMPLE_PARAMETERS.get(name, {}))
        names.add(flow.name)
    assert names == {"review-portfolio", "review-shard", "review-partnership", "dispatch-notifications",
                     "sweep-deadlines"}


def test_nightly_review_is_scheduled():
    spec = yaml.safe_load((ROOT / "prefect.yaml").read_text())
    nightly = next(d for d in spec["deployments"] if d["name"] == "nightly")
    assert nightly["schedules"][0]["cron"] == "15 2 * * *"


def test_the_installed_package_deploys_the_same_deployments_by_module():
    """partnerflow/prefect.yaml (shipped in the wheel) = the repository's, flows named by module, no pull step."""
    repository = yaml.safe_load((ROOT / "prefect.yaml").read_text())
    installed = yaml.safe_load((ROOT / "partnerflow" / "prefect.yaml").read_text())
    assert installed["pull"] == []

    def without_entrypoints(spec):
        return [{k: v for k, v in d.items() if k != "entrypoint"} for d in spec["deployments"]]

    assert without_entrypoints(installed) == without_entrypoints(repository)
    for by_module, by_file in zip(installed["deployments"], repository["deployments"], strict=True):
        path, name = by_file["entrypoint"].split(":")
        assert by_module["entrypoint"] == "partnerflow." + path.removesuffix(".py").replace("/", ".") + "." + name
        module, _, function = by_module["entrypoint"].rpartition(".")
        assert getattr(importlib.import_module(module), function).name == f"{name.replace('_', '-')}"
