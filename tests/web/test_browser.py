"""The pages as people use them, in Debian's headless Chromium (never a downloaded browser).

A real server (uvicorn, on 127.0.0.1) serves the app on the test database; links arrive by
email on a real SMTP server (aiosmtpd). Screenshots of each page go to docs/screenshots/.
"""

import os
import re
import shutil
import threading
from pathlib import Path

import pytest
import uvicorn
from sqlmodel import select

from partnerflow import engine as face
from partnerflow.models import Channel, Person, session_scope
from partnerflow.web.app import create_app
from tests.engine.harness import GINA, GRACE, portfolio, review
from tests.notify.conftest import free_port, smtp_server  # noqa: F401  (fixture)

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
if not Path(CHROMIUM).exists() and os.environ.get("CI"):  # CI installs it (.ci/run): never skip there
    raise RuntimeError(f"Debian's chromium is missing at {CHROMIUM}: apt-get install chromium")
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed "
                                "(make test installs it when it may; see .ci/run)")


FAKED = ("LD_PRELOAD", "FAKETIME", "FAKETIME_DONT_FAKE_MONOTONIC")


@pytest.fixture(scope="module")
def browser():
    """Chromium on the real clock: under `make test-later` (libfaketime preloaded) it would run a
    hundred times slower, and its clock is not what is tested (the server's frozen one is)."""
    from playwright.sync_api import sync_playwright

    faked = {name: os.environ.pop(name) for name in FAKED if name in os.environ}
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            yield chromium
            chromium.close()
    finally:
        os.environ.update(faked)


@pytest.fixture
def live(database_url, monkeypatch, smtp_server):  # noqa: F811
    """The app served on a free port of 127.0.0.1, sending email to the test SMTP server."""
    mailbox, smtp_port = smtp_server
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    for name, value in {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp_port), "SMTP_SECURITY": "none",
                        "BASE_URL": base, "SECRET_KEY": "browser-test-secret"}.items():
        monkeypatch.setenv(f"PARTNERFLOW_{name}", value)
    face.get_settings.cache_clear()
    server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started and thread.is_alive():
        thread.join(0.02)
    yield base, mailbox
    server.should_exit = True
    thread.join(10)


def reachable_by_email(engine) -> None:
    with session_scope(engine) as session:
        for person in session.exec(select(Person)).all():
            session.add(Channel(person_id=person.id, kind="email", address=person.email))


def deliver() -> None:
    """Run the dispatch (its own event loop: Playwright's holds this thread's)."""
    worker = threading.Thread(target=face.dispatch_all, args=(face.ready_engine(), face.get_settings()),
                              kwargs={"now": face.now()})
    worker.start()
    worker.join()


def link_in(mailbox, to: str, path: str) -> str:
    mail = [m for m in mailbox.mails if m.recipients == [to] and path in m.email.get_body(("plain",)).get_content()][-1]
    return re.search(rf"(http://\S+{re.escape(path)}\S*)", mail.email.get_body(("plain",)).get_content()).group(1)


def sign_in(page, base: str, mailbox, email: str) -> None:
    page.goto(f"{base}/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_role("button", name="Send me a sign-in link").click()
    assert "a sign-in link is on its way" in page.inner_text("main")
    deliver()
    page.goto(link_in(mailbox, email, "/sign-in?token="))
    page.get_by_role("button", name="Sign in").click()


def shoot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def expected_statuses(status: dict) -> dict[str, str]:
    """Each practice with criteria in the next gate, as the gate results say it stands."""
    by_practice: dict[str, list[bool]] = {}
    for criterion in status["next_gate"]["criteria"]:
        by_practice.setdefault(criterion["practice"], []).append(criterion["passed"])
    return {p: "met" if all(r) else "missing" if not any(r) else "partly_met" for p, r in by_practice.items()}


def test_gatekeepers_of_both_parties_sign_in_and_vote_a_partnership_through_its_gate(engine, live, browser):
    base, mailbox = live
    portfolio(engine)
    reachable_by_email(engine)
    review(engine)
    page = browser.new_page(viewport={"width": 1200, "height": 900})

    sign_in(page, base, mailbox, GINA)
    page.get_by_label("Name or key").fill("acme")
    page.get_by_role("button", name="Show").click()
    keys = page.locator("#partnership-table tbody tr td:first-child").all_inner_texts()
    assert keys == ["acme-supply"]
    shoot(page, "portfolio")

    page.goto(f"{base}/partnerships/acme-supply")
    with face.transaction() as session:
        status = face.partnership_status(session, face.policy_in_force(face.get_settings().policy_path),
                                         "acme-supply", face.today())
    for practice, expected in expected_statuses(status).items():
        assert page.locator(f"svg [data-practice='{practice}']").get_attribute("data-status") == expected
    shoot(page, "partnership")

    page.goto(f"{base}/gates")
    section = page.locator("section", has_text="acme-supply")
    section.get_by_role("radio", name="go").check()
    section.get_by_label("Reason").fill("Both wins are stated <b>and</b> signed")
    section.get_by_role("button", name="Record my decision").click()
    assert "1 of 2 votes; still needs a gatekeeper of Acme" in page.inner_text("main")
    shoot(page, "gate-review")
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, base, mailbox, GRACE)
    page.goto(f"{base}/gates")
    section = page.locator("section", has_text="acme-supply")
    section.get_by_role("radio", name="go").check()
    section.get_by_label("Reason").fill("Our win is clear")
    section.get_by_role("button", name="Record my decision").click()
    assert page.url.endswith("/partnerships/acme-supply")
    assert "execution — active" in page.inner_text("main")
    page.close()


