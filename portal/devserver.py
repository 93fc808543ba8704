"""`flask dev serve`: what `make run` starts — the web server, the outbox worker and, unless
MAIL_SERVER is set, a local SMTP server keeping emails in instance/mail/. Ctrl-C stops them all."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import click
from flask import current_app
from flask.cli import AppGroup

dev_cli = AppGroup("dev", help="Development helpers.")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _flask(*args: str) -> list[str]:
    return [sys.executable, "-m", "flask", "--app", "wsgi", *args]


@dev_cli.command("serve")
def serve() -> None:
    """Serve the portal with its outbox worker and a local SMTP server."""
    config = current_app.config
    port = config["PORT"]
    env = dict(os.environ)
    processes: list[tuple[str, subprocess.Popen]] = []
    if not os.environ.get("MAIL_SERVER"):
        mail_port = _free_port()
        env.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=str(mail_port))
        processes.append(
            ("smtp", subprocess.Popen(_flask("outbox", "smtpd", "--port", str(mail_port)), env=env))
        )
        click.echo(
            f"Emails the portal sends are kept in {config['MAIL_CAPTURE_DIR']}/ (.eml files)"
        )
    else:
        click.echo(f"Emails go to {os.environ['MAIL_SERVER']}:{config['MAIL_PORT']}")
    processes.append(("worker", subprocess.Popen(_flask("outbox", "work"), env=env)))
    processes.append(
        (
            "web",
            subprocess.Popen(
                _flask("run", "--host", "127.0.0.1", "--port", str(port), "--no-reload"), env=env
            ),
        )
    )
    click.echo(f"MSP Portal at http://127.0.0.1:{port}  (Ctrl-C stops everything)")

    stopping = False

    def stop(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    exit_code = 0
    while not stopping:
        for name, process in processes:
            if process.poll() is not None:
                click.echo(
                    f"{name} stopped (exit {process.returncode}); stopping the rest", err=True
                )
                exit_code = process.returncode or 1
                stopping = True
        time.sleep(0.5)
    for _, process in processes:
        if process.poll() is None:
            process.terminate()
    for _, process in processes:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
    sys.exit(exit_code)
