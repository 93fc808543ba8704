"""The program report as administrators read it: from a snapshot while it is fresh.

Some figures are computed over every reply or every planned activity of the program: at the size
of a national program that takes most of a second (docs/performance.md). So the figures of each
period are kept (`ReportSnapshot`) and read back while younger than REPORT_MAX_AGE_SECONDS; the
page says when they were computed and offers to recompute them now. The limit on small figures
(REPORT_MIN_MEMBERS) is applied when they are shown, never stored.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, select

from portal import clock
from portal.extensions import db
from portal.reports.models import ReportSnapshot
from portal.reports.services import Period, ProgramReport, program_report
from portal.transactions import upsert


def period_key(period: Period) -> str:
    return "/".join(bound.isoformat() if bound else "-" for bound in (period.start, period.end))


def current_report(
    period: Period, *, min_members: int, max_age_seconds: int, refresh: bool = False
) -> ProgramReport:
    """The report for `period`: the stored figures if they are younger than `max_age_seconds`
    (and `refresh` is not asked), else figures computed now, which are then stored."""
    key = period_key(period)
    oldest = clock.now() - timedelta(seconds=max_age_seconds)
    if not refresh:
        snapshot = db.session.scalar(select(ReportSnapshot).where(ReportSnapshot.period_key == key))
        if snapshot is not None and snapshot.computed_at > oldest:
            try:
                return ProgramReport.from_figures(
                    snapshot.figures,
                    period=period,
                    min_members=min_members,
                    computed_at=snapshot.computed_at,
                )
            except (KeyError, TypeError, ValueError):
                pass  # stored by a version that counted other figures: computed again below
    report = program_report(period, min_members=min_members)
    _store(key, report, oldest)
    return report


def _store(key: str, report: ProgramReport, oldest) -> None:
    """Keep the period's figures (replacing its older ones, even if another request stored them
    meanwhile), and forget every stale snapshot: periods nobody looks at again."""
    db.session.execute(delete(ReportSnapshot).where(ReportSnapshot.computed_at <= oldest))
    db.session.execute(
        upsert(
            ReportSnapshot,
            {"period_key": key, "computed_at": report.computed_at, "figures": report.figures()},
            key=["period_key"],
            update=["computed_at", "figures"],
        )
    )
    db.session.commit()
