"""Channel credentials at rest: sealed when written, read for delivery, resealed after an upgrade or a new key."""

import json

import pytest
from sqlmodel import select

from partnerflow.engine import ChannelRefused, dispatch_all, get_settings, notification_listing
from partnerflow.engine.notifications import channels, outbox
from partnerflow.engine.notifications.dispatch import UNREADABLE
from partnerflow.engine.sealing import PREFIX, Keyring, Unreadable
from partnerflow.models import AuditEvent, Channel, Notification, session_scope
from tests import factories
from tests.cli.commands import run
from tests.engine.harness import build, review
from tests.factories import NOW
from tests.notify.builders import SECRET
from tests.notify.conftest import receiver  # noqa: F401  (fixture)

OLD_KEY, NEW_KEY = "k" * 10 + "old-secret-key-for-the-tests-0123456789", "n" * 10 + "new-secret-key-for-the-tests-0123456"
SLACK = "https://93.184.216.35/services/T0001/B0001/XXXXsecretTOKEN"  # no DNS in tests: a public literal


@pytest.fixture
def keys(database_url, monkeypatch):
    """Set the secret key (and the previous one); returns a function doing it, with the settings' cache cleared."""
    def use(current: str, previous: str | None = None) -> Keyring:
        monkeypatch.setenv("PARTNERFLOW_SECRET_KEY", current)
        if previous:
            monkeypatch.setenv("PARTNERFLOW_PREVIOUS_SECRET_KEY", previous)
        else:
            monkeypatch.delenv("PARTNERFLOW_PREVIOUS_SECRET_KEY", raising=False)
        monkeypatch.setenv("PARTNERFLOW_WEBHOOK_ALLOW_HOSTS", "127.0.0.1")
        get_settings.cache_clear()
        return Keyring.of(get_settings())
    yield use
    get_settings.cache_clear()


def stored(engine) -> list[tuple[str, str, str | None]]:
    with session_scope(engine) as session:
        return [(c.kind, c.address, c.secret) for c in session.exec(select(Channel).order_by(Channel.id))]


def person(engine) -> str:
    return build(engine).owner.email


# ------------------------------------------------------------------ the seal


def test_a_seal_is_prefixed_deterministic_and_opens_only_with_its_key():
    old, new = Keyring(OLD_KEY), Keyring(NEW_KEY)
    sealed = old.seal(SLACK)
    assert sealed.startswith(PREFIX) and "XXXXsecretTOKEN" not in sealed and "93.184" not in sealed
    assert old.seal(SLACK) == sealed != new.seal(SLACK)  # deterministic: duplicates compare in SQL
    assert old.unseal(sealed) == SLACK
    with pytest.raises(Unreadable, match="another secret key"):
        new.unseal(sealed)
    assert Keyring(NEW_KEY, previous=OLD_KEY).unseal(sealed) == SLACK
    assert old.unseal(SLACK) == SLACK  # written in plain text before sealing: read as it is
    with pytest.raises(Unreadable, match="damaged"):
        old.unseal(PREFIX + "!!")
    assert OLD_KEY not in repr(Keyring(NEW_KEY, OLD_KEY)) and NEW_KEY not in repr(Keyring(NEW_KEY, OLD_KEY))


# ------------------------------------------------------------------ writing channels


def test_urls_and_secrets_are_stored_sealed_and_listed_masked(engine, keys):
    keyring = keys(NEW_KEY)
    email = person(engine)
    with session_scope(engine) as session:
        hook = channels.add_channel(session, email, "webhook", address="https://93.184.216.34/hook?token=abc")
        channels.add_channel(session, email, "slack", address=SLACK)
        channels.add_channel(session, email, "email")
        secret = channels.secret_of(hook)
    rows = stored(engine)
    assert [kind for kind, _, _ in rows] == ["webhook", "slack", "email"]
    assert all(address.startswith(PREFIX) for _, address, _ in rows[:2]) and rows[0][2].startswith(PREFIX)
    assert keyring.unseal(rows[1][1]) == SLACK and keyring.unseal(rows[0][2]) == secret
    assert rows[2][1:] == (email, None)  # an email address is no credential
    with session_scope(engine) as session:
        listed = channels.channel_listing(session)
    assert [c["address"] for c in listed] == ["https://93.184.216.34/…", "https://93.184.216.35/…", email]
    assert "token" not in json.dumps(listed) and "XXXXsecretTOKEN" not in json.dumps(listed)


