"""`flask outbox …`: the worker and the development mail server."""

import signal
import threading

import click
from flask import current_app
from flask.cli import AppGroup

from portal.outbox.mailcatcher import start_mailcatcher
from portal.outbox.worker import run_worker

outbox_cli = AppGroup("outbox", help="Send queued emails; run a local SMTP server.")


def _stop_event() -> threading.Event:
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    return stop


@outbox_cli.command("work")
@click.option("--once", is_flag=True, help="Send what is due now, then exit.")
def work(once: bool) -> None:
    """Send due emails; keep polling until stopped (SIGINT or SIGTERM)."""
    stop = _stop_event()
    click.echo(
        f"outbox worker sending via {current_app.config['MAIL_SERVER']}:"
        f"{current_app.config['MAIL_PORT']}"
    )
    run_worker(once=once, stop=stop)


@outbox_cli.command("smtpd")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8025, show_default=True, type=int)
@click.option("--directory", default=None, help="Where to keep .eml files [instance/mail].")
def smtpd(host: str, port: int, directory: str | None) -> None:
    """A local SMTP server that keeps every email as an .eml file (development only)."""
    directory = directory or current_app.config["MAIL_CAPTURE_DIR"]
    controller = start_mailcatcher(directory, host, port)
    click.echo(f"local SMTP server on {host}:{port}; emails are kept in {directory}")
    stop = _stop_event()
    try:
        stop.wait()
    finally:
        controller.stop()
