"""The assessment's two charts: matters by year and kind, and the member's rate against peers."""

from flask_babel import gettext as _

from portal.assessment import labels
from portal.assessment.models import AssessmentVersion, MatterKind
from portal.assessment.services import history_table
from portal.charts import horizontal_bars, stacked_bars


def history_chart(version: AssessmentVersion) -> dict:
    rows = history_table(version)
    series = [
        (str(labels.MATTER_KINDS[kind]), [float(by_kind[kind]) for _, by_kind, _ in rows])
        for kind in MatterKind
    ]
    total = sum(row[2] for row in rows)
    return {
        "chart": stacked_bars([str(year) for year, _, _ in rows], series),
        "title": _(
            "Medical-legal matters by year, %(start)d to %(end)d",
            start=version.period_start_year,
            end=version.period_end_year,
        ),
        "description": _(
            "%(total)d matters in all over the period reviewed. The table below "
            "gives the figures for each year and kind of matter.",
            total=total,
        ),
    }


def peer_chart(version: AssessmentVersion) -> dict | None:
    if version.member_rate is None or version.peer_rate is None:
        return None
    member, peers = float(version.member_rate), float(version.peer_rate)
    ratio = member / peers if peers else None
    return {
        "chart": horizontal_bars([(_("You"), member), (_("Your peers"), peers)]),
        "title": _("Your rate of matters compared with peers in the same type of work"),
        "description": (
            _(
                "You: %(member)s matters per year. Peers: %(peers)s matters per year. "
                "Your rate is about %(ratio)s times theirs.",
                member=f"{member:g}",
                peers=f"{peers:g}",
                ratio=f"{ratio:.1f}",
            )
            if ratio and ratio >= 1
            else _(
                "You: %(member)s matters per year. Peers: %(peers)s matters per year.",
                member=f"{member:g}",
                peers=f"{peers:g}",
            )
        ),
        "ratio": ratio,
    }
