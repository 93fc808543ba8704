from portal.audit.models import AuditEvent
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
