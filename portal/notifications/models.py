"""What each person has been told about, and how they want to be told."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.db_types import UTCDateTime, str_enum, utcnow
from portal.extensions import db


class Frequency(StrEnum):
    IMMEDIATE = "immediate"  # an email soon after (batched per topic)
    DAILY = "daily"  # one morning digest


class NotificationPreference(db.Model):
    """A user's choice; without a row, emails are immediate."""

    __tablename__ = "notification_preferences"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    frequency: Mapped[Frequency] = mapped_column(
        str_enum(Frequency, "notification_frequency"), default=Frequency.IMMEDIATE
    )
    last_digest_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Notification(db.Model):
    """One piece of news for one user. It is *pending* until an email has covered it
    (`emailed_at`) or the user has seen the thing itself in the portal (`dismissed_at`)."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_user_id_topic_emailed_at", "user_id", "topic", "emailed_at"),
        Index("ix_notifications_emailed_at_dismissed_at", "emailed_at", "dismissed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    topic: Mapped[str] = mapped_column(String(64))
    link: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    emailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    dismissed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
