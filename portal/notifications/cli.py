"""`flask notifications digest`: send the daily digests that are due (the outbox worker also runs
this on a schedule)."""

import click

from portal.notifications import bp
from portal.notifications.services import release_held_notifications, send_due_digests


@bp.cli.command("digest")
def digest() -> None:
    """Queue the daily digests that are due, and emails held by batching whose window passed."""
    released = release_held_notifications()
    queued = send_due_digests()
    click.echo(f"{queued} digest(s) queued, {released} held notification(s) released")
