"""Reminders: a content-free email when a required activity is due within 7 days and when it is
overdue, each once per activity and threshold, whatever re-runs or races there are."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from portal.activities import services
from portal.activities.models import ReminderThreshold, SentReminder
from portal.activities.reminders import due_reminders, send_reminder, send_reminders
from portal.extensions import db
from portal.outbox.models import OutboxEmail
from tests.activities.helpers import Planned, activate_plan, activity, complete, submit
from tests.outbox.helpers import run_in_other_context


def _sent():
    return sorted((r.activity_key, r.threshold) for r in db.session.scalars(select(SentReminder)))


def _emails_to(user) -> list[OutboxEmail]:
    return list(db.session.scalars(select(OutboxEmail).where(OutboxEmail.to_address == user.email)))


def test_due_soon_and_overdue_required_activities_are_reminded_once(app, active):
    case = active["case"]
    before = len(_emails_to(case.member))
    # DEFAULT: workshop due in 5 days, audit 3 days late, e-learning in 30, reading optional.
    assert send_reminders() == 2
    assert _sent() == sorted(
        [
            (activity(case, "Teach-back workshop").key, ReminderThreshold.DUE_SOON),
            (activity(case, "Documentation audit").key, ReminderThreshold.OVERDUE),
        ]
    )
    emails = _emails_to(case.member)[before:]
    assert len(emails) == 2
    for email in emails:  # content-free: a link, never the activity
        assert "Teach-back" not in email.body_text and "audit" not in email.body_text.lower()
        assert "/activities/" in email.body_text
    # Re-runs send nothing more.
    assert send_reminders() == 0
    assert send_reminders() == 0
    assert len(_emails_to(case.member)) == before + 2


def test_a_due_soon_activity_is_reminded_again_when_it_becomes_overdue(app, active):
    case = active["case"]
    send_reminders()
    today = services.local_today()
    assert send_reminders(today + timedelta(days=6)) == 1  # the workshop is now overdue
    assert send_reminders(today + timedelta(days=6)) == 0
    key = activity(case, "Teach-back workshop").key
    assert (key, ReminderThreshold.OVERDUE) in _sent()
    assert (key, ReminderThreshold.DUE_SOON) in _sent()
    # The e-learning (due in 30 days) comes within 7 days later on.
    assert send_reminders(today + timedelta(days=24)) == 1


def test_nothing_for_done_submitted_or_optional_activities(app, make_case, make_staff):
    lead = make_staff()
    case = make_case(lead=lead)
    activate_plan(
        case,
        lead,
        [
            Planned(0, "Done", "1", -2),
            Planned(0, "Sent", "1", 2),
            Planned(1, "Waived", "1", -1),
            Planned(1, "Optional", "1", -1, required=False),
            Planned(1, "No due date", "1", None),
        ],
    )
    complete(case, "Done", lead)
    submit(case, "Sent")
    services.waive_activity(case, activity(case, "Waived"), by=lead, reason="n/a")
    db.session.commit()
    assert due_reminders() == []
    assert send_reminders() == 0


def test_a_returned_activity_is_still_reminded(app, active):
    case, lead = active["case"], active["lead"]
    submit(case, "Documentation audit")
    services.return_activity(case, activity(case, "Documentation audit"), by=lead, comment="x")
    db.session.commit()
    assert (activity(case, "Documentation audit").key, ReminderThreshold.OVERDUE) in [
        (r.activity_key, r.threshold) for r in due_reminders()
    ]


def test_two_runs_racing_send_each_reminder_once(app, active):
    case = active["case"]
    before = len(_emails_to(case.member))
    # Both runs see the same due reminders before either has sent anything...
    seen_by_first = due_reminders()
    assert len(seen_by_first) == 2
    # ...the second run (another worker, its own session and connection) sends them all...
    assert run_in_other_context(app, send_reminders) == 2
    # ...and the first run's inserts are refused by the unique constraint: nothing is repeated.
    db.session.expire_all()
    assert [send_reminder(reminder) for reminder in seen_by_first] == [False, False]
    assert db.session.scalar(select(func.count()).select_from(SentReminder)) == 2
    assert len(_emails_to(case.member)) == before + 2


def test_flask_reminders_send(app, active):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["reminders", "send"])
    assert result.exit_code == 0, result.output
    assert "2 reminder(s) queued" in result.output
    assert "0 reminder(s) queued" in runner.invoke(args=["reminders", "send"]).output


def test_the_worker_runs_the_reminders_job(app, active):
    from portal.outbox.worker import run_due_jobs

    assert "activity-reminders" in app.extensions["periodic_jobs"]
    run_due_jobs({})
    assert db.session.scalar(select(func.count()).select_from(SentReminder)) == 2
