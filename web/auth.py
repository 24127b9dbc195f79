"""Who is asking: a signed session cookie for the pages, a bearer token for the API, and the
CSRF token every state-changing form carries.

The session cookie is a token signed for purpose "session" (engine: sign_token), HttpOnly,
SameSite=Lax, Secure when the base URL is https. The CSRF token is an HMAC of the session's
nonce (or of the action link a page was opened with), so a page of another site cannot forge
it; every POST form is checked, and no GET changes anything.
"""

import base64
import hashlib
import hmac
from typing import NamedTuple

from fastapi import Request

from partnerflow import engine

COOKIE = "pf_session"


class NotSignedIn(Exception):
    """A page or API call that needs a person, without one."""


class Signed(NamedTuple):
    actor: engine.Actor
    nonce: str  # the session's: its CSRF token derives from it


def secret() -> str:
    return engine.get_settings().secret_key


def csrf_token(nonce: str) -> str:
    mac = hmac.new(secret().encode(), f"csrf\x1f{nonce}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def check_csrf(given: str | None, nonce: str) -> None:
    if not given or not hmac.compare_digest(str(given), csrf_token(nonce)):
        raise engine.AccessRefused("this form was not sent from a page of Partnerflow (or it is too old): "
                                   "reload the page and try again")


def session_visitor(request: Request) -> Signed | None:
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    try:
        with engine.transaction() as session:
            person_id, nonce = engine.session_of(session, secret(), token, now=engine.now())
            return Signed(engine.actor(session, person_id), nonce)
    except (engine.LinkRefused, engine.AccessRefused):
        return None


def signed_in(request: Request) -> Signed:
    """The page's person, or NotSignedIn (the pages send them to the sign-in page)."""
    visitor = session_visitor(request)
    if visitor is None:
        raise NotSignedIn()
    return visitor


def api_actor(request: Request) -> engine.Actor:
    """The API caller: `Authorization: Bearer pf_…` (a cookie is not accepted: no CSRF on the API)."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotSignedIn()
    try:
        with engine.transaction() as session:
            return engine.token_actor(session, token.strip(), now=engine.now())
    except engine.AccessRefused as refused:  # unknown, revoked or expired: not signed in (401), not forbidden
        raise NotSignedIn(str(refused)) from None


def cookie_options() -> dict:
    secure = engine.get_settings().base_url.lower().startswith("https://")
    return {"httponly": True, "samesite": "lax", "secure": secure, "path": "/"}
