"""A seeded synthetic portfolio for the review benchmark (bench/review.py).

    python bench/generate.py --partnerships 100000 --seed 42 --database-url sqlite:////tmp/portfolio.db

N partnerships between 2 (sometimes 3) parties drawn from a pool of external parties and
our own departments, in a phase mix of 60 % alignment, 30 % execution and 10 %
shared_vision, each with about 30 evidence rows. Every element of evidence (a win, a
signature, a risk's mitigation, a measurement on target, a meeting held...) is present
independently with probability `--presence` (default tuned so that about half the
partnerships pass the gate out of their phase as of 2026-11-27); the generator evaluates a
sample after writing and prints the ratio.

The database is created (schema through the project's Alembic migrations) and filled with
plain multi-row writes: the DBAPI's `executemany` on SQLite, `COPY` on PostgreSQL, a few
transactions. The same N, seed and presence give the same rows. A database that already
holds this portfolio (a sidecar `<file>.json` for SQLite, a `bench_portfolio` table on
PostgreSQL) is reused as it is (same generator version, N, seed, presence and schema revision); any other
database at that URL is replaced.

With `--history`, the portfolio has run for a year before AS_OF, as a system in use would
have it: about six earlier gate reviews per partnership (a result that changed in a month),
tasks its owners or the review closed (each with its `task.opened` and `task.done` audit
events, its notification sent and the delivery attempt), so that what a review reads of
existing tasks, responses and past reviews has the weight of a year.

The last line printed is one JSON object describing the portfolio (counts, seconds).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, make_url, text

AS_OF = date(2026, 11, 27)
GENERATOR_VERSION = 4
DEFAULT_PRESENCE = 0.968  # tuned: about half the partnerships pass the gate out of their phase

INTERNAL_PARTIES = 8  # departments of our own
EXTERNAL_PARTIES = 2000
PROGRAMS = (("supply", "Supply chain"), ("services", "Outsourced services"), ("alliances", "Alliances"),
            ("channels", "Resellers and channels"), ("internal", "Internal partnering"))
PROGRAM_OF_KIND = {"supplier": 1, "outsourcer": 2, "alliance": 3, "reseller": 4, "internal": 5, "other": 3}
DEPARTMENTS = ("sales", "operations", "finance", "it", "hr", "legal", "marketing", "research")
PROCESSES = ("Order to delivery", "Incident handling", "Forecasting", "Invoicing", "Onboarding", "Change control")
MONTH_ENDS = (date(2026, 6, 30), date(2026, 7, 31), date(2026, 8, 31), date(2026, 9, 30), date(2026, 10, 31))
# metric kind -> (key, name, target, direction, unit, value on target, value off target)
METRICS = {
    "performance": ("otd", "On-time delivery", 95.0, "higher", "%", 97.0, 90.0),
    "customer_satisfaction": ("csat", "Customer satisfaction", 4.0, "higher", "pts", 4.4, 3.6),
    "relationship": ("response", "Response time", 3.0, "lower", "days", 2.0, 5.0),
    "cost": ("cost", "Cost per order", 100.0, "lower", "EUR", 95.0, 112.0),
}
OPTIONAL_METRIC_KINDS = ("customer_satisfaction", "relationship", "cost")

# Column order of every table the generator writes, in foreign-key order.
COLUMNS = {
    "program": ("id", "key", "name"),
    "party": ("id", "key", "name", "internal"),
    "person": ("id", "email", "name", "party_id", "roles"),
    "channel": ("id", "person_id", "kind", "address", "secret", "digest"),  # where the schema has them
    "delegation": ("id", "person_id", "delegate_id", "starts_on", "ends_on"),
    "partnership": ("id", "key", "name", "kind", "program_id", "phase", "state", "sponsor_id", "owner_id",
                    "version", "cycle", "phase_since", "created_at"),
    "partnership_party": ("partnership_id", "party_id"),
    "member": ("partnership_id", "person_id", "role", "responsibilities"),
    "business_case": ("partnership_id", "outcomes", "processes", "measures", "approved_by_id", "approved_on"),
    "win": ("partnership_id", "party_id", "statement"),
    "agreement": ("id", "partnership_id", "kind", "reference", "effective_on", "expires_on"),
    "signature": ("agreement_id", "party_id", "signed_by_id", "signed_on"),
    "process_owner": ("partnership_id", "process", "person_id"),
    "risk": ("partnership_id", "description", "likelihood", "impact", "mitigation", "owner_id"),
    "stakeholder": ("partnership_id", "person_id", "influence", "engaged_by_id", "contact_every_days",
                    "last_contact_on"),
    "commitment": ("partnership_id", "party_id", "description", "due_on", "status", "resolved_on"),
    "problem": ("partnership_id", "kind", "summary", "raised_on", "resolved_on"),
    "metric": ("id", "partnership_id", "key", "name", "kind", "target", "direction", "unit", "owner_id", "shared"),
    "measurement": ("metric_id", "period_end", "value"),
    "communication_plan": ("partnership_id", "formal_cadence_days", "informal_cadence_days", "decision_process",
                           "escalation_path", "response_target_days", "prioritization", "information_access"),
    "meeting": ("partnership_id", "held_on", "kind", "summary"),
    "knowledge_session": ("partnership_id", "held_on", "topics"),
    "initiative": ("partnership_id", "kind", "name", "status", "started_on"),
    "opportunity": ("partnership_id", "kind", "name", "status", "committed_on"),
    # a year of history (--history)
    "gate_review": ("id", "partnership_id", "gate", "phase", "policy_version", "as_of", "passed", "results",
                    "blockers", "digest", "created_at", "previous_id"),
    "task": ("id", "partnership_id", "kind", "gate", "criterion", "cycle", "idempotency_key", "practice", "title",
             "explanation", "owner_role", "assignee_id", "flagged", "status", "due_on", "created_at",
             "first_notified_at", "escalation_level", "closed_at", "closed_by", "note"),
    "audit_event": ("id", "at", "actor", "partnership_id", "kind", "data"),
    "notification": ("id", "dedup_key", "event", "person_id", "channel_id", "channel", "partnership_id", "task_id",
                     "context", "status", "attempts", "next_attempt_at", "created_at", "sent_at"),
    "delivery_attempt": ("id", "notification_id", "at", "channel", "ok", "status_code", "duration_ms"),
}
EVIDENCE_TABLES = ("business_case", "win", "agreement", "signature", "process_owner", "risk", "stakeholder",
                   "commitment", "problem", "metric", "measurement", "communication_plan", "meeting",
                   "knowledge_session", "initiative", "opportunity")
CHUNK = 5000  # partnerships per write


def decision_maker(party_id: int) -> int:
    return 2 * party_id - 1


def manager(party_id: int) -> int:
    return 2 * party_id


# ---------------------------------------------------------------------------------------------
# Where the rows go: SQLite (executemany) or PostgreSQL (COPY)


class Writer:
    """Writes tuples in COLUMNS order; dates as the backend wants them."""

    def __init__(self, url: str):
        self.url = url
        self.sqlite = url.startswith("sqlite")
        self.counts = {table: 0 for table in COLUMNS}
        self.tables: set[str] = set(COLUMNS)
        self._days: dict[date, object] = {}

    def day(self, value: date | None):
        if value is None or not self.sqlite:
            return value
        found = self._days.get(value)
        if found is None:
            found = self._days[value] = value.isoformat()
        return found

    def moment(self, value: datetime):
        # SQLAlchemy's SQLite DateTime storage format (naive, microseconds)
        return value.strftime("%Y-%m-%d %H:%M:%S.%f") if self.sqlite else value

    def open(self) -> None:
        from sqlalchemy import inspect

        from partnerflow.models import make_engine, upgrade

        engine = make_engine(self.url)
        upgrade(engine)
        with engine.connect() as connection:
            self.tables = set(inspect(connection).get_table_names())
        engine.dispose()
        if self.sqlite:
            import sqlite3

            self.connection = sqlite3.connect(make_url(self.url).database, isolation_level=None)
            for pragma in ("journal_mode=WAL", "synchronous=OFF", "foreign_keys=OFF", "cache_size=-200000"):
                self.connection.execute(f"PRAGMA {pragma}")
        else:
            import psycopg

            url = make_url(self.url)
            self.connection = psycopg.connect(host=url.host, port=url.port or 5432, user=url.username,
                                              password=url.password, dbname=url.database)

    def write(self, rows: dict[str, list[tuple]]) -> None:
        """One transaction for the rows of every table, in foreign-key order."""
        if self.sqlite:
            self.connection.execute("BEGIN")
            for table, columns in COLUMNS.items():
                if rows.get(table) and table in self.tables:
                    marks = ", ".join("?" * len(columns))
                    self.connection.executemany(
                        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows[table])
            self.connection.execute("COMMIT")
        else:
            with self.connection.transaction(), self.connection.cursor() as cursor:
                for table, columns in COLUMNS.items():
                    if rows.get(table) and table in self.tables:
                        with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                            for row in rows[table]:
                                copy.write_row(row)
        for table, found in rows.items():
            if table in self.tables:
                self.counts[table] += len(found)
            found.clear()

    def finish(self) -> None:
        """Make the database as a running system would have it: checkpointed, sequences after the ids."""
        if self.sqlite:
            self.connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            return
        with self.connection.transaction(), self.connection.cursor() as cursor:
            for table, columns in COLUMNS.items():
                if "id" in columns and table in self.tables and table != "notification":  # its ids are text
                    cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                   f"(SELECT coalesce(max(id), 0) + 1 FROM {table}), false)")
        self.connection.autocommit = True
        self.connection.execute("VACUUM ANALYZE")  # what autovacuum does after a bulk load
        self.connection.autocommit = False

    def close(self, meta: dict) -> None:
        """Record what this portfolio is, so that a later run can reuse it."""
        if self.sqlite:
            self.connection.close()
            sidecar(self.url).write_text(json.dumps(meta, indent=2) + "\n")
            return
        with self.connection.transaction(), self.connection.cursor() as cursor:
            cursor.execute("CREATE TABLE bench_portfolio (meta text NOT NULL)")
            cursor.execute("INSERT INTO bench_portfolio (meta) VALUES (%s)", (json.dumps(meta),))
        self.connection.close()


def sidecar(url: str) -> Path:
    return Path(make_url(url).database + ".json")


# ---------------------------------------------------------------------------------------------
# Existing portfolios


def admin_url(url: str) -> str:
    """The `test` database on the same PostgreSQL server, to create and drop others from."""
    return make_url(url).set(database="test").render_as_string(hide_password=False)


def existing_meta(url: str) -> dict | None:
    """The description of the portfolio already at `url`, or None."""
    if url.startswith("sqlite"):
        path = Path(make_url(url).database)
        if path.exists() and sidecar(url).exists():
            return json.loads(sidecar(url).read_text())
        return None
    name = make_url(url).database
    admin = create_engine(admin_url(url), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            exists = connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first()
    finally:
        admin.dispose()
    if not exists:
        return None
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            if not connection.execute(text("SELECT to_regclass('bench_portfolio')")).scalar():
                return None
            return json.loads(connection.execute(text("SELECT meta FROM bench_portfolio")).scalar())
    finally:
        engine.dispose()


def drop(url: str) -> None:
    if url.startswith("sqlite"):
        path = make_url(url).database
        for suffix in ("", "-wal", "-shm", ".json"):
            Path(path + suffix).unlink(missing_ok=True)
        return
    admin = create_engine(admin_url(url), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    admin.dispose()


def create_empty(url: str) -> None:
    if url.startswith("sqlite"):
        Path(make_url(url).database).parent.mkdir(parents=True, exist_ok=True)
        return
    admin = create_engine(admin_url(url), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{make_url(url).database}"'))
    admin.dispose()


# ---------------------------------------------------------------------------------------------
# The portfolio


def history_of(policy):
    """For --history: per gate, its criteria and a stored review's results and blockers (JSON), as a
    review that found every must failing would have written them."""
    gates = {}
    for gate in policy.gates:
        results = [{"id": c.id, "practice": c.practice, "level": c.level, "passed": False,
                    "explanation": "not yet recorded"} for c in gate.criteria]
        blockers = [c.id for c in gate.criteria if c.level == "must"]
        gates[gate.id] = (gate.criteria, json.dumps(results), json.dumps(blockers))
    return gates


def generate(writer: Writer, partnerships: int, seed: int, presence: float, history: bool = False) -> None:
    rng = random.Random(seed)
    rand, randint, choice, sample = rng.random, rng.randint, rng.choice, rng.sample
    day, q = writer.day, presence
    back = [day(AS_OF - timedelta(days=k)) for k in range(1000)]  # back[k]: k days before AS_OF
    ahead = [day(AS_OF + timedelta(days=k)) for k in range(1000)]
    month_ends = [day(d) for d in MONTH_ENDS]
    created_at = writer.moment(datetime(2025, 1, 1, 9, 0, tzinfo=UTC))

    # the pools: programs, parties, people
    rows: dict[str, list[tuple]] = {table: [] for table in COLUMNS}
    rows["program"] = [(i, key, name) for i, (key, name) in enumerate(PROGRAMS, start=1)]
    parties = [(i, f"northwind-{DEPARTMENTS[i - 1]}", f"Northwind {DEPARTMENTS[i - 1].title()}", True)
               for i in range(1, INTERNAL_PARTIES + 1)]
    parties += [(i, f"party-{i:05d}", f"Partner {i:05d}", False)
                for i in range(INTERNAL_PARTIES + 1, INTERNAL_PARTIES + EXTERNAL_PARTIES + 1)]
    rows["party"] = parties
    gatekeeper, no_roles = json.dumps(["gatekeeper"]), json.dumps([])
    for party_id, key, _, _ in parties:
        rows["person"].append((decision_maker(party_id), f"lead@{key}.example", f"Lead of {key}", party_id,
                               gatekeeper))
        rows["person"].append((manager(party_id), f"manager@{key}.example", f"Manager at {key}", party_id,
                               no_roles))
    # how people are reached: an email channel each, a quarter of them on a daily digest; a few
    # people out of office on AS_OF, delegating to the other person of their party
    for person_id, email, *_ in rows["person"]:
        rows["channel"].append((person_id, person_id, "email", email, None, rand() < 0.25))
        if rand() < 0.02:
            other = person_id + 1 if person_id % 2 else person_id - 1
            rows["delegation"].append((len(rows["delegation"]) + 1, person_id, other, back[randint(1, 10)],
                                       ahead[randint(1, 20)]))
    writer.write(rows)

    ours = range(1, INTERNAL_PARTIES + 1)
    external = range(INTERNAL_PARTIES + 1, INTERNAL_PARTIES + EXTERNAL_PARTIES + 1)
    kinds = ("supplier", "outsourcer", "alliance", "reseller")
    agreement_id = metric_id = 0
    if history:
        from partnerflow.engine.policies import read_policy
        from partnerflow.engine.settings import DEFAULT_POLICY

        policy = read_policy(DEFAULT_POLICY)
        past, gate_out_of = history_of(policy), {g.from_phase: g for g in policy.gates}
        counters = {"gate_review": 0, "task": 0, "audit_event": 0, "notification": 0}
    (partnership, partnership_party, member, business_case, win, agreement, signature, process_owner, risk,
     stakeholder, commitment, problem, metric, measurement, communication_plan, meeting, knowledge_session,
     initiative, opportunity) = (rows[t].append for t in (
        "partnership", "partnership_party", "member", "business_case", "win", "agreement", "signature",
        "process_owner", "risk", "stakeholder", "commitment", "problem", "metric", "measurement",
        "communication_plan", "meeting", "knowledge_session", "initiative", "opportunity"))

    for pid in range(1, partnerships + 1):
        # who
        us = choice(ours)
        if rand() < 0.05:
            kind = "internal"
            sides = [us, choice([p for p in ours if p != us])]
        else:
            kind = choice(kinds)
            sides = [us, *sample(external, 2 if rand() < 0.15 else 1)]
        r = rand()
        phase = "alignment" if r < 0.6 else "execution" if r < 0.9 else "shared_vision"
        sponsor, owner = decision_maker(us), manager(us)
        partnership((pid, f"p{pid:06d}", f"{kind.title()} partnership {pid}", kind, PROGRAM_OF_KIND[kind], phase,
                     "active", sponsor, owner, 1, 1, back[randint(30, 400)], created_at))
        for side in sides:
            partnership_party((pid, side))
        member((pid, sponsor, "sponsor", "Sponsors the partnership"))
        for side in sides:
            role = "owner" if side == us else "account_manager"
            member((pid, manager(side), role, "Runs the partnership day to day" if rand() < q else ""))
        later = phase != "alignment"

        # 1. business objective
        if rand() < q:
            approved = rand() < q
            business_case((pid, "Cut lead time by a fifth", "Order to delivery", "On-time delivery",
                           sponsor if approved else None, back[randint(200, 600)] if approved else None))
        for side in sides:
            if rand() < q:
                win((pid, side, f"What party {side} must win"))
        if rand() < q:
            agreement_id += 1
            effective = randint(60, 700)
            expires = ahead[randint(70, 900)] if rand() < q else back[randint(1, 50)]
            agreement((agreement_id, pid, "charter" if kind == "internal" else choice(("contract", "sla", "mou")),
                       f"AGR-{pid}", back[effective], expires))
            for side in sides:
                if rand() < q:
                    signature((agreement_id, side, decision_maker(side), back[effective]))

        # 2. operational alignment
        for process in sample(PROCESSES, 1 if rand() < 0.5 else 2):
            for side in sides:
                if rand() < q:
                    process_owner((pid, process, manager(side)))
        for n in range(randint(1, 3)):
            risk((pid, f"Risk {n + 1}", choice(("low", "medium", "high")), choice(("low", "medium", "high")),
                  "Second source agreed" if rand() < q else "", owner))

        # 3. relationship management
        for side in sides:
            if rand() < q:
                stakeholder((pid, decision_maker(side), "decision_maker", owner, 30, back[randint(1, 40)]))
        if rand() < 0.3:
            stakeholder((pid, manager(sides[1]), "critical", owner, 60, back[randint(1, 90)]))

        # 4. trust and credibility
        for n in range(randint(3, 5)):
            due = randint(10, 250)
            honored = rand() < q
            commitment((pid, choice(sides), f"Commitment {n + 1}", back[due], "honored" if honored else "missed",
                        back[due] if honored else None))
        if rand() < 0.3:
            commitment((pid, choice(sides), "Next quarter's plan", ahead[randint(5, 90)], "open", None))
        for n in range(randint(0, 2)):
            raised = randint(10, 200)
            resolved = raised - (randint(0, 5) if rand() < q else randint(8, 20))
            problem((pid, "problem" if rand() < 0.7 else "special_request", f"Problem {n + 1}", back[raised],
                     back[resolved] if resolved >= 0 else None))

        # 5. performance metrics
        for metric_kind in ("performance", *sample(OPTIONAL_METRIC_KINDS, randint(1, 2))):
            key, name, target, direction, unit, good, bad = METRICS[metric_kind]
            metric_id += 1
            metric((metric_id, pid, key, name, metric_kind, target if rand() < q else None, direction, unit, owner,
                    rand() < 0.5))
            periods = randint(3, 4) if later else randint(0, 3)
            for end in month_ends[len(month_ends) - periods:]:
                measurement((metric_id, end, good if rand() < q else bad))

        # 6. communication structure
        if rand() < q:
            communication_plan((pid, 30 if rand() < q else None, 7, "Steering committee" if rand() < q else "",
                                "Owners, then sponsors" if rand() < q else "", 5 if rand() < q else None, "", ""))
        for low, high in ((1, 28), (31, 58), (61, 88)):
            if rand() < q:
                meeting((pid, back[randint(low, high)], "formal", "Monthly review"))
        if rand() < 0.3:
            meeting((pid, back[randint(1, 60)], "informal", "Lunch"))

        # 7-9. knowledge exchange, organizational alignment, long-term relationship
        for _ in range(randint(1, 2) if later else (1 if rand() < 0.3 else 0)):
            knowledge_session((pid, back[randint(5, 300)], "Outlook and new ideas"))
        if rand() < (0.6 if later else 0.2):
            initiative((pid, choice(("shared_system", "process", "structure", "business_model")), "Shared portal",
                        choice(("proposed", "active", "done")), back[randint(10, 300)]))
        if rand() < (0.6 if later else 0.2):
            opportunity((pid, choice(("joint_opportunity", "renewal", "extension")), "Joint offer",
                         choice(("exploring", "pursuing", "committed")), None))

        if history and phase in gate_out_of:
            gate = gate_out_of[phase]
            year_of(rows, counters, writer, rng, pid, gate, past[gate.id], owner, back)

        if pid % CHUNK == 0:
            writer.write(rows)
    writer.write(rows)


def year_of(rows, counters, writer: Writer, rng: random.Random, pid: int, gate, stored, owner: int, back) -> None:
    """A year of one partnership's history before AS_OF: earlier reviews of its gate, and tasks
    opened and closed with their audit events, notifications and delivery attempts."""
    criteria, results, blockers = stored
    moment = writer.moment
    previous = 0  # each review follows the one before it (migration 0008)
    for months in sorted(rng.sample(range(1, 13), rng.randint(4, 8)), reverse=True):
        counters["gate_review"] += 1
        at = datetime.combine(AS_OF - timedelta(days=30 * months), datetime.min.time(), UTC).replace(hour=2)
        rows["gate_review"].append((counters["gate_review"], pid, gate.id, gate.from_phase, "2026.11-2",
                                    back[30 * months], False, results, blockers,
                                    f"{rng.getrandbits(128):032x}", moment(at), previous))
        previous = counters["gate_review"]
    for criterion in rng.sample(criteria, rng.randint(2, min(6, len(criteria)))):
        counters["task"] += 1
        task_id, opened_days = counters["task"], rng.randint(20, 360)
        opened = datetime.combine(AS_OF - timedelta(days=opened_days), datetime.min.time(), UTC).replace(hour=2)
        told, done = opened + timedelta(minutes=5), opened + timedelta(days=rng.uniform(0.5, 15))
        by_review = rng.random() < 0.5
        rows["task"].append((task_id, pid, "gate", gate.id, criterion.id, 1,
                             f"{pid}:{gate.id}:{criterion.id}:h{task_id}", criterion.practice, criterion.task,
                             "not yet recorded", criterion.owner_role, owner, False, "done", back[opened_days - 14],
                             moment(opened), moment(told), 0, moment(done), "review" if by_review else "owner",
                             "the criterion passes now" if by_review else "done"))
        for kind, at in (("task.opened", opened), ("task.done", done)):
            counters["audit_event"] += 1
            rows["audit_event"].append((counters["audit_event"], moment(at), "review", pid, kind,
                                        json.dumps({"task": task_id, "criterion": criterion.id})))
        counters["notification"] += 1
        message = f"msg_{rng.getrandbits(128):032x}"
        rows["notification"].append((message, f"task.opened:task:{task_id}:{owner}:email:{owner}", "task.opened",
                                     owner, owner, "email", pid, task_id,
                                     json.dumps({"task": {"id": task_id, "title": criterion.task}}), "sent", 1,
                                     moment(told), moment(opened), moment(told)))
        rows["delivery_attempt"].append((counters["notification"], message, moment(told), "email", True, 250, 12.0))


def passing_sample(url: str, size: int = 4000) -> dict:
    """Evaluate the first `size` partnerships: how many pass the gate out of their phase."""
    from partnerflow.engine.policies import read_policy
    from partnerflow.engine.settings import DEFAULT_POLICY
    from partnerflow.gates import evaluate
    from partnerflow.models import IdRange, load_snapshots, make_engine

    policy = read_policy(DEFAULT_POLICY)
    engine = make_engine(url)
    by_phase: dict[str, list[int]] = {}
    with engine.connect() as connection:
        for snapshot in load_snapshots(connection, IdRange(1, size)):
            evaluation = evaluate(policy, snapshot, AS_OF)
            if evaluation is not None:
                counts = by_phase.setdefault(snapshot.phase, [0, 0])
                counts[0] += evaluation.passed
                counts[1] += 1
    engine.dispose()
    passed, reviewed = sum(c[0] for c in by_phase.values()), sum(c[1] for c in by_phase.values())
    return {"sample": size, "reviewed": reviewed, "passed": passed, "ratio": round(passed / max(reviewed, 1), 3),
            "by_phase": {phase: round(p / n, 3) for phase, (p, n) in sorted(by_phase.items())}}


def ensure_portfolio(url: str, partnerships: int, seed: int, presence: float = DEFAULT_PRESENCE,
                     *, history: bool = False, force: bool = False, log=print) -> dict:
    """The portfolio at `url`: reused when it is the same, generated otherwise."""
    from partnerflow.models import head_revision

    wanted = {"generator_version": GENERATOR_VERSION, "partnerships": partnerships, "seed": seed,
              "presence": presence, "history": history, "schema": head_revision()}
    meta = None if force else existing_meta(url)
    if meta is not None and all(meta.get(k) == v for k, v in wanted.items()):
        log(f"reusing the portfolio at {make_url(url).render_as_string(hide_password=True)}")
        return {**meta, "reused": True}
    drop(url)
    create_empty(url)
    log(f"generating {partnerships:,} partnerships (seed {seed}, presence {presence}"
        + (", a year of history" if history else "") + ") ...")
    started = time.perf_counter()
    writer = Writer(url)
    writer.open()
    generate(writer, partnerships, seed, presence, history)
    writer.finish()
    seconds = time.perf_counter() - started
    evidence_rows = sum(writer.counts[t] for t in EVIDENCE_TABLES)
    meta = {**wanted, "as_of": AS_OF.isoformat(), "rows": writer.counts, "evidence_rows": evidence_rows,
            "evidence_rows_per_partnership": round(evidence_rows / max(partnerships, 1), 1),
            "seconds": round(seconds, 1), "passing": passing_sample(url, min(partnerships, 4000))}
    writer.close(meta)
    log(f"generated in {meta['seconds']} s: {sum(writer.counts.values()):,} rows, "
        f"{meta['evidence_rows_per_partnership']} evidence rows per partnership; "
        f"{meta['passing']['ratio']:.0%} of a sample pass their gate {meta['passing']['by_phase']}")
    return {**meta, "reused": False}


def default_url(partnerships: int, seed: int, history: bool = False) -> str:
    folder = Path(os.environ.get("PARTNERFLOW_BENCH_DATA", Path("/tmp") / "partnerflow-bench"))
    name = f"portfolio-n{partnerships}-s{seed}" + ("-history" if history else "") + ".db"
    return f"sqlite:///{folder / name}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--partnerships", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--presence", type=float, default=DEFAULT_PRESENCE,
                        help="probability that each element of evidence is present (default %(default)s)")
    parser.add_argument("--database-url", help="default: a SQLite file under $PARTNERFLOW_BENCH_DATA or "
                                               "/tmp/partnerflow-bench")
    parser.add_argument("--history", action="store_true", help="a year of reviews, tasks, audit events and "
                                                                   "notifications before AS_OF")
    parser.add_argument("--force", action="store_true", help="regenerate even when the portfolio exists")
    args = parser.parse_args(argv)
    url = args.database_url or default_url(args.partnerships, args.seed, args.history)
    meta = ensure_portfolio(url, args.partnerships, args.seed, args.presence, history=args.history, force=args.force,
                            log=lambda line: print(line, file=sys.stderr, flush=True))
    print(json.dumps(meta))


if __name__ == "__main__":
    main()
