"""The screening's figures in plain words, in the reader's language: why a member is flagged (and
what a flag does not say), and the referral reason an advisor starts from."""

from __future__ import annotations

from flask_babel import format_decimal, format_percent, ngettext
from flask_babel import gettext as _

from portal.identification.profile import Profile


def _number(value: float) -> str:
    return format_decimal(round(value, 1), format="#,##0.0")


def flags(profile: Profile) -> list[tuple[str, str]]:
    """(flag, explanation) for each flag the member carries, then the floor when it holds them
    back; an empty list when nothing stands out."""
    window = profile.run.parameters["window_years"]
    recent_years = profile.run.parameters["recent_years"]
    found = []
    if profile.high:
        found.append(
            (
                _("Probably over twice peers"),
                _(
                    "Taking into account that a few matters say little on their own, there is a "
                    "%(chance)s chance that this member's true rate is more than twice that of "
                    "peers in the same type of work.",
                    chance=format_percent(profile.probability),
                ),
            )
        )
    if profile.limit:
        found.append(
            (
                _("Above the %(level)s%% limit", level=format_decimal(float(profile.limit))),
                _(
                    "%(observed)d matters against %(expected)s expected: chance alone would give "
                    "this many %(odds)s. It marks the member on the funnel plot; it does not say "
                    "why.",
                    observed=profile.observed,
                    expected=_number(profile.expected),
                    odds=_("less than once in 1,000")
                    if profile.limit == "99.8"
                    else _("less than once in 40"),
                ),
            )
        )
    if profile.rising:
        found.append(
            (
                _("Rising"),
                ngettext(
                    "%(num)d matter in the last %(years)d years, more than the member's own "
                    "earlier years predict (%(expected)s expected).",
                    "%(num)d matters in the last %(years)d years, more than the member's own "
                    "earlier years predict (%(expected)s expected).",
                    profile.recent,
                    years=recent_years,
                    expected=_number(profile.recent_expected),
                ),
            )
        )
    if found and not profile.floor:
        found.append(
            (
                _("Below the floor"),
                _(
                    "Not flagged: fewer than %(total)d matters in %(window)d years and fewer than "
                    "%(recent)d in the last %(years)d years.",
                    total=profile.run.parameters["floor_total"],
                    window=window,
                    recent=profile.run.parameters["floor_recent"],
                    years=recent_years,
                ),
            )
        )
    return found


def referral_reason(profile: Profile) -> str:
    """The figures behind a referral, as the advisor's editable starting point."""
    member = profile.member
    reason = _(
        "%(observed)d matters in the last %(window)d years against %(expected)s expected for "
        "peers in %(type)s (%(ratio)s times; after shrinkage %(shrunken)s).",
        observed=profile.observed,
        window=profile.run.parameters["window_years"],
        expected=_number(profile.expected),
        type=member.type_of_work.label,
        ratio=_number(profile.ratio),
        shrunken=_number(profile.shrunken),
    )
    if profile.rising:
        reason += " " + _(
            "Rising: %(recent)d in the last %(years)d years.",
            recent=profile.recent,
            years=profile.run.parameters["recent_years"],
        )
    return reason
