"""Referral intake (the program's identification step) and access to cases."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import abort, current_app
from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.orm import joinedload
from werkzeug.exceptions import Forbidden

from portal import clock
from portal.audit.models import AuditEvent, Outcome
from portal.audit.services import record, record_denied
from portal.auth.models import Role, User
from portal.auth.services import (
    AccountError,
    DuplicateEmail,
    create_user,
    find_user_by_email,
    send_invitation,
)
from portal.cases.models import (
    PROVINCE_TIME_ZONES,
    BreakGlassAccess,
    Case,
    CaseTeamMember,
    MemberProfile,
    Stage,
    StageChange,
    TypeOfWork,
)
from portal.db_types import contains_pattern
from portal.extensions import db


class DuplicateMemberNumber(AccountError):
    pass


class CaseError(Exception):
    """Refused for a reason the user can be told (the view translates the code)."""


class CaseClosed(Exception):
    """A member tried to change a record of their closed case: their access is read-only."""


class BreakGlassRequired(Forbidden):
    """A staff member followed a link to a case they are not on: they are asked for a reason
    (the cases blueprint renders the prompt; anything else sees a plain 403)."""

    def __init__(self, case_id: int):
        super().__init__()
        self.case_id = case_id


@dataclass
class Referral:
    name: str
    email: str
    member_number: str
    specialty: str
    province: str
    reason: str
    language: str | None = None
    type_of_work: TypeOfWork | None = None  # the peer group; found from `specialty` when None


def staff_choices() -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .where(User.role.in_([Role.STAFF, Role.ADMIN]), User.active.is_(True))
            .order_by(User.name)
        )
    )


def types_of_work() -> list[TypeOfWork]:
    """The managed list of peer groups a referral picks from, in the current language's order."""
    types = db.session.scalars(select(TypeOfWork).where(TypeOfWork.active.is_(True))).all()
    return sorted(types, key=lambda t: t.label.casefold())


def type_of_work_named(text: str) -> TypeOfWork | None:
    """The type of work with this code or English or French name (any case), if there is one."""
    wanted = text.strip().casefold()
    return next(
        (
            t
            for t in db.session.scalars(select(TypeOfWork))
            if wanted in (t.code.casefold(), t.name_en.casefold(), t.name_fr.casefold())
        ),
        None,
    )


def refer_member(referral: Referral, *, referred_by: User | None, lead_advisor: User) -> Case:
    """Create the member's account, profile and case, and queue the invitation email.

    Refuses (DuplicateEmail, DuplicateMemberNumber) when the address or member number is in use.
    """
    member_number = referral.member_number.strip().upper()
    if find_user_by_email(referral.email) is not None:
        raise DuplicateEmail(referral.email)
    if db.session.scalar(select(exists().where(MemberProfile.member_number == member_number))):
        raise DuplicateMemberNumber(member_number)
    member = create_user(
        email=referral.email, name=referral.name, role=Role.MEMBER, language=referral.language
    )
    member.time_zone = PROVINCE_TIME_ZONES.get(referral.province)
    type_of_work = referral.type_of_work or type_of_work_named(referral.specialty)
    db.session.add(
        MemberProfile(
            user_id=member.id,
            member_number=member_number,
            specialty=type_of_work.name_en if type_of_work else referral.specialty.strip(),
            type_of_work_id=type_of_work.id if type_of_work else None,
            province=referral.province,
        )
    )
    case = Case(
        member_id=member.id,
        lead_advisor_id=lead_advisor.id,
        referred_by_id=referred_by.id if referred_by else None,
        referral_reason=referral.reason.strip(),
        stage=Stage.REFERRED,
    )
    db.session.add(case)
    db.session.flush()
    db.session.add(
        StageChange(case_id=case.id, to_stage=Stage.REFERRED, changed_by_id=case.referred_by_id)
    )
    record(
        "case.referred", actor=referred_by, object_type="case", object_id=case.id, case_id=case.id
    )
    send_invitation(member, case_id=case.id)
    return case


def change_stage(case: Case, stage: Stage, *, by: User | None, note: str | None = None) -> None:
    """Move the case to `stage`, appending to its stage history (with `note`, when closing or
    reopening: the history keeps every closing summary, even after a reopening)."""
    if case.stage is stage:
        return
    db.session.add(
        StageChange(
            case_id=case.id,
            from_stage=case.stage,
            to_stage=stage,
            changed_by_id=by.id if by else None,
            note=note,
        )
    )
    case.stage = stage
    touch(case)
    record(
        "case.stage_changed",
        actor=by,
        object_type="case",
        object_id=case.id,
        case_id=case.id,
        detail=stage.value,
    )


