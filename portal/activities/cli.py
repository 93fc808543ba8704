"""`flask reminders send`: the activity reminders that are due (the outbox worker also runs this
on a schedule)."""

import click
from flask.cli import AppGroup

from portal.activities.reminders import send_reminders

reminders_cli = AppGroup("reminders", help="Reminders of educational activities.")


@reminders_cli.command("send")
def send() -> None:
    """Queue the reminders of required activities due within 7 days or overdue (each once)."""
    sent = send_reminders()
    click.echo(f"{sent} reminder(s) queued")
