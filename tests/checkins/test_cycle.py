"""The whole check-in cycle through the pages, with the emails sent through a real SMTP server and
their calendar entries parsed with icalendar: schedule → reminder → reschedule → reminder again →
outcome → the next one proposed → cancel."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from portal.checkins.models import CheckIn, CheckInStatus
from portal.checkins.reminders import send_due_reminders
from portal.extensions import db
from portal.outbox.worker import send_due_emails
from tests.checkins.helpers import AGENDA, calendar_of, event_of, form_for


class Inbox:
    """What the SMTP server received, a batch at a time."""

    def __init__(self, mail_server):
        self.mail_server = mail_server
        self.seen = 0

    def new(self) -> list:
        """Send what is due; the messages received since the last call."""
        send_due_emails()
        messages = self.mail_server.messages()
        fresh, self.seen = messages[self.seen :], len(messages)
        return fresh


def _assert_content_free(message, people) -> None:
    """No agenda, no mode, and nobody's name but the greeting of the recipient."""
    names = [p.name for p in people.values() if hasattr(p, "name") and p.email != message["To"]]
    for part in message.walk():
        if part.get_content_maintype() == "text":
            text = part.get_content()
            for secret in (AGENDA, "consent", "Video", "Phone", *names):
                assert secret not in text, secret
    _, calendar = calendar_of(message)
    for secret in (
        AGENDA,
        "consent",
        "video",
        "phone",
        *(p.name for p in people.values() if hasattr(p, "name")),
    ):
        assert secret.lower() not in calendar.to_ical().decode().lower(), secret


