"""Several app servers behind a load balancer: a browser's requests may reach any of them, so
nothing a request needs may live in one server's memory.

Two real app servers (gunicorn, one process each, as on two machines) share the SECRET_KEY, the
database and Redis for rate limits. One browser's requests alternate between them: its session
holds on both, signing out on one ends it on the other, and the sign-in and per-user message limits
count the requests of both. (Two apps in one test process would prove nothing about rate limits:
Flask-Limiter keeps one storage per process.) Needs Redis: TEST_REDIS_URL, by default
redis://127.0.0.1:6379/0; the keys live under a prefix of their own and are deleted at the end.
"""

from __future__ import annotations

import http.client
import os
import secrets
import socket
import subprocess
import sys
import time
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest
import redis

from portal.extensions import db
from portal.messaging.models import Message
from tests.conftest import REDIS_URL, free_port
from tests.factories import PASSWORD
from tests.messaging.helpers import start_conversation

ROOT = Path(__file__).resolve().parents[2]


class Server:
    """`gunicorn wsgi:app` in a process of its own, configured from the environment."""

    def __init__(self, environment: dict[str, str], log: Path):
        self.port = free_port()
        self.log = log
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "wsgi:app"]
            + ["--bind", f"127.0.0.1:{self.port}", "--workers", "1"],
            cwd=ROOT,
            env={**os.environ, **environment},
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
        )

    def wait_until_ready(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.2)
        raise AssertionError(f"server did not start:\n{self.log.read_text()}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class Browser:
    """One browser behind the load balancer: the cookies it holds go to whichever server the
    request reaches."""

    def __init__(self):
        self.cookies: dict[str, str] = {}

    def request(self, server: Server, method: str, path: str, data: dict | None = None):
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        headers = {"Cookie": "; ".join(f"{name}={value}" for name, value in self.cookies.items())}
        body = None
        if data is not None:
            body = urlencode(data)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body, headers)
        response = connection.getresponse()
        text = response.read().decode()
        connection.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                if morsel.value:
                    self.cookies[name] = morsel.value
                else:
                    self.cookies.pop(name, None)
        return response.status, response.getheader("Location") or "", text


@pytest.fixture
def servers(app, database_url, redis_prefix, tmp_path):
    environment = {
        "PORTAL_ENV": "testing",
        "SECRET_KEY": secrets.token_hex(32),  # the same on every server
        "DATABASE_URL": database_url,
        "RATELIMIT_STORAGE_URI": REDIS_URL,
        "RATELIMIT_KEY_PREFIX": redis_prefix,
        "UPLOAD_DIR": str(tmp_path / "uploads"),
    }
    started = [Server(environment, tmp_path / f"server-{name}.log") for name in "ab"]
    try:
        for server in started:
            server.wait_until_ready()
        yield started
    finally:
        for server in started:
            server.stop()


def test_sessions_and_rate_limits_hold_across_app_servers(
    app, servers, make_member, make_case, redis_prefix
):
    a, b = servers
    member = make_member()
    conversation = start_conversation(make_case(member=member), member)
    email, name, conversation_id = member.email, member.name, conversation.id
    db.session.commit()  # ends this test's transaction: on SQLite it would hold the servers back
    browser = Browser()

    # Signed in on A, the session works on B.
    status, location, _ = browser.request(
        a, "POST", "/login", {"email": email, "password": PASSWORD}
    )
    assert status == 302 and "/login" not in location
    status, _, page = browser.request(b, "GET", "/dashboard")
    assert status == 200 and name in page

    # The member's message limit (10 a minute) counts the messages sent through both servers.
    for n in range(10):
        server = (a, b)[n % 2]
        status, _, _ = browser.request(
            server, "POST", f"/messages/{conversation_id}/reply", {"body": f"Message {n}"}
        )
        assert status == 302, n
    status, _, page = browser.request(
        b, "POST", f"/messages/{conversation_id}/reply", {"body": "One too many"}
    )
    assert "Wait a few minutes" in page and "One too many</textarea>" in page
    count = db.select(db.func.count()).where(Message.conversation_id == conversation_id)
    assert db.session.scalar(count) == 11  # the first message and ten replies

    # Signing out on A ends the session on B, even for a copy of the cookie.
    copied = dict(browser.cookies)
    status, _, _ = browser.request(a, "POST", "/logout", {})
    assert status == 302
    browser.cookies = copied
    status, location, _ = browser.request(b, "GET", "/dashboard")
    assert status == 302 and "/login" in location

    # The sign-in limit per address (20 a minute) counts the attempts made on both servers: the
    # sign-in above, then wrong passwords alternating between B and A.
    statuses = [
        browser.request(
            (b, a)[n % 2], "POST", "/login", {"email": f"n{n}@example.org", "password": "wrong"}
        )[0]
        for n in range(20)
    ]
    assert statuses == [200] * 19 + [429]

    # The counters were in Redis, under this run's prefix.
    assert list(redis.Redis.from_url(REDIS_URL).scan_iter(match=f"*{redis_prefix}*"))


def test_production_refuses_several_workers_counting_rate_limits_in_memory(tmp_path):
    # gunicorn.conf.py: each worker would count on its own, so a limit of 20 would allow 20 per
    # worker. The check runs before any worker starts.
    environment = {
        "PORTAL_ENV": "production",
        "SECRET_KEY": secrets.token_hex(32),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.db'}",
        "RATELIMIT_STORAGE_URI": "memory://",
    }
    result = subprocess.run(
        [sys.executable, "-m", "gunicorn", "wsgi:app", "--bind", "127.0.0.1:0", "--workers", "2"],
        cwd=ROOT,
        env={**os.environ, **environment},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "RATELIMIT_STORAGE_URI=memory://" in result.stderr
