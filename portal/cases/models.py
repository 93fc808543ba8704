"""A member's case in the program: who they are to the mutual, where they are, who leads."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import Boolean, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, query_expression, relationship

from portal.auth.models import User
from portal.db_types import UTCDateTime, str_enum, utcnow
from portal.extensions import db


class Stage(StrEnum):
    REFERRED = "referred"
    ASSESSMENT = "assessment"
    PLANNING = "planning"
    ONGOING_SUPPORT = "ongoing_support"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        """The stage as people read it, in the current language."""
        if self is Stage.REFERRED:
            return _("Referred")
        if self is Stage.ASSESSMENT:
            return _("Assessment")
        if self is Stage.PLANNING:
            return _("Education plan")
        if self is Stage.ONGOING_SUPPORT:
            return _("Ongoing support")
        return _("Closed")


STAGE_ORDER = list(Stage)

PROVINCES = (
    "AB", "BC", "MB", "NB", "NL", "NS", "NT", "NU", "ON", "PE", "QC", "SK", "YT",
)  # fmt: skip

# A member's time zone until they choose one: the main zone of their province or territory.
PROVINCE_TIME_ZONES = {
    "AB": "America/Edmonton",
    "BC": "America/Vancouver",
    "MB": "America/Winnipeg",
    "NB": "America/Moncton",
    "NL": "America/St_Johns",
    "NS": "America/Halifax",
    "NT": "America/Yellowknife",
    "NU": "America/Iqaluit",
    "ON": "America/Toronto",
    "PE": "America/Halifax",
    "QC": "America/Toronto",
    "SK": "America/Regina",
    "YT": "America/Whitehorse",
}


class TypeOfWork(db.Model):
    """A peer group: members are compared with others in the same type of work. A managed list
    (seeded by migration, extended by administrators), never free text."""

    __tablename__ = "types_of_work"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_en: Mapped[str] = mapped_column(String(120))
    name_fr: Mapped[str] = mapped_column(String(120))
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    @property
    def label(self) -> str:
        """The name in the current language."""
        return self.name_fr if str(get_locale() or "en") == "fr" else self.name_en


class MemberProfile(db.Model):
    """What the mutual knows a member by. One per member account."""

    __tablename__ = "member_profiles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    member_number: Mapped[str] = mapped_column(String(32), unique=True)
    # The type of work as written at referral; `type_of_work` is the peer group it was picked from
    # (None for referrals made before the managed list).
    specialty: Mapped[str] = mapped_column(String(120))
    type_of_work_id: Mapped[int | None] = mapped_column(ForeignKey("types_of_work.id"))
    province: Mapped[str] = mapped_column(String(2))

    user: Mapped[User] = relationship()
    type_of_work: Mapped[TypeOfWork | None] = relationship()

    @property
    def type_of_work_label(self) -> str:
        return self.type_of_work.label if self.type_of_work else self.specialty


class Case(db.Model):
    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_lead_advisor_id_stage", "lead_advisor_id", "stage"),
        Index("ix_cases_member_id", "member_id"),
        Index("ix_cases_last_contact_at", "last_contact_at"),
        Index("ix_cases_referred_at", "referred_at"),  # the program report's period
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    lead_advisor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    referred_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    stage: Mapped[Stage] = mapped_column(str_enum(Stage, "stage"), default=Stage.REFERRED)
    referral_reason: Mapped[str] = mapped_column(Text)
    referred_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The last time the team and the member were in touch (a message, a check-in held, a change to
    # an activity): a case without contact for CASE_NO_CONTACT_WEEKS is flagged on the caseload.
    last_contact_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    closing_summary: Mapped[str | None] = mapped_column(Text)  # visible to the member

    member: Mapped[User] = relationship(foreign_keys=[member_id])
    lead_advisor: Mapped[User] = relationship(foreign_keys=[lead_advisor_id])
    referred_by: Mapped[User | None] = relationship(foreign_keys=[referred_by_id])
    closed_by: Mapped[User | None] = relationship(foreign_keys=[closed_by_id])
    team: Mapped[list[CaseTeamMember]] = relationship(back_populates="case")
    stage_changes: Mapped[list[StageChange]] = relationship(
        back_populates="case", order_by="StageChange.changed_at"
    )

    # Per-case figures of the caseload, computed in the page's own query (`with_expression`, see
    # portal/cases/caseload.py); None when a query did not ask for them.
    next_check_in_at: Mapped[datetime | None] = query_expression()
    overdue_activities: Mapped[int | None] = query_expression()
    awaiting_verification: Mapped[int | None] = query_expression()
    unanswered_conversations: Mapped[int | None] = query_expression()
    overdue_conversations: Mapped[int | None] = query_expression()

    @property
    def is_closed(self) -> bool:
        """A closed case is read-only for its member (see `cases.services.ensure_case_open`)."""
        return self.stage is Stage.CLOSED

    @property
    def step_index(self) -> int:
        """0-3 for the four program steps a member sees; 4 once the case is closed."""
        return {
            Stage.REFERRED: 0,
            Stage.ASSESSMENT: 1,
            Stage.PLANNING: 2,
            Stage.ONGOING_SUPPORT: 3,
            Stage.CLOSED: 4,
        }[self.stage]


class CaseTeamMember(db.Model):
    """Staff other than the lead who work on a case and may see it."""

    __tablename__ = "case_team_members"

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True, index=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    case: Mapped[Case] = relationship(back_populates="team")
    staff: Mapped[User] = relationship()


class StageChange(db.Model):
    """Append-only history of a case's stage."""

    __tablename__ = "case_stage_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    from_stage: Mapped[Stage | None] = mapped_column(str_enum(Stage, "from_stage"))
    to_stage: Mapped[Stage] = mapped_column(str_enum(Stage, "to_stage"))
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Why, in words: a closing summary (as the member read it) or a reason to reopen.
    note: Mapped[str | None] = mapped_column(Text)

    case: Mapped[Case] = relationship(back_populates="stage_changes")


class BreakGlassAccess(db.Model):
    """Staff opening a case they are not on: allowed for a stated reason, for a limited time,
    audited and shown to admins (and, like every view, in the member's view log)."""

    __tablename__ = "case_break_glass_accesses"
    __table_args__ = (
        Index(
            "ix_case_break_glass_accesses_staff_id_case_id_expires_at",
            "staff_id",
            "case_id",
            "expires_at",
        ),
        Index("ix_case_break_glass_accesses_granted_at", "granted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    staff_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(Text)
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())

    case: Mapped[Case] = relationship()
    staff: Mapped[User] = relationship()
