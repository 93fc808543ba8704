"""Time zones: the Canadian ones people pick from, checking a name against the IANA database, and
showing a moment as it reads in a given zone (members and staff may be in different provinces)."""

from __future__ import annotations

import zoneinfo
from datetime import datetime
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from babel import Locale
from babel.dates import (
    DateTimePattern,
    get_date_format,
    get_time_format,
    parse_pattern,
)
from flask import current_app
from flask_babel import get_locale, to_user_timezone
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


@cache
def _patterns(language: str) -> tuple[Locale, DateTimePattern, DateTimePattern, DateTimePattern]:
    """The language's medium date, short time and zone abbreviation, parsed once."""
    locale = Locale.parse(language)
    return (
        locale,
        parse_pattern(get_date_format("medium", locale)),
        parse_pattern(get_time_format("short", locale)),
        parse_pattern("z"),
    )


def _request_patterns() -> tuple[Locale, DateTimePattern, DateTimePattern, DateTimePattern]:
    return _patterns(str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"]))


def when(moment: datetime) -> str:
    """A date and time as people read them, in their language and time zone, without seconds:
    "May 3, 2026, 10:05 AM". The same text as Flask-Babel's `format_date(…, "medium")` and
    `format_time(…, "short")`, whose lookups on every call cost a row-heavy page milliseconds: the
    patterns are parsed once per language here."""
    locale, day, time, _zone_name = _request_patterns()
    local = to_user_timezone(moment)
    return f"{day.apply(local, locale)}, {time.apply(local, locale)}"


def in_zone(moment: datetime, zone: str) -> str:
    """`moment` as it reads in `zone`, with the zone: "Jan 15, 2030, 10:00 AM EST"."""
    locale, day, time, zone_name = _request_patterns()
    local = moment.astimezone(ZoneInfo(zone))
    return (
        f"{day.apply(local, locale)}, {time.apply(local, locale)} {zone_name.apply(local, locale)}"
    )


def set_time_zone(user: User, zone: str) -> bool:
    """Keep `user`'s own time zone (an IANA name already checked with `is_known_zone`). False
    when it was already theirs. The caller commits."""
    if user.time_zone == zone:
        return False
    user.time_zone = zone
    record("account.time_zone_changed", object_type="user", object_id=user.id, detail=zone)
    return True
