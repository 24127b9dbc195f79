"""The portfolio review benchmark: the honest floor, a first full review, unchanged re-reviews.

    python bench/review.py                         # 100,000 partnerships on SQLite
    python bench/review.py --partnerships 2000     # a quick smoke run (~1 minute)
    python bench/review.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/pf_bench

The stages, on one database (a fresh copy of a seeded synthetic portfolio, see generate.py):

- honest  - the honest floor (bench/floor.py): the same SELECTs through a plain DB-API cursor,
            the same snapshots, the same pure evaluation, the collector paused as the review
            pauses it; writes nothing. The ratios are against it, in wall and in CPU time.
- floor   - the old floor, once: for each batch of `engine.review.plan_batches`,
            `models.load_snapshots` (one Core SELECT per table per batch, plain rows) and the
            pure `gates.evaluate`; writes nothing.
- first   - the Prefect flow `flows.review.review_portfolio` on the pristine portfolio
            (no gate reviews yet): writes a GateReview per partnership, applies transitions.
- second  - the same flow again with nothing changed, in full (`full=True`): every partnership
            reloaded, every result equal to the previous one.
- incremental - the same flow again in its default, incremental mode: only the partnerships
            whose last review no longer holds are reloaded (none, nothing changed); the others
            are confirmed from their marks and latest reviews.
- compose - once at the end: the notices the reviews held, composed as the dispatch does.

This machine's speed drifts by 10-30 % within an hour, enough to move a single ratio by 0.1x.
So the run is made of rounds (`--rounds`, default 3), each on a fresh copy of the portfolio
and a fresh Prefect home: honest, first, honest, second, honest, incremental, then one last
honest after the last round. Each flow stage is divided by the mean of the two floors run
next to it, and the report gives the mean over the rounds and their range.

Each stage runs in a child process of its own (this script with `--stage`), so each peak
RSS (getrusage ru_maxrss) is that stage's. In the flow stages Prefect's one-time start-up
(importing it and a trivial first flow, which starts the ephemeral local server) is timed
apart and kept out of the ratios. Results: a markdown table on stdout, and
bench/results/review-<backend>-<N>.{md,json}.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
for folder in (str(ROOT), str(BENCH)):
    if folder not in sys.path:
        sys.path.insert(0, folder)

AS_OF = date(2026, 11, 27)
RESULT_MARK = "BENCH-RESULT "
TARGETS = {"first": 2.0, "second": 1.2, "incremental": 0.2}  # × the honest floor, CPU time (issue: review at the floor)
FLOW_STAGES = ("first", "second", "incremental")
WRITTEN = ("gate_review", "audit_event", "task", "notice_batch", "notification", "delivery_attempt")  # inserted
RSS_TARGET_MB = 300
QUIET_PREFECT = {
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_LOGGING_LEVEL": "WARNING",
    "PREFECT_SERVER_LOGGING_LEVEL": "CRITICAL",
}


# ---------------------------------------------------------------------------------------------
# Stages (each in its own process)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def descendants() -> list[int]:
    """Process ids of this process's children and their children (e.g. Prefect's server)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
                parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
    found, frontier = [], [os.getpid()]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent]
        found += children
        frontier += children
    return found


