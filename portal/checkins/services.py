"""Check-ins as plain functions: scheduling, rescheduling and cancelling (each emailing both sides
the calendar entry), the outcome, and the member's requests to reschedule. They add to the session
and never commit; the caller commits with the action.

Any staff member who may see the case (`get_case_for`) may change its check-ins. Changes that
could cross (two tabs, a double click, two people at once) are conditional UPDATEs: the one that
finds the check-in as it expected wins, the other gets a clear refusal and changes nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import abort, current_app
from flask_babel import force_locale
from sqlalchemy import exists, select, update
from sqlalchemy.orm import joinedload, selectinload

from portal import clock
from portal.audit.services import record, record_denied
from portal.auth.models import User
from portal.cases.models import Case
from portal.cases.services import ensure_case_open, record_contact, touch
from portal.checkins.calendar import CANCEL, REQUEST, calendar_entry
from portal.checkins.models import CheckIn, CheckInMode, CheckInStatus, RescheduleRequest
from portal.extensions import db
from portal.notifications.services import notify
from portal.outbox.services import external_url, language_for, queue_email

# How far ahead a check-in may be set: further than this is a typing mistake, not a plan.
MAX_AHEAD = timedelta(days=2 * 365)


class CheckInError(Exception):
    """A change refused; `str(error)` names why (see `views.ERRORS`)."""


# --- Times ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Slot:
    """When a check-in starts (aware UTC) and the zone the time was entered in."""

    starts_at: datetime
    time_zone: str


def slot_from_local(day: date, at: time, zone: str) -> Slot:
    """The moment a wall-clock date and time in `zone` means. A time that the clocks skip when
    they go forward (e.g. 2:30 on the night daylight saving time starts) does not exist there."""
    tz = ZoneInfo(zone)
    wall = datetime.combine(day, at)
    starts_at = wall.replace(tzinfo=tz).astimezone(UTC)
    if starts_at.astimezone(tz).replace(tzinfo=None) != wall:
        raise CheckInError("no_such_time")
    return Slot(starts_at, zone)


def local_start(check_in: CheckIn) -> datetime:
    """When the check-in starts, on the clock of the zone it was set in."""
    return check_in.scheduled_at.astimezone(ZoneInfo(check_in.time_zone))


def _check_future(starts_at: datetime) -> None:
    now = clock.now()
    if starts_at <= now:
        raise CheckInError("past")
    if starts_at > now + MAX_AHEAD:
        raise CheckInError("too_far")


def _reminder_due_by(starts_at: datetime, now: datetime) -> datetime | None:
    """`reminded_at` for a check-in (re)scheduled now: already "reminded" when it is inside the
    reminder window, since the email just sent serves as the reminder; else None."""
    window = timedelta(hours=current_app.config["CHECKIN_REMINDER_HOURS"])
    return now if starts_at <= now + window else None


# --- Emails -------------------------------------------------------------------------------------


def parties(check_in: CheckIn, by: User | None = None) -> list[User]:
    """Who gets the calendar entry: the member, the lead advisor, whoever scheduled the
    check-in, and whoever is changing it now (each once; deactivated accounts get nothing)."""
    case = check_in.case
    people: dict[int, User] = {}
    for person in (case.member, case.lead_advisor, check_in.scheduled_by, by):
        if person is not None and person.active:
            people.setdefault(person.id, person)
    return list(people.values())


def link_for(check_in: CheckIn, person: User) -> str:
    if person.id == check_in.case.member_id:
        return external_url("checkins.member_list") + f"#check-in-{check_in.id}"
    return external_url(
        "checkins.staff_check_in", case_id=check_in.case_id, check_in_id=check_in.id
    )


def send_calendar_emails(
    check_in: CheckIn, template: str, *, method: str = REQUEST, by: User | None = None
) -> None:
    """A content-free email to each party, with the check-in's calendar entry as it is now."""
    for person in parties(check_in, by):
        link = link_for(check_in, person)
        with force_locale(language_for(person)):
            ics = calendar_entry(check_in, method=method, attendee=person.email, url=link)
        queue_email(person, template, link=link, calendar_ics=ics)


