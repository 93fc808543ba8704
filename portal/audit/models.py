"""The audit trail: append-only by design.

The application has no code path that updates or deletes an `AuditEvent`; the migration also
installs database triggers that refuse UPDATE and DELETE on the table.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.db_types import UTCDateTime, str_enum, utcnow
from portal.extensions import db


class Outcome(StrEnum):
    SUCCESS = "success"
    FAILURE = "failure"
    DENIED = "denied"


class AuditEvent(db.Model):
    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_occurred_at", "occurred_at"),
        Index("ix_audit_events_actor_id_occurred_at", "actor_id", "occurred_at"),
        Index("ix_audit_events_case_id_occurred_at", "case_id", "occurred_at"),
        # The event's subject (the member's account on the case timeline), the audit trail's
        # outcome filter (refusals are rare among millions), and its action filter, a prefix
        # ("case.") that PostgreSQL matches in an index only with the pattern operator class.
        Index("ix_audit_events_object_type_object_id", "object_type", "object_id"),
        Index("ix_audit_events_outcome_occurred_at", "outcome", "occurred_at"),
        Index(
            "ix_audit_events_action_occurred_at",
            "action",
            "occurred_at",
            postgresql_ops={"action": "varchar_pattern_ops"},
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_role: Mapped[str | None] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str | None] = mapped_column(String(32))
    object_id: Mapped[int | None]
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    ip_address: Mapped[str | None] = mapped_column(String(45))
    outcome: Mapped[Outcome] = mapped_column(str_enum(Outcome, "audit_outcome"))
    detail: Mapped[str | None] = mapped_column(String(255))
