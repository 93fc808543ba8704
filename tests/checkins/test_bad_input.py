"""Bad input gets a clear error and changes nothing; double and stale submissions change nothing."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest

from portal.audit.models import AuditEvent
from portal.checkins import services
from portal.checkins.models import CheckIn, CheckInStatus, RescheduleRequest
from portal.extensions import db
from portal.outbox.models import OutboxEmail
from tests.checkins.helpers import form_for, schedule


def _count(model) -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(model))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"day": "2030-01-14"}, "Choose a date and time in the future."),
        ({"day": "2030-01-15", "at": "06:59"}, "Choose a date and time in the future."),
        ({"day": "2033-01-15"}, "Choose a date within the next two years."),
        ({"day": "2030-02-30"}, "Not a valid date value."),
        ({"day": ""}, "Enter the date."),
        ({"at": "25:00"}, "Not a valid time value."),
        ({"time_zone": "Mars/Olympus_Mons"}, "Choose a time zone from the list."),
        ({"time_zone": "Europe/Paris"}, "Choose a time zone from the list."),  # not offered
        # Clocks go forward at 2:00 on 10 March 2030 in Toronto: 2:30 never happens.
        ({"day": "2030-03-10", "at": "02:30"}, "This time does not exist in that time zone"),
        ({"mode": "telepathy"}, "Not a valid choice"),
        ({"duration_minutes": "600"}, "Not a valid choice"),
        ({"agenda": "   "}, "Write a short agenda for the member."),
        ({"agenda": "x" * 2001}, "Field cannot be longer than 2000 characters."),
        ({"cadence_weeks": "0"}, "Enter a number of weeks from 1 to 52."),
        ({"cadence_weeks": "six"}, "Not a valid integer value."),
    ],
)
def test_scheduling_refuses_bad_input_and_saves_nothing(
    app, people, client_for, frozen_clock, changes, message
):
    staff = client_for(people["lead"])
    data = {**form_for(date(2030, 1, 20), time(10, 0)), **changes}
    response = staff.post(f"/cases/{people['case'].id}/check-ins", data=data)
    assert response.status_code == 400
    assert message in response.text
    assert 'class="error-summary"' in response.text
    assert _count(CheckIn) == 0 and _count(OutboxEmail) == 0


def test_the_member_zone_is_offered_and_the_scheduler_zone_is_the_default(app, people, client_for):
    page = client_for(people["lead"]).get(f"/cases/{people['case'].id}/check-ins").text
    assert (
        '<option selected value="America/Toronto">Eastern (Toronto, Montréal) — your time zone'
        in page
    )
    assert "Saskatchewan (Regina) — the member&#39;s time zone" in page


def test_the_outcome_waits_for_the_time_and_is_recorded_once(app, people, client_for, frozen_clock):
    check_in = schedule(people["case"], people["lead"])
    url = f"/cases/{people['case'].id}/check-ins/{check_in.id}/outcome"
    first = {"held": "held", "member_summary": "First summary", "internal_notes": "First notes"}
    staff = client_for(people["lead"])
    early = staff.post(url, data=first)
    assert early.status_code == 400 and "once the time of the check-in has come" in early.text

    frozen_clock.set(check_in.scheduled_at + timedelta(minutes=45))
    staff = client_for(people["lead"])
    missing = staff.post(url, data={"held": "held", "member_summary": " "})
    assert missing.status_code == 400 and "Write a short summary for the member." in missing.text
    huge = staff.post(url, data={**first, "internal_notes": "n" * 10001})
    assert huge.status_code == 400
    db.session.refresh(check_in)
    assert check_in.status is CheckInStatus.SCHEDULED and check_in.outcome_recorded_at is None

    assert staff.post(url, data=first).status_code == 302
    second = staff.post(
        url, data={"held": "missed", "internal_notes": "Overwrite?"}, follow_redirects=True
    )
    assert "already recorded; it is not changed" in second.text
    db.session.refresh(check_in)
    assert check_in.status is CheckInStatus.HELD
    assert (check_in.member_summary, check_in.internal_notes) == ("First summary", "First notes")
    recorded = db.session.scalars(
        db.select(AuditEvent).where(AuditEvent.action == "check_in.outcome_recorded")
    ).all()
    assert len(recorded) == 1


def test_a_missed_check_in_proposes_nothing(app, people, frozen_clock):
    check_in = schedule(people["case"], people["lead"], cadence_weeks=6)
    frozen_clock.set(check_in.scheduled_at + timedelta(hours=1))
    services.record_outcome(
        check_in, by=people["lead"], outcome=services.Outcome(False, None, None, None)
    )
    db.session.commit()
    assert check_in.status is CheckInStatus.MISSED
    assert services.proposed_next(check_in) is None
    assert people["case"].last_contact_at is None  # a missed check-in is not contact


def test_a_stale_reschedule_changes_nothing(app, people, client_for, emails):
    check_in = schedule(people["case"], people["lead"])
    url = f"/cases/{people['case'].id}/check-ins/{check_in.id}/reschedule"
    staff = client_for(people["lead"])
    moved = {"day": "2030-01-25", "at": "10:00", "time_zone": "America/Toronto", "sequence": "0"}
    assert staff.post(url, data=moved).status_code == 302
    sent = len(emails())
    # The same form again (a double click, or a second tab shown before the change).
    response = staff.post(url, data={**moved, "at": "11:00"}, follow_redirects=True)
    assert "changed meanwhile, so nothing was changed" in response.text
    db.session.refresh(check_in)
    assert check_in.calendar_sequence == 1
    assert check_in.scheduled_at.hour == 15  # 10:00 in Toronto
    assert len(emails()) == sent
    past = staff.post(url, data={**moved, "day": "2030-01-01", "sequence": "1"})
    assert past.status_code == 400 and "Choose a date and time in the future." in past.text


def test_a_cancelled_check_in_cannot_be_cancelled_or_moved_again(app, people, client_for, emails):
    check_in = schedule(people["case"], people["lead"])
    staff = client_for(people["lead"])
    base = f"/cases/{people['case'].id}/check-ins/{check_in.id}"
    assert staff.post(base + "/cancel").status_code == 302
    sent = len(emails())
    again = staff.post(base + "/cancel", follow_redirects=True)
    assert "no longer scheduled" in again.text
    moved = {"day": "2030-01-25", "at": "10:00", "time_zone": "America/Toronto", "sequence": "1"}
    staff.post(base + "/reschedule", data=moved)
    assert len(emails()) == sent
    db.session.refresh(check_in)
    assert check_in.status is CheckInStatus.CANCELLED and check_in.calendar_sequence == 1


def test_a_request_needs_a_reason_of_sensible_length(app, people, client_for):
    check_in = schedule(people["case"], people["lead"])
    member = client_for(people["member"])
    url = f"/check-ins/{check_in.id}/reschedule"
    assert "Give a reason." in member.post(url, data={"reason": ""}).text
    assert member.post(url, data={"reason": "r" * 2001}).status_code == 400
    assert member.post(url, data={"reason": "ok", "preferred_times": "p" * 501}).status_code == 400
    assert _count(RescheduleRequest) == 0


def test_a_closed_case_takes_no_new_check_in_nor_request(app, people, client_for):
    from portal.cases.closing import close_case

    check_in = schedule(people["case"], people["lead"])
    close_case(people["case"], by=people["lead"], summary="Completed the program.")
    db.session.commit()
    staff = client_for(people["lead"])
    response = staff.post(
        f"/cases/{people['case'].id}/check-ins", data=form_for(date(2030, 1, 20), time(10, 0))
    )
    assert response.status_code == 400 and "The case is closed" in response.text
    member = client_for(people["member"])
    response = member.post(f"/check-ins/{check_in.id}/reschedule", data={"reason": "Please"})
    assert response.status_code == 303
    assert _count(CheckIn) == 1 and _count(RescheduleRequest) == 0