def process_usage(pid: int) -> tuple[float, float]:
    """(peak RSS MB, CPU seconds) of a live process, from /proc."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
        hwm = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:"))
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks = os.sysconf("SC_CLK_TCK")
        return hwm / 1024, (int(fields[11]) + int(fields[12])) / ticks
    except (OSError, StopIteration, ValueError, IndexError):
        return 0.0, 0.0


class Collector:
    """What-ifs for Python's cyclic garbage collector during the timed part: `--gc off` pauses it,
    `--gc freeze` moves every object alive at the start (imports, Prefect) out of its reach."""

    def __init__(self, mode: str):
        self.mode = mode

    def __enter__(self):
        if self.mode == "off":
            gc.collect()
            gc.disable()
        elif self.mode == "freeze":
            gc.collect()
            gc.freeze()
        return self

    def __exit__(self, *exc):
        gc.enable()
        gc.unfreeze()
        return False


class Profile:
    """pyinstrument around the timed part when --profile is given (a sampling profiler)."""

    def __init__(self, folder: str | None, name: str):
        self.folder, self.name, self.profiler = folder, name, None

    def __enter__(self):
        if self.folder:
            from pyinstrument import Profiler

            self.profiler = Profiler(interval=0.005)
            self.profiler.start()
        return self

    def __exit__(self, *exc):
        if self.profiler is not None:
            self.profiler.stop()
            Path(self.folder).mkdir(parents=True, exist_ok=True)
            text = self.profiler.output_text(unicode=False, color=False, show_all=False)
            (Path(self.folder) / f"{self.name}.txt").write_text(text)
            (Path(self.folder) / f"{self.name}.html").write_text(self.profiler.output_html())
        return False


def stage_floor(args) -> dict:
    """Load every snapshot and evaluate it (the gate out of its phase and the monitors); write nothing."""
    from partnerflow.engine.policies import read_policy
    from partnerflow.engine.phases.review import plan_batches
    from partnerflow.engine.settings import DEFAULT_POLICY
    from partnerflow.gates import evaluate, evaluate_monitors
    from partnerflow.models import load_snapshots, make_engine

    policy = read_policy(DEFAULT_POLICY)
    monitors = args.monitors
    engine = make_engine(args.database_url)
    reviewed = passed = loaded = fired = 0
    load_seconds = gate_seconds = monitor_seconds = 0.0
    clock = time.perf_counter
    cpu = cpu_seconds()
    started = clock()
    with Collector(args.gc), Profile(args.profile, "floor"), engine.connect() as connection:
        for batch in plan_batches(connection, args.batch_size):
            t0 = clock()
            snapshots = load_snapshots(connection, batch)
            t1 = clock()
            loaded += len(snapshots)
            for snapshot in snapshots:
                evaluation = evaluate(policy, snapshot, AS_OF)
                if evaluation is not None:
                    reviewed += 1
                    passed += evaluation.passed
            t2 = clock()
            if monitors:
                for snapshot in snapshots:
                    fired += sum(not r.passed for r in evaluate_monitors(policy, snapshot, AS_OF))
            t3 = clock()
            load_seconds += t1 - t0
            gate_seconds += t2 - t1
            monitor_seconds += t3 - t2
            del snapshots
        connection.rollback()
    seconds = clock() - started
    engine.dispose()
    return {"seconds": seconds, "cpu_seconds": cpu_seconds() - cpu, "reviewed": reviewed, "passed": passed,
            "loaded": loaded, "monitors_fired": fired, "load_seconds": load_seconds, "gate_seconds": gate_seconds,
            "monitor_seconds": monitor_seconds, "monitors": monitors}


def stage_honest(args) -> dict:
    """The honest floor (bench/floor.py), checked first to build the product's very snapshots."""
    from floor import honest_floor, same_snapshots

    from partnerflow.engine.phases.review import plan_batches
    from partnerflow.engine.policies import read_policy
    from partnerflow.engine.settings import DEFAULT_POLICY
    from partnerflow.models import make_engine

    policy = read_policy(DEFAULT_POLICY)
    engine = make_engine(args.database_url)
    with engine.connect() as connection:
        batches = plan_batches(connection, args.batch_size)
    engine.dispose()
    if not same_snapshots(args.database_url, batches[0]):
        raise SystemExit("the honest floor's snapshots differ from models.load_snapshots: fix bench/floor.py")
    cpu = cpu_seconds()
    started = time.perf_counter()
    with Collector(args.gc), Profile(args.profile, "honest"):
        result = honest_floor(args.database_url, batches, policy, AS_OF, monitors=args.monitors)
    return {**result, "seconds": time.perf_counter() - started, "cpu_seconds": cpu_seconds() - cpu,
            "monitors": args.monitors}