def touch(case: Case) -> None:
    case.last_activity_at = clock.now()


def record_contact(case: Case) -> None:
    """The team and the member were in touch (a message either way, a check-in held, a change to
    an activity): resets the case's no-contact clock."""
    now = clock.now()
    case.last_activity_at = now
    case.last_contact_at = now


def no_contact_since(now) -> datetime:
    """Cases whose last contact is before this are flagged (CASE_NO_CONTACT_WEEKS)."""
    return now - timedelta(weeks=current_app.config["CASE_NO_CONTACT_WEEKS"])


def assigned_case_ids(user: User):
    """The ids of the cases a staff member leads or is on the team of: a union of two lookups,
    each read by its own index (an OR of the two would read every case to find them)."""
    return (
        select(Case.id)
        .where(Case.lead_advisor_id == user.id)
        .union(select(CaseTeamMember.case_id).where(CaseTeamMember.staff_id == user.id))
    )


def assigned_cases(user: User) -> list:
    """Conditions limiting cases to the staff member's own: those they lead or are on the team
    of (none for admins, who see every case)."""
    if user.is_admin:
        return []
    return [Case.id.in_(assigned_case_ids(user))]


def visible_cases(user: User) -> list:
    """Conditions limiting cases to those `user` may see (none for admins): a member their own;
    staff their own, and a case they opened with a stated reason until the grant expires."""
    if user.is_admin:
        return []
    if user.is_staff:
        granted = exists().where(
            BreakGlassAccess.case_id == Case.id,
            BreakGlassAccess.staff_id == user.id,
            BreakGlassAccess.expires_at > clock.now(),
        )
        return [or_(*assigned_cases(user), granted)]
    return [Case.member_id == user.id]


def worklist_cases(user: User) -> list:
    """Conditions limiting cases to those whose work fills `user`'s lists (inbox, unread counts,
    verification queue): a case opened with break-glass may be read, but is not theirs to work."""
    return assigned_cases(user) if user.is_staff else visible_cases(user)


def worklist_case_ids(user: User) -> Select | None:
    """The ids of the cases of `worklist_cases(user)`, for `case_id IN (…)` (None for admins: every
    case). A staff member's cases are a union of those they lead and those they are on the team of,
    each read by its own index (`assigned_case_ids`)."""
    if user.is_admin:
        return None
    if not user.is_staff:
        return select(Case.id).where(*visible_cases(user))
    return assigned_case_ids(user)


def get_case_for(user: User, case_id: int) -> Case:
    """The case if `user` may see it. Otherwise the refusal is audited, and staff are asked for a
    reason to open it (BreakGlassRequired, a 403); anyone else gets a 404. Never load a case by id
    any other way in a view."""
    case = db.session.scalar(
        select(Case)
        .where(Case.id == case_id, *visible_cases(user))
        .options(joinedload(Case.member), joinedload(Case.lead_advisor))
    )
    if case is None:
        if user.is_staff and db.session.scalar(select(exists().where(Case.id == case_id))):
            record_denied(
                "case.break_glass_required", object_type="case", object_id=case_id, case_id=case_id
            )
            raise BreakGlassRequired(case_id)
        record_denied("case.not_visible", object_type="case", object_id=case_id)
        abort(404)
    return case


def record_case_view(case: Case, how: str) -> None:
    """Staff looked at the case (its page, its timeline): a read of the member's file."""
    record("case.viewed", object_type="case", object_id=case.id, case_id=case.id, detail=how)


def current_case_of(member: User) -> Case | None:
    """The member's most recent case (a member may in time be referred again)."""
    return db.session.scalar(
        select(Case)
        .where(Case.member_id == member.id)
        .options(joinedload(Case.lead_advisor))
        .order_by(Case.referred_at.desc(), Case.id.desc())
        .limit(1)
    )


def member_case_or_404(member: User) -> Case:
    """The signed-in member's own case, for the member's pages (which never take a case id)."""
    case = current_case_of(member)
    if case is None:
        abort(404)
    return case


def profile_of(member: User) -> MemberProfile | None:
    return db.session.get(
        MemberProfile, member.id, options=[joinedload(MemberProfile.type_of_work)]
    )


def resend_invitation(case: Case, *, by: User) -> bool:
    """A fresh invitation link (the old one stops working), while the member has no password."""
    if case.member.has_password or not case.member.active:
        record(
            "account.invitation_sent",
            actor=by,
            outcome=Outcome.FAILURE,
            case_id=case.id,
            detail="member already has a password",
        )
        return False
    send_invitation(case.member, case_id=case.id)
    touch(case)
    return True


# --- Break-glass access ---------------------------------------------------------------------

BREAK_GLASS_REASON_MIN = 20  # long enough to say why, e.g. "covering for the lead on leave"


