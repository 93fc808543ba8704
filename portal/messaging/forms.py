from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SearchField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from portal.uploads.forms import UploadsField

MAX_BODY = 20_000


class NewConversationForm(FlaskForm):
    subject = StringField(_l("Subject"), validators=[DataRequired(), Length(max=200)])
    body = TextAreaField(_l("Your message"), validators=[DataRequired(), Length(max=MAX_BODY)])
    attachments = UploadsField(_l("Attach files"))


class ReplyForm(FlaskForm):
    """A reply to the other side. Staff also get a canned reply to insert before they edit."""

    body = TextAreaField(_l("Your reply"), validators=[DataRequired(), Length(max=MAX_BODY)])
    attachments = UploadsField(_l("Attach files"))
    canned_reply_id = SelectField(
        _l("Canned reply"), coerce=int, validators=[Optional()], validate_choice=False
    )
    insert_canned = SubmitField(_l("Insert into the reply"))


class NoteForm(FlaskForm):
    body = TextAreaField(
        _l("Internal note"),
        description=_l("Seen only by the MSP team. The member never sees notes."),
        validators=[DataRequired(), Length(max=MAX_BODY)],
    )
    attachments = UploadsField(_l("Attach files to the note"))

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "note")  # its fields must not share ids with the reply's
        super().__init__(*args, **kwargs)


class AssignForm(FlaskForm):
    assignee_id = SelectField(_l("Assigned to"), coerce=int)


class InboxFilterForm(FlaskForm):
    """The inbox's filters: a GET form, so no CSRF token (it changes nothing)."""

    class Meta:
        csrf = False

    show = SelectField(
        _l("Show"),
        choices=[
            SelectChoice("", _l("All conversations")),
            SelectChoice("unassigned", _l("Unassigned")),
            SelectChoice("mine", _l("Assigned to me")),
            SelectChoice("awaiting", _l("Awaiting our reply")),
            SelectChoice("overdue", _l("Overdue")),
        ],
        validators=[Optional()],
    )
    q = SearchField(
        _l("Search"),
        description=_l("Words from the subject, the messages or the member's name."),
        validators=[Optional(), Length(max=200)],
    )


class CannedReplyForm(FlaskForm):
    title = StringField(
        _l("Title"),
        description=_l("What staff see in the list, e.g. “Acknowledgement”."),
        validators=[DataRequired(), Length(max=120)],
    )
    body_en = TextAreaField(
        _l("Text in English"), validators=[DataRequired(), Length(max=MAX_BODY)]
    )
    body_fr = TextAreaField(
        _l("Text in French"),
        validators=[DataRequired(), Length(max=MAX_BODY)],
        render_kw={"lang": "fr"},
    )
