"""The built wheel, installed in a fresh environment outside the repository, is a working Partnerflow.

The wheel is built from this checkout without network (no build isolation: setuptools comes
with the test extras); the fresh environment sees the already installed dependencies through
a path file, never this checkout, so what runs is what the wheel carries.
"""

import os
import re
import shutil
import site as sitepackages
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from pathlib import Path

import pytest

import partnerflow

ROOT = Path(__file__).resolve().parents[1]


LEFT_OUT = shutil.ignore_patterns(".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".hypothesis",
                                  ".pytest_cache", "demo", "*.db", "*.db-*")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """Built from a copy of the tree: an in-tree build would reuse build/lib, where deleted modules linger."""
    source, out = tmp_path_factory.mktemp("source") / "partnerflow", tmp_path_factory.mktemp("wheel")
    shutil.copytree(ROOT, source, ignore=LEFT_OUT)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
                    "--quiet", "--wheel-dir", str(out), str(source)], check=True, capture_output=True, timeout=300)
    [built] = out.glob("partnerflow-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> tuple[Path, set[str]]:
    """A fresh virtual environment with the wheel installed: its bin folder and what site-packages gained."""
    venv = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    site = Path(sysconfig.get_path("purelib", vars={"base": str(venv), "platbase": str(venv)}))
    # this environment's site folders, for prefect, sqlmodel, ... (their .pth files, among them the
    # editable install of this checkout, are not read from a folder a .pth file names)
    dependencies = [*sitepackages.getsitepackages(), sitepackages.getusersitepackages()]
    (site / "dependencies.pth").write_text("".join(f"{folder}\n" for folder in dependencies))
    before = set(os.listdir(site))
    subprocess.run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "--no-deps",
                    "--no-index", "--quiet", str(wheel)], check=True, capture_output=True, timeout=300)
    return venv / "bin", set(os.listdir(site)) - before


def run(bin_dir: Path, *args: str, cwd: Path, database: Path) -> subprocess.CompletedProcess:
    environment = {**os.environ, "PARTNERFLOW_DATABASE_URL": f"sqlite:///{database}",
                   "PARTNERFLOW_ENVIRONMENT": "development", "PYTHONSAFEPATH": "1"}
    return subprocess.run([str(bin_dir / "partnerflow"), *args], cwd=cwd, env=environment, capture_output=True,
                          text=True, timeout=300)


def test_the_wheel_carries_everything_the_program_needs_at_run_time(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in ("partnerflow/prefect.yaml", "partnerflow/gates/default_policy.yaml",
                   "partnerflow/migrations/env.py",
                   "partnerflow/migrations/script.py.mako", "partnerflow/migrations/versions/0001_initial_schema.py",
                   "partnerflow/templates/notifications/task.opened.html.j2",
                   "partnerflow/templates/reports/review_summary.md.j2",
                   "partnerflow/examples/portfolio.yaml", "partnerflow/examples/partnerships.csv"):
        assert needed in names
    versions = {path.name for path in (ROOT / "migrations" / "versions").glob("*.py")}
    assert {Path(n).name for n in names if n.startswith("partnerflow/migrations/versions/")} == versions
    assert {n.split("/")[0] for n in names} == {"partnerflow", f"partnerflow-{partnerflow.__version__}.dist-info"}


def test_every_package_folder_is_in_the_distribution():
    """A new room or wing (a folder with __init__.py) must be listed in pyproject.toml, or the wheel lacks it."""
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    mapping = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-dir"]
    found = set()
    for name, folder in mapping.items():
        for init in (ROOT / folder).rglob("__init__.py"):
            found.add(".".join([name, *init.parent.relative_to(ROOT / folder).parts]))
    assert found == listed


def test_the_installed_wheel_inits_runs_the_demo_and_answers_from_any_folder(installed, tmp_path):
    bin_dir, gained = installed
    assert gained == {"partnerflow", f"partnerflow-{partnerflow.__version__}.dist-info"}
    elsewhere, database = tmp_path / "elsewhere", tmp_path / "pf.db"
    elsewhere.mkdir()

    version = run(bin_dir, "--version", cwd=elsewhere, database=database)
    assert version.returncode == 0 and version.stdout.strip() == f"partnerflow {partnerflow.__version__}"
    init = run(bin_dir, "init", cwd=elsewhere, database=database)
    assert init.returncode == 0, init.stderr
    assert re.search(r"Database ready at .*pf\.db", init.stdout)
    demo = run(bin_dir, "demo", "--dir", str(tmp_path / "demo"), cwd=elsewhere, database=database)
    assert demo.returncode == 0, demo.stderr
    assert "1. Imported the sample portfolio" in demo.stdout and "Try next" in demo.stdout
    status = run(bin_dir, "status", cwd=elsewhere, database=tmp_path / "demo" / "partnerflow.db")
    assert status.returncode == 0, status.stderr
    assert "Waiting for a gatekeeper" in status.stdout and "acme-castings" in status.stdout
    assert sorted(p.name for p in elsewhere.iterdir()) == []  # nothing written where it was run
