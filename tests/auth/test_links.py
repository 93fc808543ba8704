"""Invitation (single use, 7 days) and password reset (single use, 1 hour)."""

import re
from datetime import timedelta

from portal import clock
from portal.auth.models import Role, UserSession
from portal.auth.services import create_user, send_invitation
from portal.extensions import db
from portal.outbox.models import OutboxEmail
from tests.factories import PASSWORD

NEW_PASSWORD = "a brand new passphrase"


def _link(email: OutboxEmail) -> str:
    return re.search(r"http://portal\.test(/\S+)", email.body_text).group(1)


def _invite(email="invited@example.org"):
    user = create_user(email=email, name="Invited Person", role=Role.MEMBER)
    send_invitation(user)
    db.session.commit()
    return user, _link(db.session.scalars(db.select(OutboxEmail)).one())


def test_invitation_sets_a_password_and_signs_in_once(client):
    user, link = _invite()
    assert link.startswith("/invitation/")
    assert "Invited Person" in client.get(link).text
    response = client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert client.get("/dashboard").status_code == 200
    client.post("/logout")
    assert client.get(link).status_code == 404
    assert (
        client.post(
            link, data={"password": "another passphrase!", "confirm": "another passphrase!"}
        ).status_code
        == 404
    )
    assert (
        client.post("/login", data={"email": user.email, "password": NEW_PASSWORD}).status_code
        == 302
    )


def test_invitation_expires_after_seven_days(client, monkeypatch):
    _, link = _invite()
    later = clock.now() + timedelta(days=7, minutes=1)
    monkeypatch.setattr(clock, "now", lambda: later)
    response = client.get(link)
    assert response.status_code == 404
    assert "no longer works" in response.text


def test_a_new_invitation_replaces_the_old_link(client):
    user, first = _invite()
    send_invitation(user)
    db.session.commit()
    emails = db.session.scalars(db.select(OutboxEmail).order_by(OutboxEmail.id)).all()
    assert client.get(first).status_code == 404
    assert client.get(_link(emails[1])).status_code == 200


def test_weak_or_mismatched_passwords_are_refused_and_change_nothing(client):
    user, link = _invite()
    cases = {
        "short pass": "at least 12 characters",
        "x" * 129: "at most 128 characters",
        "password1234": "too common",
        "invited@example.org": "too common|must not be your email",
    }
    for password, message in cases.items():
        response = client.post(link, data={"password": password, "confirm": password})
        assert response.status_code == 200
        assert re.search(message, response.text), password
    response = client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD + "x"})
    assert "The two passwords differ." in response.text
    db.session.refresh(user)
    assert user.password_hash is None


def test_reset_gives_the_same_answer_whether_or_not_the_address_exists(client, make_member):
    member = make_member()
    known = client.post("/forgot-password", data={"email": member.email})
    unknown = client.post("/forgot-password", data={"email": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 200
    strip = lambda html: re.sub(r'name="csrf_token" value="[^"]*"', "", html)  # noqa: E731
    assert strip(known.text) == strip(unknown.text)
    emails = db.session.scalars(db.select(OutboxEmail)).all()
    assert [e.to_address for e in emails] == [member.email]


def test_reset_link_works_once_within_an_hour_and_ends_other_sessions(
    app, client, make_member, login
):
    member = make_member()
    other_device = app.test_client()
    login(member, test_client=other_device)
    client.post("/forgot-password", data={"email": member.email})
    link = _link(db.session.scalars(db.select(OutboxEmail)).one())
    response = client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.location == "/login"
    assert client.get(link).status_code == 404
    assert other_device.get("/dashboard").status_code == 302
    assert (
        client.post("/login", data={"email": member.email, "password": PASSWORD}).status_code == 200
    )
    assert (
        client.post("/login", data={"email": member.email, "password": NEW_PASSWORD}).status_code
        == 302
    )
    templates = db.session.scalars(db.select(OutboxEmail.template).order_by(OutboxEmail.id)).all()
    assert templates == ["password_reset", "password_changed"]


def test_reset_link_expires_after_an_hour(client, make_member, monkeypatch):
    member = make_member()
    client.post("/forgot-password", data={"email": member.email})
    link = _link(db.session.scalars(db.select(OutboxEmail)).one())
    later = clock.now() + timedelta(minutes=61)
    monkeypatch.setattr(clock, "now", lambda: later)
    assert client.get(link).status_code == 404


def test_change_password_needs_the_current_one_and_signs_out_other_sessions(
    app, client, make_member, login
):
    member = make_member()
    other_device = app.test_client()
    login(member, test_client=other_device)
    login(member)
    wrong = client.post(
        "/account/password",
        data={
            "current_password": "not my password",
            "password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
        },
    )
    assert "This is not your current password." in wrong.text
    assert other_device.get("/dashboard").status_code == 200
    right = client.post(
        "/account/password",
        data={"current_password": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert right.status_code == 302
    assert client.get("/dashboard").status_code == 200
    assert other_device.get("/dashboard").status_code == 302
    ended = db.session.scalars(
        db.select(UserSession.end_reason).where(UserSession.ended_at.isnot(None))
    ).all()
    assert ended == ["password_changed"]


def test_an_invitation_stops_working_once_a_password_is_set_another_way(client):
    user, invitation = _invite("taken@example.org")
    client.post("/forgot-password", data={"email": user.email})
    reset = _link(
        db.session.scalars(db.select(OutboxEmail).order_by(OutboxEmail.id.desc())).first()
    )
    client.post(reset, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert client.get(invitation).status_code == 404
    hijack = "an attacker's passphrase"
    response = client.post(invitation, data={"password": hijack, "confirm": hijack})
    assert response.status_code == 404
    assert (
        client.post("/login", data={"email": user.email, "password": NEW_PASSWORD}).status_code
        == 302
    )


def test_a_nul_byte_in_a_form_is_refused_and_changes_nothing(client, make_staff, login):
    from portal.cases.models import Case

    login(make_staff())
    response = client.post(
        "/cases/refer",
        data={
            "name": "Dr. Null\x00",
            "email": "nul@example.org",
            "member_number": "N-1",
            "type_of_work": "family_medicine",
            "province": "ON",
            "reason": "R",
            "lead_advisor_id": 1,
        },
    )
    assert response.status_code == 400
    assert db.session.scalar(db.select(db.func.count()).select_from(Case)) == 0
