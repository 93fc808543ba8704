"""The education plan (program step 3): drafted by staff, shared as versions, shaped by the
member's input, and active once both sides have signed off."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.auth.models import User
from portal.db_types import UTCDateTime, str_enum, utcnow
from portal.extensions import db


class PlanStatus(StrEnum):
    DRAFT = "draft"  # private to staff
    SHARED = "shared"  # shown to the member, open for input and sign-off
    ACTIVE = "active"  # signed off by both sides
    SUPERSEDED = "superseded"  # an earlier shared or active version


class ActivityKind(StrEnum):
    ELEARNING = "elearning"
    WORKSHOP = "workshop"
    COURSE = "course"
    COACHING = "coaching"
    READING = "reading"
    PRACTICE_AUDIT = "practice_audit"
    REFLECTIVE_EXERCISE = "reflective_exercise"


class LearningPreference(StrEnum):
    ONLINE = "online"
    IN_PERSON = "in_person"
    COACHING = "coaching"
    READING = "reading"


class PlanVersion(db.Model):
    __tablename__ = "plan_versions"
    __table_args__ = (
        UniqueConstraint("case_id", "number", name="uq_plan_versions_case_id_number"),
        Index("ix_plan_versions_case_id_status", "case_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    number: Mapped[int | None]
    status: Mapped[PlanStatus] = mapped_column(
        str_enum(PlanStatus, "status"), default=PlanStatus.DRAFT
    )
    change_note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    shared_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    shared_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    member_agreed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    member_agreed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    member_agreed_by: Mapped[User | None] = relationship(foreign_keys=[member_agreed_by_id])
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id])
    shared_by: Mapped[User | None] = relationship(foreign_keys=[shared_by_id])
    goals: Mapped[list[Goal]] = relationship(
        order_by="Goal.position", cascade="all, delete-orphan", back_populates="version"
    )

    @property
    def is_draft(self) -> bool:
        return self.status is PlanStatus.DRAFT


class Goal(db.Model):
    __tablename__ = "plan_goals"
    __table_args__ = (Index("ix_plan_goals_version_id", "version_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("plan_versions.id"))
    key: Mapped[str] = mapped_column(String(32))
    position: Mapped[int]
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")

    version: Mapped[PlanVersion] = relationship(back_populates="goals")
    factor_links: Mapped[list[GoalFactor]] = relationship(cascade="all, delete-orphan")
    activities: Mapped[list[PlannedActivity]] = relationship(
        order_by="PlannedActivity.position", cascade="all, delete-orphan", back_populates="goal"
    )

    @property
    def factor_keys(self) -> list[str]:
        return sorted(link.factor_key for link in self.factor_links)


class GoalFactor(db.Model):
    """A goal addresses one or more contributing factors of the assessment (by factor key)."""

    __tablename__ = "plan_goal_factors"

    goal_id: Mapped[int] = mapped_column(ForeignKey("plan_goals.id"), primary_key=True)
    factor_key: Mapped[str] = mapped_column(String(32), primary_key=True)


class PlannedActivity(db.Model):
    """An activity under a goal. `key` stays the same across versions of the plan."""

    __tablename__ = "plan_activities"
    __table_args__ = (Index("ix_plan_activities_goal_id", "goal_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    goal_id: Mapped[int] = mapped_column(ForeignKey("plan_goals.id"))
    key: Mapped[str] = mapped_column(String(32))
    position: Mapped[int]
    title: Mapped[str] = mapped_column(String(300))
    kind: Mapped[ActivityKind] = mapped_column(str_enum(ActivityKind, "kind"))
    provider: Mapped[str] = mapped_column(String(200), default="")
    url: Mapped[str] = mapped_column(String(500), default="")
    estimated_hours: Mapped[Decimal | None] = mapped_column(Numeric(6, 1))
    due_date: Mapped[date | None]
    required: Mapped[bool] = mapped_column(default=True)

    goal: Mapped[Goal] = relationship(back_populates="activities")


class PlanInput(db.Model):
    """One contribution of the member to a shared version: preferences, availability, goals in
    their own words, suggested activities, or a comment on a goal or activity. Appended only."""

    __tablename__ = "plan_inputs"
    __table_args__ = (
        Index("ix_plan_inputs_case_id_created_at", "case_id", "created_at"),
        Index("ix_plan_inputs_version_id", "version_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    version_id: Mapped[int] = mapped_column(ForeignKey("plan_versions.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    learning_preferences: Mapped[str | None] = mapped_column(String(100))  # comma-separated values
    availability: Mapped[str | None] = mapped_column(Text)
    own_goals: Mapped[str | None] = mapped_column(Text)
    suggested_activities: Mapped[str | None] = mapped_column(Text)
    target_key: Mapped[str | None] = mapped_column(String(32))  # a goal's or activity's key
    comment: Mapped[str | None] = mapped_column(Text)

    version: Mapped[PlanVersion] = relationship()

    @property
    def preferences(self) -> list[LearningPreference]:
        values = (self.learning_preferences or "").split(",")
        return [LearningPreference(v) for v in values if v]
