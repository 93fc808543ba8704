"""Browser tests: the portal served for real and driven in Chromium (Playwright, sync API).

- `live_server`: the app, with CSRF on, against the test's database (so SQLite and PostgreSQL, like
  every other test), served by werkzeug in a thread on a free port. `PORTAL_BASE_URL` is its
  address, so the links in emails point to it. A request answered with a 5xx fails the test.
- `browser`: one Chromium for the whole session. `open_page(phone=False)`: a page in a new browser
  context (en-CA; desktop, or a 375x740 phone), closed at the end of the test.
- `check_page(page)`: axe-core finds no violation and the page does not scroll sideways. Every page
  a test loads must be checked: the test fails at teardown if one was not, or if the browser
  logged an error (a Content-Security-Policy violation, for instance).
- `submit(page, "Button name")`: click a button and wait for the page it leads to.
- `sign_in(page, email, password)`: through the login form.
- `inbox`: the outbox worker's pass to a real SMTP server (`mail_server`), and the link in an email.

The tests use the factories and `database_url` of the root conftest; they create their users with
the factories (password `tests.factories.PASSWORD`) and never depend on demo content.
"""

from __future__ import annotations

import os
import re
import threading
import traceback
from dataclasses import dataclass, field
from email.message import EmailMessage

import pytest
from axe_playwright_python.sync_playwright import Axe
from flask import Flask
from playwright.sync_api import Browser, Page, expect, sync_playwright
from werkzeug.serving import make_server

from portal import create_app
from portal.extensions import db
from portal.outbox.worker import send_due_emails

# Playwright cannot download its own browsers here: it drives the system's Chromium.
CHROMIUM = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 740}
LOCALE = "en-CA"
TIMEOUT_MS = 10_000

# Failed loads are logged to the console too; they are judged by `_failed_subresource` instead
# (an expired link is answered with a 404 page on purpose).
FAILED_LOAD = re.compile(r"^Failed to load resource: ")

_axe = Axe()


# --- The server --------------------------------------------------------------------------------


