"""Time zones: the Canadian ones people pick from, checking a name against the IANA database, and
showing a moment as it reads in a given zone (members and staff may be in different provinces)."""

from __future__ import annotations

import zoneinfo
from datetime import datetime
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from babel.dates import format_date, format_time
from flask import current_app
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from portal.audit.services import record
from portal.auth.models import User

# One time-zone database for the whole portal: the pinned `tzdata` package, which Babel's pytz
# zones also follow. Left alone, zoneinfo would read the operating system's copy first, and an older
# one disagrees on future rules (America/Edmonton from 2026): a check-in would then show an hour off
# between the pages and the emails.
zoneinfo.reset_tzpath(to=[])
ZoneInfo.clear_cache()

# East to west; every zone a member's province gives them (cases.models.PROVINCE_TIME_ZONES).
CANADIAN_ZONES = (
    ("America/St_Johns", _l("Newfoundland (St. John's)")),
    ("America/Halifax", _l("Atlantic (Halifax)")),
    ("America/Moncton", _l("Atlantic (Moncton)")),
    ("America/Toronto", _l("Eastern (Toronto, Montréal)")),
    ("America/Iqaluit", _l("Eastern (Iqaluit)")),
    ("America/Winnipeg", _l("Central (Winnipeg)")),
    ("America/Regina", _l("Saskatchewan (Regina)")),
    ("America/Edmonton", _l("Mountain (Edmonton, Calgary)")),
    ("America/Yellowknife", _l("Mountain (Yellowknife)")),
    ("America/Vancouver", _l("Pacific (Vancouver)")),
    ("America/Whitehorse", _l("Yukon (Whitehorse)")),
)


@cache
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def is_known_zone(name: str | None) -> bool:
    return bool(name) and name in _known_zones()


def zone_label(name: str) -> str:
    """A zone's name as people read it: the Canadian label, else its IANA name."""
    return str(dict(CANADIAN_ZONES).get(name, name))


def zone_of(user: User) -> str:
    """The zone `user` reads times in (as Babel's time-zone selector does for pages)."""
    if is_known_zone(user.time_zone):
        return user.time_zone
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]


def in_zone(moment: datetime, zone: str) -> str:
    """`moment` as it reads in `zone`, with the zone: "Jan 15, 2030, 10:00 AM EST"."""
    locale = str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])
    tzinfo = ZoneInfo(zone)
    local = moment.astimezone(tzinfo)
    day = format_date(local, "medium", locale=locale)
    return f"{day}, {format_time(local, 'short', tzinfo=tzinfo, locale=locale)} " + format_time(
        local, "z", tzinfo=tzinfo, locale=locale
    )


def set_time_zone(user: User, zone: str) -> bool:
    """Keep `user`'s own time zone (an IANA name already checked with `is_known_zone`). False
    when it was already theirs. The caller commits."""
    if user.time_zone == zone:
        return False
    user.time_zone = zone
    record("account.time_zone_changed", object_type="user", object_id=user.id, detail=zone)
    return True
