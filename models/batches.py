"""A review batch: the partnerships one transaction reviews. One type, one WHERE clause for it.

A list of ids is sent as one parameter, whatever its length: `= ANY(array)` on PostgreSQL,
`IN (SELECT value FROM json_each(?))` on SQLite. An `IN (?, ?, …)` of thousands of placeholders
costs SQLAlchemy a rendering and psycopg a parse in Python at every execution (0.6 s of CPU in a
first review of 100,000 on PostgreSQL, docs/performance.md), and runs into SQLite's limit on
parameters.
"""

import json
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from sqlalchemy import BigInteger, Boolean, String, TypeDecorator, bindparam
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal


class IdRange(NamedTuple):
    """The partnerships with ids from `first` to `last` (inclusive), as a review plans its batches."""

    first: int
    last: int


Batch = IdRange | Sequence[int]  # a planned range, or the ids of partnerships named one by one


def within(column, batch: Batch):
    """`column` in the batch: a range scan for an IdRange, one list parameter for ids."""
    if isinstance(batch, IdRange):
        return column.between(batch.first, batch.last)
    return AnyOf(column, batch)


class IdList(TypeDecorator):
    """A list of integer ids as one parameter: an array on PostgreSQL, a JSON text elsewhere."""

    impl = String
    cache_ok = True

    def load_dialect_impl(self, dialect):
        return dialect.type_descriptor(ARRAY(BigInteger) if dialect.name == "postgresql" else String())

    def process_bind_param(self, value, dialect):
        ids = [int(i) for i in value]  # ids only: anything else fails here, not in the database
        return ids if dialect.name == "postgresql" else json.dumps(ids)


class AnyOf(ColumnElement[bool]):
    """`column` is one of `ids` (see the module's docstring)."""

    type = Boolean()
    _is_implicitly_boolean = True  # a predicate as it stands: no `= 1` after it on SQLite
    inherit_cache = True
    _traverse_internals = [("column", InternalTraversal.dp_clauseelement),
                           ("ids", InternalTraversal.dp_clauseelement)]

    def __init__(self, column, ids: Iterable[int], *, name: str | None = None):
        self.column = column
        self.ids = bindparam(name, list(ids), type_=IdList(), unique=name is None)


@compiles(AnyOf)
def _any_of(element: AnyOf, compiler, **kw) -> str:
    return (f"{compiler.process(element.column, **kw)} IN "
            f"(SELECT value FROM json_each({compiler.process(element.ids, **kw)}))")


@compiles(AnyOf, "postgresql")
def _any_of_postgresql(element: AnyOf, compiler, **kw) -> str:
    return f"{compiler.process(element.column, **kw)} = ANY ({compiler.process(element.ids, **kw)})"
