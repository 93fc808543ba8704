"""Translated names of the plan's enumerations."""

from flask_babel import lazy_gettext as _l

from portal.plan.models import ActivityKind, LearningPreference, PlanStatus

ACTIVITY_KINDS = {
    ActivityKind.ELEARNING: _l("E-learning module"),
    ActivityKind.WORKSHOP: _l("Workshop"),
    ActivityKind.COURSE: _l("Course"),
    ActivityKind.COACHING: _l("Coaching sessions"),
    ActivityKind.READING: _l("Reading"),
    ActivityKind.PRACTICE_AUDIT: _l("Practice audit"),
    ActivityKind.REFLECTIVE_EXERCISE: _l("Reflective exercise"),
}

LEARNING_PREFERENCES = {
    LearningPreference.ONLINE: _l("Online"),
    LearningPreference.IN_PERSON: _l("In person"),
    LearningPreference.COACHING: _l("One-to-one coaching"),
    LearningPreference.READING: _l("Reading"),
}

STATUSES = {
    PlanStatus.DRAFT: _l("Draft"),
    PlanStatus.SHARED: _l("Shared, open for input and sign-off"),
    PlanStatus.ACTIVE: _l("Active"),
    PlanStatus.SUPERSEDED: _l("Earlier version"),
}

FIELDS = {
    "title": _l("Title"),
    "description": _l("Description"),
    "factor_keys": _l("Factors addressed"),
    "kind": _l("Kind"),
    "provider": _l("Provider"),
    "url": _l("Link"),
    "estimated_hours": _l("Estimated hours"),
    "due_date": _l("Due date"),
    "required": _l("Required"),
    "goal_title": _l("Goal"),
}

ALL = {
    "activity_kinds": ACTIVITY_KINDS,
    "learning_preferences": LEARNING_PREFERENCES,
    "statuses": STATUSES,
    "fields": FIELDS,
}