def test_the_whole_cycle(app, people, client_for, mail_server, frozen_clock):
    member, lead, case = people["member"], people["lead"], people["case"]
    staff = client_for(lead)
    inbox = Inbox(mail_server)

    # 1. Schedule: Sunday 20 January 2030, 10:00 in Toronto (15:00 UTC), every 6 weeks.
    response = staff.post(
        f"/cases/{case.id}/check-ins",
        data=form_for(date(2030, 1, 20), time(10, 0), "America/Toronto", cadence_weeks="6"),
    )
    assert response.status_code == 302, response.text
    check_in = db.session.scalar(db.select(CheckIn))
    assert check_in.scheduled_at == datetime(2030, 1, 20, 15, 0, tzinfo=UTC)
    assert check_in.calendar_sequence == 0 and check_in.reminded_at is None

    invitations = inbox.new()
    assert sorted(m["To"] for m in invitations) == sorted([member.email, lead.email])
    uid = None
    for message in invitations:
        assert message["Subject"] == "MSP check-in: calendar invitation"
        _assert_content_free(message, people)
        method, calendar = calendar_of(message)
        event = event_of(calendar)
        assert method == "REQUEST" and calendar["METHOD"] == "REQUEST"
        assert str(event["SUMMARY"]) == "MSP check-in"
        assert event["SEQUENCE"] == 0
        assert event.decoded("DTSTART") == datetime(2030, 1, 20, 15, 0, tzinfo=UTC)
        assert event.decoded("DTEND") == datetime(2030, 1, 20, 15, 30, tzinfo=UTC)
        assert str(event["STATUS"]) == "CONFIRMED"
        uid = uid or str(event["UID"])
        assert str(event["UID"]) == uid == check_in.calendar_uid
    member_invite = next(m for m in invitations if m["To"] == member.email)
    assert "http://portal.test/check-ins" in str(event_of(calendar_of(member_invite)[1])["URL"])

    # 2. The reminder goes out 24 hours before, once, to both sides.
    frozen_clock.set(datetime(2030, 1, 19, 14, 0, tzinfo=UTC))
    assert send_due_reminders() == 0  # 25 hours before: not yet
    frozen_clock.set(datetime(2030, 1, 19, 15, 30, tzinfo=UTC))
    assert send_due_reminders() == 1
    assert send_due_reminders() == 0
    reminders = inbox.new()
    assert sorted(m["To"] for m in reminders) == sorted([member.email, lead.email])
    for message in reminders:
        assert message["Subject"] == "MSP check-in: reminder"
        _assert_content_free(message, people)
        method, calendar = calendar_of(message)
        assert method == "REQUEST"
        assert str(event_of(calendar)["UID"]) == uid and event_of(calendar)["SEQUENCE"] == 0

    # 3. Reschedule to the Tuesday, 9:00 in Regina (the member's zone): same entry, sequence 1.
    staff = client_for(lead)  # a new day, a new session
    page = staff.get(f"/cases/{case.id}/check-ins/{check_in.id}")
    assert page.status_code == 200 and 'name="sequence" type="hidden" value="0"' in page.text
    response = staff.post(
        f"/cases/{case.id}/check-ins/{check_in.id}/reschedule",
        data={"day": "2030-01-22", "at": "09:00", "time_zone": "America/Regina", "sequence": "0"},
    )
    assert response.status_code == 302, response.text
    db.session.refresh(check_in)
    assert check_in.scheduled_at == datetime(2030, 1, 22, 15, 0, tzinfo=UTC)
    assert check_in.calendar_sequence == 1 and check_in.reminded_at is None
    updates = inbox.new()
    assert sorted(m["To"] for m in updates) == sorted([member.email, lead.email])
    for message in updates:
        assert message["Subject"] == "MSP check-in: new time"
        _assert_content_free(message, people)
        method, calendar = calendar_of(message)
        event = event_of(calendar)
        assert method == "REQUEST"
        assert str(event["UID"]) == uid and event["SEQUENCE"] == 1
        assert event.decoded("DTSTART") == datetime(2030, 1, 22, 15, 0, tzinfo=UTC)

    # The new time is reminded again.
    frozen_clock.set(datetime(2030, 1, 21, 17, 0, tzinfo=UTC))
    assert send_due_reminders() == 1
    assert [m["Subject"] for m in inbox.new()] == ["MSP check-in: reminder"] * 2

    # 4. After the check-in: held, with notes for the team and a summary for the member.
    frozen_clock.set(datetime(2030, 1, 22, 17, 0, tzinfo=UTC))
    staff = client_for(lead)
    response = staff.post(
        f"/cases/{case.id}/check-ins/{check_in.id}/outcome",
        data={
            "held": "held",
            "member_summary": "We reviewed the audit; keep going with the template.",
            "plan_change": "Add the disclosure workshop in the spring.",
            "internal_notes": "Seemed tired; ask about night shifts next time.",
        },
    )
    assert response.status_code == 302
    assert response.location == f"/cases/{case.id}/check-ins?after={check_in.id}#schedule"
    db.session.refresh(check_in)
    assert check_in.status is CheckInStatus.HELD
    assert check_in.outcome_recorded_by_id == lead.id
    assert case.last_contact_at == datetime(2030, 1, 22, 17, 0, tzinfo=UTC)
    # The member is told, without content, that there is a summary to read.
    assert [(m["To"], m["Subject"]) for m in inbox.new()] == [
        (member.email, "You have something new in the MSP Portal")
    ]

    # 5. The next check-in is proposed six weeks later, same wall-clock time; nothing is created.
    proposal = staff.get(response.location)
    assert proposal.status_code == 200
    assert 'value="2030-03-05"' in proposal.text  # 22 January + 6 weeks
    assert 'value="09:00"' in proposal.text
    assert '<option selected value="America/Regina">' in proposal.text
    assert 'value="6"' in proposal.text
    assert db.session.scalar(db.select(db.func.count()).select_from(CheckIn)) == 1
    response = staff.post(
        f"/cases/{case.id}/check-ins",
        data=form_for(date(2030, 3, 5), time(9, 0), "America/Regina", cadence_weeks="6"),
    )
    assert response.status_code == 302
    following = db.session.scalars(db.select(CheckIn).order_by(CheckIn.id)).all()[-1]
    # Saskatchewan keeps standard time all year: still 15:00 UTC.
    assert following.scheduled_at == datetime(2030, 3, 5, 15, 0, tzinfo=UTC)
    assert following.calendar_uid != uid
    inbox.new()

    # 6. Cancelling sends the cancellation of that entry.
    response = staff.post(f"/cases/{case.id}/check-ins/{following.id}/cancel")
    assert response.status_code == 302
    db.session.refresh(following)
    assert following.status is CheckInStatus.CANCELLED and following.calendar_sequence == 1
    cancellations = inbox.new()
    assert sorted(m["To"] for m in cancellations) == sorted([member.email, lead.email])
    for message in cancellations:
        assert message["Subject"] == "MSP check-in: cancelled"
        method, calendar = calendar_of(message)
        event = event_of(calendar)
        assert method == "CANCEL" and calendar["METHOD"] == "CANCEL"
        assert str(event["STATUS"]) == "CANCELLED"
        assert str(event["UID"]) == following.calendar_uid and event["SEQUENCE"] == 1
        assert str(event["SUMMARY"]) == "MSP check-in"
    # A cancelled check-in is never reminded.
    frozen_clock.set(datetime(2030, 3, 4, 17, 0, tzinfo=UTC))
    assert send_due_reminders() == 0


def test_sent_calendar_entries_are_erased_with_the_bodies(app, people, mail_server):
    from portal.outbox.models import OutboxEmail
    from tests.checkins.helpers import schedule

    schedule(people["case"], people["lead"])
    assert all(row.calendar_ics for row in db.session.scalars(db.select(OutboxEmail)))
    send_due_emails()
    db.session.expire_all()
    rows = db.session.scalars(db.select(OutboxEmail)).all()
    assert rows and all(row.calendar_ics is None and row.body_text is None for row in rows)


def test_a_colleague_who_reschedules_gets_the_update_too(app, people, client_for, emails):
    from tests.checkins.helpers import schedule

    check_in = schedule(people["case"], people["lead"])
    colleague = client_for(people["colleague"])
    local = check_in.scheduled_at + timedelta(days=1)
    response = colleague.post(
        f"/cases/{people['case'].id}/check-ins/{check_in.id}/reschedule",
        data={
            "day": local.date().isoformat(),
            "at": "11:00",
            "time_zone": "America/Toronto",
            "sequence": "0",
        },
    )
    assert response.status_code == 302
    updates = [address for address, template in emails() if template == "check_in_rescheduled"]
    assert sorted(updates) == sorted(
        [people["member"].email, people["lead"].email, people["colleague"].email]
    )
