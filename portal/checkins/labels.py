"""What check-in modes and statuses are called on the page."""

from flask_babel import lazy_gettext as _l

from portal.checkins.models import CheckInMode, CheckInStatus

MODES = {
    CheckInMode.PHONE: _l("Phone"),
    CheckInMode.VIDEO: _l("Video call"),
    CheckInMode.IN_PERSON: _l("In person"),
}

STATUSES = {
    CheckInStatus.SCHEDULED: _l("Scheduled"),
    CheckInStatus.HELD: _l("Held"),
    CheckInStatus.MISSED: _l("Missed"),
    CheckInStatus.CANCELLED: _l("Cancelled"),
}

DURATIONS = (15, 30, 45, 60, 90)
