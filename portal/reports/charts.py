"""The program report's charts: members per stage, and check-ins by outcome. A withheld figure is
never drawn."""

from flask_babel import gettext as _

from portal.charts import horizontal_bars, stacked_bars
from portal.reports.services import ProgramReport


def stage_chart(report: ProgramReport) -> dict:
    shown = [0 if report.hides(count) else count for _stage, count in report.stages]
    withheld = sum(1 for _stage, count in report.stages if report.hides(count))
    description = _("Members at each stage of the program. The table below gives the figures.")
    if withheld:
        description += " " + _(
            "Stages with fewer than %(n)d members are not drawn.", n=report.min_members
        )
    return {
        "chart": stacked_bars(
            [stage.label for stage, _count in report.stages],
            [(_("Members"), shown)],
            height=220,
        ),
        "title": _("Members per stage"),
        "description": description,
    }


def check_in_chart(report: ProgramReport) -> dict:
    check_ins = report.check_ins
    return {
        "chart": horizontal_bars(
            [
                (_("Held"), check_ins.held),
                (_("Missed"), check_ins.missed),
                (_("Cancelled"), check_ins.cancelled),
            ]
        ),
        "title": _("Check-ins by outcome"),
        "description": _(
            "%(held)d held, %(missed)d missed and %(cancelled)d cancelled.",
            held=check_ins.held,
            missed=check_ins.missed,
            cancelled=check_ins.cancelled,
        ),
    }
