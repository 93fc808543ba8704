"""The activities page's chart: hours completed and still planned, per goal."""

from flask_babel import format_decimal
from flask_babel import gettext as _

from portal.activities.services import Overview
from portal.charts import stacked_bars


def progress_chart(current: Overview) -> dict:
    categories = [_("Goal %(n)d", n=index + 1) for index in range(len(current.goals))]
    completed = [float(goal.figures.hours_completed) for goal in current.goals]
    remaining = [
        float(goal.figures.hours_planned - goal.figures.hours_completed) for goal in current.goals
    ]
    totals = current.figures
    return {
        "chart": stacked_bars(
            categories,
            [(_("Hours completed"), completed), (_("Hours still planned"), remaining)],
            height=220,
        ),
        "title": _("Hours completed and still planned, by goal"),
        "description": _(
            "%(done)s of %(planned)s planned hours completed; %(percent)d%% of required "
            "activities completed. The table below gives the figures for each goal.",
            done=format_decimal(totals.hours_completed),
            planned=format_decimal(totals.hours_planned),
            percent=totals.percent,
        ),
    }
