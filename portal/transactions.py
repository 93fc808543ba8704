"""Committing a read page's bookkeeping without reloading the page's data; writing a row whether
or not it exists yet, in one statement."""

from collections.abc import Callable, Sequence

from sqlalchemy.dialects import postgresql, sqlite

from portal.extensions import db


def commit_keeping_loaded() -> None:
    """Commit, leaving the objects the request has loaded as they are instead of expiring them.

    For a page that writes only bookkeeping before it renders (the audit event of a read, a
    session's last-seen time): what it loaded in this transaction is still what it shows, and
    expiring it would reload every object, and each lazily loaded collection one by one."""
    session = db.session()
    expire = session.expire_on_commit
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expire


def upsert(
    model,
    values: dict,
    *,
    key: Sequence[str],
    update: Sequence[str] = (),
    assign: dict | None = None,
    only_if: Callable | None = None,
):
    """INSERT `values`, or, when a row with the same `key` (a unique constraint's columns) exists,
    set its `update` columns from them and its `assign` columns to the given expressions (which
    may read the existing row): one race-free statement on PostgreSQL and SQLite (`INSERT … ON
    CONFLICT DO UPDATE`). `only_if(excluded)`, given the would-be row, limits which existing rows
    are overwritten."""
    dialect = db.session.get_bind().dialect.name
    statement = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model).values(
        **values
    )
    excluded = statement.excluded
    return statement.on_conflict_do_update(
        index_elements=key,
        set_={**{name: excluded[name] for name in update}, **(assign or {})},
        where=only_if(excluded) if only_if else None,
    )