def stage_flow(args) -> dict:
    started = time.perf_counter()
    from prefect import flow
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    from partnerflow.flows.review import ReviewParameters, review_portfolio
    imported = time.perf_counter() - started

    @flow(name="bench-start-up")
    def start_up() -> int:
        return 1

    before = table_counts(args.database_url, WRITTEN)
    with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        started = time.perf_counter()
        start_up()
        start_up_seconds = time.perf_counter() - started
        cpu = cpu_seconds()
        server_before = {pid: process_usage(pid)[1] for pid in descendants()}
        started = time.perf_counter()
        with Collector(args.gc), Profile(args.profile, args.stage):
            result = review_portfolio(ReviewParameters(as_of=AS_OF, batch_size=args.batch_size,
                                                       full=args.stage != "incremental"))
        seconds = time.perf_counter() - started
        cpu = cpu_seconds() - cpu
    counts = table_counts(args.database_url, WRITTEN)
    server_rss = server_cpu = 0.0
    for pid in descendants():
        rss, used = process_usage(pid)
        server_rss = max(server_rss, rss)
        server_cpu += used - server_before.get(pid, 0.0)
    return {"seconds": seconds, "cpu_seconds": cpu, "reviewed": result["reviewed"], "passed": result["passed"],
            "written": result["written"], "unchanged": result["unchanged"], "skipped": result["skipped"],
            "advanced": len(result["advanced"]), "ready": len(result["ready"]),
            "conflicts": len(result["conflicts"]), "tasks_opened": result.get("tasks_opened"),
            "tasks_closed": result.get("tasks_closed"), "rows_after": counts,
            "rows_written": {t: counts[t] - before.get(t, 0) for t in counts}, "prefect_import_seconds": imported,
            "prefect_start_up_seconds": start_up_seconds, "server_peak_rss_mb": server_rss,
            "server_cpu_seconds": server_cpu}


def stage_compose(args) -> dict:
    """Compose the notices the reviews held into notifications, one held batch per transaction, as the
    dispatch does before it delivers: the work a review no longer does in its own transactions."""
    from partnerflow.engine import clock, compose_held
    from partnerflow.models import make_engine, session_scope

    engine = make_engine(args.database_url)
    before = table_counts(args.database_url, WRITTEN)
    cpu, started, batches = cpu_seconds(), time.perf_counter(), 0
    with Collector(args.gc), Profile(args.profile, "compose"):
        while True:
            with session_scope(engine) as session:
                composed = compose_held(session, now=clock.now(), limit=1)
            if not composed:
                break
            batches += composed
    seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu
    counts = table_counts(args.database_url, WRITTEN)
    engine.dispose()
    return {"seconds": seconds, "cpu_seconds": cpu, "batches": batches,
            "rows_written": {t: counts[t] - before.get(t, 0) for t in counts}}


def table_counts(url: str, tables) -> dict[str, int]:
    """Rows in each of `tables` that exists (after a stage, untimed)."""
    from sqlalchemy import inspect, text

    from partnerflow.models import make_engine

    engine = make_engine(url)
    with engine.connect() as connection:
        present = set(inspect(connection).get_table_names())
        counts = {t: connection.execute(text(f"SELECT count(*) FROM {t}")).scalar() for t in tables if t in present}
    engine.dispose()
    return counts


def run_stage(args) -> None:
    os.environ["PARTNERFLOW_DATABASE_URL"] = args.database_url
    stages = {"honest": stage_honest, "floor": stage_floor, "compose": stage_compose}
    result = stages.get(args.stage, stage_flow)(args)
    result.update(stage=args.stage, peak_rss_mb=peak_rss_mb())
    print(RESULT_MARK + json.dumps(result), flush=True)


# ---------------------------------------------------------------------------------------------
# The run (parent process)


def backend(url: str) -> str:
    return "sqlite" if url.startswith("sqlite") else "postgresql"


def pristine_url(url: str) -> str:
    """Where the generated portfolio is kept; each run reviews a fresh copy of it."""
    from sqlalchemy import make_url

    parsed = make_url(url)
    if backend(url) == "sqlite":
        path = Path(parsed.database)
        return f"sqlite:///{path.with_name(path.stem + '.pristine' + path.suffix)}"
    return parsed.set(database=f"{parsed.database}_pristine").render_as_string(hide_password=False)


def fresh_copy(pristine: str, url: str) -> float:
    """Replace the database at `url` with a copy of the pristine portfolio; returns seconds."""
    from generate import admin_url
    from sqlalchemy import create_engine, make_url, text

    started = time.perf_counter()
    if backend(url) == "sqlite":
        target = make_url(url).database
        for suffix in ("-wal", "-shm"):
            Path(target + suffix).unlink(missing_ok=True)
        shutil.copyfile(make_url(pristine).database, target)
    else:
        admin = create_engine(admin_url(url), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{make_url(url).database}" '
                                    f'TEMPLATE "{make_url(pristine).database}" STRATEGY FILE_COPY'))
        admin.dispose()
    return time.perf_counter() - started


