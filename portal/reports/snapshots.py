"""The program report as administrators read it: from a snapshot while it is fresh.

Some figures are computed over every reply or every planned activity of the program: at the size
of a national program that takes most of a second (docs/performance.md). So the figures of each
period are kept (`ReportSnapshot`) and read back for REPORT_MAX_AGE_MINUTES; the page says when
they were computed and offers to compute them now. The limit on small figures (REPORT_MIN_MEMBERS)
is applied when they are shown, never stored. Plain functions: the caller commits.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import OperationalError

from portal import clock
from portal.extensions import db
from portal.reports.models import ReportSnapshot
from portal.reports.services import Period, ProgramReport, program_report
from portal.transactions import upsert

log = logging.getLogger(__name__)


def period_key(period: Period) -> str:
    return "/".join(bound.isoformat() if bound else "-" for bound in (period.start, period.end))


def current_report(
    period: Period, *, min_members: int, max_age_minutes: int, refresh: bool = False
) -> ProgramReport:
    """The report for `period`: the stored figures if they are younger than `max_age_minutes`
    (and `refresh` is not asked), else figures computed now, which are then kept."""
    key = period_key(period)
    oldest = clock.now() - timedelta(minutes=max_age_minutes)
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
    keep(key, report, oldest)
    return report


def keep(key: str, report: ProgramReport, oldest: datetime) -> None:
    """Keep the period's figures unless newer ones were kept meanwhile (another app server may have
    computed them since this computation began), and forget every stale snapshot: periods nobody
    looks at again. A snapshot that cannot be written (a deadlock between two servers doing the
    same) is only a snapshot: the report is shown all the same."""
    try:
        with db.session.begin_nested():
            db.session.execute(delete(ReportSnapshot).where(ReportSnapshot.computed_at <= oldest))
            db.session.execute(
                upsert(
                    ReportSnapshot,
                    {
                        "period_key": key,
                        "computed_at": report.computed_at,
                        "figures": report.figures(),
                    },
                    key=["period_key"],
                    update=["computed_at", "figures"],
                    only_if=lambda kept: ReportSnapshot.computed_at < kept.computed_at,
                )
            )
    except OperationalError:
        log.warning("the report's figures for %s were not kept", key, exc_info=True)
