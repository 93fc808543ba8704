from zoneinfo import ZoneInfo

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.access import Access, access
from portal.admin.forms import PeriodForm
from portal.audit.services import record
from portal.auth.forms import ConfirmForm
from portal.csv_export import csv_download
from portal.extensions import db
from portal.reports import bp, services, snapshots
from portal.reports.charts import check_in_chart, stage_chart
from portal.transactions import commit_keeping_loaded
from portal.zones import zone_of


def _period_args() -> dict:
    return {name: request.args[name] for name in ("date_from", "date_to") if request.args.get(name)}


def _max_age_minutes() -> int:
    return max(0, current_app.config["REPORT_MAX_AGE_MINUTES"])


def _report(form: PeriodForm, *, refresh: bool = False) -> services.ProgramReport:
    start, end = form.bounds(zone_of(current_user))
    return snapshots.current_report(
        services.Period(start, end),
        min_members=current_app.config["REPORT_MIN_MEMBERS"],
        max_age_minutes=_max_age_minutes(),
        refresh=refresh,
    )


@bp.route("/report")
@access(Access.ADMIN)
def report():
    form = PeriodForm(formdata=request.args)
    if not form.validate():
        return render_template("reports/report.html", form=form, report=None)
    program = _report(form)
    commit_keeping_loaded()  # the figures, if they were computed now
    return render_template(
        "reports/report.html",
        form=form,
        report=program,
        stage_chart=stage_chart(program),
        check_in_chart=check_in_chart(program),
        period_args=_period_args(),
        refresh_form=ConfirmForm(),
        max_age_minutes=_max_age_minutes(),
    )


@bp.route("/report/refresh", methods=["POST"])
@access(Access.ADMIN)
def refresh_report():
    """Compute the period's figures now instead of reading the last computation (the CSRF token
    is checked for every POST by Flask-WTF's CSRFProtect)."""
    form = PeriodForm(formdata=request.args)
    if form.validate():
        _report(form, refresh=True)
        db.session.commit()
        flash(_("The figures have been computed again."), "success")
    else:
        flash(_("Correct the period before computing the figures again."), "error")
    return redirect(url_for("reports.report", **_period_args()))


@bp.route("/report.csv")
@access(Access.ADMIN)
def report_csv():
    form = PeriodForm(formdata=request.args)
    if not form.validate():
        flash(_("Correct the period before exporting."), "error")
        return redirect(url_for("reports.report", **_period_args()))
    program = _report(form)
    record("report.exported", detail=" ".join(f"{k}={v}" for k, v in _period_args().items()))
    db.session.commit()
    period = "-".join(
        f"{name.removeprefix('date_')}-{form[name].data:%Y%m%d}"
        for name in ("date_from", "date_to")
        if form[name].data
    )
    computed = program.computed_at.astimezone(ZoneInfo(zone_of(current_user)))
    filename = f"program-report-{period or 'all-time'}-{computed:%Y%m%d}.csv"
    return csv_download(filename, services.CSV_HEADER, services.csv_rows(program))
