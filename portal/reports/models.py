"""The program report's figures as last computed, per period, so that the page does not recompute
them over the whole program at each view."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.db_types import UTCDateTime
from portal.extensions import db


class ReportSnapshot(db.Model):
    """One period's figures (`ProgramReport.figures()`: de-identified counts and durations only,
    the same as the page shows) and when they were computed. Read while younger than
    REPORT_MAX_AGE_MINUTES; shared by every app server."""

    __tablename__ = "report_snapshots"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The period's UTC bounds ("<start>/<end>", "-" for an open end): see snapshots.period_key.
    period_key: Mapped[str] = mapped_column(String(80), unique=True)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    figures: Mapped[dict] = mapped_column(JSON)
