"""Demo check-ins, made through the real services "as of" days in the past: member2 has two held
check-ins (summaries, internal notes, a change to the plan), one missed, and the next one coming
with a cadence; member has an upcoming check-in they asked to reschedule. advisor2 works from
Vancouver, so both sides' times show where zones differ."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from portal import clock
from portal.auth.models import User
from portal.auth.services import find_user_by_email
from portal.checkins import services
from portal.checkins.models import CheckIn, CheckInMode
from portal.demo.programme import _as_of, _case_of


def _at(days_from_now: int, hour: int, zone: str) -> services.Slot:
    """`hour`:00 local time in `zone`, `days_from_now` days from the real now."""
    day = (clock.now() + timedelta(days=days_from_now)).astimezone(ZoneInfo(zone)).date()
    starts_at = datetime.combine(day, time(hour), tzinfo=ZoneInfo(zone))
    return services.Slot(starts_at.astimezone(UTC), zone)


def _schedule(case, by: User, *, days_ago: int, slot, mode, agenda, cadence=None) -> CheckIn:
    with _as_of(days_ago):
        return services.schedule_check_in(
            case,
            by=by,
            details=services.CheckInDetails(
                slot=slot,
                mode=mode,
                duration_minutes=45 if mode is CheckInMode.IN_PERSON else 30,
                agenda=agenda,
                cadence_weeks=cadence,
            ),
        )


def _outcome(check_in: CheckIn, by: User, *, outcome: services.Outcome):
    """Recorded an hour after the check-in started."""
    recorded = check_in.scheduled_at + timedelta(hours=1)
    with _as_of((clock.now() - recorded) / timedelta(days=1)):
        services.record_outcome(check_in, by=by, outcome=outcome)


def load_checkins_demo() -> None:
    advisor = find_user_by_email("advisor@example.org")
    advisor2 = find_user_by_email("advisor2@example.org")
    advisor2.time_zone = "America/Vancouver"
    amelie = _case_of("member2@example.org")
    jordan = _case_of("member@example.org")

    first = _schedule(
        amelie,
        advisor,
        days_ago=70,
        slot=_at(-63, 12, "America/Toronto"),
        mode=CheckInMode.VIDEO,
        agenda="Premier bilan : démarrage du plan, le module sur le consentement éclairé.",
        cadence=6,
    )
    _outcome(
        first,
        advisor,
        outcome=services.Outcome(
            held=True,
            internal_notes=(
                "Engaged and candid. Mentioned a difficult delivery last month still weighs on "
                "her; suggest the physician health program if it comes up again."
            ),
            member_summary=(
                "Nous avons fait le point sur le module sur le consentement éclairé (terminé) et "
                "convenu de commencer l'audit de vos notes de consentement ce mois-ci."
            ),
            plan_change=None,
        ),
    )
    missed = _schedule(
        amelie,
        advisor2,
        days_ago=25,
        slot=_at(-21, 8, "America/Vancouver"),
        mode=CheckInMode.PHONE,
        agenda="Suivi de l'audit des notes de consentement.",
        cadence=6,
    )
    _outcome(
        missed,
        advisor2,
        outcome=services.Outcome(
            held=False,
            internal_notes="No answer at the number on file; left a voicemail. Try video next.",
            member_summary=None,
            plan_change=None,
        ),
    )
    second = _schedule(
        amelie,
        advisor2,
        days_ago=20,
        slot=_at(-14, 9, "America/Vancouver"),
        mode=CheckInMode.VIDEO,
        agenda="Reprise du suivi manqué : l'audit des notes et l'atelier sur la divulgation.",
        cadence=6,
    )
    _outcome(
        second,
        advisor2,
        outcome=services.Outcome(
            held=True,
            internal_notes=(
                "Audit shows real progress: 9 of 10 charts document options and risks. Workload "
                "is high; keep the next check-in short."
            ),
            member_summary=(
                "Votre audit montre de nets progrès (9 dossiers sur 10 documentent les options et "
                "les risques). Prochaine étape : l'atelier sur la divulgation."
            ),
            plan_change="L'atelier sur la divulgation est avancé au mois prochain.",
        ),
    )
    _schedule(
        amelie,
        advisor2,
        days_ago=13,
        slot=_at(6, 9, "America/Vancouver"),
        mode=CheckInMode.VIDEO,
        agenda="Préparer l'atelier sur la divulgation ; point sur la charge de travail.",
        cadence=6,
    )

    upcoming = _schedule(
        jordan,
        advisor,
        days_ago=4,
        slot=_at(9, 17, "America/Toronto"),
        mode=CheckInMode.PHONE,
        agenda="Your input on the draft plan, and how to fit the workshop around night shifts.",
        cadence=4,
    )
    with _as_of(1):
        services.request_reschedule(
            upcoming,
            member=jordan.member,
            reason="I was just put on nights that week and will be asleep at 17:00.",
            preferred_times="Any weekday before 11:00, or the following week.",
        )
