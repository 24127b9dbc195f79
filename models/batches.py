"""A review batch: the partnerships one transaction reviews. One type, one WHERE clause for it."""

from collections.abc import Sequence
from typing import NamedTuple


class IdRange(NamedTuple):
    """The partnerships with ids from `first` to `last` (inclusive), as a review plans its batches."""

    first: int
    last: int


Batch = IdRange | Sequence[int]  # a planned range, or the ids of partnerships named one by one


def within(column, batch: Batch):
    """`column` in the batch: a range scan for an IdRange, an IN list for ids."""
    if isinstance(batch, IdRange):
        return column.between(batch.first, batch.last)
    return column.in_(list(batch))
