"""A member's case in the program: who they are to the mutual, where they are, who leads."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.auth.models import User
from portal.db_types import UTCDateTime, str_enum, utcnow
from portal.extensions import db


class Stage(StrEnum):
    REFERRED = "referred"
    ASSESSMENT = "assessment"
    PLANNING = "planning"
    ONGOING_SUPPORT = "ongoing_support"
    CLOSED = "closed"


STAGE_ORDER = list(Stage)

PROVINCES = (
    "AB", "BC", "MB", "NB", "NL", "NS", "NT", "NU", "ON", "PE", "QC", "SK", "YT",
)  # fmt: skip


class MemberProfile(db.Model):
    """What the mutual knows a member by. One per member account."""

    __tablename__ = "member_profiles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    member_number: Mapped[str] = mapped_column(String(32), unique=True)
    specialty: Mapped[str] = mapped_column(String(120))
    province: Mapped[str] = mapped_column(String(2))

    user: Mapped[User] = relationship()


class Case(db.Model):
    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_lead_advisor_id_stage", "lead_advisor_id", "stage"),
        Index("ix_cases_member_id", "member_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    lead_advisor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    referred_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    stage: Mapped[Stage] = mapped_column(str_enum(Stage, "stage"), default=Stage.REFERRED)
    referral_reason: Mapped[str] = mapped_column(Text)
    referred_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    member: Mapped[User] = relationship(foreign_keys=[member_id])
    lead_advisor: Mapped[User] = relationship(foreign_keys=[lead_advisor_id])
    referred_by: Mapped[User | None] = relationship(foreign_keys=[referred_by_id])
    team: Mapped[list[CaseTeamMember]] = relationship(back_populates="case")
    stage_changes: Mapped[list[StageChange]] = relationship(
        back_populates="case", order_by="StageChange.changed_at"
    )

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

    case: Mapped[Case] = relationship(back_populates="stage_changes")
