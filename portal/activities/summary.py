"""The completion summary the member keeps for their professional-development records: a table
(for the CSV) and a PDF, in the language of the request."""

from __future__ import annotations

from functools import cache

from flask import current_app
from flask_babel import format_date, format_decimal
from flask_babel import gettext as _

from portal.activities import labels
from portal.activities.services import Overview, summary_rows
from portal.plan import labels as plan_labels


def _hours(value) -> str:
    return format_decimal(value) if value is not None else ""


def table(current: Overview) -> tuple[list[str], list[list[str]]]:
    header = [
        _("Goal"),
        _("Activity"),
        _("Kind"),
        _("Provider"),
        _("Required"),
        _("Estimated hours"),
        _("Status"),
        _("Due date"),
        _("Completed on"),
        _("What I learned"),
        _("What I will change in my practice"),
    ]
    rows = [
        [
            row.goal,
            row.title,
            str(plan_labels.ACTIVITY_KINDS[row.kind]),
            row.provider,
            _("Yes") if row.required else _("No"),
            _hours(row.hours),
            str(labels.STATUSES[row.status]),
            row.due_date.isoformat() if row.due_date else "",
            row.completed_at.date().isoformat() if row.completed_at else "",
            row.learned,
            row.practice_change,
        ]
        for row in summary_rows(current)
    ]
    return header, rows


@cache
def _summary_pdf() -> type:
    """The PDF document class, numbering its pages. fpdf2 (with fontTools) adds some 20 MB to a
    process: it is loaded by the worker that first makes a summary, not by every worker at start."""
    from fpdf import FPDF

    class SummaryPDF(FPDF):
        def footer(self):
            self.set_y(-15)
            self.set_font("DejaVu", size=8)
            self.cell(0, 10, _("Page %(page)d", page=self.page_no()), align="C")

    return SummaryPDF


def pdf(current: Overview, *, compress: bool = True) -> bytes:
    """The summary as a PDF, in DejaVu Sans (French accents and all)."""
    document = _summary_pdf()(format="Letter")
    document.set_compression(compress)
    document.add_font("DejaVu", "", current_app.config["ACTIVITY_PDF_FONT"])
    document.add_font("DejaVu", "B", current_app.config["ACTIVITY_PDF_BOLD_FONT"])
    title = _("Educational activities: completion summary")
    document.set_title(title)
    document.set_author(current.case.member.name)
    document.set_creator(_("MSP Portal"))
    document.set_auto_page_break(True, margin=20)
    document.add_page()
    width = document.epw

    def line(text: str, *, size: int = 10, bold: bool = False, gap: float = 1) -> None:
        document.set_font("DejaVu", "B" if bold else "", size)
        document.multi_cell(width, size * 0.5, text, new_x="LMARGIN", new_y="NEXT")
        document.ln(gap)

    figures = current.figures
    line(title, size=16, bold=True, gap=2)
    line(current.case.member.name, size=12)
    line(
        _(
            "Education plan, version %(n)d, active since %(date)s.",
            n=current.version.number,
            date=format_date(current.version.activated_at, "long"),
        )
    )
    if current.completion:
        line(
            _(
                "Marked complete on %(date)s.",
                date=format_date(current.completion.completed_at, "long"),
            )
        )
    line(
        _(
            "%(percent)d%% of required activities completed; %(done)s of %(planned)s planned "
            "hours completed.",
            percent=figures.percent,
            done=format_decimal(figures.hours_completed),
            planned=format_decimal(figures.hours_planned),
        ),
        gap=4,
    )
    goal = None
    for row in summary_rows(current):
        if row.goal != goal:
            goal = row.goal
            document.ln(2)
            line(goal, size=13, bold=True)
        line(row.title, size=11, bold=True, gap=0)
        details = [
            str(plan_labels.ACTIVITY_KINDS[row.kind]),
            _("required") if row.required else _("optional"),
            str(labels.STATUSES[row.status]),
        ]
        if row.hours is not None:
            details.append(_("%(hours)s hours", hours=format_decimal(row.hours)))
        if row.provider:
            details.append(row.provider)
        line(" · ".join(details), gap=0)
        if row.due_date:
            line(_("Due: %(date)s", date=format_date(row.due_date, "long")), gap=0)
        if row.completed_at:
            line(_("Completed on: %(date)s", date=format_date(row.completed_at, "long")), gap=0)
        if row.learned:
            line(_("What I learned: %(text)s", text=row.learned), gap=0)
        if row.practice_change:
            line(_("What I will change in my practice: %(text)s", text=row.practice_change), gap=0)
        document.ln(3)
    return bytes(document.output())