def _new_calendar_uid() -> str:
    domain = urlsplit(current_app.config["PORTAL_BASE_URL"]).hostname or "msp-portal.local"
    return f"check-in-{uuid.uuid4().hex}@{domain}"


# --- Loading ------------------------------------------------------------------------------------


def _loaded():
    return (joinedload(CheckIn.scheduled_by), selectinload(CheckIn.reschedule_requests))


def check_ins_of(case: Case) -> list[CheckIn]:
    """Every check-in of the case, soonest first, with what their pages show (two queries)."""
    return list(
        db.session.scalars(
            select(CheckIn)
            .where(CheckIn.case_id == case.id)
            .options(*_loaded())
            .order_by(CheckIn.scheduled_at, CheckIn.id)
        )
    )


def upcoming_of(case: Case, *, limit: int | None = 3) -> list[CheckIn]:
    """The next scheduled check-ins (for the member's dashboard; `limit=None`: all), in one
    query."""
    return list(
        db.session.scalars(
            select(CheckIn)
            .where(
                CheckIn.case_id == case.id,
                CheckIn.status == CheckInStatus.SCHEDULED,
                CheckIn.scheduled_at > clock.now(),
            )
            .options(joinedload(CheckIn.scheduled_by))
            .order_by(CheckIn.scheduled_at, CheckIn.id)
            .limit(limit)
        )
    )


def check_in_of_or_404(case: Case, check_in_id: int) -> CheckIn:
    """A check-in of `case` (which the caller loaded with its access check); otherwise 404."""
    check_in = db.session.scalar(
        select(CheckIn)
        .where(CheckIn.id == check_in_id, CheckIn.case_id == case.id)
        .options(*_loaded())
    )
    if check_in is None:
        record_denied("check_in.not_visible", object_type="check_in", object_id=check_in_id)
        abort(404)
    return check_in


def record_view(case: Case, how: str, check_in: CheckIn | None = None) -> None:
    record(
        "check_ins.viewed",
        object_type="check_in" if check_in else "case",
        object_id=check_in.id if check_in else case.id,
        case_id=case.id,
        detail=how,
    )


# --- Scheduling, rescheduling, cancelling -------------------------------------------------------


@dataclass(frozen=True)
class CheckInDetails:
    slot: Slot
    mode: CheckInMode
    duration_minutes: int
    agenda: str
    cadence_weeks: int | None


def schedule_check_in(case: Case, *, by: User, details: CheckInDetails) -> CheckIn:
    """A new check-in; the member and the team get the calendar invitation. Not on a closed case
    (reopen it first)."""
    if case.is_closed:
        raise CheckInError("case_closed")
    _check_future(details.slot.starts_at)
    already = exists().where(
        CheckIn.case_id == case.id,
        CheckIn.status == CheckInStatus.SCHEDULED,
        CheckIn.scheduled_at == details.slot.starts_at,
    )
    if db.session.scalar(select(already)):
        raise CheckInError("duplicate")  # a double click: one check-in, one set of invitations
    now = clock.now()
    check_in = CheckIn(
        case=case,
        scheduled_by=by,
        scheduled_at=details.slot.starts_at,
        time_zone=details.slot.time_zone,
        mode=details.mode,
        duration_minutes=details.duration_minutes,
        agenda=details.agenda.strip(),
        cadence_weeks=details.cadence_weeks,
        calendar_uid=_new_calendar_uid(),
        calendar_sequence=0,
        reminded_at=_reminder_due_by(details.slot.starts_at, now),
    )
    db.session.add(check_in)
    db.session.flush()
    touch(case)
    record(
        "check_in.scheduled",
        object_type="check_in",
        object_id=check_in.id,
        case_id=case.id,
        detail=check_in.scheduled_at.isoformat(),
    )
    send_calendar_emails(check_in, "check_in_scheduled", by=by)
    return check_in


