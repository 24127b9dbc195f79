"""The portfolio review at scale: in one process, and sharded over Prefect process workers.

    python bench/scale.py                                  # 100,000 partnerships on PostgreSQL
    python bench/scale.py --partnerships 5000 --shard-size 1000     # a smoke run (~2 minutes)

One run starts a Prefect server on 127.0.0.1 backed by a PostgreSQL database of its own, creates
the work pool and the deployments (`make deploy`), and reviews a fresh copy of the same seeded
portfolio (generate.py) once per mode, a first full review each time:

- `here`      the review flow in one process (its shards reviewed one after the other, here);
- `workers-K` the review flow fanning its shards out to K process workers (`--limit 1` each, so
              K shards run at once), as runs of the `review-shard` deployment.

The flow that plans the run and waits for it runs in a child process of this script; the
workers, their flow-run processes, the server and PostgreSQL are measured by their CPU seconds
from /proc (a process's own time, plus what its reaped children used), so each mode reports
where the time went. Results: a markdown table on stdout, and bench/results/scale-<N>.{md,json}.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
for folder in (str(ROOT), str(BENCH)):
    if folder not in sys.path:
        sys.path.insert(0, folder)

from generate import AS_OF, admin_url, ensure_portfolio  # noqa: E402
from review import QUIET_PREFECT, fresh_copy, git_revision, machine, pristine_url, server_version  # noqa: E402

RESULT_MARK = "SCALE-RESULT "
PREFECT = str(Path(sys.executable).parent / "prefect")
TICKS = os.sysconf("SC_CLK_TCK")
OVERHEAD_TARGET = 1.10  # sharded on one worker / in one process


# ---------------------------------------------------------------------------------------------
# CPU seconds of process trees, from /proc


def processes() -> dict[int, tuple[int, str, float]]:
    """pid -> (parent pid, command name, CPU seconds of the process and its reaped children)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat.rsplit(")", 1)[1].split()
        utime, stime, cutime, cstime = (int(fields[i]) for i in (11, 12, 13, 14))
        found[int(entry.name)] = (int(fields[1]), name, (utime + stime + cutime + cstime) / TICKS)
    return found


def tree_cpu(root: int, table: dict) -> float:
    """CPU seconds of `root` and every live descendant (each counting its reaped children)."""
    total, frontier = 0.0, [root]
    while frontier:
        pid = frontier.pop()
        if pid in table:
            total += table[pid][2]
        frontier += [child for child, (parent, _, _) in table.items() if parent == pid]
    return total


def postgres_cpu(table: dict) -> float:
    """The PostgreSQL server's CPU seconds: its postmaster (which reaps the backends) and live backends."""
    masters = [pid for pid, (parent, name, _) in table.items() if name == "postgres"
               and table.get(parent, (0, "", 0))[1] != "postgres"]
    return sum(tree_cpu(pid, table) for pid in masters)


class Meter:
    """CPU seconds used by each group of processes between `start` and `stop`."""

    def __init__(self, groups: dict[str, list[int]]):
        self.groups = groups

    def read(self) -> dict[str, float]:
        table = processes()
        found = {name: sum(tree_cpu(pid, table) for pid in pids) for name, pids in self.groups.items()}
        found["PostgreSQL"] = postgres_cpu(table)
        return found

    def start(self) -> None:
        self.before = self.read()

    def stop(self) -> dict[str, float]:
        after = self.read()
        return {name: round(after[name] - self.before.get(name, 0.0), 2) for name in after}


