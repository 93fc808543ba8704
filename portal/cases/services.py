"""Referral intake (the program's identification step) and access to cases."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import abort, current_app
from sqlalchemy import Select, exists, or_, select
from sqlalchemy.orm import joinedload

from portal import clock
from portal.audit.models import Outcome
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
    Case,
    CaseTeamMember,
    MemberProfile,
    Stage,
    StageChange,
)
from portal.extensions import db


class DuplicateMemberNumber(AccountError):
    pass


@dataclass
class Referral:
    name: str
    email: str
    member_number: str
    specialty: str
    province: str
    reason: str
    language: str | None = None


def staff_choices() -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .where(User.role.in_([Role.STAFF, Role.ADMIN]), User.active.is_(True))
            .order_by(User.name)
        )
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
    db.session.add(
        MemberProfile(
            user_id=member.id,
            member_number=member_number,
            specialty=referral.specialty.strip(),
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


def change_stage(case: Case, stage: Stage, *, by: User | None) -> None:
    if case.stage is stage:
        return
    db.session.add(
        StageChange(
            case_id=case.id,
            from_stage=case.stage,
            to_stage=stage,
            changed_by_id=by.id if by else None,
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


def visible_cases(user: User) -> list:
    """Conditions limiting cases to those `user` may see (none for admins)."""
    if user.is_admin:
        return []
    if user.is_staff:
        on_team = exists().where(
            CaseTeamMember.case_id == Case.id, CaseTeamMember.staff_id == user.id
        )
        return [or_(Case.lead_advisor_id == user.id, on_team)]
    return [Case.member_id == user.id]


def cases_query_for(user: User) -> Select:
    return (
        select(Case)
        .where(*visible_cases(user))
        .options(joinedload(Case.member), joinedload(Case.lead_advisor))
        .order_by(Case.last_activity_at.desc(), Case.id.desc())
    )


def get_case_for(user: User, case_id: int) -> Case:
    """The case if `user` may see it; otherwise 404 (and the refusal is audited). Never load a case
    by id any other way in a view."""
    case = db.session.scalar(
        select(Case)
        .where(Case.id == case_id, *visible_cases(user))
        .options(joinedload(Case.member), joinedload(Case.lead_advisor))
    )
    if case is None:
        record_denied("case.not_visible", object_type="case", object_id=case_id)
        abort(404)
    return case


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
    return db.session.get(MemberProfile, member.id)


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