def _resolve_open_request(check_in: CheckIn, *, by: User, now: datetime) -> bool:
    resolved = db.session.execute(
        update(RescheduleRequest)
        .where(
            RescheduleRequest.check_in_id == check_in.id, RescheduleRequest.resolved_at.is_(None)
        )
        .values(resolved_at=now, resolved_by_id=by.id)
        .execution_options(synchronize_session=False)
    ).rowcount
    return bool(resolved)


def reschedule_check_in(check_in: CheckIn, *, by: User, slot: Slot, sequence: int) -> None:
    """Move a scheduled check-in to `slot`: the same calendar entry, one sequence later, and
    reminded again for its new time. `sequence` is the one the form was shown with: if the
    check-in changed since, nothing happens (CheckInError "stale")."""
    _check_future(slot.starts_at)
    now = clock.now()
    changed = db.session.execute(
        update(CheckIn)
        .where(
            CheckIn.id == check_in.id,
            CheckIn.status == CheckInStatus.SCHEDULED,
            CheckIn.calendar_sequence == sequence,
        )
        .values(
            scheduled_at=slot.starts_at,
            time_zone=slot.time_zone,
            calendar_sequence=CheckIn.calendar_sequence + 1,
            reminded_at=_reminder_due_by(slot.starts_at, now),
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(check_in)
    if not changed:
        raise CheckInError("stale" if check_in.status is CheckInStatus.SCHEDULED else "closed")
    _resolve_open_request(check_in, by=by, now=now)
    touch(check_in.case)
    record(
        "check_in.rescheduled",
        object_type="check_in",
        object_id=check_in.id,
        case_id=check_in.case_id,
        detail=check_in.scheduled_at.isoformat(),
    )
    send_calendar_emails(check_in, "check_in_rescheduled", by=by)


def cancel_check_in(check_in: CheckIn, *, by: User) -> None:
    """Cancel a scheduled check-in: calendars get the cancellation of the same entry."""
    now = clock.now()
    changed = db.session.execute(
        update(CheckIn)
        .where(CheckIn.id == check_in.id, CheckIn.status == CheckInStatus.SCHEDULED)
        .values(
            status=CheckInStatus.CANCELLED,
            cancelled_at=now,
            calendar_sequence=CheckIn.calendar_sequence + 1,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(check_in)
    if not changed:
        raise CheckInError("closed")
    _resolve_open_request(check_in, by=by, now=now)
    touch(check_in.case)
    record(
        "check_in.cancelled",
        object_type="check_in",
        object_id=check_in.id,
        case_id=check_in.case_id,
    )
    send_calendar_emails(check_in, "check_in_cancelled", method=CANCEL, by=by)


# --- The outcome ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    held: bool
    internal_notes: str | None  # never shown to the member
    member_summary: str | None
    plan_change: str | None  # shown to the member with the summary


def _text_or_none(text: str | None) -> str | None:
    return text.strip() or None if text else None


def record_outcome(check_in: CheckIn, *, by: User, outcome: Outcome) -> None:
    """Held or missed, once, after the check-in's time; never overwritten. A check-in held is
    contact with the member. The member is told (without content) when there is a summary."""
    now = clock.now()
    if check_in.outcome_recorded_at is not None:
        raise CheckInError("already_recorded")
    if check_in.status is not CheckInStatus.SCHEDULED:
        raise CheckInError("closed")
    if check_in.scheduled_at > now:
        raise CheckInError("not_yet")
    status = CheckInStatus.HELD if outcome.held else CheckInStatus.MISSED
    changed = db.session.execute(
        update(CheckIn)
        .where(
            CheckIn.id == check_in.id,
            CheckIn.status == CheckInStatus.SCHEDULED,
            CheckIn.outcome_recorded_at.is_(None),
        )
        .values(
            status=status,
            outcome_recorded_at=now,
            outcome_recorded_by_id=by.id,
            internal_notes=_text_or_none(outcome.internal_notes),
            member_summary=_text_or_none(outcome.member_summary),
            plan_change=_text_or_none(outcome.plan_change),
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(check_in)
    if not changed:
        raise CheckInError("already_recorded" if check_in.outcome_recorded_at else "closed")
    _resolve_open_request(check_in, by=by, now=now)
    if status is CheckInStatus.HELD:
        record_contact(check_in.case)
    else:
        touch(check_in.case)
    record(
        "check_in.outcome_recorded",
        object_type="check_in",
        object_id=check_in.id,
        case_id=check_in.case_id,
        detail=status.value,
    )
    if check_in.member_summary or check_in.plan_change:
        notify(
            check_in.case.member,
            topic=f"check-in:{check_in.id}",
            endpoint="checkins.member_list",
        )


@dataclass(frozen=True)
class Proposal:
    """The next check-in a cadence proposes, as the schedule form is prefilled with it."""

    day: date
    at: time
    time_zone: str
    mode: CheckInMode
    duration_minutes: int
    cadence_weeks: int


def proposed_next(check_in: CheckIn) -> Proposal | None:
    """After a check-in held with a cadence: the same wall-clock time `cadence_weeks` later in
    the zone it was set in (the first such time still ahead). A missed check-in proposes nothing:
    the team reschedules it or arranges the next one as the situation needs."""
    if check_in.status is not CheckInStatus.HELD or not check_in.cadence_weeks:
        return None
    step = timedelta(weeks=check_in.cadence_weeks)
    proposed = local_start(check_in) + step
    now = clock.now()
    while proposed <= now:
        proposed += step
    return Proposal(
        day=proposed.date(),
        at=proposed.time().replace(tzinfo=None),
        time_zone=check_in.time_zone,
        mode=check_in.mode,
        duration_minutes=check_in.duration_minutes,
        cadence_weeks=check_in.cadence_weeks,
    )


# --- The member asks to reschedule --------------------------------------------------------------


def request_reschedule(
    check_in: CheckIn, *, member: User, reason: str, preferred_times: str | None
) -> RescheduleRequest:
    """The member asks to move an upcoming check-in; staff are notified. One open request per
    check-in: the check-in's row is locked while checking, so two at once cannot both open one.
    A closed case is read-only for its member (CaseClosed)."""
    ensure_case_open(check_in.case)
    status = db.session.scalar(
        select(CheckIn.status).where(CheckIn.id == check_in.id).with_for_update()
    )
    if status is not CheckInStatus.SCHEDULED or check_in.scheduled_at <= clock.now():
        raise CheckInError("closed")
    already_open = db.session.scalar(
        select(
            exists().where(
                RescheduleRequest.check_in_id == check_in.id,
                RescheduleRequest.resolved_at.is_(None),
            )
        )
    )
    if already_open:
        raise CheckInError("open_request")
    request = RescheduleRequest(
        check_in=check_in,
        requested_by_id=member.id,
        reason=reason.strip(),
        preferred_times=_text_or_none(preferred_times),
    )
    db.session.add(request)
    db.session.flush()
    record(
        "check_in.reschedule_requested",
        object_type="check_in",
        object_id=check_in.id,
        case_id=check_in.case_id,
    )
    for person in parties(check_in):
        if person.is_staff:
            notify(
                person,
                topic=f"check-in:{check_in.id}",
                endpoint="checkins.staff_check_in",
                case_id=check_in.case_id,
                check_in_id=check_in.id,
            )
    return request


def decline_request(check_in: CheckIn, *, by: User) -> None:
    """Keep the time: the open request is marked resolved and the member is told (without
    content) that the team answered."""
    if not _resolve_open_request(check_in, by=by, now=clock.now()):
        raise CheckInError("no_open_request")
    record(
        "check_in.reschedule_declined",
        object_type="check_in",
        object_id=check_in.id,
        case_id=check_in.case_id,
    )
    notify(check_in.case.member, topic=f"check-in:{check_in.id}", endpoint="checkins.member_list")
