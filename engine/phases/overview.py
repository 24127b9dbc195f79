"""The read model behind the web portfolio page: the overview and the partnership table.

Every number is computed by the database (GROUP BY, COUNT, latest-review subqueries): no query per
partnership, no partnership loaded into Python beyond the page or the short lists asked for,
so the page stays fast on a portfolio of 100,000 partnerships. Read-only: nothing is written.

"The latest review" is the one `engine/phases/status.py` shows: the highest `gate_review.id` per
(partnership, gate), kept when its `phase` is the partnership's current phase (a review of the
gate out of that phase, of this or an earlier visit to it). The overview counts those of the
policy's gates. The table shows, per partnership, the highest id among the reviews of its current
phase: the same review, since one gate leaves each phase, and still one review per partnership
should a new policy version rename a gate (the reviews of the old name stay).
"""

import math
import re
import threading
from datetime import date

from sqlalchemy import String, and_, case, cast, func, or_, select
from sqlmodel import Session

from partnerflow.gates import PHASES, PRACTICE_BY_KEY, STATES, Gate, Policy
from partnerflow.models import AuditEvent, GateReview, Partnership, Person, Program, Task

PARTNERSHIP, REVIEW, TASK = Partnership.__table__.c, GateReview.__table__.c, Task.__table__.c
PROGRAM, PERSON = Program.__table__.c, Person.__table__.c

# the columns the partnership table may be sorted by, as the page names them
SORTS: tuple[str, ...] = ("key", "name", "program", "phase", "state", "since", "open_tasks", "blockers")
MAX_PER_PAGE = 200
MAX_TEXT = 200
CRITERION_ID = r"^[a-z0-9][a-z0-9-]{0,99}$"  # the policy's id pattern (gates/policy.py), bounded
_CRITERION_ID = re.compile(CRITERION_ID)


# ---------------------------------------------------------------------------------------------
# The overview


def portfolio_overview(session: Session, policy: Policy, *, as_of: date, limit: int = 20) -> dict:
    """The portfolio at a glance: counts, the gate-readiness funnel, the top blockers by practice,
    overdue tasks by owner (as of `as_of`) and the partnerships waiting for a gatekeeper.

    A fixed number of queries whatever the portfolio's size: one for the counts, one per gate of
    the policy for the funnel and the blockers, one for the overdue tasks, two for the waiting
    list. `limit` bounds the overdue owners and the waiting partnerships listed (their totals are
    exact)."""
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= MAX_PER_PAGE:
        raise ValueError(f"limit must be a whole number from 1 to {MAX_PER_PAGE}, not {limit!r}")
    counts = session.execute(
        select(PARTNERSHIP.phase, PARTNERSHIP.state, func.count())
        .group_by(PARTNERSHIP.phase, PARTNERSHIP.state)).all()
    by_phase = {phase: sum(n for p, s, n in counts if p == phase and s != "terminated") for phase in PHASES}
    by_state = {state: sum(n for _, s, n in counts if s == state) for state in STATES}
    ready_in = {phase: sum(n for p, s, n in counts if p == phase and s == "ready") for phase in PHASES}
    gates = [_gate_outcomes(session, gate) for gate in policy.gates]
    return {
        "as_of": as_of.isoformat(),
        "policy_version": policy.version,
        "partnerships": sum(n for _, _, n in counts),
        "live": sum(n for _, s, n in counts if s != "terminated"),
        "by_phase": by_phase,
        "by_state": by_state,
        "funnel": [{"phase": gate.from_phase, "gate": gate.id, "approval": gate.approval,
                    "in_phase": by_phase[gate.from_phase], "reviewed": outcome["reviewed"],
                    "passed": outcome["passed"], "blocked": outcome["reviewed"] - outcome["passed"],
                    "ready": ready_in[gate.from_phase]}
                   for gate, outcome in sorted(zip(policy.gates, gates), key=lambda g: PHASES.index(g[0].from_phase))],
        "blockers_by_practice": _by_practice(policy, gates),
        "overdue_by_owner": _overdue_by_owner(session, as_of, limit),
        "waiting_for_gatekeeper": _waiting_for_gatekeeper(session, policy, limit),
    }


