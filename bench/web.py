"""The web under load: latency of the portfolio page, filtered list pages, a partnership page and the
API's list, on a reviewed portfolio of 100,000 partnerships, while a second process loads the server.

    python bench/web.py --partnerships 100000 [--database-url URL] [--workers 1] [--clients 4]

1. The portfolio of bench/generate.py (reused when it exists), copied once and reviewed by the
   engine as of 2026-11-27 (the reviewed copy is reused too: `<portfolio>.reviewed.db` on SQLite,
   `<database>_reviewed` on PostgreSQL, then ANALYZEd there, as autovacuum would soon do).
2. `uvicorn` serves the application (`partnerflow.web.app:create_app`, `--workers` processes) on
   127.0.0.1. A program manager of our own parties is signed in (a session cookie for the pages)
   and holds an API token (for /api/v1), both made through the engine's face as the sign-in link
   and `partnerflow token create` make them.
3. A second process (httpx) requests the same mix of URLs: `--rate` requests a second, each sent
   on time (an open loop, as people arrive), or `--clients` connections each as fast as the
   server answers (a closed loop: the most the server does), for the whole measurement.
4. This process requests each kind of URL in turn, `--requests` times each, one at a time, and
   reports the median and 95th percentile of each kind (wall time from sending the request to the
   last byte read), with the load process's throughput meanwhile.
5. Without load, the overview's queries themselves (what the first portfolio page after any change
   pays; the page then keeps the overview until the portfolio changes: engine.OverviewCache), timed
   in this process through the engine.

The last line printed is one JSON object with every figure; the table goes in docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
for folder in (ROOT, BENCH):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

import httpx  # noqa: E402
from generate import AS_OF, admin_url, default_url, ensure_portfolio  # noqa: E402
from sqlalchemy import create_engine, make_url, text  # noqa: E402

SECRET = "bench-web-secret-key-not-for-production-0123456789"
VIEWER = "lead@northwind-sales.example"  # a gatekeeper of an internal department: reads the whole portfolio


# ---------------------------------------------------------------------------------------------
# The reviewed portfolio


def reviewed_url(url: str) -> str:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = Path(parsed.database)
        return f"sqlite:///{path.with_name(path.stem + '.reviewed' + path.suffix)}"
    return parsed.set(database=f"{parsed.database}_reviewed").render_as_string(hide_password=False)


def ensure_reviewed(url: str, meta: dict, log) -> str:
    """A reviewed copy of the portfolio at `url`, made once per portfolio (a marker says which)."""
    target = reviewed_url(url)
    wanted = {key: meta[key] for key in ("generator_version", "partnerships", "seed", "presence", "schema")}
    wanted["reviewed_as_of"] = AS_OF.isoformat()
    engine = create_engine(target)
    try:
        with engine.connect() as connection:
            found = connection.execute(text("SELECT meta FROM bench_web_reviewed")).scalar_one()
        if json.loads(found) == wanted:
            log(f"reusing the reviewed portfolio at {make_url(target).render_as_string(hide_password=True)}")
            return target
    except Exception:  # no marker (a missing file or database reads as none): make the copy
        pass
    finally:
        engine.dispose()
    copy(url, target)
    log("reviewing the copy (engine.review_all, as of %s) ..." % AS_OF)
    from partnerflow import engine as face  # its database: PARTNERFLOW_DATABASE_URL, set by run()

    started = time.perf_counter()
    policy = face.policy_in_force(face.get_settings().policy_path)
    report = face.review_all(face.ready_engine(), policy, AS_OF, batch_size=face.get_settings().review_batch_size)
    log(f"reviewed {report.reviewed:,} partnerships in {time.perf_counter() - started:.0f} s")
    marker = create_engine(target)
    if make_url(target).get_backend_name() == "postgresql":  # what autovacuum does soon after a review
        with marker.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("ANALYZE"))
    with marker.begin() as connection:
        connection.execute(text("CREATE TABLE bench_web_reviewed (meta TEXT NOT NULL)"))
        connection.execute(text("INSERT INTO bench_web_reviewed VALUES (:meta)"), {"meta": json.dumps(wanted)})
    marker.dispose()
    return target


def copy(source: str, target: str) -> None:
    if make_url(source).get_backend_name() == "sqlite":
        destination = make_url(target).database
        for suffix in ("", "-wal", "-shm"):
            Path(destination + suffix).unlink(missing_ok=True)
        shutil.copyfile(make_url(source).database, destination)
        return
    admin = create_engine(admin_url(target), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{make_url(target).database}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{make_url(target).database}" '
                                f'TEMPLATE "{make_url(source).database}" STRATEGY FILE_COPY'))
    admin.dispose()


# ---------------------------------------------------------------------------------------------
# What is requested


def credentials() -> tuple[str, str]:
    """(session cookie, API token) of the viewer, made through the engine's face."""
    from partnerflow import engine as face

    with face.transaction(face.ready_engine()) as session:
        link = face.sign_in_link_for(session, VIEWER, secret=SECRET, base_url="http://bench", now=face.now())
        cookie = face.sign_in(session, link.split("token=", 1)[1], secret=SECRET, now=face.now())
        _, token = face.create_token(session, VIEWER, label="bench/web.py", now=face.now())
    return cookie, token


