"""A session cookie copied by someone else stops working the moment its session ends: after
sign-out, after a password change made elsewhere, after deactivation, and at the timeouts (with a
controlled clock)."""

import pytest

from portal.auth.models import User
from portal.auth.services import set_active
from portal.extensions import db
from tests.factories import PASSWORD


@pytest.fixture
def stolen(app):
    """`stolen(client)`: a second client replaying `client`'s session cookie."""

    def copy(client):
        name = app.config["SESSION_COOKIE_NAME"]
        thief = app.test_client()
        thief.set_cookie(name, client.get_cookie(name).value)
        return thief

    return copy


def _refused(response) -> bool:
    return response.status_code == 302 and response.location.startswith("/login")


@pytest.mark.parametrize("role", ["member", "staff"])
def test_a_copied_cookie_works_only_while_its_session_lives(
    client, make_member, make_staff, login, stolen, frozen_clock, role
):
    user = make_member() if role == "member" else make_staff()
    home = "/dashboard" if role == "member" else "/cases/"
    login(user)
    thief = stolen(client)
    assert thief.get(home).status_code == 200  # a live session: the cookie is all it takes
    client.post("/logout")
    assert _refused(thief.get(home))


def test_a_password_change_ends_the_other_sessions(app, client, make_member, login, stolen):
    member = make_member()
    login(member)
    thief = stolen(client)
    laptop = app.test_client()
    login(member, test_client=laptop)
    response = laptop.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "password": "a brand new pass phrase",
            "confirm": "a brand new pass phrase",
        },
    )
    assert response.status_code == 302
    assert _refused(thief.get("/dashboard"))
    assert _refused(client.get("/dashboard"))
    assert laptop.get("/dashboard").status_code == 200  # the session that made the change


def test_deactivation_ends_sessions_at_once(client, make_staff, login, stolen):
    staff = make_staff()
    login(staff)
    thief = stolen(client)
    set_active(db.session.get(User, staff.id), False)
    db.session.commit()
    assert _refused(thief.get("/cases/"))
    assert _refused(client.get("/cases/"))
    # Signing in again is refused too.
    response = client.post("/login", data={"email": staff.email, "password": PASSWORD})
    assert response.status_code == 200
    assert "not active" in response.text


def test_a_copied_cookie_dies_with_the_idle_and_absolute_timeouts(
    client, make_member, login, stolen, frozen_clock
):
    login(make_member())
    thief = stolen(client)
    frozen_clock.advance(minutes=31)
    assert _refused(thief.get("/dashboard"))
    login(make_member(), test_client=client)
    thief = stolen(client)
    for _ in range(25):
        frozen_clock.advance(minutes=29)
        client.get("/dashboard")
    assert _refused(thief.get("/dashboard"))
