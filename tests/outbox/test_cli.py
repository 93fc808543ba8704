"""`flask outbox work`: `--once` sends what is due and exits; without it the worker keeps polling
until SIGTERM (or its stop event) and then stops cleanly."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

from portal.extensions import db
from portal.outbox.models import EmailStatus
from portal.outbox.services import queue_email
from portal.outbox.worker import run_worker
from tests.outbox.helpers import run_in_other_context


@pytest.fixture(autouse=True)
def restore_signal_handlers():
    """The command installs SIGINT/SIGTERM handlers; give pytest its own back afterwards."""
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    yield
    for sig, handler in saved.items():
        signal.signal(sig, handler)


def _queue(user) -> None:
    queue_email(user, "notification", link="http://portal.test/")
    db.session.commit()


def _wait_for(condition, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


def test_work_once_sends_due_mail_and_exits(app, mail_server, make_member, outbox_rows):
    member = make_member(password=None)
    address = member.email  # the command ends the session `member` belongs to
    _queue(member)

    result = app.test_cli_runner().invoke(args=["outbox", "work", "--once"])

    assert result.exit_code == 0, result.output
    assert f"sending via 127.0.0.1:{mail_server.port}" in result.output
    [received] = mail_server.messages()
    assert received["To"] == address
    assert outbox_rows()[0].status is EmailStatus.SENT


def test_work_once_with_nothing_due_exits_without_connecting(app, hanging_smtp_server):
    result = app.test_cli_runner().invoke(args=["outbox", "work", "--once"])
    assert result.exit_code == 0, result.output
    time.sleep(0.1)  # give the server's accept loop a chance to see a connection, if any
    assert hanging_smtp_server.connections == []


def test_work_once_with_the_relay_down_exits_and_keeps_the_email(
    app, mail_server, make_member, outbox_rows
):
    _queue(make_member(password=None))
    mail_server.stop()
    result = app.test_cli_runner().invoke(args=["outbox", "work", "--once"])
    assert result.exit_code == 0, result.output
    [row] = outbox_rows()
    assert (row.status, row.attempts) == (EmailStatus.PENDING, 1)
    assert row.last_error.startswith("ConnectionRefusedError")


def test_worker_loop_sends_mail_queued_while_it_runs_and_stops_when_told(
    app, mail_server, make_member, outbox_rows
):
    app.config["OUTBOX_POLL_SECONDS"] = 0.05
    members = [make_member(password=None) for _ in range(2)]
    addresses = sorted(member.email for member in members)
    stop = threading.Event()
    worker = threading.Thread(
        target=run_in_other_context, args=(app, run_worker), kwargs={"stop": stop}
    )
    worker.start()
    try:
        _queue(members[0])
        assert _wait_for(lambda: len(mail_server.messages()) == 1)
        _queue(members[1])
        assert _wait_for(lambda: len(mail_server.messages()) == 2)
    finally:
        stop.set()
        worker.join(timeout=2)
    assert not worker.is_alive()
    assert sorted(m["To"] for m in mail_server.messages()) == addresses
    assert {row.status for row in outbox_rows()} == {EmailStatus.SENT}


def test_work_command_stops_cleanly_on_sigterm(app, mail_server, make_member):
    app.config["OUTBOX_POLL_SECONDS"] = 0.05
    _queue(make_member(password=None))

    def terminate_once_delivered():
        _wait_for(lambda: len(mail_server.messages()) == 1)
        # Only signal once the command's own handler is installed: SIGTERM must not kill pytest.
        if _wait_for(
            lambda: (
                getattr(signal.getsignal(signal.SIGTERM), "__module__", None) == "portal.outbox.cli"
            )
        ):
            os.kill(os.getpid(), signal.SIGTERM)

    killer = threading.Thread(target=terminate_once_delivered, daemon=True)
    killer.start()
    started = time.monotonic()
    result = app.test_cli_runner().invoke(args=["outbox", "work"])
    killer.join(timeout=5)

    assert result.exit_code == 0, result.output
    assert time.monotonic() - started < 5
    assert len(mail_server.messages()) == 1
