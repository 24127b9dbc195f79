"""The dispatch and deadline flows under Prefect's test harness."""

from engine import get_settings
from flows import ReviewParameters, dispatch_notifications, review_portfolio, sweep_deadlines
from models import Notification, session_scope
from tests import factories
from tests.factories import AS_OF


def test_review_then_dispatch_delivers_the_inbox_and_a_sweep_finds_nothing_due_yet(engine, monkeypatch):
    from datetime import UTC, datetime

    from engine import clock

    monkeypatch.setattr(clock, "now", lambda: datetime(2026, 11, 27, 9, 0, tzinfo=UTC))
    get_settings.cache_clear()
    with session_scope(engine) as session:
        factories.small_portfolio(session)
    review = review_portfolio(ReviewParameters(as_of=AS_OF))
    assert review["tasks_opened"] > 0
    sent = dispatch_notifications()
    with session_scope(engine) as session:
        total = session.query(Notification).count()
        statuses = {n.status for n in session.query(Notification)}
    assert sent["claimed"] == sent["sent"] == total and statuses == {"sent"}
    assert dispatch_notifications()["claimed"] == 0
    assert sweep_deadlines() == {"reminded": 0, "escalated": 0, "digests": 0}
