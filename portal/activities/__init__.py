"""Educational activities: the catalog, the member's progress, evidence, verification, reminders."""

from flask import Blueprint

bp = Blueprint("activities", __name__)


@bp.record_once
def _schedule_jobs(state) -> None:
    from datetime import timedelta

    from portal.activities.reminders import run_reminder_job
    from portal.outbox.worker import register_periodic_job

    seconds = state.app.config["ACTIVITY_REMINDERS_INTERVAL_SECONDS"]
    register_periodic_job(
        state.app, "activity-reminders", timedelta(seconds=seconds), run_reminder_job
    )


from portal.activities import views  # noqa: E402, F401
