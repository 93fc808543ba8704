"""The iCalendar entry each email about a check-in carries.

One calendar entry per check-in: every invitation, update, reminder and cancellation uses the
check-in's UID, and SEQUENCE grows with each change, so calendars update the entry they have. The
entry never says what the check-in is about: its title is only "MSP check-in", its description
sends people to the portal, and it has no names, agenda or mode.
"""

from __future__ import annotations

from datetime import timedelta
from email.utils import parseaddr

from flask import current_app
from flask_babel import gettext as _
from icalendar import Calendar, Event, vCalAddress

from portal import clock
from portal.checkins.models import CheckIn

SUMMARY = "MSP check-in"
REQUEST = "REQUEST"
CANCEL = "CANCEL"


def calendar_entry(check_in: CheckIn, *, method: str, attendee: str, url: str) -> str:
    """The .ics text for one recipient (`attendee`, their email address), in the language of the
    request or of `force_locale` around the call."""
    calendar = Calendar()
    calendar.add("prodid", "-//MSP Portal//Check-ins//EN")
    calendar.add("version", "2.0")
    calendar.add("method", method)
    event = Event()
    event.add("uid", check_in.calendar_uid)
    event.add("sequence", check_in.calendar_sequence)
    event.add("dtstamp", clock.now())
    event.add("dtstart", check_in.scheduled_at)
    event.add("dtend", check_in.scheduled_at + timedelta(minutes=check_in.duration_minutes))
    event.add("summary", SUMMARY)
    event.add("description", _("Sign in to the MSP Portal for the details:") + f" {url}")
    event.add("url", url)
    event.add("status", "CANCELLED" if method == CANCEL else "CONFIRMED")
    organizer = vCalAddress(f"mailto:{parseaddr(current_app.config['MAIL_DEFAULT_SENDER'])[1]}")
    organizer.params["cn"] = "MSP Portal"
    event.add("organizer", organizer)
    guest = vCalAddress(f"mailto:{attendee}")
    guest.params["role"] = "REQ-PARTICIPANT"
    guest.params["partstat"] = "ACCEPTED"
    guest.params["rsvp"] = "FALSE"  # replies would go to a no-reply address
    event.add("attendee", guest)
    calendar.add_component(event)
    return calendar.to_ical().decode("utf-8")
