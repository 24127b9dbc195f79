"""One batch type: a planned IdRange is a range scan, anything else a list of ids."""

import pytest
from sqlalchemy import select
from sqlalchemy.exc import StatementError

from partnerflow.models import IdRange, Partnership, session_scope, within
from tests import factories


def keys_in(engine, batch) -> list[str]:
    with engine.connect() as connection:
        return connection.execute(select(Partnership.key).where(within(Partnership.id, batch))
                                  .order_by(Partnership.id)).scalars().all()


def test_a_range_takes_every_id_between_its_ends_and_a_list_only_the_ids_it_names(engine):
    with session_scope(engine) as session:
        w = factories.world(session)
        for key in ("p1", "p2", "p3", "p4"):
            factories.partnership(session, w, key)
    assert keys_in(engine, IdRange(1, 3)) == ["p1", "p2", "p3"]
    assert keys_in(engine, [1, 3]) == ["p1", "p3"]
    assert keys_in(engine, (1, 3)) == ["p1", "p3"]  # a plain pair is two ids, never a range by accident
    assert keys_in(engine, []) == []


def test_a_list_of_ids_is_one_parameter_however_long_and_takes_only_ids(engine):
    """Thousands of ids, one statement parameter (no IN list of placeholders, no limit on their number)."""
    with session_scope(engine) as session:
        w = factories.world(session)
        for key in ("p1", "p2", "p3"):
            factories.partnership(session, w, key)
    many = [3, *range(1000, 40_000), 1]
    assert keys_in(engine, many) == ["p1", "p3"]
    statement = select(Partnership.key).where(within(Partnership.id, many))
    assert len(statement.compile(dialect=engine.dialect).params) == 1
    with pytest.raises(StatementError):
        keys_in(engine, ["1 OR 1=1"])  # ids only
