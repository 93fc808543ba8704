"""Fixtures for the outbox tests: a movable clock, a hanging SMTP server the app is pointed at, and
reading the outbox table. Plain helpers are in helpers.py."""

from __future__ import annotations

import pytest

from portal.extensions import db
from portal.outbox.models import OutboxEmail
from tests.outbox.helpers import HangingSMTPServer


@pytest.fixture
def hanging_smtp_server(app):
    """Points the app's MAIL_SERVER at a server that accepts connections and never answers."""
    server = HangingSMTPServer()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port)
    yield server
    server.close()


@pytest.fixture
def outbox_rows(app):
    """`outbox_rows()`: every outbox row as the database has it now, oldest first."""

    def read() -> list[OutboxEmail]:
        db.session.expire_all()
        return list(db.session.scalars(db.select(OutboxEmail).order_by(OutboxEmail.id)))

    return read
