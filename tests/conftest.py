"""Fixtures shared by the whole suite.

Every test that uses `app` runs twice: on SQLite and on PostgreSQL (set TEST_DATABASES=sqlite to
run one). Each test gets a fresh, fully migrated database: a copy of a migrated SQLite file, or
the session's PostgreSQL database truncated. The PostgreSQL database is created with a unique name
for the run and dropped at its end, so CI can share the server with a developer's session.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import uuid
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis
import sqlalchemy as sa
from flask.testing import FlaskClient
from flask_migrate import upgrade

from portal import clock, create_app
from portal.extensions import db

pytest_plugins = ["tests.factories", "tests.log_hygiene"]

POSTGRES_SERVER_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
BACKENDS = [
    name.strip()
    for name in os.environ.get("TEST_DATABASES", "sqlite,postgresql").split(",")
    if name.strip()
]


def testing_config(database_url: str, **overrides) -> dict:
    return {"SQLALCHEMY_DATABASE_URI": database_url, **overrides}


def _migrate(database_url: str) -> None:
    app = create_app("testing", testing_config(database_url))
    with app.app_context():
        upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    _migrate(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_url():
    """A database of our own on the shared PostgreSQL server, migrated once, dropped at the end."""
    name = f"msp_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    server = sa.create_engine(POSTGRES_SERVER_URL, isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = (
        sa.engine.make_url(POSTGRES_SERVER_URL)
        .set(database=name)
        .render_as_string(hide_password=False)
    )
    try:
        _migrate(url)
        yield url
    finally:
        with server.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()


def _truncate_all(url: str) -> None:
    """Empty every table but the migrations' own rows (the version, the seeded types of work)."""
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        tables = [
            row[0]
            for row in connection.execute(
                sa.text(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                    "AND tablename NOT IN ('alembic_version', 'types_of_work')"
                )
            )
        ]
        if tables:
            quoted = ", ".join(f'"{t}"' for t in tables)
            connection.execute(sa.text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        path = tmp_path / "portal.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("postgres_url")
    _truncate_all(url)
    return url


@pytest.fixture
def app_overrides() -> dict:
    """Override in a test module (or parametrize) to change configuration for its tests."""
    return {}


class IsolatedClient(FlaskClient):
    """A test client whose every request runs in its own app context, as in production: a fresh
    `g` and database session per request, not the test's own. Afterwards the test's session is
    expired so that it reads what the request committed."""

    def open(self, *args, **kwargs):
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        db.session.expire_all()
        return response


@pytest.fixture
def app(database_url, tmp_path, app_overrides):
    app = create_app(
        "testing",
        testing_config(database_url, MAIL_CAPTURE_DIR=str(tmp_path / "mail"), **app_overrides),
    )
    app.test_client_class = IsolatedClient
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def redis_prefix():
    """A key prefix of this test's own in the shared Redis (TEST_REDIS_URL), emptied at the end;
    for tests of app servers that count rate limits together."""
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.skip(f"no Redis at {REDIS_URL} (.ci/run starts one)")
    prefix = f"msp-test-{os.getpid()}-{secrets.token_hex(4)}"
    yield prefix
    for key in client.scan_iter(match=f"*{prefix}*"):
        client.delete(key)
    client.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def mail_server(app, tmp_path):
    """A real SMTP server (aiosmtpd) the outbox worker sends to; `mail_server.messages()` reads
    what it received."""
    from portal.outbox.mailcatcher import read_mailbox, start_mailcatcher

    port = free_port()
    directory = tmp_path / "received-mail"
    controller = start_mailcatcher(directory, port=port)
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)

    class MailServer:
        def __init__(self):
            self.controller = controller
            self.port = port
            self.directory = directory

        def messages(self):
            return read_mailbox(directory)

        def stop(self):
            self.controller.stop()

        def start(self):
            self.controller = start_mailcatcher(directory, port=port)

    server = MailServer()
    yield server
    try:
        server.controller.stop()
    except (AssertionError, RuntimeError):
        pass


@contextmanager
def count_queries():
    """Count the SQL statements run inside the block: `with count_queries() as queries: ...`,
    then `queries.count`. Feature tests use it to show a page's cost does not grow with data."""

    class Counter:
        count = 0
        statements: list[str] = []

    counter = Counter()
    counter.statements = []

    def before_cursor_execute(conn, cursor, statement, parameters, context, executemany):
        counter.count += 1
        counter.statements.append(statement)

    engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", before_cursor_execute)
    try:
        yield counter
    finally:
        sa.event.remove(engine, "before_cursor_execute", before_cursor_execute)


@pytest.fixture
def query_counter():
    return count_queries


class FrozenClock:
    """`portal.clock.now` stopped at a known moment; tests move it with `advance` or `set`."""

    def __init__(self, start: datetime):
        self.current = start

    def __call__(self) -> datetime:
        return self.current

    def set(self, moment: datetime) -> datetime:
        self.current = moment
        return moment

    def advance(self, **kwargs) -> datetime:
        self.current = self.current + timedelta(**kwargs)
        return self.current


@pytest.fixture
def frozen_clock(monkeypatch) -> FrozenClock:
    """The clock stopped on Tuesday 15 January 2030, 12:00 UTC (07:00 in Toronto)."""
    fake = FrozenClock(datetime(2030, 1, 15, 12, 0, 0, tzinfo=UTC))
    monkeypatch.setattr(clock, "now", fake)
    return fake


@pytest.fixture
def client_for(app, login):
    """`client_for(user)`: a test client of its own, signed in as `user`."""

    def make(user):
        test_client = app.test_client()
        login(user, test_client=test_client)
        return test_client

    return make


@pytest.fixture
def emails(app):
    """`emails()`: the outbox rows, oldest first, as (recipient address, template)."""
    from portal.outbox.models import OutboxEmail

    def read():
        db.session.expire_all()
        return [
            (row.to_address, row.template)
            for row in db.session.scalars(db.select(OutboxEmail).order_by(OutboxEmail.id))
        ]

    return read
