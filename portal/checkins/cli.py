"""`flask checkins remind`: the check-in reminders that are due (the outbox worker also runs this
on a schedule)."""

import click

from portal.checkins import bp
from portal.checkins.reminders import send_due_reminders


@bp.cli.command("remind")
def remind() -> None:
    """Queue the reminders of check-ins starting within CHECKIN_REMINDER_HOURS (each once)."""
    sent = send_due_reminders()
    click.echo(f"{sent} check-in reminder(s) queued")
