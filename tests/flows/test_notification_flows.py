"""The dispatch and deadline flows under Prefect's test harness."""

from partnerflow.engine import get_settings
from partnerflow.flows import ReviewParameters, dispatch_notifications, review_portfolio, sweep_deadlines
from partnerflow.models import Notification, session_scope
from tests.engine.harness import build, portfolio
from tests.factories import AS_OF
from tests.notify.conftest import PASSWORD, USERNAME, smtp_server_with_login  # noqa: F401  (a fixture)


def test_review_then_dispatch_delivers_the_inbox_and_a_sweep_finds_nothing_due_yet(engine):
    get_settings.cache_clear()
    portfolio(engine)
    review = review_portfolio(ReviewParameters(as_of=AS_OF))
    assert review["tasks_opened"] > 0
    sent = dispatch_notifications()
    with session_scope(engine) as session:
        total = session.query(Notification).count()
        statuses = {n.status for n in session.query(Notification)}
    assert sent["claimed"] == sent["sent"] == total and statuses == {"sent"}
    assert dispatch_notifications()["claimed"] == 0
    assert sweep_deadlines() == {"reminded": 0, "escalated": 0, "digests": 0}


def test_the_smtp_password_can_come_from_a_prefect_secret_block(engine, monkeypatch, smtp_server_with_login):  # noqa: F811
    from prefect.blocks.system import Secret

    from partnerflow.models import Channel

    mailbox, port = smtp_server_with_login
    Secret(value=PASSWORD).save("partnerflow-smtp-password", overwrite=True)
    for name, value in {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port), "SMTP_SECURITY": "none",
                        "SMTP_USERNAME": USERNAME, "SMTP_PASSWORD_BLOCK": "partnerflow-smtp-password"}.items():
        monkeypatch.setenv(f"PARTNERFLOW_{name}", value)
    get_settings.cache_clear()
    w = build(engine, ("acme-supply", "alignment", None))
    with session_scope(engine) as session:
        session.add(Channel(person_id=w.owner.id, kind="email", address="olivia@northwind.example"))
    review_portfolio(ReviewParameters(as_of=AS_OF))
    sent = dispatch_notifications()
    assert sent["dead"] == 0 and mailbox.mails and all(mail.logged_in for mail in mailbox.mails)
