"""Signing in and out: a form that sends a one-time link, the link's page, and the session cookie.

Before a session exists, forms are tied to a random `pf_pre` cookie (the CSRF token is its HMAC),
so another site can neither sign a person in as someone else nor send links in their name.
"""

import secrets

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from partnerflow import engine
from partnerflow.web.auth import COOKIE, check_csrf, cookie_options, csrf_token, secret, session_visitor, signed_in
from partnerflow.web.templating import render

router = APIRouter()
PRE = "pf_pre"


def pre_page(request: Request, name: str, *, status: int = 200, **context) -> Response:
    """A page whose forms work before a session exists: their CSRF token is the HMAC of the
    visitor's `pf_pre` cookie (set here when missing). Also the task link's refusal page uses it."""
    nonce = request.cookies.get(PRE) or secrets.token_hex(16)
    response = HTMLResponse(render(name, visitor=None, csrf=csrf_token(f"pre\x1f{nonce}"), **context),
                            status_code=status)
    response.set_cookie(PRE, nonce, max_age=3600, **cookie_options())
    return response


def check_pre(request: Request, given: str | None) -> None:
    """Refuse (AccessRefused, 403) a form of a pre_page not sent with the visitor's `pf_pre` cookie."""
    nonce = request.cookies.get(PRE)
    check_csrf(given if nonce else None, f"pre\x1f{nonce or ''}")


@router.get("/sign-in")
def sign_in_page(request: Request, token: str | None = None) -> Response:
    if token:  # the link from the notification: a page with a button (a GET changes nothing)
        return pre_page(request, "sign_in_confirm.html.j2", token=token[:2000])
    return pre_page(request, "sign_in.html.j2", sent=False, email="")


@router.post("/sign-in")
def request_link(request: Request, email: str = Form(..., max_length=320),
                 csrf_token: str = Form("", max_length=200)) -> Response:
    check_pre(request, csrf_token)
    with engine.transaction() as session:
        engine.request_sign_in(session, email.strip(), now=engine.now())
    return pre_page(request, "sign_in.html.j2", sent=True, email=email.strip())


@router.post("/sign-in/confirm")
def confirm(request: Request, token: str = Form(..., max_length=2000),
            csrf_token: str = Form("", max_length=200)) -> Response:
    check_pre(request, csrf_token)
    with engine.transaction() as session:
        cookie = engine.sign_in(session, token, secret=secret(), now=engine.now())
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(COOKIE, cookie, max_age=12 * 3600, **cookie_options())
    response.delete_cookie(PRE, path="/")
    return response


@router.post("/sign-out")
def sign_out(request: Request, csrf_token: str = Form("", max_length=200)) -> Response:
    visitor = signed_in(request)
    check_csrf(csrf_token, visitor.nonce)
    with engine.transaction() as session:  # the session ends for good, not only in this browser
        engine.sign_out(session, secret(), request.cookies.get(COOKIE, ""), now=engine.now())
    response = RedirectResponse("/sign-in", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


def home_of(request: Request) -> str:
    visitor = session_visitor(request)
    return "/" if visitor is None or visitor.actor.internal else "/me/tasks"
