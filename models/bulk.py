"""Writing many rows at once: PostgreSQL's COPY and array parameters, the DB-API's executemany elsewhere.

A first review inserts ~3 rows per partnership (gate reviews, tasks, audit events). Through
SQLAlchemy's executemany each row costs its parameter processing twice over (SQLAlchemy's, then
the driver's: on PostgreSQL a statement per row in a pipeline, ~25 µs); here each value is
processed once and the rows go to the driver as they are: COPY on PostgreSQL, sqlite3's
`executemany` (which runs in C) on SQLite (docs/performance.md).

The values are what an INSERT would store: each column's bind processing (aware UTC timestamps,
JSON) and the columns' Python-side defaults for keys the rows leave out.
"""

from collections.abc import Iterator

from sqlalchemy import Connection, Table, bindparam, func, select, update
from sqlalchemy.dialects.postgresql import ARRAY


def insert_rows(connection: Connection, table: Table, rows: list[dict]) -> None:
    """Insert `rows` (dicts with the same keys) into `table`, in the connection's transaction."""
    if not rows:
        return
    dialect = connection.dialect
    if dialect.name not in ("postgresql", "sqlite"):
        connection.execute(table.insert(), rows)
        return
    columns, values = _stored(table, rows, dialect)
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


def _stored(table: Table, rows: list[dict], dialect) -> tuple[list[str], Iterator[list]]:
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
    processing = [(i, process) for i, name in enumerate(columns)
                  if (process := table.c[name].type.dialect_impl(dialect).bind_processor(dialect)) is not None]
    constants = list(defaults.values())

    def values() -> Iterator[list]:
        for row in rows:
            stored = [row[name] for name in names]
            stored += constants
            for i, process in processing:
                stored[i] = process(stored[i])
            yield stored
    return columns, values()


def update_rows(connection: Connection, table: Table, rows: list[dict], *, key: str = "id", **constants) -> None:
    """Set each row's values (dicts with the same keys, `key` naming the row to change) and `constants`
    on every one of them. PostgreSQL: one statement, a column of values per array parameter
    (`UPDATE … FROM unnest(…)`); elsewhere the DB-API's executemany."""
    if not rows:
        return
    names = [name for name in rows[0] if name != key]
    if connection.dialect.name != "postgresql":
        statement = update(table).where(table.c[key] == bindparam(f"_{key}")).values(
            {**{name: bindparam(f"_{name}") for name in names}, **constants})
        connection.execute(statement, [{f"_{name}": row[name] for name in [key, *names]} for row in rows])
        return
    source = select(*(func.unnest(bindparam(f"_{name}", [row[name] for row in rows],
                                            type_=ARRAY(table.c[name].type))).label(name)
                      for name in [key, *names])).subquery("source")
    connection.execute(update(table).where(table.c[key] == source.c[key])
                       .values({**{name: source.c[name] for name in names}, **constants}))
