"""Sending the outbox.

Several workers may run at once (on several machines): a row is claimed with a conditional UPDATE
that only one of them can win, and the claim is a lease, so a worker that dies mid-send leaves the
row to be retried after `OUTBOX_CLAIM_SECONDS` rather than stuck. SMTP failures are retried with
exponential backoff; after `OUTBOX_MAX_ATTEMPTS` the row is marked failed with the error kept.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Flask, current_app
from flask_mail import Message, sanitize_address, sanitize_addresses
from icalendar import Calendar
from sqlalchemy import and_, or_, select, update

from portal import clock
from portal.extensions import db
from portal.outbox.models import EmailStatus, OutboxEmail

log = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(hours=1)


def _due_condition(now):
    return or_(
        and_(OutboxEmail.status == EmailStatus.PENDING, OutboxEmail.next_attempt_at <= now),
        and_(OutboxEmail.status == EmailStatus.SENDING, OutboxEmail.claimed_until < now),
    )


def claim_due_emails(limit: int = 50) -> list[OutboxEmail]:
    """Claim up to `limit` due emails for this worker and commit the claim."""
    now = clock.now()
    lease = timedelta(seconds=current_app.config["OUTBOX_CLAIM_SECONDS"])
    # On PostgreSQL, FOR UPDATE SKIP LOCKED hands concurrent workers disjoint rows (no waiting, no
    # wasted claims); SQLite has no row locks and ignores it. Either way, the conditional UPDATE
    # below is what guarantees that a row is claimed once.
    candidates = db.session.scalars(
        select(OutboxEmail.id)
        .where(_due_condition(now))
        .order_by(OutboxEmail.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    claimed_ids = []
    for email_id in candidates:
        result = db.session.execute(
            update(OutboxEmail)
            .where(OutboxEmail.id == email_id, _due_condition(now))
            .values(
                status=EmailStatus.SENDING,
                claimed_until=now + lease,
                attempts=OutboxEmail.attempts + 1,
            )
        )
        if result.rowcount == 1:
            claimed_ids.append(email_id)
    db.session.commit()
    if not claimed_ids:
        return []
    return list(
        db.session.scalars(
            select(OutboxEmail).where(OutboxEmail.id.in_(claimed_ids)).order_by(OutboxEmail.id)
        )
    )


def _as_message(email: OutboxEmail) -> Message:
    message = Message(
        subject=email.subject,
        recipients=[email.to_address],
        body=email.body_text,
        html=email.body_html,
        sender=current_app.config["MAIL_DEFAULT_SENDER"],
        extra_headers={"Auto-Submitted": "auto-generated"},
    )
    # Flask-Mail writes its own random Message-ID; an extra header would add a second one.
    message.msgId = email.message_id
    if email.calendar_ics:
        # Calendar clients read the METHOD (REQUEST, CANCEL) from the Content-Type too.
        method = str(Calendar.from_ical(email.calendar_ics).get("method", "REQUEST")).upper()
        message.attach(
            filename="msp-check-in.ics",
            content_type=f"text/calendar; method={method}; charset=utf-8",
            data=email.calendar_ics.encode("utf-8"),
        )
    return message


def _open_smtp() -> smtplib.SMTP:
    """Flask-Mail builds the messages; the connection is ours so that it has a timeout."""
    config = current_app.config
    smtp = smtplib.SMTP(
        config["MAIL_SERVER"], config["MAIL_PORT"], timeout=config["MAIL_TIMEOUT_SECONDS"]
    )
    if config["MAIL_USE_TLS"]:
        smtp.starttls(context=ssl.create_default_context())
    if config["MAIL_USERNAME"]:
        smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
    return smtp


def _renew_claim(email_id: int, claimed_until: datetime) -> bool:
    """Renew this worker's lease on an email just before sending it, so that no other worker takes
    it while it is on the wire. False when our lease (`claimed_until`, as we set it) ran out
    during the batch and another worker has claimed, perhaps sent, the email since: it is theirs.
    """
    lease = timedelta(seconds=current_app.config["OUTBOX_CLAIM_SECONDS"])
    result = db.session.execute(
        update(OutboxEmail)
        .where(
            OutboxEmail.id == email_id,
            OutboxEmail.status == EmailStatus.SENDING,
            OutboxEmail.claimed_until == claimed_until,
        )
        .values(claimed_until=clock.now() + lease)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount == 1


def _describe(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"[:500]


def _mark_failed_attempt(email: OutboxEmail, error: Exception, *, permanent: bool = False) -> None:
    config = current_app.config
    email.last_error = _describe(error)
    email.claimed_until = None
    if permanent or email.attempts >= config["OUTBOX_MAX_ATTEMPTS"]:
        email.status = EmailStatus.FAILED
        log.warning("outbox email %s failed for good after %s attempts", email.id, email.attempts)
        return
    delay = timedelta(seconds=config["OUTBOX_RETRY_BASE_SECONDS"] * 2 ** (email.attempts - 1))
    email.status = EmailStatus.PENDING
    email.next_attempt_at = clock.now() + min(delay, MAX_BACKOFF)


def _mark_sent(email: OutboxEmail) -> None:
    email.status = EmailStatus.SENT
    email.sent_at = clock.now()
    email.claimed_until = None
    email.last_error = None
    email.body_text = None
    email.body_html = None
    email.calendar_ics = None


def send_due_emails(limit: int = 50) -> tuple[int, int]:
    """One pass of the worker. Returns (sent, failed attempts)."""
    emails = claim_due_emails(limit)
    if not emails:
        return 0, 0
    # Each claim sets a later `claimed_until` than the last one: it tells our claim from another's.
    claims = [(email, email.id, email.claimed_until) for email in emails]
    sent = failed = 0
    try:
        smtp = _open_smtp()
    except (OSError, smtplib.SMTPException) as error:
        for email in emails:
            _mark_failed_attempt(email, error)
        db.session.commit()
        log.warning("SMTP relay unreachable; %s emails will be retried", len(emails))
        return 0, len(emails)
    try:
        for email, email_id, claimed_until in claims:
            if not _renew_claim(email_id, claimed_until):
                log.warning("outbox email %s was taken over by another worker", email_id)
                continue
            try:
                message = _as_message(email)
                smtp.sendmail(
                    sanitize_address(message.sender),
                    list(sanitize_addresses(message.send_to)),
                    message.as_bytes(),
                )
            except smtplib.SMTPRecipientsRefused as error:
                # A 5xx for the address: retrying cannot help.
                permanent = all(code >= 500 for code, _ in error.recipients.values())
                _mark_failed_attempt(email, error, permanent=permanent)
                failed += 1
            except (OSError, smtplib.SMTPException) as error:
                _mark_failed_attempt(email, error)
                failed += 1
            except Exception as error:  # a bad row must not stop the worker or stay stuck
                log.exception("outbox email %s could not be sent", email_id)
                _mark_failed_attempt(email, error)
                failed += 1
            else:
                _mark_sent(email)
                sent += 1
            # Commit after each email: a crash must not forget what has already gone out.
            db.session.commit()
    finally:
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            smtp.close()
    return sent, failed


@dataclass(frozen=True)
class PeriodicJob:
    """Work a feature wants done every so often by the worker (e.g. the daily digests). A job
    commits its own work and must be safe to run from several workers at once."""

    name: str
    every: timedelta
    run: Callable[[], object]


def register_periodic_job(app: Flask, name: str, every: timedelta, run: Callable[[], object]):
    app.extensions.setdefault("periodic_jobs", {})[name] = PeriodicJob(name, every, run)


def run_due_jobs(next_runs: dict[str, float]) -> None:
    """Run each registered job whose time has come (`next_runs`: the worker's schedule, by job
    name, on the monotonic clock). A failing job is logged and tried again at its next turn."""
    for job in current_app.extensions.get("periodic_jobs", {}).values():
        started = time.monotonic()
        if next_runs.get(job.name, started) > started:
            continue
        next_runs[job.name] = started + job.every.total_seconds()
        try:
            job.run()
        except Exception:
            log.exception("periodic job %s failed", job.name)
            db.session.rollback()


def run_worker(*, once: bool = False, stop: threading.Event | None = None) -> None:
    """Send until `stop` is set, running the periodic jobs when due; with `once`, make a single
    pass."""
    stop = stop or threading.Event()
    poll = current_app.config["OUTBOX_POLL_SECONDS"]
    next_runs: dict[str, float] = {}
    while True:
        run_due_jobs(next_runs)
        sent, failed = send_due_emails()
        if sent or failed:
            log.info("outbox: %s sent, %s to retry or failed", sent, failed)
        db.session.remove()
        if once or stop.is_set():
            return
        if not sent:
            stop.wait(poll)
