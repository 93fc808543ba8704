from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from portal.auth.passwords import MAX_LENGTH


def _code_field(label):
    return StringField(
        label,
        validators=[DataRequired(), Length(max=32)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "text", "spellcheck": "false"},
    )


def _password_field():
    return PasswordField(
        _l("Current password"),
        validators=[DataRequired(), Length(max=MAX_LENGTH)],
        render_kw={"autocomplete": "current-password"},
    )


class SignInCodeForm(FlaskForm):
    code = _code_field(_l("Code"))


class SetupForm(FlaskForm):
    current_password = _password_field()
    code = _code_field(_l("Code from your authenticator app"))


class PasswordConfirmForm(FlaskForm):
    current_password = _password_field()
