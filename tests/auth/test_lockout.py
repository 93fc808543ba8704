import pytest

from portal.audit.models import AuditEvent
from portal.auth.models import User
from portal.extensions import db
from portal.outbox.models import OutboxEmail
from tests.factories import PASSWORD

LOCKED = "Sign-in to this account is paused"


def _fail(client, email, times):
    for _ in range(times):
        response = client.post("/login", data={"email": email, "password": "not the password"})
    return response


def test_account_locks_after_five_failures_without_revealing_the_password(client, make_member):
    member = make_member()
    assert "not right" in _fail(client, member.email, 4).text
    assert LOCKED in _fail(client, member.email, 1).text
    # The right password gets the same answer while locked.
    response = client.post("/login", data={"email": member.email, "password": PASSWORD})
    assert response.status_code == 200 and LOCKED in response.text
    assert db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "auth.lockout"))
    lock_email = db.session.scalars(db.select(OutboxEmail)).one()
    assert lock_email.template == "account_locked"


def test_unknown_address_locks_the_same_way(client):
    assert LOCKED in _fail(client, "nobody@example.org", 5).text
    assert db.session.scalar(db.select(db.func.count()).select_from(OutboxEmail)) == 0


def test_lock_lifts_after_fifteen_minutes(client, make_member, monkeypatch):
    from datetime import timedelta

    from portal import clock

    member = make_member()
    _fail(client, member.email, 5)
    later = clock.now() + timedelta(minutes=16)
    monkeypatch.setattr(clock, "now", lambda: later)
    response = client.post("/login", data={"email": member.email, "password": PASSWORD})
    assert response.status_code == 302


def test_wrong_passwords_sent_at_once_each_count_and_lock_once(app, database_url, make_member):
    """Eight wrong passwords for one account at the same moment, as from several app servers: each
    counts (one statement adds it), the account locks once, and one email says so."""
    from portal.auth.services import is_locked, record_failed_sign_in
    from tests.outbox.helpers import run_at_once

    if not database_url.startswith("postgresql"):
        pytest.skip("concurrent writers are PostgreSQL's; SQLite runs one writer at a time")
    member = make_member()
    email, member_id = member.email, member.id
    db.session.commit()

    def fail():
        user = db.session.get(User, member_id)
        result = record_failed_sign_in(email, user)
        db.session.commit()
        return result

    locked = run_at_once(app, fail, 8)
    assert sorted(locked) == [False] * 4 + [True] * 4  # the 5th and later find it locked
    db.session.expire_all()
    assert is_locked(email)
    lockouts = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "auth.lockout"))
    assert len(lockouts.all()) == 1
    assert [row.template for row in db.session.scalars(db.select(OutboxEmail))] == [
        "account_locked"
    ]
