"""Committing a read page's bookkeeping without reloading the page's data."""

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
