"""Check-ins and the end of the program: closing a case cancels the check-ins still to come (each
calendar gets the cancellation) and nothing reminds of them; a double click schedules once; the
closing summary stays in the case's history after a reopening."""

from __future__ import annotations

from datetime import time, timedelta

from portal.cases.closing import close_case, reopen_case
from portal.cases.models import StageChange
from portal.checkins.models import CheckIn, CheckInStatus
from portal.checkins.reminders import send_due_reminders
from portal.extensions import db
from tests.checkins.helpers import form_for, schedule


def test_closing_a_case_cancels_its_check_ins_to_come(people, emails, frozen_clock):
    case, lead = people["case"], people["lead"]
    soon = schedule(case, lead, starts_at=frozen_clock() + timedelta(hours=30))
    later = schedule(case, lead, starts_at=frozen_clock() + timedelta(days=40))
    sent_before = len(emails())
    close_case(case, by=lead, summary="All activities completed; the program ends here.")
    db.session.commit()
    for check_in in (soon, later):
        db.session.refresh(check_in)
        assert check_in.status is CheckInStatus.CANCELLED
    cancellations = [t for _, t in emails()[sent_before:] if t == "check_in_cancelled"]
    assert len(cancellations) == 4  # the member and the lead, for each of the two
    frozen_clock.advance(hours=10)
    assert send_due_reminders() == 0


def test_reopening_keeps_the_closing_summary_in_the_history(people):
    case, lead = people["case"], people["lead"]
    close_case(case, by=lead, summary="The program ends with every goal met.")
    db.session.commit()
    reopen_case(case, by=lead, reason="A new college complaint: support resumes.")
    db.session.commit()
    assert case.closing_summary is None
    notes = db.session.scalars(
        db.select(StageChange.note).where(StageChange.case_id == case.id).order_by(StageChange.id)
    ).all()
    assert notes[-2:] == [
        "The program ends with every goal met.",
        "A new college complaint: support resumes.",
    ]


def test_a_double_click_schedules_one_check_in(people, client_for, frozen_clock):
    case = people["case"]
    lead = client_for(people["lead"])
    day = (frozen_clock() + timedelta(days=5)).date()
    form = form_for(day, time(10, 0))
    assert lead.post(f"/cases/{case.id}/check-ins", data=form).status_code == 302
    again = lead.post(f"/cases/{case.id}/check-ins", data=form)
    assert "already scheduled at that time" in again.text
    assert db.session.scalar(db.select(db.func.count()).select_from(CheckIn)) == 1