def portfolio_version(session: Session) -> tuple[int, ...]:
    """A number that changes whenever the overview may: the highest id of the gate reviews, tasks,
    partnerships and audit events. Every change the overview counts is one of those rows: a review
    written, a task opened, a partnership created, and every other change (a phase or state change,
    a task closed, done, cancelled or reassigned, a person imported) writes its audit event in the
    same transaction. Four primary-key maxima: microseconds at any size."""
    tables = (GateReview, Task, Partnership, AuditEvent)
    return tuple(int(n or 0) for n in session.execute(
        select(*(select(func.max(t.__table__.c.id)).scalar_subquery() for t in tables))).one())


class OverviewCache:
    """The last overview computed, served again until the portfolio changes (`portfolio_version`),
    the day (`as_of`) or the policy does. At 100,000 partnerships the overview's queries take a
    few hundred milliseconds and the check a fraction of one: a page a program office reloads
    all day pays the queries once per change. Thread-safe; one per web application."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: tuple | None = None
        self._policy: Policy | None = None
        self._overview: dict | None = None

    def overview(self, session: Session, policy: Policy, *, as_of: date, limit: int = 20) -> dict:
        key = (portfolio_version(session), as_of, limit)
        with self._lock:
            if key == self._key and policy is self._policy:
                return self._overview
        overview = portfolio_overview(session, policy, as_of=as_of, limit=limit)
        with self._lock:
            self._key, self._policy, self._overview = key, policy, overview
        return overview


def _is_latest():
    """No newer review of the same partnership and gate exists: the review is the latest, the highest
    `gate_review.id` per (partnership_id, gate). Written as NOT EXISTS (rather than joining to a
    max-id GROUP BY) so that an index holding the columns read, (partnership_id, gate, id, phase,
    passed, blockers), can answer it without reading the wide review rows (`results` is ~2 kB)."""
    newer = GateReview.__table__.alias("newer_review")
    return ~select(newer.c.id).where(newer.c.partnership_id == REVIEW.partnership_id, newer.c.gate == REVIEW.gate,
                                     newer.c.id > REVIEW.id).exists()


def _is_latest_of_phase():
    """No newer review of the same partnership in the same phase exists (see the module's docstring)."""
    newer = GateReview.__table__.alias("newer_review")
    return ~select(newer.c.id).where(newer.c.partnership_id == REVIEW.partnership_id, newer.c.phase == REVIEW.phase,
                                     newer.c.id > REVIEW.id).exists()


def _gate_outcomes(session: Session, gate: Gate) -> dict:
    """The latest reviews of `gate` of the live partnerships in its phase: how many, how many
    passed, and how many are blocked by each criterion and each practice. One query.

    `blockers` is a JSON list of criterion ids. Counting its elements portably (SQLite's
    `json_each` and PostgreSQL's `json_array_elements_text` differ) is avoided: criterion ids are
    plain `[a-z0-9-]` words, so `CAST(blockers AS text) LIKE '%"<id>"%'` matches exactly the
    lists holding that id, on both databases. The reviews are first grouped by their list of
    blockers (a few hundred distinct lists at most: combinations of the gate's criteria), then each
    criterion's and each practice's LIKE runs once per distinct list, weighted by its count (a
    partnership blocked by two criteria of one practice counts once for it). So one query per gate
    of the policy, its columns following the policy's criteria (a constant), never the portfolio.
    Ids no longer in the policy are not counted: they have no practice to count under."""
    listed = cast(REVIEW.blockers, String)
    grouped = (select(listed.label("blockers"), func.count().label("reviews"),
                      _count_where(REVIEW.passed).label("passed"))
               .select_from(Partnership)
               .join(GateReview, and_(REVIEW.partnership_id == PARTNERSHIP.id, REVIEW.gate == gate.id,
                                      REVIEW.phase == PARTNERSHIP.phase))
               .where(PARTNERSHIP.phase == gate.from_phase, PARTNERSHIP.state != "terminated", _is_latest())
               .group_by(listed).subquery("by_blockers"))
    holds = {c.id: grouped.c.blockers.like(f'%"{c.id}"%') for c in gate.criteria}
    criteria_of = {p: [c.id for c in gate.criteria if c.practice == p] for p in {c.practice for c in gate.criteria}}
    shared = sorted(p for p, ids in criteria_of.items() if len(ids) > 1)  # one criterion: its count is the practice's
    columns = [func.sum(grouped.c.reviews), func.sum(grouped.c.passed)]
    columns += [_count_where(holds[c.id], grouped.c.reviews) for c in gate.criteria]
    columns += [_count_where(or_(*(holds[i] for i in criteria_of[p])), grouped.c.reviews) for p in shared]
    reviewed, passed, *counts = (int(n or 0) for n in session.execute(select(*columns)).one())
    by_criterion = {c.id: n for c, n in zip(gate.criteria, counts)}
    by_practice = {p: by_criterion[ids[0]] for p, ids in criteria_of.items() if len(ids) == 1}
    by_practice |= dict(zip(shared, counts[len(gate.criteria):]))
    return {"reviewed": reviewed, "passed": passed, "criteria": by_criterion, "practices": by_practice}


def _by_practice(policy: Policy, gates: list[dict]) -> list[dict]:
    """The blocked partnerships per practice, most first, each with its criteria, most first."""
    by_criterion = {c: n for outcome in gates for c, n in outcome["criteria"].items()}
    by_practice: dict[str, int] = {}
    for outcome in gates:  # one gate per phase, a partnership in one phase: the gates' sets are disjoint
        for practice, n in outcome["practices"].items():
            by_practice[practice] = by_practice.get(practice, 0) + n
    order = [c for gate in policy.gates for c in gate.criteria]
    found = []
    for practice, n in by_practice.items():
        if n:
            criteria = sorted((c for c in order if c.practice == practice and by_criterion[c.id]),
                              key=lambda c: -by_criterion[c.id])
            found.append({"practice": practice, "name": PRACTICE_BY_KEY[practice].name, "partnerships": n,
                          "criteria": [{"criterion": c.id, "partnerships": by_criterion[c.id]} for c in criteria]})
    return sorted(found, key=lambda f: (-f["partnerships"], PRACTICE_BY_KEY[f["practice"]].number))


def _count_where(condition, weight=1):
    return func.coalesce(func.sum(case((condition, weight), else_=0)), 0)


def _overdue_by_owner(session: Session, as_of: date, limit: int) -> dict:
    """Open tasks due before `as_of`, per assignee (None: nobody assigned, the program office's).

    One pass over the overdue tasks: the totals are window aggregates over the groups, computed
    before the LIMIT keeps the `limit` owners with the most overdue tasks."""
    tasks = func.count()
    grouped = (select(TASK.assignee_id, tasks.label("tasks"), func.min(TASK.due_on).label("oldest"),
                      func.sum(tasks).over().label("all_tasks"), func.count().over().label("owners"))
               .where(TASK.status == "open", TASK.due_on < as_of).group_by(TASK.assignee_id)
               .order_by(tasks.desc(), func.min(TASK.due_on), TASK.assignee_id.is_(None), TASK.assignee_id)
               .limit(limit).subquery("overdue"))
    rows = session.execute(
        select(PERSON.email, grouped.c.tasks, grouped.c.oldest, grouped.c.all_tasks, grouped.c.owners)
        .select_from(grouped.outerjoin(Person, PERSON.id == grouped.c.assignee_id))
        .order_by(grouped.c.tasks.desc(), grouped.c.oldest, PERSON.email.is_(None), PERSON.email)).all()
    return {"tasks": int(rows[0].all_tasks) if rows else 0, "owners": rows[0].owners if rows else 0,
            "rows": [{"owner": row.email, "tasks": row.tasks, "oldest_due_on": row.oldest.isoformat()} for row in rows]}


def _waiting_for_gatekeeper(session: Session, policy: Policy, limit: int) -> dict:
    """Partnerships marked ready, first `limit` by key, with the review that made them ready."""
    total = session.execute(select(func.count()).where(PARTNERSHIP.state == "ready")).scalar_one()
    rows = session.execute(
        select(PARTNERSHIP.key, PARTNERSHIP.name, PARTNERSHIP.phase, _current_review(REVIEW.gate),
               _current_review(REVIEW.created_at))
        .where(PARTNERSHIP.state == "ready").order_by(PARTNERSHIP.key).limit(limit)).all()
    waiting = []
    for key, name, phase, gate, since in rows:
        leaving = policy.gate_from(phase)
        waiting.append({"key": key, "name": name, "phase": phase,
                        "gate": gate or (leaving.id if leaving else None),
                        "since": since.isoformat() if since is not None else None})
    return {"total": total, "rows": waiting}


# ---------------------------------------------------------------------------------------------
# The partnership table


def partnership_rows(session: Session, *, program: str | None = None, phase: str | None = None,
                     state: str | None = None, blocker: str | None = None, owner: str | None = None,
                     text: str | None = None, sort: str = "key", descending: bool = False, page: int = 1,
                     per_page: int = 50) -> dict:
    """One page of the partnership table, filtered and sorted by the database.

    Filters: `program` (its key), `phase`, `state` (terminated partnerships are included unless the
    state says otherwise), `blocker` (a criterion id among the latest review's blockers), `owner`
    (the partnership owner's email, any case), `text` (a case-insensitive substring of the key or
    the name; `%` and `_` match themselves). `sort` is one of SORTS; ties are broken by key, in
    the same direction (descending is exactly ascending reversed).

    Three queries: the total, the page's ids (sorted, limited), the page's rows (with a blocker
    filter, the first two are one: `_page_ids_counted`). Returns
    {"rows", "total", "page", "per_page", "pages"}; `pages` is at least 1, and a page past the
    last one is empty."""
    filters = _filters(program=program, phase=phase, state=state, blocker=blocker, owner=owner, text=text,
                       dialect=session.get_bind().dialect.name)
    if sort not in SORTS:
        raise ValueError(f"cannot sort by {sort!r}: choose one of {', '.join(SORTS)}")
    for name, value, top in (("page", page, None), ("per_page", per_page, MAX_PER_PAGE)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1 or (top and value > top):
            bound = f"from 1 to {top}" if top else "of at least 1"
            raise ValueError(f"{name} must be a whole number {bound}, not {value!r}")

    if blocker is None:
        total = session.execute(select(func.count()).select_from(Partnership).where(*filters)).scalar_one()
        ids = _page_ids(session, filters, sort, descending, total, page, per_page)
    else:
        ids, total = _page_ids_counted(session, filters, sort, descending, page, per_page)
    return {"rows": _rows(session, ids), "total": total, "page": page, "per_page": per_page,
            "pages": max(1, math.ceil(total / per_page))}


def _page_ids_counted(session: Session, filters: list, sort: str, descending: bool, page: int,
                      per_page: int) -> tuple[list[int], int]:
    """The ids of one page and the total, in one pass: for a filter tested row by row at a cost
    (a blocker: the partnership's current review, read and matched), which a count and a page
    query would each run over the whole portfolio. The total is a window count over the filtered
    rows, computed before the LIMIT. A page past the last one returns no row, hence no total: the
    count then runs alone."""
    query, sort_key = _sorted_by(select(PARTNERSHIP.id, func.count().over().label("total")).where(*filters), sort)
    ordering = [column.desc() if descending else column.asc() for column in (sort_key, PARTNERSHIP.key)]
    rows = session.execute(query.order_by(*ordering).limit(per_page).offset((page - 1) * per_page)).all()
    if rows:
        return [row.id for row in rows], rows[0].total
    return [], session.execute(select(func.count()).select_from(Partnership).where(*filters)).scalar_one()


def _page_ids(session: Session, filters: list, sort: str, descending: bool, total: int, page: int,
              per_page: int) -> list[int]:
    """The ids of one page, in order. The order is total (ties broken by key, in the sort's
    direction), so a page in the second half is read from the other end with the mirrored
    offset and reversed: the database then skips at most half the rows, and the last page costs
    what the first does. (Between the count and this query, concurrent changes shift the rows by
    as many, as any offset paging does.)"""
    offset = (page - 1) * per_page
    if offset >= total:
        return []
    size = min(per_page, total - offset)
    mirrored = total - offset - size
    backwards = mirrored < offset
    query, sort_key = _sorted_by(select(PARTNERSHIP.id).where(*filters), sort)
    ordering = [column.desc() if descending != backwards else column.asc() for column in (sort_key, PARTNERSHIP.key)]
    ids = session.execute(query.order_by(*ordering).limit(size)
                          .offset(mirrored if backwards else offset)).scalars().all()
    return ids[::-1] if backwards else ids


def _sorted_by(query, sort: str):
    """`query` joined to what `sort` needs, and the expression to sort by. The derived columns
    (open tasks, blockers) are joined as one grouped or filtered set rather than computed per row
    by a correlated subquery: the same on SQLite, two to three times faster on PostgreSQL."""
    if sort == "program":
        return query.join(Program, PROGRAM.id == PARTNERSHIP.program_id), PROGRAM.key
    if sort == "open_tasks":
        open_tasks = (select(TASK.partnership_id, func.count().label("tasks")).where(TASK.status == "open")
                      .group_by(TASK.partnership_id).subquery("open_tasks"))
        return (query.outerjoin(open_tasks, open_tasks.c.partnership_id == PARTNERSHIP.id),
                func.coalesce(open_tasks.c.tasks, 0))
    if sort == "blockers":  # `json_array_length`: the same name and meaning on SQLite and PostgreSQL (json)
        current = (select(REVIEW.partnership_id, REVIEW.phase, func.json_array_length(REVIEW.blockers).label("n"))
                   .where(_is_latest_of_phase()).subquery("current_review"))
        return (query.outerjoin(current, and_(current.c.partnership_id == PARTNERSHIP.id,
                                              current.c.phase == PARTNERSHIP.phase)),
                func.coalesce(current.c.n, 0))
    if sort == "phase":  # the phases' order, not the alphabet's
        return query, case({phase: i for i, phase in enumerate(PHASES)}, value=PARTNERSHIP.phase, else_=len(PHASES))
    if sort == "state":
        return query, case({state: i for i, state in enumerate(STATES)}, value=PARTNERSHIP.state, else_=len(STATES))
    return query, {"key": PARTNERSHIP.key, "name": PARTNERSHIP.name, "since": PARTNERSHIP.phase_since}[sort]


def _filters(*, program, phase, state, blocker, owner, text, dialect: str) -> list:
    filters = []
    if phase is not None:
        if phase not in PHASES:
            raise ValueError(f"unknown phase {phase!r}: choose one of {', '.join(PHASES)}")
        filters.append(PARTNERSHIP.phase == phase)
    if state is not None:
        if state not in STATES:
            raise ValueError(f"unknown state {state!r}: choose one of {', '.join(STATES)}")
        filters.append(PARTNERSHIP.state == state)
    if program is not None:
        _bounded("program", program, 100)
        filters.append(PARTNERSHIP.program_id == select(PROGRAM.id).where(PROGRAM.key == program).scalar_subquery())
    if owner is not None:
        _bounded("owner", owner, 320)
        filters.append(PARTNERSHIP.owner_id.in_(  # IN: emails are unique as written, not case-folded
            select(PERSON.id).where(func.lower(PERSON.email) == owner.strip().lower())))
    if blocker is not None:
        if not isinstance(blocker, str) or not _CRITERION_ID.match(blocker):
            raise ValueError(f"blocker must be a criterion id (lower-case letters, digits and dashes), "
                             f"not {blocker!r}")
        filters.append(select(REVIEW.id).where(  # SELECT id, not *: SQLite then answers from the index alone
            REVIEW.partnership_id == PARTNERSHIP.id, REVIEW.phase == PARTNERSHIP.phase, _is_latest_of_phase(),
            cast(REVIEW.blockers, String).like(f'%"{blocker}"%')).exists())
    if text is not None:
        _bounded("text", text, MAX_TEXT)
        words = text.strip()
        if words:
            escaped = words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            filters.append(or_(*(_contains(column, f"%{escaped}%", dialect)
                                 for column in (PARTNERSHIP.key, PARTNERSHIP.name))))
    return filters


def _contains(column, pattern: str, dialect: str):
    """Case-insensitive LIKE with `\\` as the escape. SQLite's LIKE already ignores case (ASCII, as
    its lower() does) and is three times faster than the lower(x) LIKE lower(y) that ilike()
    becomes there; PostgreSQL gets ILIKE."""
    if dialect == "sqlite":
        return column.like(pattern, escape="\\")
    return column.ilike(pattern, escape="\\")


def _bounded(name: str, value, most: int) -> None:
    if not isinstance(value, str):
        raise ValueError(f"{name} must be text, not {value!r}")
    if len(value) > most:
        raise ValueError(f"{name} is {len(value)} characters long; at most {most} are allowed")


def _current_review(column):
    """`column` of the partnership's latest review of its current phase (correlated; NULL when
    there is none): a seek by partnership in the gate_review index, a few entries each."""
    return (select(column).where(REVIEW.partnership_id == PARTNERSHIP.id, REVIEW.phase == PARTNERSHIP.phase,
                                 _is_latest_of_phase())
            .correlate(Partnership).scalar_subquery())


def _open_tasks():
    """The partnership's open tasks (correlated): a seek in ix_task_open (status, partnership_id)."""
    return (select(func.count()).select_from(Task)
            .where(TASK.status == "open", TASK.partnership_id == PARTNERSHIP.id)
            .correlate(Partnership).scalar_subquery())


def _rows(session: Session, ids: list[int]) -> list[dict]:
    """The table's rows for the partnerships of one page, in the order of `ids`."""
    if not ids:
        return []
    owner = Person.__table__.alias("owner")
    found = {row.id: row for row in session.execute(
        select(PARTNERSHIP.id, PARTNERSHIP.key, PARTNERSHIP.name, PARTNERSHIP.kind, PROGRAM.key.label("program"),
               PARTNERSHIP.phase, PARTNERSHIP.state, owner.c.email.label("owner"), PARTNERSHIP.phase_since,
               _current_review(REVIEW.blockers).label("blockers"),
               _open_tasks().label("open_tasks"))
        .select_from(Partnership).join(Program, PROGRAM.id == PARTNERSHIP.program_id)
        .join(owner, owner.c.id == PARTNERSHIP.owner_id)
        .where(PARTNERSHIP.id.in_(ids)))}
    return [{"key": row.key, "name": row.name, "kind": row.kind, "program": row.program, "phase": row.phase,
             "state": row.state, "owner": row.owner, "phase_since": row.phase_since.isoformat(),
             "blockers": list(row.blockers or []), "open_tasks": row.open_tasks}
            for row in (found[i] for i in ids)]


__all__ = ["CRITERION_ID", "SORTS", "OverviewCache", "partnership_rows", "portfolio_overview", "portfolio_version"]
