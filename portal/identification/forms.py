from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from portal import clock
from portal.cases.models import PROVINCES
from portal.identification.models import Limit
from portal.validators import Meaningful

REASON_MAX = 5000


class ImportForm(FlaskForm):
    members = FileField(
        _l("Members file (CSV)"),
        description=_l(
            "Columns: member_number, name, email, language, type_of_work, province, member_since."
        ),
    )
    matters = FileField(
        _l("Matters file (CSV)"),
        description=_l("Columns: matter_number, kind, member_number, opened_on, factors."),
    )

    def validate(self, extra_validators=None) -> bool:
        if not super().validate(extra_validators):
            return False
        if not self.members.data and not self.matters.data:
            self.form_errors.append(_l("Choose a members file, a matters file, or both."))
            return False
        return True


class QueueForm(FlaskForm):
    """The queue's filters: a GET form, so no CSRF token (it changes nothing)."""

    class Meta:
        csrf = False

    type_of_work = SelectField(_l("Type of work"), validators=[Optional()])
    province = SelectField(
        _l("Province or territory"),
        choices=[SelectChoice("", _l("All"))] + [SelectChoice(code) for code in PROVINCES],
        validators=[Optional()],
    )
    flag = SelectField(
        _l("Flag"),
        choices=[
            SelectChoice("", _l("All flags")),
            SelectChoice("high", _l("Probably over twice peers")),
            SelectChoice("rising", _l("Rising")),
            SelectChoice(Limit.P998.value, _l("Above the 99.8% limit")),
            SelectChoice(Limit.P95.value, _l("Above the 95% limit")),
        ],
        validators=[Optional()],
    )


def _reason(label):
    return TextAreaField(
        label,
        validators=[
            Meaningful(_l("Give a reason: spaces or invisible characters are not one.")),
            Length(max=REASON_MAX),
        ],
    )


class ReferForm(FlaskForm):
    reason = _reason(_l("Reason for referral"))
    lead_advisor_id = SelectField(_l("Lead advisor"), coerce=int, validators=[DataRequired()])


class WatchForm(FlaskForm):
    reason = _reason(_l("Why watch rather than refer?"))
    review_on = DateField(_l("Review again on"), validators=[DataRequired()])

    def validate_review_on(self, field):
        if field.data and field.data <= clock.now().date():
            raise ValidationError(_l("Choose a date after today."))
        if field.data and field.data.year > clock.now().year + 5:
            raise ValidationError(_l("Choose a date within five years."))


class NotNowForm(FlaskForm):
    reason = _reason(_l("Why not now?"))
