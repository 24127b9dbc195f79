"""Reading a batch's rows through the connection's own DB-API cursor (sqlite3, psycopg).

For the reads of a whole batch (a review's snapshots, marks and tasks: ~40 rows per partnership),
SQLAlchemy's result rows cost more than the queries. A `Read` is a SELECT compiled once per kind of
database, its batch a range (`BETWEEN`) or a list of ids (one parameter, `models.batches`), its
rows plain tuples. The values come typed from the driver: psycopg types them itself; on SQLite
the typed columns are labelled `name [pf_date]` (`pf_bool`, `pf_timestamp`) and the converters
`models.db` registers turn them into what SQLAlchemy would give (sqlite3's `PARSE_COLNAMES`, which
touches no other query). Two differences from SQLAlchemy's rows: psycopg gives timestamps in the
session's time zone, not converted to UTC (compare them, or `.astimezone(UTC)` before taking a
date), and what the session holds and has not flushed is not seen (flush first).
"""

from typing import Any, NamedTuple

from sqlalchemy import Boolean, Connection, Date, Select, bindparam

from partnerflow.models.batches import AnyOf, Batch, IdList, IdRange
from partnerflow.models.core import UTCDateTime


class Read(NamedTuple):
    """One SELECT of a batch (without its WHERE on the batch) and the column the batch selects on
    (None: a read of the whole table, given no batch). A module constant: it is compiled once, and
    known by its id, with the values its statement holds then."""

    statement: Select
    batch_column: Any


# sqlite3 converters (registered by models.db) by the SQLAlchemy type they stand in for
CONVERTERS = {Date: "pf_date", Boolean: "pf_bool", UTCDateTime: "pf_timestamp"}


def _typed(column):
    """`column`, labelled for the sqlite3 converter of its type, if it has one."""
    converter = next((name for kind, name in CONVERTERS.items() if isinstance(column.type, kind)), None)
    return column if converter is None else column.label(f"{column.name} [{converter}]")


class Compiled(NamedTuple):
    """A read compiled for one database: its SQL, its constant parameters, and the names of its
    positional parameters in order (sqlite3's `?`), or None (psycopg's named ones)."""

    sql: str
    params: dict
    positions: tuple | None


def _selects(column, ranged: bool):
    if ranged:
        return column.between(bindparam("lo", 0), bindparam("hi", 0))  # values given at each call
    return AnyOf(column, (), name="ids")


_COMPILED: dict[tuple, Compiled] = {}


def compiled(read: Read, dialect, ranged: bool | None) -> Compiled:
    """`read` for a batch that is a range (`ranged`), a list of ids, or none (None), compiled for `dialect`: once per
    process and kind of database, since reads are module constants (never collected: their id stays theirs)."""
    key = (id(read), dialect.name, dialect.driver, ranged)
    if key not in _COMPILED:
        _COMPILED[key] = _compile(read, dialect, ranged)
    return _COMPILED[key]


def _compile(read: Read, dialect, ranged: bool | None) -> Compiled:
    statement, column = read
    if dialect.name == "sqlite":
        statement = statement.with_only_columns(*map(_typed, statement.selected_columns))
    if ranged is not None:  # None: no batch, every row
        statement = statement.where(_selects(column, ranged))
    done = statement.compile(
        dialect=dialect, compile_kwargs={"render_postcompile": True})  # a constant IN list, written out
    return Compiled(done.string, done.construct_params(), done.positiontup)


def rows(connection: Connection, read: Compiled, batch: Batch | None) -> list[tuple]:
    """The rows of a compiled read for `batch`, fetched at once through the DB-API cursor of the
    connection (in its transaction)."""
    if batch is None:
        values = {}
    elif isinstance(batch, IdRange):
        values = {"lo": batch.first, "hi": batch.last}
    else:
        values = {"ids": IdList().process_bind_param(batch, connection.dialect)}
    params = {**read.params, **values}
    cursor = connection.connection.cursor()
    try:
        cursor.execute(read.sql, params if read.positions is None else tuple(params[n] for n in read.positions))
        return cursor.fetchall()
    finally:
        cursor.close()


def read_rows(connection: Connection, read: Read, batch: Batch | None = None) -> list[tuple]:
    """The rows `read` gives for `batch` (None: a read of the whole table), as plain tuples (the
    statement's columns, typed), through the DB-API cursor: for reads of a whole batch or more, where
    SQLAlchemy's rows would cost more than the query."""
    ranged = None if batch is None else isinstance(batch, IdRange)
    return rows(connection, compiled(read, connection.dialect, ranged), batch)


