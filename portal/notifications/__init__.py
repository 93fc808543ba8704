"""Notifications: content-free emails that something is waiting, batched, or a daily digest."""

from flask import Blueprint

bp = Blueprint("notifications", __name__, url_prefix="/notifications", cli_group="notifications")


@bp.record_once
def _schedule_jobs(state) -> None:
    from datetime import timedelta

    from portal.notifications.services import run_notification_jobs
    from portal.outbox.worker import register_periodic_job

    seconds = state.app.config["NOTIFICATION_JOBS_INTERVAL_SECONDS"]
    register_periodic_job(
        state.app, "notifications", timedelta(seconds=seconds), run_notification_jobs
    )


from portal.notifications import cli, views  # noqa: E402, F401
