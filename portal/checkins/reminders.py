"""Reminders: CHECKIN_REMINDER_HOURS before a check-in, each side gets a content-free email with
the calendar entry, once per check-in and time.

`reminded_at` is claimed with a conditional UPDATE before the emails are queued, in the same
transaction, so a re-run or two workers at once never send one twice. Rescheduling clears it, so
the new time is reminded again (unless the new time is already inside the window: the update just
sent serves as the reminder).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import current_app
from sqlalchemy import exists, select, update

from portal import clock
from portal.cases.models import Case, Stage
from portal.checkins.models import CheckIn, CheckInStatus
from portal.checkins.services import send_calendar_emails
from portal.extensions import db

log = logging.getLogger(__name__)


def _due(now):
    window = timedelta(hours=current_app.config["CHECKIN_REMINDER_HOURS"])
    open_case = exists().where(Case.id == CheckIn.case_id, Case.stage != Stage.CLOSED)
    return (
        CheckIn.status == CheckInStatus.SCHEDULED,
        open_case,  # closing cancels check-ins to come; never remind of one on a closed case
        CheckIn.reminded_at.is_(None),
        CheckIn.scheduled_at > now,
        CheckIn.scheduled_at <= now + window,
    )


def send_reminder(check_in_id: int) -> bool:
    """Claim and send one reminder, then commit. False when it is no longer due (sent by an
    earlier run or another worker, rescheduled or cancelled meanwhile)."""
    now = clock.now()
    claimed = db.session.execute(
        update(CheckIn)
        .where(CheckIn.id == check_in_id, *_due(now))
        .values(reminded_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not claimed:
        db.session.rollback()
        return False
    send_calendar_emails(db.session.get(CheckIn, check_in_id), "check_in_reminder")
    db.session.commit()
    return True


def send_due_reminders() -> int:
    """Send every reminder that is due. Returns how many check-ins were reminded."""
    due = db.session.scalars(
        select(CheckIn.id).where(*_due(clock.now())).order_by(CheckIn.scheduled_at)
    ).all()
    return sum(send_reminder(check_in_id) for check_in_id in due)


def run_reminder_job() -> None:
    """The periodic job the outbox worker runs."""
    sent = send_due_reminders()
    if sent:
        log.info("check-ins: %s reminder(s) queued", sent)