# ---------------------------------------------------------------------------------------------
# The stack: a Prefect server, the deployments, workers


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def recreate_database(url: str) -> None:
    from sqlalchemy import create_engine, make_url, text

    admin = create_engine(admin_url(url), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{make_url(url).database}"'))
    admin.dispose()


def start(command: list[str], env: dict, log: Path) -> subprocess.Popen:
    return subprocess.Popen(command, env=env, cwd=ROOT, stdout=log.open("wb"), stderr=subprocess.STDOUT,
                            start_new_session=True)


def stop(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def wait_until(what: str, ready, within: float) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if ready():
            return
        time.sleep(0.5)
    raise SystemExit(f"{what} within {within} s: no")


def online_workers(api: str) -> int:
    answer = httpx.post(f"{api}/work_pools/partnerflow/workers/filter", json={}, timeout=5)
    return sum(1 for worker in answer.json() if worker.get("status") == "ONLINE") if answer.is_success else 0


# ---------------------------------------------------------------------------------------------
# The review, in a child process (its CPU measured by itself)


def parent(args) -> None:
    """Run the review flow once against the server in PREFECT_API_URL; print what it did and cost."""
    import resource

    from partnerflow.flows import ReviewParameters, review_portfolio, run_in_process

    started = time.perf_counter()
    result = run_in_process(review_portfolio, ReviewParameters(
        as_of=AS_OF, full=True, shard_size=args.shard_size, batch_size=args.batch_size,
        fan_out=args.fan_out == "yes", shard_timeout=3600))
    wall = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(RESULT_MARK + json.dumps({"wall": wall, "cpu": usage.ru_utime + usage.ru_stime,
                                    "rss_mb": usage.ru_maxrss / 1024, "reviewed": result["reviewed"],
                                    "written": result["written"]}), flush=True)


def run_mode(args, mode: str, workers: int, url: str, env: dict, api: str, logs: Path, server: int) -> dict:
    copy_seconds = fresh_copy(pristine_url(url), url)
    started = [start([PREFECT, "worker", "start", "--pool", "partnerflow", "--name", f"{mode}-{k}", "--limit", "1"],
                     env, logs / f"{mode}-worker-{k}.log") for k in range(workers)]
    try:
        if workers:
            wait_until(f"{workers} workers online", lambda: online_workers(api) >= workers, 120)
        meter = Meter({"workers (and their flow runs)": [w.pid for w in started], "Prefect server": [server]})
        meter.start()
        began = time.perf_counter()
        done = subprocess.run([sys.executable, __file__, "--parent", "--fan-out", "yes" if workers else "no",
                               "--shard-size", str(args.shard_size), "--batch-size", str(args.batch_size)],
                              env=env, cwd=ROOT, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - began
        cpu = meter.stop()
    finally:
        for worker in started:
            stop(worker)
    lines = [line for line in done.stdout.splitlines() if line.startswith(RESULT_MARK)]
    if done.returncode != 0 or not lines:
        sys.stderr.write(done.stdout[-4000:] + done.stderr[-4000:])
        raise SystemExit(f"mode {mode} failed (exit {done.returncode}); logs in {logs}")
    review = json.loads(lines[-1][len(RESULT_MARK):])
    cpu = {"review process": round(review["cpu"], 2), **cpu}
    return {"mode": mode, "workers": workers, "flow_wall": round(review["wall"], 2), "process_wall": round(wall, 2),
            "cpu": cpu, "cpu_total": round(sum(cpu.values()), 2), "reviewed": review["reviewed"],
            "written": review["written"], "copy_seconds": round(copy_seconds, 1),
            "per_second": round(args.partnerships / review["wall"])}


def table(results: list[dict], args, info: dict, meta: dict) -> str:
    here = next((r for r in results if r["workers"] == 0), None)
    groups = list(results[0]["cpu"])
    lines = [f"# The review at scale: {args.partnerships:,} partnerships on PostgreSQL {info.get('server')}",
             "",
             f"`{' '.join(['python', 'bench/scale.py'] + sys.argv[1:])}` at {info['revision']}; "
             f"{info['cores']} cores ({info.get('cpu', '?')}), Python {info['python']}, Prefect {info['prefect']}; "
             f"shard size {args.shard_size:,}, batch size {args.batch_size:,}; a first full review of a fresh copy "
             f"({meta.get('passing', {}).get('ratio', 0):.0%} of a sample pass).",
             "",
             "| mode | wall s | × here | partnerships/s | " + " | ".join(f"CPU s: {g}" for g in groups)
             + " | CPU s, all | × here |",
             "|---|---:|---:|---:|" + "---:|" * len(groups) + "---:|---:|"]
    for r in results:
        wall_ratio = f"{r['flow_wall'] / here['flow_wall']:.2f}" if here else "–"
        cpu_ratio = f"{r['cpu_total'] / here['cpu_total']:.2f}" if here else "–"
        lines.append(f"| {r['mode']} | {r['flow_wall']:.1f} | {wall_ratio} | {r['per_second']:,} | "
                     + " | ".join(f"{r['cpu'][g]:.1f}" for g in groups)
                     + f" | {r['cpu_total']:.1f} | {cpu_ratio} |")
    one = next((r for r in results if r["workers"] == 1), None)
    two = next((r for r in results if r["workers"] == 2), None)
    lines.append("")
    if here and one:
        ratio = one["flow_wall"] / here["flow_wall"]
        lines.append(f"Sharded on one worker / in one process: {ratio:.2f}× wall "
                     f"(target ≤ {OVERHEAD_TARGET:.2f}×: {'met' if ratio <= OVERHEAD_TARGET else 'missed'}).")
    if one and two:
        lines.append(f"Two workers / one worker: speed-up {one['flow_wall'] / two['flow_wall']:.2f}× on "
                     f"{info['cores']} cores.")
    return "\n".join(lines) + "\n"


def run(args) -> None:
    from sqlalchemy import make_url

    url = args.database_url or f"postgresql+psycopg://postgres@127.0.0.1:5432/pf_scale_{args.partnerships}"
    meta = ensure_portfolio(pristine_url(url), args.partnerships, args.seed)
    prefect_db = make_url(url).set(database=f"{make_url(url).database}_prefect")
    recreate_database(prefect_db.render_as_string(hide_password=False))
    logs = Path(args.output) / f"scale-{args.partnerships}-logs"
    logs.mkdir(parents=True, exist_ok=True)
    api = f"http://127.0.0.1:{free_port()}/api"
    env = {**os.environ, **QUIET_PREFECT, "PREFECT_API_URL": api, "PREFECT_HOME": str(logs / "prefect-home"),
           "PREFECT_API_DATABASE_CONNECTION_URL": prefect_db.set(drivername="postgresql+asyncpg")
           .render_as_string(hide_password=False),
           "PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED": "false", "PREFECT_WORKER_QUERY_SECONDS": "1",
           "PARTNERFLOW_DATABASE_URL": url, "PROJECT_DIR": str(ROOT)}
    server = start([PREFECT, "server", "start", "--host", "127.0.0.1", "--port", api.split(":")[-1][:-4],
                    "--no-ui", "--analytics-off"], env, logs / "server.log")
    try:
        wait_until("the Prefect server answers", lambda: _healthy(api), 120)
        deploy = subprocess.run(["make", "-s", "deploy"], cwd=ROOT, env=env, capture_output=True, text=True, check=False)
        if deploy.returncode != 0:
            raise SystemExit(f"make deploy failed:\n{deploy.stdout}{deploy.stderr}")
        results = [run_mode(args, mode, workers, url, env, api, logs, server.pid)
                   for mode, workers in (("here", 0), *((f"workers-{k}", k) for k in args.workers))]
    finally:
        stop(server)
    info = {**machine(), "server": server_version(url), "revision": git_revision()}
    markdown = table(results, args, info, meta)
    print(markdown)
    out = Path(args.output)
    (out / f"scale-{args.partnerships}.md").write_text(markdown)
    (out / f"scale-{args.partnerships}.json").write_text(json.dumps(
        {"results": results, "info": info, "portfolio": meta, "shard_size": args.shard_size,
         "batch_size": args.batch_size}, indent=2, default=str))


def _healthy(api: str) -> bool:
    try:
        return httpx.get(f"{api}/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--partnerships", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--shard-size", type=int, default=50_000)
    parser.add_argument("--batch-size", type=int, default=2000)
    parser.add_argument("--workers", type=int, nargs="*", default=[1, 2], help="worker counts to measure")
    parser.add_argument("--database-url", help="default: postgresql+psycopg://postgres@127.0.0.1:5432/pf_scale_<N>")
    parser.add_argument("--output", default=str(BENCH / "results"))
    parser.add_argument("--parent", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--fan-out", choices=("yes", "no"), default="no", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.parent:
        parent(args)
    else:
        run(args)


if __name__ == "__main__":
    main()