def targets(url: str, seed: int) -> dict[str, list[str]]:
    """The URLs of each kind, drawn from the portfolio (seeded)."""
    rng = random.Random(seed)
    engine = create_engine(url)
    with engine.connect() as connection:
        total = connection.execute(text("SELECT count(*) FROM partnership")).scalar_one()
        ids = ", ".join(str(rng.randint(1, total)) for _ in range(50))  # ids are 1..N in the generator
        keys = connection.execute(text(f"SELECT key FROM partnership WHERE id IN ({ids})")).scalars().all()
        owners = connection.execute(text(
            "SELECT email FROM person WHERE id IN (SELECT owner_id FROM partnership LIMIT 200)")).scalars().all()
        programs = connection.execute(text("SELECT key FROM program")).scalars().all()
    engine.dispose()
    pages = max(1, total // 50)
    return {
        "portfolio page": ["/"],
        "list: phase + state": [f"/?phase={p}&state={s}&page={rng.randint(1, 20)}"
                                for p in ("alignment", "execution") for s in ("active", "ready")],
        "list: program, sorted by name": [f"/?program={p}&sort=name&page={rng.randint(1, 40)}" for p in programs],
        "list: text": [f"/?text={k[: max(3, len(k) // 2)]}" for k in keys[:10]],
        "list: owner": [f"/?owner={o}" for o in owners[:10]],
        "list: blocker": ["/?blocker=agreement-in-force&phase=alignment", "/?blocker=metric-with-target",
                          "/?blocker=commitments-honored&sort=name&page=5"],
        "partnership page": [f"/partnerships/{k}" for k in keys],
        "API list": [f"/api/v1/partnerships?page={rng.randint(1, pages)}&per_page=50" for _ in range(20)],
    }


# ---------------------------------------------------------------------------------------------
# The server and the load


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(url: str, port: int, workers: int) -> subprocess.Popen:
    env = {**os.environ, "PARTNERFLOW_DATABASE_URL": url, "PARTNERFLOW_SECRET_KEY": SECRET,
           "PARTNERFLOW_BASE_URL": f"http://127.0.0.1:{port}"}
    command = [sys.executable, "-m", "uvicorn", "--factory", "partnerflow.web.app:create_app", "--host", "127.0.0.1",
               "--port", str(port), "--workers", str(workers), "--log-level", "warning", "--no-access-log"]
    server = subprocess.Popen(command, env=env, cwd=ROOT, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/sign-in", timeout=1).status_code == 200:
                return server
        except httpx.TransportError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("the server did not answer within 60 s")


def run_load(args) -> None:
    """The load process, until stopped (SIGTERM): with `rate`, that many requests a second, each
    sent on time whatever the answers take (an open loop, as people arriving are); without,
    `clients` connections each sending its next request as soon as the last is answered (a closed
    loop: the server's most). Prints how many requests it made and how many failed."""
    import asyncio
    import signal

    plan = json.loads(Path(args.load).read_text())
    urls = [u for kind in plan["targets"].values() for u in kind]
    rng = random.Random(7)
    stop = asyncio.Event()
    done, failed = [0], [0]

    async def one(http: httpx.AsyncClient) -> None:
        response = await http.get(rng.choice(urls))
        done[0] += 1
        failed[0] += response.status_code != 200

    async def closed(http: httpx.AsyncClient) -> None:
        while not stop.is_set():
            await one(http)

    async def opened(http: httpx.AsyncClient) -> None:
        pending: set[asyncio.Task] = set()
        started = time.perf_counter()
        for n in range(10**9):
            delay = started + n / args.rate - time.perf_counter()
            if delay > 0:
                try:
                    await asyncio.wait_for(stop.wait(), delay)
                except TimeoutError:
                    pass
            if stop.is_set():
                break
            task = asyncio.create_task(one(http))
            pending.add(task)
            task.add_done_callback(pending.discard)
        await asyncio.gather(*pending, return_exceptions=True)

    async def main() -> None:
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        limits = httpx.Limits(max_connections=max(args.clients, 64))
        started = time.perf_counter()
        async with httpx.AsyncClient(base_url=plan["base"], cookies={"pf_session": plan["cookie"]}, limits=limits,
                                     headers={"authorization": f"Bearer {plan['token']}"}, timeout=60) as http:
            if args.rate:
                await opened(http)
            else:
                await asyncio.gather(*(closed(http) for _ in range(args.clients)))
        print(json.dumps({"requests": done[0], "failed": failed[0], "seconds": time.perf_counter() - started}))

    asyncio.run(main())


# ---------------------------------------------------------------------------------------------
# Measuring


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def measure(base: str, cookie: str, token: str, plan: dict[str, list[str]], requests: int) -> dict:
    """Each kind in turn, round robin, one request at a time; milliseconds per kind."""
    timings: dict[str, list[float]] = {kind: [] for kind in plan}
    with httpx.Client(base_url=base, cookies={"pf_session": cookie}, headers={"authorization": f"Bearer {token}"},
                      timeout=60) as http:
        for kind, urls in plan.items():  # warm: each URL once, unmeasured
            for url in urls:
                assert http.get(url).status_code == 200, (kind, url)
        for n in range(requests):
            for kind, urls in plan.items():
                url = urls[n % len(urls)]
                started = time.perf_counter()
                response = http.get(url)
                timings[kind].append((time.perf_counter() - started) * 1000)
                if response.status_code != 200:
                    raise SystemExit(f"{url} answered {response.status_code}: {response.text[:300]}")
    return {kind: {"p50_ms": round(statistics.median(ms), 1), "p95_ms": round(percentile(ms, 0.95), 1),
                   "max_ms": round(max(ms), 1), "requests": len(ms)} for kind, ms in timings.items()}


def overview_afresh(runs: int) -> dict:
    """The overview's queries with nothing kept (the first portfolio page after a change), in ms."""
    from partnerflow import engine as face

    policy = face.policy_in_force(face.get_settings().policy_path)
    timings = []
    for _ in range(runs + 1):
        with face.transaction(face.ready_engine()) as session:
            started = time.perf_counter()
            face.portfolio_overview(session, policy, as_of=face.today())
            timings.append((time.perf_counter() - started) * 1000)
    timings = timings[1:]  # the first warms the database's cache
    return {"p50_ms": round(statistics.median(timings), 1), "p95_ms": round(percentile(timings, 0.95), 1),
            "runs": runs}


def run(args) -> None:
    def log(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    url = args.database_url or default_url(args.partnerships, args.seed)
    served = reviewed_url(url)
    os.environ.update(PARTNERFLOW_DATABASE_URL=served, PARTNERFLOW_SECRET_KEY=SECRET)  # before the engine reads them
    meta = ensure_portfolio(url, args.partnerships, args.seed, log=log)
    ensure_reviewed(url, meta, log)
    cookie, token = credentials()
    plan = targets(served, args.seed)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(served, port, args.workers)
    load = None
    try:
        plan_file = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-web-{os.getpid()}.json"
        plan_file.write_text(json.dumps({"base": base, "cookie": cookie, "token": token, "targets": plan}))
        if args.clients or args.rate:
            load = subprocess.Popen([sys.executable, __file__, "--load", str(plan_file), "--clients", str(args.clients),
                                     "--rate", str(args.rate)], stdout=subprocess.PIPE, text=True, cwd=ROOT)
        log(f"measuring {args.requests} requests of each kind under {load_words(args)} ...")
        started = time.perf_counter()
        latencies = measure(base, cookie, token, plan, args.requests)
        seconds = time.perf_counter() - started
    finally:
        if load is not None:
            load.terminate()
            loaded = json.loads(load.communicate(timeout=60)[0].strip().splitlines()[-1])
        else:
            loaded = {"requests": 0, "failed": 0, "seconds": 0}
        os.killpg(server.pid, 15)
        server.wait(timeout=30)
        plan_file.unlink(missing_ok=True)
    afresh = overview_afresh(args.fresh_runs)
    result = {"database": make_url(url).get_backend_name(), "partnerships": args.partnerships,
              "workers": args.workers, "clients": args.clients, "rate": args.rate, "load_words": load_words(args),
              "latency": latencies,
              "load": {**loaded, "per_second": round(loaded["requests"] / max(loaded["seconds"], 1e-9), 1)},
              "measured_seconds": round(seconds, 1), "overview_afresh": afresh}
    print(table(result))
    print(json.dumps(result))


def table(result: dict) -> str:
    lines = [f"{result['database']}, {result['partnerships']:,} partnerships, {result['workers']} worker(s), "
             f"{result['load_words']} from a second process "
             f"({result['load']['per_second']} requests/s served to it, {result['load']['failed']} failed)", "",
             "| request | p50 ms | p95 ms | max ms |", "|---|---:|---:|---:|"]
    for kind, figures in result["latency"].items():
        lines.append(f"| {kind} | {figures['p50_ms']} | {figures['p95_ms']} | {figures['max_ms']} |")
    fresh = result["overview_afresh"]
    lines.append(f"| overview computed afresh (engine, no load) | {fresh['p50_ms']} | {fresh['p95_ms']} | |")
    return "\n".join(lines)


def load_words(args) -> str:
    if args.rate:
        return f"a load of {args.rate:g} requests/s"
    return f"{args.clients} clients without pause" if args.clients else "no load"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--partnerships", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--database-url", help="the generated portfolio (default: bench/generate.py's SQLite file)")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument("--rate", type=float, default=20, help="requests per second of the load process "
                                                               "(an open loop); 0 for --clients instead")
    parser.add_argument("--clients", type=int, default=0, help="with --rate 0: connections of the load process, "
                                                               "each sending as soon as it is answered")
    parser.add_argument("--requests", type=int, default=100, help="measured requests of each kind")
    parser.add_argument("--fresh-runs", type=int, default=10, help="timings of the overview computed afresh")
    parser.add_argument("--load", help=argparse.SUPPRESS)  # the load process: its plan file
    args = parser.parse_args(argv)
    if args.load:
        run_load(args)
    else:
        run(args)


if __name__ == "__main__":
    main()
