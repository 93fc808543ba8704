"""Fixtures for the security tests."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from portal.extensions import db
from tests.security.helpers import dbapi_error
from tests.security.routes import sample_objects


@pytest.fixture
def people(make_member, make_staff, make_admin, make_case, tmp_path):
    """Everyone the route walks sign in as, and a real object behind every URL parameter
    (`tests/security/routes.py`)."""
    return sample_objects(make_member, make_staff, make_admin, make_case, tmp_path / "uploads")


@pytest.fixture
def fail_on_insert_into(app):
    """`fail_on_insert_into(table, kind="OperationalError")`: the driver fails (by default as when
    the connection breaks) when the request comes to write into `table`, after the rows before it
    in the same transaction were sent. Returns the statements that went through before."""
    listeners = []
    before: list[str] = []

    def arm(table: str, kind: str = "OperationalError") -> list[str]:
        def execute(cursor, statement, parameters, context):
            if statement.lstrip().upper().startswith(f"INSERT INTO {table.upper()}"):
                raise dbapi_error(kind, "server closed the connection unexpectedly")
            before.append(statement)

        # The dialect's own execute step: what it raises is handled as a real driver error.
        for name in ("do_execute", "do_executemany"):
            sa.event.listen(db.engine, name, execute)
            listeners.append((name, execute))
        return before

    yield arm
    for name, listener in listeners:
        sa.event.remove(db.engine, name, listener)
