"""Follow-up check-ins (step 4 of the program): scheduled by staff, held or missed, each a calendar
entry on both sides."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.auth.models import User
from portal.cases.models import Case
from portal.db_types import UTCDateTime, str_enum, utcnow
from portal.extensions import db


class CheckInMode(StrEnum):
    PHONE = "phone"
    VIDEO = "video"
    IN_PERSON = "in_person"


class CheckInStatus(StrEnum):
    SCHEDULED = "scheduled"
    HELD = "held"
    MISSED = "missed"
    CANCELLED = "cancelled"


class CheckIn(db.Model):
    __tablename__ = "check_ins"
    __table_args__ = (
        Index("ix_check_ins_case_id_scheduled_at", "case_id", "scheduled_at"),
        Index("ix_check_ins_status_scheduled_at", "status", "scheduled_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    scheduled_at: Mapped[datetime] = mapped_column(UTCDateTime())
    duration_minutes: Mapped[int] = mapped_column(default=30)
    # The IANA zone the time was chosen in (the scheduler's), shown beside the viewer's own.
    time_zone: Mapped[str] = mapped_column(String(64))
    mode: Mapped[CheckInMode] = mapped_column(str_enum(CheckInMode, "check_in_mode"))
    agenda: Mapped[str] = mapped_column(Text)  # visible to the member
    cadence_weeks: Mapped[int | None]  # propose the next check-in this many weeks after one held
    status: Mapped[CheckInStatus] = mapped_column(
        str_enum(CheckInStatus, "check_in_status"), default=CheckInStatus.SCHEDULED
    )
    # One calendar entry per check-in: updates and cancellations reuse the UID, SEQUENCE grows.
    calendar_uid: Mapped[str] = mapped_column(String(255), unique=True)
    calendar_sequence: Mapped[int] = mapped_column(default=0)
    scheduled_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The outcome, recorded once by staff after the check-in.
    outcome_recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    outcome_recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    internal_notes: Mapped[str | None] = mapped_column(Text)  # never shown to the member
    member_summary: Mapped[str | None] = mapped_column(Text)
    plan_change: Mapped[str | None] = mapped_column(Text)

    case: Mapped[Case] = relationship()
    scheduled_by: Mapped[User] = relationship(foreign_keys=[scheduled_by_id])
    outcome_recorded_by: Mapped[User | None] = relationship(foreign_keys=[outcome_recorded_by_id])
    reschedule_requests: Mapped[list[RescheduleRequest]] = relationship(
        back_populates="check_in", order_by="RescheduleRequest.created_at"
    )

    @property
    def open_request(self) -> RescheduleRequest | None:
        """The member's request to reschedule that staff have not answered yet (at most one)."""
        return next((r for r in self.reschedule_requests if r.resolved_at is None), None)


class RescheduleRequest(db.Model):
    """A member's request to move a check-in, with their reason; staff reschedule or answer."""

    __tablename__ = "check_in_reschedule_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    check_in_id: Mapped[int] = mapped_column(ForeignKey("check_ins.id"), index=True)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(Text)
    preferred_times: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    check_in: Mapped[CheckIn] = relationship(back_populates="reschedule_requests")
    requested_by: Mapped[User] = relationship(foreign_keys=[requested_by_id])
