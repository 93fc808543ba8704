from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from portal.notifications.models import Frequency


class NotificationSettingsForm(FlaskForm):
    frequency = RadioField(
        _l("Email me about new messages and other news"),
        choices=[
            SelectChoice(
                Frequency.IMMEDIATE.value,
                _l("Soon after it arrives (at most one email per conversation every 15 minutes)"),
            ),
            SelectChoice(Frequency.DAILY.value, _l("Once a day, in a morning summary")),
        ],
        validators=[InputRequired()],
    )
