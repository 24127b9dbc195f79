"""The engine tests' harness: build a portfolio, review it, decide, advance, count rows.

Everything runs on the frozen clock of tests/conftest.py: the `frozen_clock` fixture's
`tick(days=…)` moves it (NOW = 2026-11-27 09:00 UTC, tests/factories.py). Reviews and
decisions go through the engine's face, as the CLI and the flows do.
"""

from sqlalchemy import Engine, func, select
from sqlmodel import SQLModel

from partnerflow import gates
from partnerflow.engine import DEFAULT_POLICY, DecisionOutcome, ReviewReport, clock, compose_held, read_policy, review_all
from partnerflow.engine import decide as engine_decide
from partnerflow.models import Partnership, Task, load_snapshots, session_scope
from tests import factories
from tests.factories import AS_OF, World

POLICY = read_policy(DEFAULT_POLICY)
GINA, GUS, GRACE, OLIVIA, MAX = ("gina@northwind.example", "gus@northwind.example", "grace@acme.example",
                                 "olivia@northwind.example", "max@acme.example")
# the evidence that passes the gate out of each phase, added on top of what the phase before needed
EVIDENCE = {"alignment": factories.alignment_evidence, "execution": factories.execution_records}


def build(engine, *specs: tuple) -> World:
    """The world of tests/factories.py and its partnerships; specs: (key, phase, evidence builder or None)."""
    with session_scope(engine) as session:
        w = factories.world(session)
        for key, phase, evidence in specs:
            p = factories.partnership(session, w, key, phase=phase)
            if evidence:
                evidence(session, w, p)
    return w


def portfolio(engine) -> World:
    """The small portfolio: acme-supply passes its gatekeeper gate, star its auto gate, empty nothing."""
    with session_scope(engine) as session:
        return factories.small_portfolio(session)


def review(engine, *, as_of=AS_OF, policy=POLICY, batch_size=2, **kw) -> ReviewReport:
    """The engine's in-process review, in batches of two so that a portfolio of three spans two."""
    return review_all(engine, policy, as_of, batch_size=batch_size, **kw)


def told(engine) -> int:
    """Compose the notices reviews hold (as a dispatch or a listing of the outbox does first); how many batches."""
    with session_scope(engine) as session:
        return compose_held(session, now=clock.now())


def decide(engine, key: str, verdict: str, by: str, *, reason="Evidence is complete", policy=POLICY,
           **kw) -> DecisionOutcome:
    """One decision in a transaction of its own, on the frozen clock's day unless `as_of` says another."""
    with session_scope(engine) as session:
        return engine_decide(session, policy, key, verdict, by=by, reason=reason, **kw)


def advance_to(engine, key: str, phase: str, *, votes=(GINA, GRACE)) -> None:
    """Whatever it takes `key` to reach `phase`: for each gate on the way, its evidence when it does not
    pass yet, a review, and the gatekeepers' go votes when the gate waits for them."""
    while (current := phase_of(engine, key)) != phase:
        if not passes(engine, key):
            with session_scope(engine) as session:
                p = session.query(Partnership).filter_by(key=key).one()
                EVIDENCE[current](session, factories.existing_world(session), p)
        review(engine, keys=[key])
        if phase_of(engine, key) == current:
            for by in votes:
                decide(engine, key, "go", by)
        assert phase_of(engine, key) != current, f"{key} did not leave {current}"


def phase_of(engine, key: str) -> str:
    with engine.connect() as connection:
        return connection.execute(select(Partnership.phase).where(Partnership.key == key)).scalar_one()


def passes(engine, key: str, as_of=AS_OF) -> bool:
    """Whether `key` passes the gate out of its phase, evaluated without writing anything."""
    with engine.connect() as connection:
        pid = connection.execute(select(Partnership.id).where(Partnership.key == key)).scalar_one()
        snapshot = load_snapshots(connection, [pid], include_terminated=True)[0]
    return gates.evaluate(POLICY, snapshot, as_of).passed


def one_task(engine, **where) -> Task:
    """The one task matching `where`, e.g. `criterion="every-party-wins"`."""
    with session_scope(engine) as session:
        return session.query(Task).filter_by(**where).one()


def count(engine, table) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(table)).scalar_one()


def table_counts(db) -> dict[str, int]:
    """Rows per table: through an engine (committed rows), or an open session or connection (what it has flushed)."""
    if isinstance(db, Engine):
        with db.connect() as connection:
            return table_counts(connection)
    return {t.name: db.execute(select(func.count()).select_from(t)).scalar_one()
            for t in SQLModel.metadata.sorted_tables}
