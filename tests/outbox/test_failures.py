"""SMTP trouble never reaches the user and never loses an email: the action succeeds, the worker
records the error and retries with backoff, gives up after OUTBOX_MAX_ATTEMPTS, and is never held
up longer than MAIL_TIMEOUT_SECONDS by a relay that does not answer."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller

from portal.extensions import db
from portal.outbox.mailcatcher import EmlDirectoryHandler, read_mailbox
from portal.outbox.models import EmailStatus
from portal.outbox.services import queue_email
from portal.outbox.worker import MAX_BACKOFF, send_due_emails
from tests.conftest import free_port
from tests.outbox.helpers import HangingSMTPServer


def _queue_notifications(users) -> None:
    for user in users:
        queue_email(user, "notification", link="http://portal.test/")
    db.session.commit()


def test_smtp_down_user_action_succeeds_and_email_is_retried_then_sent_once(
    app, client, mail_server, frozen_clock, make_member, outbox_rows
):
    app.config["OUTBOX_RETRY_BASE_SECONDS"] = 30
    member = make_member(password=None)
    mail_server.stop()

    response = client.post("/forgot-password", data={"email": member.email})
    assert response.status_code == 200
    assert "Check your email" in response.text
    [row] = outbox_rows()
    assert (row.template, row.status, row.attempts) == ("password_reset", EmailStatus.PENDING, 0)

    assert send_due_emails() == (0, 1)  # the relay refuses the connection

    [row] = outbox_rows()
    assert row.status is EmailStatus.PENDING
    assert row.attempts == 1
    assert row.last_error.startswith("ConnectionRefusedError")
    assert row.next_attempt_at == frozen_clock.current + timedelta(seconds=30)
    assert row.claimed_until is None
    assert row.body_text and row.body_html  # kept until it is sent

    mail_server.start()  # a new server on the same port
    frozen_clock.advance(seconds=29)
    assert send_due_emails() == (0, 0)  # not due yet: the backoff holds
    assert outbox_rows()[0].attempts == 1
    assert mail_server.messages() == []

    frozen_clock.advance(seconds=1)
    assert send_due_emails() == (1, 0)
    frozen_clock.advance(days=1)
    assert send_due_emails() == (0, 0)

    [received] = mail_server.messages()
    assert received["To"] == member.email
    assert received["Message-ID"] == row.message_id
    [row] = outbox_rows()
    assert (row.status, row.attempts, row.last_error) == (EmailStatus.SENT, 2, None)
    assert row.body_text is None and row.body_html is None


def test_request_that_queues_an_email_never_talks_smtp(
    app, client, hanging_smtp_server, make_member, outbox_rows
):
    """With a relay that would hang every SMTP conversation, the request cannot be slowed by it: it
    only writes the outbox row and never even connects. (Counted, not timed: a busy machine would
    make a timing flaky, while a connection is either made or not.)"""
    member = make_member(password=None)
    response = client.post("/forgot-password", data={"email": member.email})
    assert response.status_code == 200
    assert len(outbox_rows()) == 1
    time.sleep(0.1)  # give the server's accept loop a chance to see a connection, if any
    assert hanging_smtp_server.connections == []


def test_backoff_doubles_after_each_failure_up_to_the_cap(
    app, mail_server, frozen_clock, make_member, outbox_rows
):
    app.config.update(OUTBOX_RETRY_BASE_SECONDS=30, OUTBOX_MAX_ATTEMPTS=50)
    _queue_notifications([make_member(password=None)])
    mail_server.stop()

    for attempt, delay in enumerate([30, 60, 120, 240], start=1):
        assert send_due_emails() == (0, 1)
        [row] = outbox_rows()
        assert row.attempts == attempt
        assert row.next_attempt_at == frozen_clock.current + timedelta(seconds=delay)
        frozen_clock.advance(seconds=delay - 1)
        assert send_due_emails() == (0, 0)
        frozen_clock.advance(seconds=1)

    row.attempts = 20  # 30 s × 2**20 would be a year
    db.session.commit()
    assert send_due_emails() == (0, 1)
    assert outbox_rows()[0].next_attempt_at == frozen_clock.current + MAX_BACKOFF


def test_after_max_attempts_the_email_is_failed_with_its_error_and_never_retried(
    app, mail_server, frozen_clock, make_member, outbox_rows
):
    app.config.update(OUTBOX_MAX_ATTEMPTS=3, OUTBOX_RETRY_BASE_SECONDS=0)
    _queue_notifications([make_member(password=None)])
    mail_server.stop()

    for attempt in (1, 2):
        assert send_due_emails() == (0, 1)
        [row] = outbox_rows()
        assert (row.status, row.attempts) == (EmailStatus.PENDING, attempt)
    assert send_due_emails() == (0, 1)
    [row] = outbox_rows()
    assert row.status is EmailStatus.FAILED
    assert row.attempts == 3
    assert row.last_error.startswith("ConnectionRefusedError")
    assert row.claimed_until is None and row.sent_at is None

    # The relay is back and time passes: a failed email stays failed, untouched.
    mail_server.start()
    for _ in range(3):
        frozen_clock.advance(days=1)
        assert send_due_emails() == (0, 0)
    assert mail_server.messages() == []
    [row] = outbox_rows()
    assert (row.status, row.attempts) == (EmailStatus.FAILED, 3)
    assert row.last_error.startswith("ConnectionRefusedError")


@pytest.mark.parametrize(
    "greeting", [None, b"220 silent.test ESMTP\r\n"], ids=["no-banner", "silent-after-banner"]
)
def test_hanging_relay_holds_the_worker_no_longer_than_the_timeout(
    app, mail_server, make_member, outbox_rows, greeting
):
    hanging = HangingSMTPServer(greeting=greeting)
    try:
        app.config.update(MAIL_PORT=hanging.port, MAIL_TIMEOUT_SECONDS=0.5)
        _queue_notifications([make_member(password=None) for _ in range(3)])

        started = time.monotonic()
        assert send_due_emails() == (0, 3)
        elapsed = time.monotonic() - started
        assert elapsed >= 0.9 * app.config["MAIL_TIMEOUT_SECONDS"], (
            elapsed
        )  # the timeout was met...
        assert len(hanging.connections) == 1  # ...once for the batch, not once per email
        assert elapsed < 10 * app.config["MAIL_TIMEOUT_SECONDS"], elapsed  # and it moved on
    finally:
        hanging.close()

    rows = outbox_rows()
    assert {(r.status, r.attempts) for r in rows} == {(EmailStatus.PENDING, 1)}
    # The first email met the timeout; the rest of the batch found the connection already closed.
    assert "timed out" in rows[0].last_error
    assert all(r.last_error.startswith("SMTPServerDisconnected") for r in rows)
    assert all(r.body_text for r in rows)

    # Once the relay answers again, the next pass delivers them.
    app.config["MAIL_PORT"] = mail_server.port
    assert send_due_emails() == (3, 0)
    assert len(mail_server.messages()) == 3


class RejectingHandler(EmlDirectoryHandler):
    """Refuses any recipient whose address starts with "bounce"."""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address.startswith("bounce"):
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"


def test_a_refused_recipient_does_not_hold_back_the_rest_of_the_batch(
    app, tmp_path, make_member, outbox_rows
):
    port = free_port()
    controller = Controller(
        RejectingHandler(tmp_path / "rejecting"), hostname="127.0.0.1", port=port
    )
    controller.start()
    try:
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
        first = make_member(password=None)
        bounce = make_member(email="bounce@example.test", password=None)
        last = make_member(password=None)
        _queue_notifications([first, bounce, last])

        assert send_due_emails() == (2, 1)
    finally:
        controller.stop()

    assert sorted(m["To"] for m in read_mailbox(tmp_path / "rejecting")) == sorted(
        [first.email, last.email]
    )
    rows = {row.to_address: row for row in outbox_rows()}
    assert rows[first.email].status is rows[last.email].status is EmailStatus.SENT
    refused = rows["bounce@example.test"]
    assert (refused.status, refused.attempts) == (EmailStatus.FAILED, 1)  # a 5xx is final
    assert refused.last_error.startswith("SMTPRecipientsRefused")
    assert "550" in refused.last_error