def case_for_break_glass_or_404(case_id: int) -> Case:
    """Any case, for the break-glass prompt and grant only: the page shows the minimum (name,
    member number, stage, lead) and opens nothing until a reason is given."""
    case = db.session.scalar(
        select(Case)
        .where(Case.id == case_id)
        .options(joinedload(Case.member), joinedload(Case.lead_advisor))
    )
    if case is None:
        abort(404)
    return case


def can_see(user: User, case: Case) -> bool:
    return bool(db.session.scalar(select(exists().where(Case.id == case.id, *visible_cases(user)))))


def grant_break_glass(case: Case, *, staff: User, reason: str) -> BreakGlassAccess:
    """Open `case` to `staff` for BREAK_GLASS_HOURS, for the reason they gave (audited; shown to
    admins and in the member's view log)."""
    reason = reason.strip()
    if len(reason) < BREAK_GLASS_REASON_MIN:
        raise CaseError("reason_too_short")
    now = clock.now()
    grant = BreakGlassAccess(
        case_id=case.id,
        staff_id=staff.id,
        reason=reason,
        granted_at=now,
        expires_at=now + timedelta(hours=current_app.config["BREAK_GLASS_HOURS"]),
    )
    db.session.add(grant)
    record(
        "case.break_glass",
        actor=staff,
        object_type="case",
        object_id=case.id,
        case_id=case.id,
        detail=reason,
    )
    return grant


def break_glass_query() -> Select:
    """Every break-glass access, newest first, for admins."""
    return (
        select(BreakGlassAccess)
        .options(
            joinedload(BreakGlassAccess.staff),
            joinedload(BreakGlassAccess.case).joinedload(Case.member),
        )
        .order_by(BreakGlassAccess.granted_at.desc(), BreakGlassAccess.id.desc())
    )


def find_cases_query(text: str) -> Select:
    """Cases whose member's name or member number contains `text` (any staff may search; the
    results page shows only the minimum)."""
    pattern = contains_pattern(text.strip().lower())
    return (
        select(Case)
        .join(User, User.id == Case.member_id)
        .join(MemberProfile, MemberProfile.user_id == Case.member_id)
        .where(
            or_(
                func.lower(User.name).like(pattern, escape="\\"),
                func.lower(MemberProfile.member_number).like(pattern, escape="\\"),
            )
        )
        .options(joinedload(Case.member), joinedload(Case.lead_advisor))
        .order_by(User.name, Case.id)
    )


def member_numbers(cases: list[Case]) -> dict[int, str]:
    """Member id → member number, for a page of cases (one query)."""
    ids = [case.member_id for case in cases]
    if not ids:
        return {}
    return dict(
        db.session.execute(
            select(MemberProfile.user_id, MemberProfile.member_number).where(
                MemberProfile.user_id.in_(ids)
            )
        ).all()
    )


def visible_ids(user: User, cases: list[Case]) -> set[int]:
    """Which of `cases` `user` may open now (one query)."""
    ids = [case.id for case in cases]
    if not ids:
        return set()
    return set(db.session.scalars(select(Case.id).where(Case.id.in_(ids), *visible_cases(user))))


# --- The member's view log ---------------------------------------------------------------------

# Audit actions that are a read of a member's records. Every "<feature>.viewed" counts too, so a
# feature that audits its views that way appears in the log without a change here.
VIEW_ACTIONS = (
    "case.break_glass",
    "conversation.downloaded",
    "attachment.downloaded",
    "evidence.downloaded",
)


def view_log_query(case: Case) -> Select:
    """Views of the case's records by MSP staff and admins, newest first."""
    return (
        select(AuditEvent)
        .where(
            AuditEvent.case_id == case.id,
            AuditEvent.actor_role.in_([Role.STAFF.value, Role.ADMIN.value]),
            AuditEvent.outcome == Outcome.SUCCESS,
            or_(AuditEvent.action.in_(VIEW_ACTIONS), AuditEvent.action.like("%.viewed")),
        )
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
    )


def actor_names(events: list[AuditEvent]) -> dict[int, str]:
    """Actor id → name, for a page of audit events (one query)."""
    ids = {event.actor_id for event in events if event.actor_id}
    if not ids:
        return {}
    return dict(db.session.execute(select(User.id, User.name).where(User.id.in_(ids))).all())


# --- Closing a case -----------------------------------------------------------------------


def may_close(user: User, case: Case) -> bool:
    return user.is_admin or user.id == case.lead_advisor_id


def ensure_case_open(case: Case) -> None:
    """The one guard of every member write: a closed case is read-only for its member."""
    if case.is_closed:
        raise CaseClosed(case.id)
