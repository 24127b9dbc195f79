"""One batch type: a planned IdRange is a range scan, anything else a list of ids."""

from sqlalchemy import select

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
