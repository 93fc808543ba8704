"""The activity catalog, and each case's progress on the activities of its plan.

Progress is kept per (case, activity key), not per plan row: an activity keeps its key across plan
versions, so its status, history and evidence survive a revision of the plan. Status changes,
submissions and reminders are appended, never rewritten.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.assessment.models import FactorCategory
from portal.auth.models import User
from portal.cases.models import Case
from portal.db_types import UTCDateTime, str_enum, utcnow
from portal.extensions import db
from portal.plan.models import ActivityKind
from portal.uploads.models import StoredFile


class ActivityStatus(StrEnum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"  # evidence sent, waiting for staff to verify it
    COMPLETED = "completed"  # verified by staff
    RETURNED = "returned"  # staff asked for more information
    WAIVED = "waived"  # staff decided it is not needed, with a reason


DONE = (ActivityStatus.COMPLETED, ActivityStatus.WAIVED)


class CatalogEntry(db.Model):
    """An activity staff can put in plans. Plans copy an entry: editing it changes no plan."""

    __tablename__ = "activity_catalog"

    id: Mapped[int] = mapped_column(primary_key=True)
    title_en: Mapped[str] = mapped_column(String(300))
    title_fr: Mapped[str] = mapped_column(String(300))
    kind: Mapped[ActivityKind] = mapped_column(str_enum(ActivityKind, "kind"))
    provider: Mapped[str] = mapped_column(String(200), default="")
    url: Mapped[str] = mapped_column(String(500), default="")
    estimated_hours: Mapped[Decimal | None] = mapped_column(Numeric(6, 1))
    credits: Mapped[Decimal | None] = mapped_column(Numeric(6, 1))
    factor_categories: Mapped[str] = mapped_column(String(200), default="")  # comma-separated
    active: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    @property
    def categories(self) -> list[FactorCategory]:
        return [FactorCategory(v) for v in self.factor_categories.split(",") if v]

    def title_in(self, language: str | None) -> str:
        return self.title_fr if language == "fr" else self.title_en


class ActivityProgress(db.Model):
    """Where a case stands on one activity of its plan (no row yet: not started)."""

    __tablename__ = "activity_progress"
    __table_args__ = (
        UniqueConstraint("case_id", "activity_key", name="uq_activity_progress_case_id_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    activity_key: Mapped[str] = mapped_column(String(32))
    status: Mapped[ActivityStatus] = mapped_column(
        str_enum(ActivityStatus, "status"), default=ActivityStatus.NOT_STARTED
    )
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    case: Mapped[Case] = relationship()


class StatusChange(db.Model):
    """Append-only history: who changed an activity's status, when, and why."""

    __tablename__ = "activity_status_changes"
    __table_args__ = (Index("ix_activity_status_changes_case_id_key", "case_id", "activity_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    activity_key: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[ActivityStatus] = mapped_column(str_enum(ActivityStatus, "from_status"))
    to_status: Mapped[ActivityStatus] = mapped_column(str_enum(ActivityStatus, "to_status"))
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    comment: Mapped[str | None] = mapped_column(Text)

    changed_by: Mapped[User | None] = relationship()


class Submission(db.Model):
    """Evidence that an activity is done, with the member's reflection. Every submission is kept,
    including those returned for more information."""

    __tablename__ = "activity_submissions"
    __table_args__ = (Index("ix_activity_submissions_case_id_key", "case_id", "activity_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    activity_key: Mapped[str] = mapped_column(String(32))
    file_id: Mapped[int] = mapped_column(ForeignKey("stored_files.id"))
    learned: Mapped[str] = mapped_column(Text)
    practice_change: Mapped[str] = mapped_column(Text)
    submitted_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    file: Mapped[StoredFile] = relationship()


class ReminderThreshold(StrEnum):
    DUE_SOON = "due_soon"  # due within ACTIVITY_DUE_SOON_DAYS
    OVERDUE = "overdue"


class SentReminder(db.Model):
    """A reminder sent. The unique constraint is what makes a re-run, or two runs at once, send
    each reminder only once."""

    __tablename__ = "activity_reminders"
    __table_args__ = (
        UniqueConstraint(
            "case_id", "activity_key", "threshold", name="uq_activity_reminders_case_id_key"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    activity_key: Mapped[str] = mapped_column(String(32))
    threshold: Mapped[ReminderThreshold] = mapped_column(str_enum(ReminderThreshold, "threshold"))
    due_date: Mapped[date]
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class PlanCompletion(db.Model):
    """The lead advisor marked an active plan version complete."""

    __tablename__ = "plan_completions"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    version_id: Mapped[int] = mapped_column(ForeignKey("plan_versions.id"), unique=True)
    completed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    completed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    completed_by: Mapped[User] = relationship()
