"""The benchmarks run: each in a small run, in a child process as a person would start it.

What they measure is in docs/performance.md; here only that they still run against the product
as it is now (a changed signature once left bench/dispatch.py failing unnoticed) and report what
they promise. Their figures are not asserted: speed is measured in bench/, not in tests."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_bench(script: str, *args: str, data: Path) -> str:
    env = {**os.environ, "PARTNERFLOW_BENCH_DATA": str(data)}
    done = subprocess.run([sys.executable, str(ROOT / "bench" / script), *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout


def test_the_review_benchmark_measures_every_stage_against_floors_next_to_it(tmp_path):
    report = run_bench("review.py", "--partnerships", "200", "--rounds", "2", "--output", str(tmp_path),
                       data=tmp_path)

    for stage in ("honest floor", "first full review", "second review, nothing changed, full",
                  "third review, nothing changed, incremental"):
        assert f"| {stage}" in report
    assert "Targets (CPU time, against the honest floor): first ≤ 2×:" in report
    results = json.loads((tmp_path / "review-sqlite-200.json").read_text())
    stages = [r["stage"] for r in results["sequence"]]
    assert stages == ["honest", "first", "honest", "second", "honest", "incremental"] * 2 + ["honest"]
    assert {stage: len(ratios) for stage, ratios in results["ratios"].items()} == \
        {"first": 2, "second": 2, "incremental": 2}
    first = next(r for r in results["sequence"] if r["stage"] == "first")
    second = next(r for r in results["sequence"] if r["stage"] == "second")
    assert first["written"] == first["reviewed"] > 0  # the first review writes a review per partnership
    assert second["written"] == 0 and second["unchanged"] > 0  # the second finds nothing changed
    assert (tmp_path / "review-sqlite-200.md").read_text().strip() == report.strip()


def test_the_dispatch_benchmark_delivers_through_the_product(tmp_path):
    report = run_bench("dispatch.py", "--count", "100", "--no-write", data=tmp_path)

    assert "| webhook | deliver_all, concurrency 4 | 100 |" in report
    assert "| email | deliver_all, 1 connection per batch | 100 |" in report
    assert "Target: ≥ 1,000 webhook deliveries per second" in report
