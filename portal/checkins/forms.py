from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    IntegerField,
    RadioField,
    SelectField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)
from wtforms.widgets import HiddenInput

from portal.checkins import labels
from portal.zones import CANADIAN_ZONES, is_known_zone, zone_label

# The choice that lets people type a zone that is not in the list (settings page).
OTHER_ZONE = "other"


class TimeZoneField(SelectField):
    """One of the zones offered, and one the IANA database knows (or OTHER_ZONE, where offered).
    With an `Optional()` validator, a form sent without the field leaves the zone as it is."""

    def pre_validate(self, form):
        if self.flags.optional and not self.raw_data:
            return
        offered = {choice.value for choice in self.choices}
        if self.data not in offered or not (is_known_zone(self.data) or self.data == OTHER_ZONE):
            raise ValidationError(_l("Choose a time zone from the list."))


def zone_choices(first: list[tuple[str, str]]) -> list[SelectChoice]:
    """`first` (zone, label) pairs, then the Canadian zones not among them."""
    choices, seen = [], set()
    for value, label in [*first, *CANADIAN_ZONES]:
        if value not in seen and is_known_zone(value):
            seen.add(value)
            choices.append(SelectChoice(value, str(label)))
    return choices


def scheduling_zone_choices(own: str, member: str, *, also: str | None = None):
    """The scheduler's zone first (the default), then the member's, then the others."""
    if own == member:
        first = [(own, _l("%(zone)s — yours and the member's", zone=zone_label(own)))]
    else:
        first = [
            (own, _l("%(zone)s — your time zone", zone=zone_label(own))),
            (member, _l("%(zone)s — the member's time zone", zone=zone_label(member))),
        ]
    if also:
        first.append((also, zone_label(also)))
    return zone_choices(first)


class WhenForm(FlaskForm):
    day = DateField(_l("Date"), validators=[InputRequired(message=_l("Enter the date."))])
    at = TimeField(
        _l("Time"),
        description=_l("24-hour clock, for example 14:30."),
        validators=[InputRequired(message=_l("Enter the time."))],
    )
    time_zone = TimeZoneField(_l("Time zone of this date and time"))


class ScheduleForm(WhenForm):
    mode = RadioField(
        _l("How the check-in takes place"),
        choices=[SelectChoice(mode.value, label) for mode, label in labels.MODES.items()],
        validators=[InputRequired(message=_l("Choose how the check-in takes place."))],
    )
    duration_minutes = SelectField(
        _l("Duration"),
        coerce=int,
        choices=[SelectChoice(n, _l("%(n)d minutes", n=n)) for n in labels.DURATIONS],
        default=30,
    )
    agenda = TextAreaField(
        _l("Agenda"),
        description=_l("A few lines the member sees: what you will talk about."),
        validators=[
            DataRequired(message=_l("Write a short agenda for the member.")),
            Length(max=2000),
        ],
    )
    cadence_weeks = IntegerField(
        _l("Next check-in after (weeks)"),
        description=_l(
            "Optional. When this check-in is held, the next one is proposed this many weeks later."
        ),
        validators=[
            Optional(),
            NumberRange(min=1, max=52, message=_l("Enter a number of weeks from 1 to 52.")),
        ],
    )


class RescheduleForm(WhenForm):
    # The calendar sequence the form was shown with: a change made meanwhile is not overwritten.
    sequence = IntegerField(widget=HiddenInput(), validators=[InputRequired()])


class OutcomeForm(FlaskForm):
    held = RadioField(
        _l("Did the check-in take place?"),
        choices=[
            SelectChoice("held", _l("Held")),
            SelectChoice("missed", _l("Missed")),
        ],
        validators=[InputRequired(message=_l("Say whether the check-in was held or missed."))],
    )
    member_summary = TextAreaField(
        _l("Summary for the member"),
        description=_l("The member sees this. Needed when the check-in was held."),
        validators=[Length(max=5000)],
    )
    plan_change = TextAreaField(
        _l("Change to the plan"),
        description=_l("Optional. The member sees this with the summary."),
        validators=[Length(max=5000)],
    )
    internal_notes = TextAreaField(
        _l("Internal notes"),
        description=_l("For the MSP team only: never shown to the member."),
        validators=[Length(max=10000)],
    )

    def validate_member_summary(self, field):
        if self.held.data == "held" and not (field.data or "").strip():
            raise ValidationError(_l("Write a short summary for the member."))


class RescheduleRequestForm(FlaskForm):
    reason = TextAreaField(
        _l("Why the time does not suit you"),
        validators=[DataRequired(message=_l("Give a reason.")), Length(max=2000)],
    )
    preferred_times = TextAreaField(
        _l("Times that would suit you better"),
        description=_l("Optional. For example: Tuesday or Thursday mornings."),
        validators=[Optional(), Length(max=500)],
    )
