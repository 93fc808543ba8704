"""Follow-up check-ins: staff schedule them, both sides get calendar entries and reminders, the
member asks to reschedule, staff record the outcome."""

from flask import Blueprint

bp = Blueprint("checkins", __name__, cli_group="checkins")


@bp.record_once
def _schedule_jobs(state) -> None:
    from datetime import timedelta

    from portal.checkins.reminders import run_reminder_job
    from portal.outbox.worker import register_periodic_job

    seconds = state.app.config["CHECKIN_JOBS_INTERVAL_SECONDS"]
    register_periodic_job(
        state.app, "check-in-reminders", timedelta(seconds=seconds), run_reminder_job
    )


from portal.checkins import cli, views  # noqa: E402, F401
