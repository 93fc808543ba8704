from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from portal.checkins.forms import OTHER_ZONE, TimeZoneField, zone_choices
from portal.notifications.models import Frequency
from portal.zones import is_known_zone, zone_label


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
    time_zone = TimeZoneField(
        _l("Your time zone"),
        description=_l("Times in the portal, such as those of check-ins, are shown in this zone."),
        validators=[Optional()],
    )
    other_time_zone = StringField(
        _l("Another time zone"),
        description=_l(
            "Only if you chose “Another time zone”: its name, for example Europe/Paris."
        ),
        validators=[Length(max=64)],
    )

    def set_zone_choices(self, current: str) -> None:
        """The Canadian zones (and `current` first if it is another), then "Another"."""
        self.time_zone.choices = [
            *zone_choices([(current, zone_label(current))]),
            SelectChoice(OTHER_ZONE, gettext("Another time zone")),
        ]

    def validate_other_time_zone(self, field):
        if self.time_zone.data == OTHER_ZONE and not is_known_zone((field.data or "").strip()):
            raise ValidationError(_l("Enter the name of a time zone, for example Europe/Paris."))

    def chosen_zone(self) -> str | None:
        """The zone chosen, or None when the form was sent without one."""
        if not self.time_zone.raw_data:
            return None
        if self.time_zone.data == OTHER_ZONE:
            return self.other_time_zone.data.strip()
        return self.time_zone.data
