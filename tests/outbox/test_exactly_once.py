"""Never twice: concurrent workers never claim the same row, a sent row is never sent again, a row
left "sending" by a worker that died is sent after its lease, and a worker whose lease ran out
mid-batch does not send a row another worker has taken over."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from datetime import timedelta

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from portal.extensions import db
from portal.outbox.mailcatcher import EmlDirectoryHandler, read_mailbox
from portal.outbox.models import EmailStatus
from portal.outbox.services import queue_email
from portal.outbox.worker import claim_due_emails, send_due_emails
from tests.conftest import free_port
from tests.outbox.helpers import run_at_once, run_in_other_context


def _queue(make_member, count: int) -> None:
    for _ in range(count):
        queue_email(make_member(password=None), "notification", link="http://portal.test/")
    db.session.commit()


def _ids(emails) -> list[int]:
    return [email.id for email in emails]


def _assert_each_delivered_once(messages, rows) -> None:
    copies = Counter(message["Message-ID"] for message in messages)
    assert copies == Counter({row.message_id: 1 for row in rows})


def test_a_claimed_row_is_not_claimed_again_by_another_worker(app, make_member, outbox_rows):
    _queue(make_member, 3)
    first = _ids(claim_due_emails())
    second = run_in_other_context(app, lambda: _ids(claim_due_emails()))
    assert first == _ids(outbox_rows()) and second == []
    assert all(row.status is EmailStatus.SENDING and row.attempts == 1 for row in outbox_rows())


def test_claim_with_a_stale_candidate_list_claims_nothing_taken_meanwhile(
    app, make_member, outbox_rows
):
    """Worker B lists the due rows; before B's conditional UPDATEs run, worker A tries to claim
    them. On SQLite A takes them all and B's UPDATEs then match nothing; on PostgreSQL B's list
    holds the rows locked (FOR UPDATE SKIP LOCKED), so A skips them and B claims them. Either
    way each row is claimed by exactly one worker, once."""
    _queue(make_member, 4)
    main_thread = threading.get_ident()
    other_claim: list[int] = []

    def before_update(conn, cursor, statement, parameters, context, executemany):
        if (
            not other_claim
            and threading.get_ident() == main_thread
            and statement.lstrip().upper().startswith("UPDATE")
        ):
            other_claim.extend(run_in_other_context(app, lambda: _ids(claim_due_emails())))

    sa.event.listen(db.engine, "before_cursor_execute", before_update)
    try:
        mine = _ids(claim_due_emails())
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", before_update)

    assert sorted(other_claim + mine) == _ids(outbox_rows())
    assert not set(other_claim) & set(mine)
    assert [] in (other_claim, mine)  # one worker took the whole list
    assert all(row.attempts == 1 for row in outbox_rows())  # claimed once, counted once


def test_concurrent_claims_never_share_a_row(app, make_member, outbox_rows):
    _queue(make_member, 12)
    workers = 3
    results = run_at_once(app, lambda: _ids(claim_due_emails(limit=5)), workers)

    claimed = [email_id for result in results for email_id in result]
    assert len(results) == workers
    assert claimed  # somebody won
    assert len(claimed) == len(set(claimed))  # no row went to two workers
    rows = {row.id: row for row in outbox_rows()}
    assert all(rows[email_id].attempts == 1 for email_id in claimed)
    # The rows nobody claimed are still there for the next pass, untouched.
    unclaimed = set(rows) - set(claimed)
    assert all((rows[i].status, rows[i].attempts) == (EmailStatus.PENDING, 0) for i in unclaimed)
    assert sorted(_ids(claim_due_emails())) == sorted(unclaimed)


def test_concurrent_workers_deliver_every_email_exactly_once(
    app, mail_server, make_member, outbox_rows
):
    _queue(make_member, 10)
    run_at_once(app, lambda: send_due_emails(limit=4), 2)
    for _ in range(5):  # then send what the two passes left
        if send_due_emails(limit=4) == (0, 0):
            break

    _assert_each_delivered_once(mail_server.messages(), outbox_rows())
    assert {(row.status, row.attempts) for row in outbox_rows()} == {(EmailStatus.SENT, 1)}


def test_a_sent_email_is_never_sent_again(app, mail_server, frozen_clock, make_member, outbox_rows):
    _queue(make_member, 1)
    assert send_due_emails() == (1, 0)
    for _ in range(3):
        frozen_clock.advance(seconds=app.config["OUTBOX_CLAIM_SECONDS"] * 10)
        assert send_due_emails() == (0, 0)
        assert run_in_other_context(app, send_due_emails) == (0, 0)
    assert len(mail_server.messages()) == 1
    assert (outbox_rows()[0].status, outbox_rows()[0].attempts) == (EmailStatus.SENT, 1)


def test_a_row_left_by_a_worker_that_died_is_sent_after_its_lease(
    app, mail_server, frozen_clock, make_member, outbox_rows
):
    lease = app.config["OUTBOX_CLAIM_SECONDS"]
    _queue(make_member, 1)
    assert len(claim_due_emails()) == 1  # ... and then the worker dies before sending
    [row] = outbox_rows()
    assert row.status is EmailStatus.SENDING
    assert row.claimed_until == frozen_clock.current + timedelta(seconds=lease)

    assert send_due_emails() == (0, 0)  # the lease still holds
    frozen_clock.advance(seconds=lease)
    assert send_due_emails() == (0, 0)  # up to its very end
    frozen_clock.advance(seconds=1)
    assert run_in_other_context(app, send_due_emails) == (1, 0)  # another worker picks it up
    assert send_due_emails() == (0, 0)

    [received] = mail_server.messages()
    assert received["Message-ID"] == row.message_id
    [row] = outbox_rows()
    assert (row.status, row.attempts, row.claimed_until) == (EmailStatus.SENT, 2, None)


def test_worker_whose_lease_ran_out_mid_batch_leaves_a_row_another_worker_took(
    app, mail_server, frozen_clock, make_member, outbox_rows
):
    """A slow relay: by the time worker A has sent the first row of its batch, its lease is over,
    and worker B claims and sends the second row. A must not send that row as well."""
    lease = app.config["OUTBOX_CLAIM_SECONDS"]
    _queue(make_member, 2)
    session = db.session()
    other_worker: list = []

    @sa.event.listens_for(session, "after_commit")
    def after_commit(_session):
        if not other_worker and len(mail_server.messages()) == 1:
            frozen_clock.advance(seconds=2 * lease)
            other_worker.append(run_in_other_context(app, send_due_emails))

    try:
        send_due_emails()
    finally:
        sa.event.remove(session, "after_commit", after_commit)

    assert other_worker == [(1, 0)]
    _assert_each_delivered_once(mail_server.messages(), outbox_rows())
    assert {row.status for row in outbox_rows()} == {EmailStatus.SENT}


class SlowHandler(EmlDirectoryHandler):
    """Calls `during_data(n)` (in a thread, without blocking the server) while it receives its
    n-th message, before accepting it."""

    def __init__(self, directory, during_data):
        super().__init__(directory)
        self.during_data = during_data
        self.received = 0

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.received += 1
        await asyncio.get_running_loop().run_in_executor(None, self.during_data, self.received)
        return await super().handle_DATA(server, session, envelope)


def test_row_being_sent_after_a_lapsed_lease_is_not_taken_by_another_worker(
    app, tmp_path, frozen_clock, make_member, outbox_rows
):
    """Worker A's lease runs out while it sends the first row; A goes on to the second row, and
    while that one is on the wire, worker B looks for due rows: it must not take it as well."""
    lease = app.config["OUTBOX_CLAIM_SECONDS"]
    other_worker: list = []

    def during_data(n):
        if n == 1:
            frozen_clock.advance(seconds=2 * lease)
        elif n == 2:
            other_worker.append(run_in_other_context(app, send_due_emails))

    port = free_port()
    controller = Controller(
        SlowHandler(tmp_path / "slow", during_data), hostname="127.0.0.1", port=port
    )
    controller.start()
    try:
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
        _queue(make_member, 2)
        send_due_emails()
    finally:
        controller.stop()

    assert other_worker == [(0, 0)]
    _assert_each_delivered_once(read_mailbox(tmp_path / "slow"), outbox_rows())
    assert {row.status for row in outbox_rows()} == {EmailStatus.SENT}


def test_three_workers_send_a_thousand_emails_each_exactly_once(
    app, database_url, mail_server, make_member, outbox_rows
):
    """The production topology's claim, at scale, on PostgreSQL (FOR UPDATE SKIP LOCKED): three
    workers race over 1,000 queued emails until none is left."""
    if not database_url.startswith("postgresql"):
        pytest.skip("row locks are PostgreSQL's; SQLite runs one writer at a time")
    member = make_member(password=None)
    for _ in range(1000):
        queue_email(member, "notification", link="http://portal.test/")
    db.session.commit()

    def work():
        sent = 0
        while True:
            done, failed = send_due_emails(limit=50)
            assert failed == 0
            if not done:
                return sent
            sent += done

    totals = run_at_once(app, work, 3)
    assert sum(totals) == 1000 and len(totals) == 3
    assert all(total > 0 for total in totals)  # all three took part
    _assert_each_delivered_once(mail_server.messages(), outbox_rows())
    assert {(row.status, row.attempts) for row in outbox_rows()} == {(EmailStatus.SENT, 1)}
