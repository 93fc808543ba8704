from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    EmailField,
    HiddenField,
    IntegerField,
    SearchField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput

from portal.audit.models import Outcome
from portal.auth.models import Role
from portal.outbox.models import EmailStatus

LANGUAGE_CHOICES = [SelectChoice("en", "English"), SelectChoice("fr", "Français")]
STAFF_ROLE_CHOICES = [
    SelectChoice(Role.STAFF.value, _l("Staff")),
    SelectChoice(Role.ADMIN.value, _l("Administrator")),
]


class InviteStaffForm(FlaskForm):
    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=200)])
    email = EmailField(
        _l("Email"), validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)]
    )
    role = SelectField(_l("Role"), choices=STAFF_ROLE_CHOICES, default=Role.STAFF.value)
    language = SelectField(_l("Language"), choices=LANGUAGE_CHOICES, default="en")


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=STAFF_ROLE_CHOICES)


class CheckboxesField(SelectMultipleField):
    """Several choices as a list of checkboxes, each with its own label."""

    option_widget = CheckboxInput()


class ReassignCaseForm(FlaskForm):
    """The lead advisor and the team of one case. `expected_lead_id` is the lead the admin saw, so
    that a stale form (someone else reassigned the case meanwhile) changes nothing."""

    lead_advisor_id = SelectField(_l("Lead advisor"), coerce=int, validators=[DataRequired()])
    team_ids = CheckboxesField(_l("Case team"), coerce=int, validators=[Optional()])
    expected_lead_id = HiddenField()

    def validate_team_ids(self, field):
        if self.lead_advisor_id.data in (field.data or []):
            raise ValidationError(_l("The lead advisor is not also listed on the team."))


class BulkReassignForm(FlaskForm):
    from_staff_id = SelectField(_l("Cases led by"), coerce=int, validators=[DataRequired()])
    to_staff_id = SelectField(_l("New lead advisor"), coerce=int, validators=[DataRequired()])

    def validate_to_staff_id(self, field):
        if field.data == self.from_staff_id.data:
            raise ValidationError(_l("Choose someone other than the current lead advisor."))


class CaseFilterForm(FlaskForm):
    """Which cases the assignment page lists: a GET form (it changes nothing)."""

    class Meta:
        csrf = False

    lead = SelectField(_l("Lead advisor"), validators=[Optional()])


class PeriodForm(FlaskForm):
    """A period of whole days in the viewer's time zone: a GET form (it changes nothing)."""

    class Meta:
        csrf = False

    date_from = DateField(_l("From (date)"), validators=[Optional()])
    date_to = DateField(_l("To (date, included)"), validators=[Optional()])

    def validate_date_to(self, field):
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_l("The end date is before the start date."))

    def bounds(self, zone_name: str) -> tuple[datetime | None, datetime | None]:
        """The period as UTC instants: from the start of the first day to the end of the last, in
        the IANA zone `zone_name` (a zoneinfo zone: pytz zones must not be given to datetime)."""
        zone = ZoneInfo(zone_name)
        start = end = None
        if self.date_from.data:
            start = datetime.combine(self.date_from.data, time.min, tzinfo=zone).astimezone(UTC)
        if self.date_to.data:
            next_day = self.date_to.data + timedelta(days=1)
            end = datetime.combine(next_day, time.min, tzinfo=zone).astimezone(UTC)
        return start, end


class AuditFilterForm(PeriodForm):
    """The audit trail's filters, shared by the page and its CSV export."""

    actor = SearchField(
        _l("Who"),
        description=_l("Part of a name or an email address."),
        validators=[Optional(), Length(max=200)],
    )
    action = SearchField(
        _l("Action"),
        description=_l("An action or its beginning, e.g. “case.” or “auth.login”."),
        validators=[Optional(), Length(max=64)],
    )
    case_id = IntegerField(
        _l("Case number"), validators=[Optional(), NumberRange(min=1, max=2_147_483_647)]
    )
    outcome = SelectField(
        _l("Outcome"),
        choices=[
            SelectChoice("", _l("Any outcome")),
            SelectChoice(Outcome.SUCCESS.value, _l("Success")),
            SelectChoice(Outcome.FAILURE.value, _l("Failure")),
            SelectChoice(Outcome.DENIED.value, _l("Denied")),
        ],
        validators=[Optional()],
    )


class OutboxFilterForm(FlaskForm):
    class Meta:
        csrf = False

    status = SelectField(
        _l("Status"),
        choices=[
            SelectChoice("", _l("All emails")),
            SelectChoice(EmailStatus.PENDING.value, _l("Pending")),
            SelectChoice(EmailStatus.SENDING.value, _l("Sending")),
            SelectChoice(EmailStatus.SENT.value, _l("Sent")),
            SelectChoice(EmailStatus.FAILED.value, _l("Failed")),
        ],
        validators=[Optional()],
    )