def test_a_duplicate_is_refused_sealed_or_written_before_sealing(engine, keys):
    keys(NEW_KEY)
    email = person(engine)
    with session_scope(engine) as session:
        channels.add_channel(session, email, "slack", address=SLACK)
    with session_scope(engine) as session, pytest.raises(ChannelRefused, match="already has this slack channel"):
        channels.add_channel(session, email, "slack", address=SLACK)
    with session_scope(engine) as session:
        owner = session.exec(select(Channel)).first().person_id
        session.add(Channel(person_id=owner, kind="teams", address="https://93.184.216.36/hook"))  # before sealing
    with session_scope(engine) as session, pytest.raises(ChannelRefused, match="already has this teams channel"):
        channels.add_channel(session, email, "teams", address="https://93.184.216.36/hook")


def test_a_url_too_long_to_seal_into_the_unique_index_is_refused(engine, keys):
    keys(NEW_KEY)
    email = person(engine)
    with session_scope(engine) as session, pytest.raises(ChannelRefused, match="longer than 1,500 characters"):
        channels.add_channel(session, email, "slack", address="https://93.184.216.35/" + "x" * 1500)


# ------------------------------------------------------------------ delivery, upgrade, rotation


def queue(engine, channel: dict) -> int:
    """A plain row for the owner (as an earlier version wrote it), and a review that tells them of their tasks."""
    w = build(engine, ("acme-supply", "alignment", None))
    with session_scope(engine) as session:
        session.add(Channel(person_id=w.owner.id, **channel))
    review(engine)
    with session_scope(engine) as session:
        return len([n for n in notification_listing(session, now=NOW, limit=1000) if n["channel"] == channel["kind"]])


def test_sealed_and_plain_channels_are_delivered_and_a_new_key_needs_the_old_one(engine, keys, receiver):  # noqa: F811
    keys(OLD_KEY)
    told = queue(engine, {"kind": "webhook", "address": receiver.url("/signed"), "secret": SECRET})
    with session_scope(engine) as session:
        assert channels.reseal(session, now=NOW) == channels.Resealed(1, [])  # what `init` does after upgrading
    assert all(value.startswith(PREFIX) for value in stored(engine)[0][1:])

    keys(NEW_KEY)  # the key changed: nothing sealed before opens
    report = dispatch_all(engine, get_settings(), now=NOW)
    with session_scope(engine) as session:
        errors = {n.last_error for n in session.exec(select(Notification).where(Notification.channel == "webhook"))}
    assert told > 0 and report.dead >= told and errors == {UNREADABLE}
    with session_scope(engine) as session:
        assert channels.reseal(session, now=NOW) == channels.Resealed(0, [1])

    keys(NEW_KEY, previous=OLD_KEY)
    with session_scope(engine) as session:
        assert channels.reseal(session, now=NOW) == channels.Resealed(1, [])
        assert channels.reseal(session, now=NOW) == channels.Resealed(0, [])  # idempotent
        assert outbox.retry_notifications(session, dead=True, now=NOW) >= told
    keys(NEW_KEY)
    report = dispatch_all(engine, get_settings(), now=NOW)
    assert report.dead == 0 and report.sent >= told
    assert [r.path for r in receiver.requests] == ["/signed"] * told
    assert all(receiver.verifies(r.headers, r.body) for r in receiver.requests)  # signed with the unsealed secret
    with session_scope(engine) as session:
        events = session.exec(select(AuditEvent).where(AuditEvent.kind == "channel.resealed")).all()
        assert [e.data for e in events] == [{"channels": 1}, {"channels": 1}]


def test_init_seals_what_an_earlier_version_stored_in_plain_text(engine, keys):
    keyring = keys(NEW_KEY)
    with session_scope(engine) as session:
        session.add(Channel(person_id=factories.world(session).owner.id, kind="slack", address=SLACK))
    code, _, _ = run("init")
    assert code == 0
    [(_, address, secret)] = stored(engine)
    assert address.startswith(PREFIX) and keyring.unseal(address) == SLACK and secret is None


def test_the_reseal_command_names_the_channels_it_cannot_open(engine, keys):
    keys(OLD_KEY)
    email = person(engine)
    with session_scope(engine) as session:
        channels.add_channel(session, email, "slack", address=SLACK)
    keys(NEW_KEY)
    code, out, err = run("channel", "list")
    assert code == 0 and "sealed with another secret key" in out
    code, out, err = run("channel", "reseal")
    assert code == 1 and "0 channel(s) sealed" in out
    assert "1 channel(s) sealed with another key: #1" in err and OLD_KEY not in err
    keys(NEW_KEY, previous=OLD_KEY)
    code, out, _ = run("channel", "reseal")
    assert code == 0 and "1 channel(s) sealed with the current secret key" in out
