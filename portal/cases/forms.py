from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    SearchField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from portal.cases.models import PROVINCES, Stage
from portal.cases.services import BREAK_GLASS_REASON_MIN


class ReferralForm(FlaskForm):
    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=200)])
    email = EmailField(
        _l("Email"), validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)]
    )
    member_number = StringField(
        _l("Member number"),
        validators=[
            DataRequired(),
            Length(max=32),
            Regexp(r"^[A-Za-z0-9-]+$", message=_l("Use letters, digits and hyphens only.")),
        ],
    )
    type_of_work = SelectField(
        _l("Type of work"),
        description=_l("The peer group the member is compared with."),
        validators=[DataRequired()],
    )
    province = SelectField(
        _l("Province or territory"),
        choices=[SelectChoice("", "—")] + [SelectChoice(code) for code in PROVINCES],
        validators=[DataRequired()],
    )
    language = SelectField(
        _l("Member's language"),
        choices=[SelectChoice("en", "English"), SelectChoice("fr", "Français")],
        default="en",
    )
    reason = TextAreaField(_l("Reason for referral"), validators=[DataRequired(), Length(max=5000)])
    lead_advisor_id = SelectField(_l("Lead advisor"), coerce=int, validators=[DataRequired()])


class CaseloadForm(FlaskForm):
    """The caseload's sort and filters: a GET form, so no CSRF token (it changes nothing)."""

    class Meta:
        csrf = False

    stage = SelectField(
        _l("Stage"),
        choices=[
            SelectChoice("", _l("Open cases")),
            SelectChoice(Stage.REFERRED.value, _l("Referred")),
            SelectChoice(Stage.ASSESSMENT.value, _l("Assessment")),
            SelectChoice(Stage.PLANNING.value, _l("Education plan")),
            SelectChoice(Stage.ONGOING_SUPPORT.value, _l("Ongoing support")),
            SelectChoice(Stage.CLOSED.value, _l("Closed")),
            SelectChoice("all", _l("All cases, closed ones too")),
        ],
        validators=[Optional()],
    )
    scope = SelectField(
        _l("Cases"),
        choices=[
            SelectChoice("", _l("Cases I lead or am on the team of")),
            SelectChoice("lead", _l("Cases I lead")),
            SelectChoice("team", _l("Cases I am on the team of")),
        ],
        validators=[Optional()],
    )
    sort = SelectField(
        _l("Sort by"),
        choices=[
            SelectChoice("last_contact", _l("Last contact, longest ago first")),
            SelectChoice("next_check_in", _l("Next check-in, soonest first")),
            SelectChoice("name", _l("Member's name")),
            SelectChoice("stage", _l("Stage")),
        ],
        default="last_contact",
        validators=[Optional()],
    )
    flagged = BooleanField(_l("Only cases without contact for a long time"))
    attention = BooleanField(_l("Only cases that need attention"))


class FindCaseForm(FlaskForm):
    class Meta:
        csrf = False

    q = SearchField(
        _l("Member's name or member number"),
        validators=[DataRequired(), Length(min=2, max=100)],
    )


class BreakGlassForm(FlaskForm):
    reason = TextAreaField(
        _l("Why do you need to open this case?"),
        description=_l(
            "Your reason is recorded, shown to administrators, and the member sees that you opened "
            "their file."
        ),
        validators=[
            DataRequired(),
            Length(
                min=BREAK_GLASS_REASON_MIN,
                max=2000,
                message=_l("Say why in at least %(min)d characters.", min=BREAK_GLASS_REASON_MIN),
            ),
        ],
    )
    next = HiddenField()


class CloseCaseForm(FlaskForm):
    closing_summary = TextAreaField(
        _l("Closing summary"),
        description=_l("The member reads this summary on their page. Write it for them."),
        validators=[DataRequired(), Length(max=5000)],
    )


class ReopenCaseForm(FlaskForm):
    reason = TextAreaField(
        _l("Why is the case reopened?"), validators=[DataRequired(), Length(max=1000)]
    )


class TimelineForm(FlaskForm):
    class Meta:
        csrf = False

    kind = SelectMultipleField(
        _l("Show"),
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        choices=[
            SelectChoice("referral", _l("Referral and invitations")),
            SelectChoice("assessment", _l("Assessment versions")),
            SelectChoice("responses", _l("Member's responses and input")),
            SelectChoice("plan", _l("Plan versions and sign-offs")),
            SelectChoice("activities", _l("Activity changes")),
            SelectChoice("messages", _l("Messages")),
            SelectChoice("checkins", _l("Check-ins")),
            SelectChoice("stage", _l("Stage changes")),
            SelectChoice("access", _l("Break-glass openings")),
        ],
        validators=[Optional()],
    )
