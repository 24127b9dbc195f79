"""Writing many rows at once: PostgreSQL's COPY and array parameters, the DB-API's executemany elsewhere.

A first review inserts ~3 rows per partnership (gate reviews, tasks, audit events). Through
SQLAlchemy's executemany each row costs its parameter processing twice over (SQLAlchemy's, then
the driver's: on PostgreSQL a statement per row in a pipeline, ~25 µs); here each value is
processed once and the rows go to the driver as they are: COPY on PostgreSQL, sqlite3's
`executemany` (which runs in C) on SQLite (docs/performance.md).

The values are what an INSERT would store: each column's bind processing (aware UTC timestamps,
JSON) and the columns' Python-side defaults for keys the rows leave out.
"""

from collections.abc import Collection, Iterator

from sqlalchemy import Connection, Table, bindparam, func, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.sql import ClauseElement


def insert_rows(connection: Connection, table: Table, rows: list[dict], *, as_stored: Collection[str] = ()
                ) -> None:
    """Insert `rows` (dicts with the same keys) into `table`, in the connection's transaction.
    `as_stored`: columns whose values the rows give as the database receives them (e.g. a JSON
    column's text, serialized by a caller that knows most of its values repeat)."""
    if not rows:
        return
    dialect = connection.dialect
    if dialect.name not in ("postgresql", "sqlite"):
        if as_stored:
            raise ValueError(f"{table.name}: values given as stored need PostgreSQL or SQLite")
        connection.execute(table.insert(), rows)
        return
    if isinstance(as_stored, str) or not set(as_stored) <= rows[0].keys():
        raise ValueError(f"{table.name}: values given as stored for columns the rows lack: {as_stored!r}")
    columns, values = _stored(table, rows, dialect, as_stored)
    quote = dialect.identifier_preparer.quote
    into = f"{quote(table.name)} ({', '.join(map(quote, columns))})"
    cursor = connection.connection.cursor()
    try:
        if dialect.name == "postgresql":
            with cursor.copy(f"COPY {into} FROM STDIN") as copy:
                for row in values:
                    copy.write_row(row)
        else:
            cursor.executemany(f"INSERT INTO {into} VALUES ({', '.join('?' * len(columns))})", values)
    finally:
        cursor.close()


def _stored(table: Table, rows: list[dict], dialect, as_stored: Collection[str] = ()
            ) -> tuple[list[str], Iterator[list]]:
    """The columns an INSERT of `rows` would write (their keys, then the defaults of the others) and
    each row's values as the database receives them (each column's bind processing)."""
    names = list(rows[0])
    defaults = {}
    for column in table.c:
        if column.name not in names and column.default is not None:
            if not column.default.is_scalar:
                raise ValueError(f"{table.name}.{column.name}: a computed default needs SQLAlchemy's INSERT")
            defaults[column.name] = column.default.arg
    columns = [*names, *defaults]
    return columns, _processed(table, columns, dialect, (list(row[name] for name in names) for row in rows),
                               constants=list(defaults.values()), as_stored=as_stored)


def _processed(table: Table, columns: list[str], dialect, rows: Iterator[list], *, constants: list = (),
               as_stored: Collection[str] = ()) -> Iterator[list]:
    """Each row's values (then the `constants`), in the order of `columns`, as the database receives
    them: every column's bind processing, once a value. A value that is the very object the row
    before had in that column (a batch's one `now`, its due date) is processed once for them all:
    an aware timestamp costs 1.5 µs, and a review stamps 300,000 rows with the same one."""
    processing = [[i, process, _NOTHING, None] for i, name in enumerate(columns) if name not in as_stored
                  and (process := table.c[name].type.dialect_impl(dialect).bind_processor(dialect)) is not None]
    constants = list(constants)
    for stored in rows:
        stored += constants
        for column in processing:
            i, process, last, processed = column
            value = stored[i]
            if value is not last:
                column[2], column[3] = value, (processed := process(value))
            stored[i] = processed
        yield stored


_NOTHING = object()  # no row yet


def update_rows(connection: Connection, table: Table, rows: list[dict], *, key: str = "id", **constants) -> None:
    """Set each row's values (dicts with the same keys, `key` naming the row to change) and `constants`
    on every one of them. PostgreSQL: one statement, a column of values per array parameter
    (`UPDATE … FROM unnest(…)`); SQLite: sqlite3's executemany, each value processed once (through
    SQLAlchemy's, a first review's marks of 100,000 partnerships cost 0.76 s, now 0.41 s); elsewhere,
    or with a constant that is an SQL expression or a column that has an `onupdate`, SQLAlchemy's
    executemany."""
    if not rows:
        return
    names = [name for name in rows[0] if name != key]
    dialect = connection.dialect
    if dialect.name == "postgresql":
        source = select(*(func.unnest(bindparam(f"_{name}", [row[name] for row in rows],
                                                type_=ARRAY(table.c[name].type))).label(name)
                          for name in [key, *names])).subquery("source")
        connection.execute(update(table).where(table.c[key] == source.c[key])
                           .values({**{name: source.c[name] for name in names}, **constants}))
    elif dialect.name == "sqlite" and all(column.onupdate is None for column in table.c) \
            and not any(isinstance(value, ClauseElement) for value in constants.values()):
        _update_many(connection, table, rows, names, key, constants)
    else:
        statement = update(table).where(table.c[key] == bindparam(f"_{key}")).values(
            {**{name: bindparam(f"_{name}") for name in names}, **constants})
        connection.execute(statement, [{f"_{name}": row[name] for name in [key, *names]} for row in rows])


def _update_many(connection: Connection, table: Table, rows: list[dict], names: list[str], key: str,
                 constants: dict) -> None:
    """`update_rows` through the DB-API's executemany: SET the rows' values and the constants, WHERE the key."""
    quote = connection.dialect.identifier_preparer.quote
    columns = [*names, *constants, key]
    assignments = ", ".join(f"{quote(name)} = ?" for name in columns[:-1])
    given = list(constants.values())
    values = _processed(table, columns, connection.dialect,
                        ([*(row[name] for name in names), *given, row[key]] for row in rows))
    cursor = connection.connection.cursor()
    try:
        cursor.executemany(f"UPDATE {quote(table.name)} SET {assignments} WHERE {quote(key)} = ?", values)
    finally:
        cursor.close()
