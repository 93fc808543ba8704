"""A pytest plugin (loaded by tests/conftest.py): no log record of any test carries a known secret.

One handler on the root logger sees every record that is emitted (at WARNING and above, or lower
where a test turns logging up, as tests/security/test_log_hygiene.py does) and looks for the
passwords the factories and the demo use, and for whatever a test adds with `log_secrets.add()`
(tokens, codes, message bodies). A test that logs one fails. Cheap: a few substring checks per
emitted record.
"""

from __future__ import annotations

import logging

import pytest

from config import Config
from portal.demo import DEMO_PASSWORD
from tests.factories import PASSWORD

KNOWN_SECRETS = (PASSWORD, DEMO_PASSWORD, Config.DEMO_TOTP_SECRET)
# The test suite's own SMTP server (aiosmtpd) logs whole conversations at DEBUG: it stands for
# the mail relay, which is supposed to read the emails; it is not the portal.
NOT_THE_PORTAL = ("mail.log",)


class SecretWatch(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.NOTSET)
        self.secrets: set[str] = set()
        self.leaks: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith(NOT_THE_PORTAL):
            return
        try:
            text = record.getMessage()
        except Exception:  # noqa: BLE001 - a badly formatted record is not ours to judge
            text = str(record.msg)
        if record.exc_info:
            text += logging.Formatter().formatException(record.exc_info)
        for secret in (*KNOWN_SECRETS, *self.secrets):
            if secret and secret in text:
                self.leaks.append(f"{record.name} {record.levelname}: {secret!r} in {text[:300]!r}")


WATCH = SecretWatch()


def _watch() -> None:
    # Alembic's logging configuration (the migrations run in the first test's set-up) replaces the
    # root logger's handlers: put ours back whenever it is gone.
    root = logging.getLogger()
    if WATCH not in root.handlers:
        root.addHandler(WATCH)


def pytest_configure(config):
    _watch()


def pytest_unconfigure(config):
    logging.getLogger().removeHandler(WATCH)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    _watch()
    yield


@pytest.fixture(autouse=True)
def _no_secret_in_logs():
    WATCH.secrets.clear()
    WATCH.leaks.clear()
    yield
    leaks, WATCH.leaks = WATCH.leaks, []
    if leaks:
        pytest.fail("a log record carries a secret:\n" + "\n".join(leaks), pytrace=False)


@pytest.fixture
def log_secrets() -> set[str]:
    """Add the secrets of this test (a token, a code, a message body) to look for in the logs."""
    return WATCH.secrets
