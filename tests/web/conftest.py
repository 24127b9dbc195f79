"""The web's fixtures: the app on the test database, a client, and sessions for people of the harness."""

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from partnerflow import engine as face
from partnerflow.models import Person
from partnerflow.web.app import create_app
from partnerflow.web.auth import COOKIE
from tests.engine.harness import portfolio, review

BASE = "http://127.0.0.1:8000"


@pytest.fixture
def app(database_url):
    return create_app()


@pytest.fixture
def client(app):
    with TestClient(app, base_url=BASE) as client:
        yield client


@pytest.fixture
def reviewed(engine):
    """The small portfolio, reviewed once (tasks opened, notifications queued)."""
    world = portfolio(engine)
    review(engine)
    return world


def person_id(email: str) -> int:
    with face.transaction() as session:
        return session.exec(select(Person.id).where(Person.email == email)).one()


def session_cookie(email: str) -> str:
    """A signed session for `email`, as a used sign-in link gives (the sign-in itself is tested through its link)."""
    return face.sign_token(face.get_settings().secret_key, "session", {"person_id": person_id(email)},
                           expires_at=face.now() + timedelta(hours=1))


def signed_in_as(client: TestClient, email: str) -> TestClient:
    client.cookies.set(COOKIE, session_cookie(email))
    return client
