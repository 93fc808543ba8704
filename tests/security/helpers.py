"""Plain helpers for the security tests (fixtures are in conftest.py)."""

from __future__ import annotations

from portal.extensions import db


def dbapi_error(kind: str, message: str) -> Exception:
    """An error of the database driver in use (`OperationalError`, `IntegrityError`…)."""
    return getattr(db.engine.dialect.loaded_dbapi, kind)(message)