def test_an_owner_follows_the_email_link_supplies_the_evidence_and_the_task_closes(engine, live, browser):
    base, mailbox = live
    portfolio(engine)
    reachable_by_email(engine)
    review(engine)
    deliver()
    sponsor = "sam@northwind.example"
    link = link_in(mailbox, sponsor, "/tasks/")
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    page.goto(link)
    assert "no business case recorded" in page.inner_text("main")
    page.get_by_label("Evidence (YAML)").fill(
        "business_case:\n  outcomes: Lower unit cost by 8 %\n  processes: Joint forecasting\n"
        f"  measures: Unit cost per quarter\n  approved_by: {sponsor}\n  approved_on: 2026-11-20\n")
    shoot(page, "task")
    page.get_by_role("button", name="Save the evidence").click()
    assert "Status done" in " ".join(page.inner_text("main").split())

    sign_in(page, base, mailbox, GINA)
    page.goto(f"{base}/partnerships/empty")
    assert page.locator("svg [data-practice='business_objective']").get_attribute("data-status") == "partly_met"
    page.close()


FOCUS_SHOWN = """() => { const s = getComputedStyle(document.activeElement);
                         return s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2; }"""


def tab_to(page, target, *, back: bool = False) -> None:
    """Tab (Shift+Tab when `back`) until `target` has the focus, each stop showing it; at most 40 stops."""
    for _ in range(40):
        if target.evaluate("e => e === document.activeElement"):
            return
        page.keyboard.press("Shift+Tab" if back else "Tab")
        assert page.evaluate(FOCUS_SHOWN) or page.evaluate("document.activeElement === document.body")
    raise AssertionError(f"{target} is not reachable with the keyboard")


def press_key(page, key: str, url) -> None:
    """Press `key` on the focused link or button, and wait for the page it opens at `url`."""
    with page.expect_navigation(url=url):
        page.keyboard.press(key)


def test_an_owner_signs_in_and_marks_a_task_done_with_the_keyboard_alone(engine, live, browser):
    base, mailbox = live
    portfolio(engine)
    reachable_by_email(engine)
    review(engine)
    owner = "sam@northwind.example"
    page = browser.new_page(viewport={"width": 1200, "height": 900})

    page.goto(f"{base}/sign-in")
    tab_to(page, page.get_by_label("Email address"))
    page.keyboard.type(owner)
    tab_to(page, page.get_by_role("button", name="Send me a sign-in link"))
    page.keyboard.press("Enter")
    page.get_by_role("status").wait_for()
    deliver()
    page.goto(link_in(mailbox, owner, "/sign-in?token="))  # opened from the email
    tab_to(page, page.get_by_role("button", name="Sign in"))
    press_key(page, "Space", f"{base}/")
    tab_to(page, page.get_by_role("navigation", name="Main").get_by_role("link", name="My tasks"))
    press_key(page, "Enter", f"{base}/me/tasks")
    tab_to(page, page.locator("main table a[href^='/tasks/']").first)
    press_key(page, "Enter", re.compile(r".*/tasks/\d+$"))

    # every control of the page is a stop of the Tab order, shown when focused, and labelled
    controls = page.locator("main :is(input:not([type=hidden]), textarea, button, select)")
    assert controls.count() == 4  # the evidence and its button, the note and its button
    for i in range(controls.count()):
        tab_to(page, controls.nth(i))
    for label in ("Evidence (YAML)", "What was done"):
        assert page.get_by_label(label).count() == 1
    tab_to(page, page.get_by_label("What was done"), back=True)
    page.keyboard.type("Business case approved by the sponsor")
    tab_to(page, page.get_by_role("button", name="Mark done"))
    press_key(page, "Space", re.compile(r".*/tasks/\d+$"))
    assert f"Status done — by {owner}" in " ".join(page.inner_text("main").split())
    page.close()
