from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import URL, DataRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from portal.plan import labels
from portal.plan.models import ActivityKind, LearningPreference


class CheckboxesField(SelectMultipleField):
    """Several choices as checkboxes (works without JavaScript, unlike a multiple select)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class GoalForm(FlaskForm):
    title = StringField(_l("Goal"), validators=[DataRequired(), Length(max=300)])
    description = TextAreaField(_l("Description"), validators=[Length(max=5000)])
    factor_keys = CheckboxesField(
        _l("Contributing factors this goal addresses"),
        validators=[DataRequired(message=_l("Link the goal to at least one factor."))],
    )


def _plausible_date(form, field):
    if field.data and not (1990 <= field.data.year <= 2100):
        raise ValidationError(_l("Enter a date between 1990 and 2100."))


class ActivityForm(FlaskForm):
    goal_id = SelectField(_l("Goal"), coerce=int, validators=[DataRequired()])
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=300)])
    kind = SelectField(
        _l("Kind"),
        choices=[SelectChoice(k.value, labels.ACTIVITY_KINDS[k]) for k in ActivityKind],
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
    due_date = DateField(_l("Due date"), validators=[Optional(), _plausible_date])
    required = BooleanField(_l("Required"), default=True)


class ShareForm(FlaskForm):
    change_note = TextAreaField(
        _l("What changed since the last shared version"),
        description=_l("Required from the second version on; the member sees this note."),
        validators=[Length(max=5000)],
    )


class InputForm(FlaskForm):
    learning_preferences = CheckboxesField(
        _l("How do you prefer to learn?"),
        # No Optional(): it would clear the refusal of an unknown choice (e.g. an empty one).
        choices=[SelectChoice(p.value, labels.LEARNING_PREFERENCES[p]) for p in LearningPreference],
    )
    availability = TextAreaField(
        _l("Your availability and constraints"),
        description=_l(
            "For example: evenings only, on call every third weekend, no travel in winter."
        ),
        validators=[Length(max=5000)],
    )
    own_goals = TextAreaField(_l("Your goals, in your own words"), validators=[Length(max=5000)])
    suggested_activities = TextAreaField(
        _l("Activities you would suggest"), validators=[Length(max=5000)]
    )
    target_key = SelectField(_l("Comment on"), validators=[Optional()])
    comment = TextAreaField(_l("Your comment"), validators=[Length(max=5000)])
