"""Reminders go out CHECKIN_REMINDER_HOURS before, exactly once per check-in and time: two passes,
or two workers at once, never repeat one; a new time is reminded again."""

from __future__ import annotations

from datetime import timedelta

from portal.checkins import services
from portal.checkins.reminders import send_due_reminders, send_reminder
from portal.extensions import db
from tests.checkins.helpers import schedule
from tests.outbox.helpers import run_in_other_context


def _reminders(emails) -> list[str]:
    return sorted(address for address, template in emails() if template == "check_in_reminder")


def test_a_reminder_is_sent_once_even_with_two_passes(app, people, frozen_clock, emails):
    check_in = schedule(people["case"], people["lead"])
    frozen_clock.set(check_in.scheduled_at - timedelta(hours=25))
    assert send_due_reminders() == 0
    frozen_clock.advance(hours=2)
    assert send_due_reminders() == 1
    assert send_due_reminders() == 0
    assert _reminders(emails) == sorted([people["member"].email, people["lead"].email])


def test_two_workers_that_both_saw_it_due_send_one_reminder(app, people, frozen_clock, emails):
    """Both workers listed the check-in as due; the conditional UPDATE lets only one claim it."""
    check_in = schedule(people["case"], people["lead"])
    frozen_clock.set(check_in.scheduled_at - timedelta(hours=1))
    assert run_in_other_context(app, send_reminder, check_in.id) is True
    assert send_reminder(check_in.id) is False
    assert len(_reminders(emails)) == 2


def test_a_rescheduled_check_in_is_reminded_again(app, people, frozen_clock, emails):
    check_in = schedule(people["case"], people["lead"])
    frozen_clock.set(check_in.scheduled_at - timedelta(hours=2))
    assert send_due_reminders() == 1
    services.reschedule_check_in(
        check_in,
        by=people["lead"],
        slot=services.Slot(check_in.scheduled_at + timedelta(days=7), "America/Toronto"),
        sequence=0,
    )
    db.session.commit()
    assert check_in.reminded_at is None
    assert send_due_reminders() == 0
    frozen_clock.set(check_in.scheduled_at - timedelta(hours=3))
    assert send_due_reminders() == 1
    assert len(_reminders(emails)) == 4


def test_a_check_in_set_inside_the_window_is_not_reminded_separately(
    app, people, frozen_clock, emails
):
    """The invitation itself serves as the reminder when the check-in is less than a day away."""
    check_in = schedule(
        people["case"], people["lead"], starts_at=frozen_clock() + timedelta(hours=5)
    )
    assert check_in.reminded_at == frozen_clock()
    assert send_due_reminders() == 0
    assert _reminders(emails) == []


def test_cancelled_and_past_check_ins_are_not_reminded(app, people, frozen_clock, emails):
    cancelled = schedule(people["case"], people["lead"])
    services.cancel_check_in(cancelled, by=people["lead"])
    db.session.commit()
    frozen_clock.set(cancelled.scheduled_at - timedelta(hours=1))
    assert send_due_reminders() == 0
    frozen_clock.set(cancelled.scheduled_at + timedelta(days=30))
    schedule(people["case"], people["lead"], starts_at=frozen_clock() + timedelta(days=3))
    frozen_clock.advance(days=4)  # the worker was down the whole day before: too late now
    assert send_due_reminders() == 0


def test_the_worker_runs_reminders_and_the_cli_sends_them(app, people, frozen_clock, emails):
    jobs = app.extensions["periodic_jobs"]
    assert jobs["check-in-reminders"].every == timedelta(seconds=300)
    check_in = schedule(people["case"], people["lead"])
    frozen_clock.set(check_in.scheduled_at - timedelta(hours=1))
    result = app.test_cli_runner().invoke(args=["checkins", "remind"])
    assert result.exit_code == 0 and "1 check-in reminder(s) queued" in result.output
    jobs["check-in-reminders"].run()
    assert len(_reminders(emails)) == 2