class _ServerErrors:
    """WSGI middleware remembering every request answered with a 5xx (the error handlers turn
    exceptions into a 500 page, so the status is what shows that something went wrong)."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app
        self.errors: list[str] = []

    def __call__(self, environ, start_response):
        request = f"{environ['REQUEST_METHOD']} {environ.get('PATH_INFO', '')}"

        def recording_start_response(status, headers, exc_info=None):
            if status.startswith("5"):
                self.errors.append(f"{request} -> {status}")
            return start_response(status, headers, exc_info)

        try:
            return self.wsgi_app(environ, recording_start_response)
        except Exception:
            self.errors.append(f"{request} raised:\n{traceback.format_exc()}")
            raise


@dataclass
class LiveServer:
    url: str
    app: Flask
    errors: list[str] = field(default_factory=list)


@pytest.fixture
def live_server(app, database_url):
    """The portal on a real HTTP server, on the same database as `app` (which the test uses for
    factories, services and the outbox worker, as a worker process would)."""
    live_app = create_app(
        "testing", {"SQLALCHEMY_DATABASE_URI": database_url, "WTF_CSRF_ENABLED": True}
    )
    recorder = _ServerErrors(live_app.wsgi_app)
    live_app.wsgi_app = recorder
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    # Emails queued by the live server (the referral form, "forgot password") and by the test's
    # own services both link to the live server.
    live_app.config["PORTAL_BASE_URL"] = url
    app.config["PORTAL_BASE_URL"] = url
    thread = threading.Thread(target=server.serve_forever, name="e2e-live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(url=url, app=live_app, errors=recorder.errors)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        with live_app.app_context():
            db.engine.dispose()
    assert not recorder.errors, "the live server answered with errors:\n" + "\n".join(
        recorder.errors
    )


# --- The browser -------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"no Chromium at {CHROMIUM} (install it, or set E2E_CHROMIUM to its path)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@dataclass
class _PageRecord:
    """What a page loaded, what was checked, and what the browser complained about."""

    visits: list[list] = field(default_factory=list)  # [url, checked]
    console_errors: list[str] = field(default_factory=list)

    def navigated(self, url: str) -> None:
        if not url.startswith("about:"):
            self.visits.append([url, False])

    def checked(self, url: str) -> None:
        if self.visits and self.visits[-1][0] == url:
            self.visits[-1][1] = True

    def unchecked(self) -> list[str]:
        return [url for url, checked in self.visits if not checked]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.e2e_call_failed = report.failed
    return report


def _failed_subresource(response) -> bool:
    """A stylesheet, image... that did not load (pages are checked by the tests themselves; the
    browser's own request for /favicon.ico is none of ours)."""
    return (
        response.status >= 400
        and response.request.resource_type != "document"
        and not response.url.endswith("/favicon.ico")
    )


@pytest.fixture
def page_records() -> dict[int, _PageRecord]:
    return {}


@pytest.fixture
def open_page(request, browser: Browser, live_server: LiveServer, page_records):
    """`open_page(phone=False)`: a new page in a browser context of its own (a separate person or
    device: no shared cookies). Relative URLs are on the live server."""
    contexts = []

    def open_(*, phone: bool = False) -> Page:
        options = (
            {"viewport": PHONE, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}
            if phone
            else {"viewport": DESKTOP}
        )
        context = browser.new_context(base_url=live_server.url, locale=LOCALE, **options)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        record = page_records[id(page)] = _PageRecord()

        def on_navigated(frame):
            if frame.parent_frame is None:
                record.navigated(frame.url)

        def on_console(message):
            if message.type == "error" and not FAILED_LOAD.match(message.text):
                record.console_errors.append(f"{page.url}: {message.text}")

        def on_response(response):
            if _failed_subresource(response):
                record.console_errors.append(f"{page.url}: {response.status} for {response.url}")

        page.on("framenavigated", on_navigated)
        page.on("console", on_console)
        page.on("pageerror", lambda error: record.console_errors.append(f"{page.url}: {error}"))
        page.on("response", on_response)
        return page

    yield open_
    for context in contexts:
        context.close()
    if getattr(request.node, "e2e_call_failed", True):
        return  # the test's own failure says what went wrong
    problems = []
    for record in page_records.values():
        for url in record.unchecked():
            problems.append(f"loaded but not checked with check_page(): {url}")
        problems.extend(f"browser console: {error}" for error in record.console_errors)
    assert not problems, "\n".join(problems)


@pytest.fixture
def check_page(page_records):
    """`check_page(page)`: no axe-core violation on the page as it is now, and no sideways scroll
    at the page's viewport width."""

    def check(page: Page) -> None:
        page.wait_for_load_state("load")
        results = _axe.run(page)
        if results.violations_count:
            report = results.generate_report()
            print(report)
            pytest.fail(
                f"axe-core found {results.violations_count} accessibility violation(s) on "
                f"{page.url} ({page.viewport_size['width']}px wide):\n{report}",
                pytrace=False,
            )
        width = page.viewport_size["width"]
        content_width = page.evaluate("document.documentElement.scrollWidth")
        assert content_width <= width, (
            f"{page.url} is {content_width}px wide in a {width}px viewport: it scrolls sideways"
        )
        page_records[id(page)].checked(page.url)

    return check


@pytest.fixture
def submit():
    """`submit(page, "Sign in")`: click the button of that name and wait for the page it loads
    (the same URL when a form comes back with errors)."""

    def submit_(page: Page, button_name: str) -> None:
        with page.expect_event("load"):
            page.get_by_role("button", name=button_name, exact=True).click()

    return submit_


@pytest.fixture
def sign_in(check_page, submit):
    """`sign_in(page, email, password)`: through the login form (checked too); the caller checks
    the page it lands on."""

    def sign_in_(page: Page, email: str, password: str) -> None:
        if "/login" not in page.url:
            page.goto("/login")
            check_page(page)
        expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
        page.get_by_label("Email", exact=True).fill(email)
        page.get_by_label("Password", exact=True).fill(password)
        submit(page, "Sign in")

    return sign_in_


# --- Email -------------------------------------------------------------------------------------


class Inbox:
    def __init__(self, mail_server, base_url: str):
        self.mail_server = mail_server
        self.base_url = base_url

    def deliver(self) -> list[EmailMessage]:
        """One pass of the outbox worker (as `flask outbox work` runs it), then every message the
        SMTP server has received so far."""
        db.session.expire_all()
        sent, failed = send_due_emails()
        assert failed == 0, "the outbox worker could not send every email"
        return self.mail_server.messages()

    def link(self, *, to: str, subject: str, path: str) -> str:
        """Deliver the outbox and return the `<base_url><path>...` link of the one email with this
        recipient and subject, read from its plain-text part (and found in its HTML part too)."""
        messages = [m for m in self.deliver() if m["To"] == to and m["Subject"] == subject]
        assert len(messages) == 1, (
            f"expected one email {subject!r} to {to}; the SMTP server received: "
            f"{[(m['To'], m['Subject']) for m in self.mail_server.messages()]}"
        )
        message = messages[0]
        text = message.get_body(preferencelist=("plain",)).get_content()
        pattern = re.escape(self.base_url + path) + r"[A-Za-z0-9_-]+"
        match = re.search(pattern, text)
        assert match, f"no {self.base_url}{path}... link in the email:\n{text}"
        html = message.get_body(preferencelist=("html",)).get_content()
        assert f'href="{match.group(0)}"' in html
        return match.group(0)


@pytest.fixture
def inbox(mail_server, live_server) -> Inbox:
    return Inbox(mail_server, live_server.url)
