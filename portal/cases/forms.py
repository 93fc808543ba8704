from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, Regexp

from portal.cases.models import PROVINCES


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
    specialty = StringField(
        _l("Type of work or specialty"), validators=[DataRequired(), Length(max=120)]
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