def child(args, stage: str, url: str, prefect_home: str) -> dict:
    command = [sys.executable, str(Path(__file__).resolve()), "--stage", stage, "--database-url", url,
               "--batch-size", str(args.batch_size), "--gc", args.gc]
    if not args.monitors:
        command.append("--no-monitors")
    if args.profile:
        command += ["--profile", args.profile]
    env = {**os.environ, **QUIET_PREFECT, "PREFECT_HOME": prefect_home, "PARTNERFLOW_DATABASE_URL": url}
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, cwd=ROOT, check=False)
    wall = time.perf_counter() - started
    lines = [line for line in done.stdout.splitlines() if line.startswith(RESULT_MARK)]
    if done.returncode != 0 or not lines:
        sys.stderr.write(done.stdout[-5000:] + done.stderr[-5000:])
        raise SystemExit(f"stage {stage} failed (exit {done.returncode})")
    result = json.loads(lines[-1][len(RESULT_MARK):])
    result["process_seconds"] = wall
    return result


def source_fingerprint() -> str:
    """A digest of the product code a run measures (to notice edits made during a run)."""
    import hashlib

    digest = hashlib.blake2b(digest_size=8)
    for folder in ("gates", "models", "engine", "flows", "notify", "migrations", "templates"):
        for path in sorted((ROOT / folder).rglob("*")):
            if path.is_file() and path.suffix in (".py", ".yaml", ".j2", ".mako"):
                digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def git_revision() -> str:
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True, check=False).stdout.strip()
        return head + (" with uncommitted changes" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def machine() -> dict:
    import sqlite3

    import prefect
    import sqlalchemy

    info = {"cores": os.cpu_count(), "python": platform.python_version(), "sqlite": sqlite3.sqlite_version,
            "prefect": prefect.__version__, "sqlalchemy": sqlalchemy.__version__, "platform": platform.platform()}
    try:
        model = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                     if line.startswith("model name"))
        info["cpu"] = model
        info["memory_gb"] = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    except (OSError, StopIteration, ValueError):
        pass
    return info


def server_version(url: str) -> str | None:
    if backend(url) == "sqlite":
        return None
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as connection:
        version = connection.execute(text("SHOW server_version")).scalar()
    engine.dispose()
    return version


def ratios(sequence: list[dict], key: str = "cpu_seconds") -> dict[str, list[float]]:
    """Each flow stage's `key` over the mean of the honest floors run just before and just after it: the
    machine's speed drifts within minutes, so the fair yardstick is a floor measured next to the stage."""
    found: dict[str, list[float]] = {stage: [] for stage in FLOW_STAGES}
    for i, result in enumerate(sequence):
        if result["stage"] not in FLOW_STAGES:
            continue
        before = next(r for r in reversed(sequence[:i]) if r["stage"] == "honest")
        after = next((r for r in sequence[i + 1:] if r["stage"] == "honest"), before)
        found[result["stage"]].append(result[key] / ((before[key] + after[key]) / 2))
    return found


def mean(values: list[float]) -> float:
    return sum(values) / len(values)


def spread(values: list[float], digits: int = 2) -> str:
    """'1.81 (1.78–1.85)': the mean and, over more than one run, the range."""
    if len(values) == 1:
        return f"{values[0]:.{digits}f}"
    return f"{mean(values):.{digits}f} ({min(values):.{digits}f}–{max(values):.{digits}f})"


