"""A staff member's day, in Chromium with the accessibility check on every page: the caseload, a
case, scheduling a check-in (the member gets a calendar invitation), then, once it has taken place,
recording its outcome; the member sees the summary and never the internal notes."""

from datetime import timedelta

import pytest
from icalendar import Calendar
from playwright.sync_api import expect

from portal.cases.models import Stage
from portal.extensions import db
from tests.factories import PASSWORD

pytestmark = pytest.mark.e2e


def test_caseload_case_schedule_and_outcome(
    open_page, check_page, sign_in, submit, inbox, frozen_clock, make_staff, make_member, make_case
):
    lead = make_staff(name="Dr. Day Advisor")
    member = make_member(name="Dr. Followed Member")
    make_case(member=member, lead=lead, stage=Stage.ONGOING_SUPPORT)
    db.session.commit()
    day = (frozen_clock() + timedelta(days=3)).date()

    page = open_page()
    sign_in(page, lead.email, PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("My caseload")
    check_page(page)
    page.get_by_role("link", name="Dr. Followed Member").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Dr. Followed Member")
    check_page(page)

    page.get_by_role("link", name="Check-ins").click()
    check_page(page)
    page.get_by_label("Date", exact=True).fill(day.isoformat())
    page.get_by_label("Time", exact=True).fill("10:30")
    page.get_by_label("Video call").check()
    page.get_by_label("Agenda").fill("How the documentation workshop went; next steps.")
    page.get_by_label("Next check-in after (weeks)").fill("6")
    submit(page, "Schedule the check-in")
    expect(page.get_by_text("How the documentation workshop went; next steps.")).to_be_visible()
    check_page(page)

    (invitation,) = [m for m in inbox.deliver() if m["To"] == member.email]
    assert "documentation" not in invitation.as_string()
    (ics,) = [part for part in invitation.walk() if part.get_content_type() == "text/calendar"]
    (event,) = Calendar.from_ical(ics.get_payload(decode=True)).walk("VEVENT")
    assert str(event["SUMMARY"]) == "MSP check-in"

    # The day after the check-in.
    frozen_clock.advance(days=4)
    sign_in(page, lead.email, PASSWORD)  # the session ended while the clock moved on
    expect(page.get_by_role("heading", level=1)).to_have_text("My caseload")
    check_page(page)
    page.get_by_role("link", name="Dr. Followed Member").click()
    check_page(page)
    page.get_by_role("link", name="Check-ins").click()
    check_page(page)
    page.get_by_role("region", name="Outcome to record").get_by_role("link").first.click()
    check_page(page)
    page.get_by_label("Held", exact=True).check()
    page.get_by_label("Summary for the member").fill("We agreed to add a consent checklist.")
    page.get_by_label("Internal notes").fill("Seemed tired; ask about workload next time.")
    submit(page, "Record the outcome")
    expect(page.get_by_role("status")).to_contain_text("The outcome is recorded.")
    # Held, with a 6-week cadence: the next check-in is proposed, not yet scheduled.
    expect(page.get_by_label("Date", exact=True)).to_have_value(
        (day + timedelta(weeks=6)).isoformat()
    )
    check_page(page)

    member_page = open_page(phone=True)
    sign_in(member_page, member.email, PASSWORD)
    check_page(member_page)
    member_page.goto("/check-ins")
    expect(member_page.get_by_text("We agreed to add a consent checklist.")).to_be_visible()
    expect(member_page.get_by_text("Seemed tired")).to_have_count(0)
    check_page(member_page)
