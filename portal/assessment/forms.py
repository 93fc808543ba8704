from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DecimalField, IntegerField, RadioField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from portal.assessment import labels
from portal.assessment.models import AssessmentVersion, FactorCategory, MatterKind, Priority

YEAR_RANGE = NumberRange(min=1950, max=2100, message=_l("Enter a year such as 2021."))
RATE_RANGE = NumberRange(min=0, max=1000, message=_l("Enter a number from 0 to 1000."))


def _figures_note():
    return TextAreaField(
        _l("Why correct a figure computed from the register?"),
        description=_l("Needed only when you change a computed figure; kept with the draft."),
        validators=[Optional(), Length(max=2000)],
    )


class SummaryForm(FlaskForm):
    period_start_year = IntegerField(
        _l("First year reviewed"), validators=[InputRequired(), YEAR_RANGE]
    )
    period_end_year = IntegerField(
        _l("Last year reviewed"), validators=[InputRequired(), YEAR_RANGE]
    )
    member_rate = DecimalField(
        _l("Member's rate (matters per year)"), places=3, validators=[Optional(), RATE_RANGE]
    )
    peer_rate = DecimalField(
        _l("Peer rate in the same type of work (matters per year)"),
        places=3,
        validators=[Optional(), RATE_RANGE],
    )
    figures_note = _figures_note()
    narrative = TextAreaField(
        _l("Narrative"),
        description=_l("What the review found, in words the member will read."),
        validators=[Length(max=20000)],
    )


def history_form(version: AssessmentVersion, **kwargs) -> FlaskForm:
    """A grid of counts: one field per year of the period and kind of matter."""

    class HistoryForm(FlaskForm):
        figures_note = _figures_note()

    counts = {(e.year, e.kind): e.count for e in version.history}
    for year in range(version.period_start_year, version.period_end_year + 1):
        for kind in MatterKind:
            setattr(
                HistoryForm,
                f"count_{year}_{kind.value}",
                IntegerField(
                    _l("%(kind)s in %(year)d", kind=labels.MATTER_KINDS[kind], year=year),
                    default=counts.get((year, kind), 0),
                    validators=[
                        Optional(),
                        NumberRange(min=0, max=999, message=_l("Enter a number from 0 to 999.")),
                    ],
                ),
            )
    return HistoryForm(**kwargs)


def history_counts(form: FlaskForm, version: AssessmentVersion) -> dict:
    return {
        (year, kind): form[f"count_{year}_{kind.value}"].data or 0
        for year in range(version.period_start_year, version.period_end_year + 1)
        for kind in MatterKind
    }


class FactorForm(FlaskForm):
    category = SelectField(
        _l("Category"),
        choices=[SelectChoice(c.value, labels.CATEGORIES[c]) for c in FactorCategory],
        validators=[DataRequired()],
    )
    description = TextAreaField(_l("Description"), validators=[DataRequired(), Length(max=5000)])
    priority = SelectField(
        _l("Priority"),
        choices=[SelectChoice(p.value, labels.PRIORITIES[p]) for p in Priority],
        default=Priority.MEDIUM.value,
        validators=[DataRequired()],
    )


class ReleaseForm(FlaskForm):
    change_note = TextAreaField(
        _l("What changed since the last released version"),
        description=_l("Required for a correction; the member sees this note."),
        validators=[Length(max=5000)],
    )


def _blank_to_none(value):
    return value.strip() or None if isinstance(value, str) else value


def perspective_form(version: AssessmentVersion, **kwargs) -> FlaskForm:
    """The member's perspective on each factor of `version`, and overall."""

    class PerspectiveForm(FlaskForm):
        overall = TextAreaField(
            _l("Your overall perspective on your practice and the past events"),
            validators=[Length(max=20000)],
        )

    for factor in version.factors:
        setattr(
            PerspectiveForm,
            f"position_{factor.key}",
            RadioField(
                _l("Your view of this factor"),
                choices=[SelectChoice(p.value, label) for p, label in labels.POSITIONS.items()],
                # Optional() lets a blank answer through unchecked: make it "no answer".
                filters=[_blank_to_none],
                validators=[Optional()],
            ),
        )
        setattr(
            PerspectiveForm,
            f"comment_{factor.key}",
            TextAreaField(_l("Your comment"), validators=[Length(max=10000)]),
        )
    return PerspectiveForm(**kwargs)