def table(sequence: list[dict], floor_stage: dict, compose: dict, meta: dict, info: dict, args, url: str,
          copy_seconds: float) -> str:
    n = floor_stage["loaded"]
    runs = {stage: [r for r in sequence if r["stage"] == stage] for stage in ("honest", *FLOW_STAGES)}
    cpu, wall = ratios(sequence), ratios(sequence, "seconds")
    rounds = len(runs["first"])
    honest = runs["honest"][0]
    lines = [
        f"Portfolio: {meta['partnerships']:,} partnerships (seed {meta['seed']}"
        + (", with a year of history: " + ", ".join(f"{t} {meta['rows'][t]:,}" for t in
                                                     ("gate_review", "task", "audit_event", "notification"))
           if meta.get("history") else "") + "), "
        f"{meta['evidence_rows']:,} evidence rows ({meta['evidence_rows_per_partnership']} per partnership), "
        f"{floor_stage['reviewed']:,} with a gate out of their phase, "
        f"{floor_stage['passed']:,} of them passing "
        f"({floor_stage['passed'] / max(floor_stage['reviewed'], 1):.0%}); as of {AS_OF}; "
        f"batch size {args.batch_size}; {backend(url)}"
        + (f"; garbage collector {args.gc}" if args.gc != "default" else "")
        + (f" {info['server']}" if info.get("server") else "") + f"; {rounds} round{'s' * (rounds > 1)}.",
        "",
        f"Each round reviews a fresh copy of the portfolio, with the honest floor run before, between and after "
        f"its stages; a stage's ratio is against the mean of the floors run next to it. Figures are the mean "
        f"over the rounds, with the range in brackets.",
        "",
        "| stage | wall s | CPU s | × honest floor (wall) | × honest floor (CPU) | partnerships/s | peak RSS MB "
        "| rows written per partnership | written / confirmed reviews |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    honest_label = ("honest floor (DB-API cursor + evaluate" + (" + monitors" if honest["monitors"] else "")
                    + f", no writes; {len(runs['honest'])} runs)")
    seconds = [r["seconds"] for r in runs["honest"]]
    lines.append(f"| {honest_label} | {spread(seconds, 1)} | {spread([r['cpu_seconds'] for r in runs['honest']], 1)} "
                 f"| 1 | 1 | {n / mean(seconds):,.0f} | {max(r['peak_rss_mb'] for r in runs['honest']):.0f} | — | — |")
    old = floor_stage["cpu_seconds"] / mean([r["cpu_seconds"] for r in runs["honest"]])
    old_wall = floor_stage["seconds"] / mean(seconds)
    lines.append(f"| old floor (the product's loader, collector on; one run) | {floor_stage['seconds']:.1f} "
                 f"| {floor_stage['cpu_seconds']:.1f} | {old_wall:.2f} | {old:.2f} | {n / floor_stage['seconds']:,.0f} "
                 f"| {floor_stage['peak_rss_mb']:.0f} | — | — |")
    for stage, label in (("first", "first full review (Prefect flow)"),
                         ("second", "second review, nothing changed, full (Prefect flow)"),
                         ("incremental", "third review, nothing changed, incremental (Prefect flow)")):
        r = runs[stage]
        stage_seconds = [x["seconds"] for x in r]
        lines.append(f"| {label} | {spread(stage_seconds, 1)} | {spread([x['cpu_seconds'] for x in r], 1)} "
                     f"| {spread(wall[stage])} | **{spread(cpu[stage])}** | {n / mean(stage_seconds):,.0f} "
                     f"| {max(x['peak_rss_mb'] for x in r):.0f} "
                     f"| {sum(r[0]['rows_written'].values()) / n:.2f} | {r[0]['written']:,} / {r[0]['unchanged']:,} |")
    first, second, incremental = runs["first"][0], runs["second"][0], runs["incremental"][0]
    tasks = ""
    if first.get("tasks_opened") is not None:
        tasks = (f"; tasks opened {first['tasks_opened']:,} / {second['tasks_opened']:,}, closed "
                 f"{first['tasks_closed']:,} / {second['tasks_closed']:,} (first / second)")
    monitors = (f", monitors {floor_stage['monitor_seconds']:.1f} s ({floor_stage['monitors_fired']:,} fired)"
                if floor_stage["monitors"] else " (monitors left out)")
    rows_after = ", ".join(f"{t} {first['rows_after'][t]:,} / {second['rows_after'][t]:,}"
                           for t in first["rows_after"])
    reused = " (reused from an earlier run)" if meta.get("reused") else ""

    def verdict(stage: str) -> str:
        within = sum(ratio <= TARGETS[stage] for ratio in cpu[stage])
        return (("met" if mean(cpu[stage]) <= TARGETS[stage] else "MISSED") + " on the mean"
                + (f", within it in {within} of {rounds} rounds" if rounds > 1 else ""))

    rss = max(r["peak_rss_mb"] for r in [*sequence, floor_stage, compose])
    lines += [
        "",
        (f"- Prefect start-up, not in the ratios: import {first['prefect_import_seconds']:.1f} s, first trivial "
         f"flow (starts the ephemeral server) {first['prefect_start_up_seconds']:.1f} s in the first stage of a "
         f"round (fresh PREFECT_HOME), {second['prefect_start_up_seconds']:.1f} s in the second."),
        (f"- Prefect's ephemeral server process during the review: {first['server_cpu_seconds']:.1f} s / "
         f"{second['server_cpu_seconds']:.1f} s CPU, peak RSS {first['server_peak_rss_mb']:.0f} / "
         f"{second['server_peak_rss_mb']:.0f} MB (first / second, round 1)."),
        (f"- First review: {first['ready']:,} partnerships became ready (gatekeeper gate), {first['advanced']:,} "
         f"advanced (auto gate), {first['conflicts']} conflicts{tasks}."),
        f"- Rows after the first / second review: {rows_after}.",
        (f"- The notices the reviews held, composed as a dispatch does before delivering (not in the ratios: "
         f"work moved out of the review, not removed): {compose['batches']:,} held batches, "
         f"{compose['rows_written'].get('notification', 0):,} notifications "
         f"({compose['rows_written'].get('notification', 0) / n:.2f} per partnership) in {compose['seconds']:.1f} s, "
         f"{compose['cpu_seconds']:.1f} s CPU, peak RSS {compose['peak_rss_mb']:.0f} MB."),
        (f"- Floor split (old floor): loading {floor_stage['load_seconds']:.1f} s, gate evaluation "
         f"{floor_stage['gate_seconds']:.1f} s{monitors}."),
        (f"- Generation: {meta['seconds']} s{reused}; fresh copy of the pristine database: "
         f"{copy_seconds:.1f} s."),
        (f"- Rows read per partnership (every stage runs the same SELECTs): {honest['rows_read'] / n:.1f}; "
         f"written by the first review: " + ", ".join(f"{t} {k / n:.2f}" for t, k in first["rows_written"].items())
         + "."),
        (f"- Targets (CPU time, against the honest floor): first ≤ {TARGETS['first']:g}×: {verdict('first')}; "
         f"second ≤ {TARGETS['second']:g}×: {verdict('second')}; incremental ≤ {TARGETS['incremental']:g}×: "
         f"{verdict('incremental')} ({incremental['skipped']:,} confirmed without reloading); "
         f"peak RSS ≤ {RSS_TARGET_MB} MB: {'met' if rss <= RSS_TARGET_MB else 'MISSED'} ({rss:.0f} MB)."),
        (f"- Machine: {info['cores']} cores ({info.get('cpu', '?')}), {info.get('memory_gb', '?')} GB, Python "
         f"{info['python']}, SQLite {info['sqlite']}, SQLAlchemy {info['sqlalchemy']}, Prefect {info['prefect']}; "
         f"code: git {info['git']}, source digest {info['source']}."),
    ]
    if info.get("warning"):
        lines.append(f"- WARNING: {info['warning']}.")
    return "\n".join(lines)


def run(args) -> None:
    from generate import default_url

    if args.database_url:
        url = args.database_url
        pristine = pristine_url(url)
    else:  # the file `python bench/generate.py --partnerships N` makes, and a copy of it next to it
        pristine = default_url(args.partnerships, args.seed, args.history)
        url = pristine[:-len(".db")] + ".review.db"
    print(f"portfolio: {args.partnerships:,} partnerships, seed {args.seed}", file=sys.stderr, flush=True)
    command = [sys.executable, str(BENCH / "generate.py"), "--partnerships", str(args.partnerships), "--seed",
               str(args.seed), "--database-url", pristine]
    if args.presence is not None:
        command += ["--presence", str(args.presence)]
    if args.history:
        command.append("--history")
    done = subprocess.run(command, stdout=subprocess.PIPE, text=True, cwd=ROOT, check=False)
    if done.returncode != 0:
        raise SystemExit("generation failed")
    meta = json.loads(done.stdout.strip().splitlines()[-1])
    fingerprint = source_fingerprint()
    sequence: list[dict] = []

    def stage(name: str, prefect_home: str) -> dict:
        print(f"stage {name} ...", file=sys.stderr, flush=True)
        result = child(args, name, url, prefect_home)
        print(f"  {result['seconds']:.1f} s, {result['cpu_seconds']:.1f} s CPU, {result['peak_rss_mb']:.0f} MB"
              + (f" (Prefect start-up {result['prefect_start_up_seconds']:.1f} s)" if name in FLOW_STAGES else ""),
              file=sys.stderr, flush=True)
        return result

    copy_seconds = fresh_copy(pristine, url)
    homes = [tempfile.mkdtemp(prefix="partnerflow-bench-prefect-") for _ in range(args.rounds + 1)]
    try:
        floor_stage = stage("floor", homes[0])
        for number in range(args.rounds):  # each round a fresh portfolio and a fresh Prefect home
            print(f"round {number + 1} of {args.rounds}", file=sys.stderr, flush=True)
            if number:
                fresh_copy(pristine, url)
            for name in FLOW_STAGES:
                sequence += [stage("honest", homes[number + 1]), stage(name, homes[number + 1])]
        sequence.append(stage("honest", homes[0]))
        compose = stage("compose", homes[0])
    finally:
        for home in homes:
            shutil.rmtree(home, ignore_errors=True)
    info = {**machine(), "server": server_version(url), "source": fingerprint, "git": git_revision()}
    if source_fingerprint() != fingerprint:
        info["warning"] = "the product code changed during this run: its stages measured different code"
        print(f"WARNING: {info['warning']}", file=sys.stderr)
    report = table(sequence, floor_stage, compose, meta, info, args, url, copy_seconds)
    print(report)
    out = Path(args.output) if args.output else ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    name = (f"review-{backend(url)}-{args.partnerships}" + ("-history" if args.history else "")
            + (f"-gc-{args.gc}" if args.gc != "default" else ""))
    (out / f"{name}.md").write_text(report + "\n")
    (out / f"{name}.json").write_text(json.dumps(
        {"sequence": sequence, "floor": floor_stage, "compose": compose, "ratios": ratios(sequence),
         "portfolio": meta, "machine": info, "batch_size": args.batch_size, "gc": args.gc,
         "as_of": AS_OF.isoformat(), "database": backend(url)}, indent=2) + "\n")
    print(f"\n(written to {out / name}.md and .json)", file=sys.stderr)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--partnerships", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--presence", type=float, help="evidence presence probability (see generate.py)")
    parser.add_argument("--history", action="store_true", help="a portfolio that has run for a year (see generate.py)")
    parser.add_argument("--batch-size", type=int, help="partnerships per batch; default the settings' "
                                                        "review_batch_size")
    parser.add_argument("--database-url", help="the database reviewed (replaced by a copy of the portfolio); "
                                               "default a SQLite file under /tmp/partnerflow-bench")
    parser.add_argument("--profile", metavar="DIR", help="profile each stage with pyinstrument into DIR")
    parser.add_argument("--gc", choices=("default", "off", "freeze"), default="default",
                        help="off: pause Python's cyclic garbage collector during every timed stage; freeze: "
                             "gc.freeze() at the start of each (what-ifs to measure its cost, not how the "
                             "product runs)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="rounds of first / second / incremental review, each on a fresh copy with the honest "
                             "floor run between its stages (default 3; a single run moves by about 0.1x)")
    parser.add_argument("--output", metavar="DIR", help="where to write the results (default bench/results)")
    parser.add_argument("--no-monitors", dest="monitors", action="store_false",
                        help="leave the monitors out of the floor (the review evaluates them for every "
                             "partnership, so by default the floor does too)")
    parser.add_argument("--stage", choices=("honest", "floor", *FLOW_STAGES, "compose"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    if args.batch_size is None:
        from partnerflow.engine.settings import Settings

        args.batch_size = Settings().review_batch_size
    if args.stage:
        run_stage(args)
    else:
        run(args)


if __name__ == "__main__":
    main()
