from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    SelectField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import URL, DataRequired, Length, NumberRange, Optional, ValidationError

from portal.assessment import labels as assessment_labels
from portal.assessment.models import FactorCategory
from portal.plan import labels as plan_labels
from portal.plan.forms import CheckboxesField
from portal.plan.models import ActivityKind
from portal.uploads.forms import ACCEPT
from portal.uploads.services import CheckedUpload, UploadRejected, check_upload


class EvidenceField(FileField):
    """One certificate or proof of attendance, checked by content. Once the form validates,
    `field.upload` holds the accepted file."""

    upload: CheckedUpload | None = None

    def pre_validate(self, form):
        self.upload = None
        file = self.data
        if not file or not getattr(file, "filename", None):
            raise ValidationError(_l("Choose the file that shows you completed the activity."))
        try:
            self.upload = check_upload(file)
        except UploadRejected as problem:
            raise ValidationError(str(problem)) from None


class SubmitForm(FlaskForm):
    evidence = EvidenceField(
        _l("Evidence: certificate or proof of attendance"),
        description=_l("A PDF, PNG or JPEG file, at most 10 MB."),
        render_kw={"accept": ACCEPT},
    )
    learned = TextAreaField(
        _l("What I learned"),
        validators=[DataRequired(message=_l("Say briefly what you learned.")), Length(max=5000)],
    )
    practice_change = TextAreaField(
        _l("What I will change in my practice"),
        validators=[
            DataRequired(message=_l("Say briefly what you will change in your practice.")),
            Length(max=5000),
        ],
    )


class ReturnForm(FlaskForm):
    comment = TextAreaField(
        _l("What is missing"),
        description=_l("The member sees this comment."),
        validators=[DataRequired(message=_l("Say what is missing.")), Length(max=5000)],
    )


class WaiveForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason for waiving"),
        description=_l("The member sees this reason."),
        validators=[DataRequired(message=_l("Give the reason for waiving.")), Length(max=5000)],
    )


def _plausible_date(form, field):
    if field.data and not (1990 <= field.data.year <= 2100):
        raise ValidationError(_l("Enter a date between 1990 and 2100."))


class CatalogEntryForm(FlaskForm):
    title_en = StringField(_l("Title in English"), validators=[DataRequired(), Length(max=300)])
    title_fr = StringField(_l("Title in French"), validators=[DataRequired(), Length(max=300)])
    kind = SelectField(
        _l("Kind"),
        choices=[SelectChoice(k.value, plan_labels.ACTIVITY_KINDS[k]) for k in ActivityKind],
        validators=[DataRequired()],
    )
    provider = StringField(_l("Provider"), validators=[Length(max=200)])
    url = URLField(
        _l("Link"),
        validators=[Optional(), Length(max=500), URL(message=_l("Enter a full web address."))],
    )
    estimated_hours = DecimalField(
        _l("Estimated hours"),
        places=1,
        validators=[Optional(), NumberRange(min=0, max=1000, message=_l("Enter 0 to 1000 hours."))],
    )
    credits = DecimalField(
        _l("Credits"),
        places=1,
        validators=[
            Optional(),
            NumberRange(min=0, max=1000, message=_l("Enter 0 to 1000 credits.")),
        ],
    )
    categories = CheckboxesField(
        _l("Contributing factors it addresses"),
        choices=[SelectChoice(c.value, assessment_labels.CATEGORIES[c]) for c in FactorCategory],
        validators=[Optional()],
    )


class FromCatalogForm(FlaskForm):
    entry_id = SelectField(_l("Catalog activity"), coerce=int, validators=[DataRequired()])
    goal_id = SelectField(_l("Under the goal"), coerce=int, validators=[DataRequired()])
    due_date = DateField(_l("Due date"), validators=[Optional(), _plausible_date])
    required = BooleanField(_l("Required"), default=True)
