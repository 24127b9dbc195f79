"""The honest floor of a review: the least work any review of the portfolio has to do.

The same SELECTs as `models.load_snapshots` (compiled once, the batch's id range as parameters),
run through a plain DB-API cursor (sqlite3 or psycopg, no SQLAlchemy result processing), the same
snapshot records assembled the same way, the same pure `gates.evaluate` and `evaluate_monitors`,
with the garbage collector treated as the review treats it (`collector_paused` around loading,
evaluating and dropping each batch). Writes nothing. Counts the rows it reads.

SQLite returns dates, timestamps and booleans as text and integers; converters registered on
the declared column types turn them into what SQLAlchemy would (`datetime.date`, UTC-aware
`datetime`, `bool`), so the snapshots are equal to the product's: `same_snapshots` checks it
on a sample before timing.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from datetime import UTC, date, datetime

from sqlalchemy import bindparam, make_url

from partnerflow.engine.phases.review import collector_paused
from partnerflow.gates import evaluate, evaluate_monitors
from partnerflow.gates import snapshot as snap
from partnerflow.models import IdRange, load_snapshots, make_engine
from partnerflow.models import snapshots as product

LO, HI = bindparam("lo"), bindparam("hi")


def _timestamp(raw: bytes) -> datetime:
    moment = datetime.fromisoformat(raw.decode())
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


sqlite3.register_converter("DATE", lambda raw: date.fromisoformat(raw.decode()))
sqlite3.register_converter("DATETIME", _timestamp)
sqlite3.register_converter("BOOLEAN", lambda raw: raw != b"0")


def statements(dialect) -> list[tuple[str, object, object]]:
    """(name, compiled SELECT, row builder) of every SELECT a batch runs, for `dialect`, parameters lo and hi.
    The builder is the record's `_make` when the row fills it exactly, as in `models.snapshots`."""
    def entry(name, statement, column, make):
        fields = len(statement.selected_columns) - 1
        if make is None or len(getattr(make, "_fields", ())) == fields:
            build = make._make if make is not None else None
        else:
            def build(values, make=make):
                return make(*values)
        return name, statement.where(column.between(LO, HI)).compile(dialect=dialect), build
    found = [entry("partnerships", product._PARTNERSHIPS.where(product.P.state != "terminated"), product.P.id, None)]
    found += [entry(name, s, c, make) for name, (s, c, make) in product._RELATED.items()]
    found += [entry(name, s, c, make) for name, (s, c, make) in product._SINGLE.items()]
    found += [entry("signatures", *product._SIGNATURES, snap.Signature),
              entry("measurements", *product._MEASUREMENTS, snap.Measurement),
              entry("responses", *product._RESPONSES, product._response)]
    return found


class Floor:
    """A raw connection and the compiled statements; `load(lo, hi)` gives the batch's snapshots."""

    def __init__(self, url: str):
        parsed = make_url(url)
        self.engine = make_engine(url)
        self.backend = parsed.get_backend_name()
        if self.backend == "sqlite":
            self.connection = sqlite3.connect(parsed.database, detect_types=sqlite3.PARSE_DECLTYPES)
        else:
            import psycopg

            self.connection = psycopg.connect(parsed.set(drivername="postgresql").render_as_string(
                hide_password=False))
        self.statements = statements(self.engine.dialect)  # its paramstyle: sqlite3 `?`, psycopg `%(name)s`
        self.rows_read = 0

    def _rows(self, compiled, lo: int, hi: int) -> list[tuple]:
        params = compiled.construct_params({"lo": lo, "hi": hi})
        if compiled.positiontup is not None:  # sqlite3: `?` in order
            params = tuple(params[name] for name in compiled.positiontup)
        cursor = self.connection.cursor()
        cursor.execute(compiled.string, params)
        rows = cursor.fetchall()
        self.rows_read += len(rows)
        return rows

    def load(self, lo: int, hi: int) -> list[snap.PartnershipSnapshot]:
        (_, heads_sql, _), *rest = self.statements
        heads = self._rows(heads_sql, lo, hi)
        if not heads:
            return []
        grouped: dict[str, dict[int, list]] = {}
        for name, sql, build in rest:
            groups: dict[int, list] = defaultdict(list)
            for row in self._rows(sql, lo, hi):
                groups[row[0]].append(build(row[1:]))
            grouped[name] = groups
        signatures, measurements = grouped.pop("signatures"), grouped.pop("measurements")
        single = {name: grouped.pop(name) for name in product._SINGLE}
        return [product._assemble(head, grouped, single, signatures, measurements) for head in heads]

    def close(self) -> None:
        self.connection.close()
        self.engine.dispose()


def honest_floor(url: str, batches: list[IdRange], policy, as_of: date, *, monitors: bool = True) -> dict:
    """Load and evaluate every batch as the review does, through the raw cursor. Counts and rows read."""
    floor = Floor(url)
    reviewed = passed = loaded = fired = 0
    try:
        for lo, hi in batches:
            # as `engine.phases.review.review_batch`: the collector paused until the batch is dropped
            # (re-enabled with the batch alive, its first collection would traverse the whole batch:
            # 0.9-1.4 s of gc in 100,000, which the review never pays)
            with collector_paused():
                snapshots = floor.load(lo, hi)
                evaluated = [(evaluate(policy, s, as_of), evaluate_monitors(policy, s, as_of) if monitors else ())
                             for s in snapshots]
                loaded += len(snapshots)
                for evaluation, monitored in evaluated:
                    if evaluation is not None:
                        reviewed += 1
                        passed += evaluation.passed
                    fired += sum(not r.passed for r in monitored)
                del snapshots, evaluated
    finally:
        floor.close()
    return {"reviewed": reviewed, "passed": passed, "loaded": loaded, "monitors_fired": fired,
            "rows_read": floor.rows_read}


def same_snapshots(url: str, batch: IdRange) -> bool:
    """The raw floor's snapshots of `batch` equal the product's (`models.load_snapshots`)."""
    floor = Floor(url)
    try:
        raw = floor.load(*batch)
    finally:
        floor.close()
    engine = make_engine(url)
    with engine.connect() as connection:
        theirs = load_snapshots(connection, batch)
    engine.dispose()
    return raw == theirs
