"""Plain helpers for the check-in tests (fixtures are in conftest.py)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from email.message import EmailMessage

from icalendar import Calendar

from portal import clock
from portal.cases.models import Case
from portal.checkins import services
from portal.checkins.models import CheckIn, CheckInMode
from portal.extensions import db

AGENDA = "Discuss the consent-documentation audit and how the new template is working"


def schedule(
    case: Case,
    staff,
    *,
    starts_at: datetime | None = None,
    zone: str = "America/Toronto",
    cadence_weeks: int | None = None,
    agenda: str = AGENDA,
) -> CheckIn:
    """A check-in three days ahead (unless `starts_at`), scheduled through the service."""
    starts_at = starts_at or clock.now() + timedelta(days=3)
    check_in = services.schedule_check_in(
        case,
        by=staff,
        details=services.CheckInDetails(
            slot=services.Slot(starts_at, zone),
            mode=CheckInMode.VIDEO,
            duration_minutes=30,
            agenda=agenda,
            cadence_weeks=cadence_weeks,
        ),
    )
    db.session.commit()
    return check_in


def form_for(day: date, at: time, zone: str = "America/Toronto", **extra) -> dict:
    """The schedule form's fields as a browser posts them."""
    data = {
        "day": day.isoformat(),
        "at": at.strftime("%H:%M"),
        "time_zone": zone,
        "mode": "phone",
        "duration_minutes": "30",
        "agenda": AGENDA,
        "cadence_weeks": "",
    }
    data.update(extra)
    return data


def calendar_of(message: EmailMessage) -> tuple[str, Calendar]:
    """(Content-Type METHOD parameter, parsed calendar) of a received email's .ics attachment."""
    parts = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    assert len(parts) == 1, "the email should carry exactly one calendar entry"
    part = parts[0]
    assert part.get_filename() == "msp-check-in.ics"
    return part.get_param("method"), Calendar.from_ical(part.get_payload(decode=True))


def event_of(calendar: Calendar):
    (event,) = calendar.walk("VEVENT")
    return event


def routing_objects(case: Case, staff) -> dict:
    """For the access-rule walk (tests/security/test_access_rules.py): a check-in on `case`."""
    return {"check_in_id": schedule(case, staff).id}
