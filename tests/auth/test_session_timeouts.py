"""Idle (30 minutes) and absolute (12 hours) timeouts, with a controlled clock."""

from portal.auth.models import UserSession
from portal.extensions import db


def test_session_survives_activity_within_the_idle_limit(client, make_member, login, frozen_clock):
    login(make_member())
    for _ in range(5):
        frozen_clock.advance(minutes=25)
        assert client.get("/dashboard").status_code == 200


def test_idle_session_ends_after_30_minutes(client, make_member, login, frozen_clock):
    login(make_member())
    frozen_clock.advance(minutes=31)
    response = client.get("/dashboard")
    assert response.status_code == 302 and response.location.startswith("/login")
    assert "30 minutes without activity" in client.get(response.location).text
    user_session = db.session.scalars(db.select(UserSession)).one()
    assert user_session.end_reason == "idle_timeout"
    frozen_clock.advance(minutes=-30)  # the ended session stays ended
    assert client.get("/dashboard").status_code == 302


def test_session_ends_after_12_hours_however_active(client, make_member, login, frozen_clock):
    login(make_member())
    for _ in range(24):
        frozen_clock.advance(minutes=29)
        client.get("/dashboard")
    frozen_clock.advance(minutes=29)  # 12h05 after sign-in
    response = client.get("/dashboard")
    assert response.status_code == 302
    assert "12-hour limit" in client.get(response.location).text
    assert db.session.scalars(db.select(UserSession)).one().end_reason == "absolute_timeout"


def test_activity_does_not_write_on_every_request(
    client, make_member, login, frozen_clock, query_counter
):
    login(make_member())
    client.get("/dashboard")
    with query_counter() as queries:
        client.get("/dashboard")
    assert not any(s.lstrip().upper().startswith("UPDATE") for s in queries.statements)
