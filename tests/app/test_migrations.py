"""Upgrading an empty database yields exactly the models: no pending autogenerate diff."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from portal.extensions import db


def test_migrations_match_the_models(app):
    # `app` runs on a database built by `flask db upgrade` (see conftest), on SQLite and PostgreSQL.
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_audit_rows_cannot_be_changed_or_deleted(app):
    import pytest
    import sqlalchemy as sa

    from portal.audit.services import record

    record("test.event")
    db.session.commit()
    for statement in ("UPDATE audit_events SET action = 'tampered'", "DELETE FROM audit_events"):
        with pytest.raises(sa.exc.DatabaseError):
            db.session.execute(sa.text(statement))
            db.session.flush()
        db.session.rollback()
    assert db.session.scalar(sa.text("SELECT action FROM audit_events")) == "test.event"
