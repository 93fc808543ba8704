"""Translated names of the activities' enumerations."""

from flask_babel import lazy_gettext as _l

from portal.activities.models import ActivityStatus

STATUSES = {
    ActivityStatus.NOT_STARTED: _l("Not started"),
    ActivityStatus.IN_PROGRESS: _l("In progress"),
    ActivityStatus.SUBMITTED: _l("Submitted for verification"),
    ActivityStatus.COMPLETED: _l("Completed"),
    ActivityStatus.RETURNED: _l("Returned for more information"),
    ActivityStatus.WAIVED: _l("Waived"),
}

STANDINGS = {
    "overdue": _l("Overdue"),
    "due_soon": _l("Due within 7 days"),
}
