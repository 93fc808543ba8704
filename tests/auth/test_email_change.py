"""Changing the email address: asked with the current password, confirmed from the new address
(single use, 24 hours, signed in as the account), other sessions ended, both addresses told."""

import re
from datetime import timedelta

import pytest

from portal.audit.models import AuditEvent, Outcome
from portal.auth.models import EmailChange, UserSession
from portal.extensions import db
from portal.outbox.models import OutboxEmail
from tests.factories import PASSWORD

NEW = "new.address@example.org"


def _request(client, email=NEW, password=PASSWORD):
    return client.post("/account/email", data={"email": email, "current_password": password})


def _confirm_link(to_address=NEW) -> str:
    email = db.session.scalars(
        db.select(OutboxEmail)
        .where(OutboxEmail.template == "email_change_confirm", OutboxEmail.to_address == to_address)
        .order_by(OutboxEmail.id.desc())
    ).first()
    return re.search(r"http://portal\.test(/\S+)", email.body_text).group(1)


def _audit(action):
    return db.session.scalars(
        db.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
    ).all()


def test_the_whole_change_from_request_to_signing_in_with_the_new_address(
    app, client, make_member, login, emails
):
    member = make_member(email="old.address@example.org")
    other_device = app.test_client()
    login(member, test_client=other_device)
    login(member)

    assert "Change email address" in client.get("/account/password").text
    response = _request(client, email="  New.Address@Example.ORG ")
    assert response.status_code == 302 and response.location == "/account/email"
    db.session.refresh(member)
    assert member.email == "old.address@example.org"  # nothing changes until confirmed
    assert emails() == [
        (NEW, "email_change_confirm"),
        ("old.address@example.org", "email_change_requested"),
    ]
    page = client.get("/account/email").text
    assert "Change waiting for confirmation" in page and NEW in page
    assert NEW in client.get("/account/password").text

    # Only the hash of the link's token is stored.
    link = _confirm_link()
    token = link.rsplit("/", 1)[1]
    change = db.session.scalars(db.select(EmailChange)).one()
    assert change.token_hash != token and token not in change.token_hash
    assert change.expires_at - change.created_at == timedelta(hours=24)

    # The notice to the old address carries no link; the link's email does not name the member.
    notice = db.session.scalars(
        db.select(OutboxEmail).where(OutboxEmail.template == "email_change_requested")
    ).one()
    assert "http" not in notice.body_text and "href" not in notice.body_html
    confirm_email = db.session.scalars(
        db.select(OutboxEmail).where(OutboxEmail.template == "email_change_confirm")
    ).one()
    assert member.name not in confirm_email.body_text + confirm_email.body_html

    # GET shows a button and changes nothing.
    shown = client.get(link)
    assert shown.status_code == 200 and "Confirm the new address" in shown.text
    db.session.refresh(member)
    assert member.email == "old.address@example.org"
    assert other_device.get("/dashboard").status_code == 200

    confirmed = client.post(link)
    assert confirmed.status_code == 302 and confirmed.location == "/account/email"
    db.session.refresh(member)
    assert member.email == NEW
    assert client.get("/dashboard").status_code == 200  # this session goes on
    assert other_device.get("/dashboard").status_code == 302  # the other one has ended
    ended = db.session.scalars(
        db.select(UserSession.end_reason).where(UserSession.ended_at.isnot(None))
    ).all()
    assert ended == ["email_changed"]
    assert emails()[-1] == ("old.address@example.org", "email_changed")
    [event] = _audit("account.email_changed")
    assert event.actor_id == member.id and event.object_id == member.id
    assert event.outcome is Outcome.SUCCESS
    assert "old.address@example.org -> new.address@example.org" in event.detail
    assert len(_audit("account.email_change_requested")) == 1
    assert "Change waiting for confirmation" not in client.get("/account/email").text

    # The link is spent; sign-in now takes the new address only.
    assert client.post(link).status_code == 404
    assert client.get(link).status_code == 404
    assert client.get("/account/email/confirm/not-a-real-token").status_code == 404
    fresh = app.test_client()
    old = fresh.post("/login", data={"email": "old.address@example.org", "password": PASSWORD})
    assert old.status_code == 200
    assert fresh.post("/login", data={"email": NEW, "password": PASSWORD}).status_code == 302


def test_a_wrong_password_changes_nothing_and_is_audited(client, make_member, login, emails):
    member = make_member()
    login(member)
    response = _request(client, password="not my password")
    assert response.status_code == 200
    assert "This is not your current password." in response.text
    assert "There is a problem" in response.text
    assert emails() == []
    assert db.session.scalars(db.select(EmailChange)).all() == []
    [event] = _audit("account.email_change_requested")
    assert event.outcome is Outcome.FAILURE and event.detail == "wrong password"


@pytest.mark.parametrize("typed", ["taken@example.org", "  TAKEN@Example.org"])
def test_an_address_of_another_account_cannot_be_used(client, make_member, login, emails, typed):
    make_member(email="taken@example.org")
    member = make_member()
    login(member)
    response = _request(client, email=typed)
    assert response.status_code == 200
    assert "This address cannot be used." in response.text
    assert emails() == []
    assert db.session.scalars(db.select(EmailChange)).all() == []


def test_a_wrong_password_does_not_tell_whether_an_address_is_taken(client, make_member, login):
    make_member(email="taken@example.org")
    login(make_member())
    response = _request(client, email="taken@example.org", password="not my password")
    assert "This address cannot be used." not in response.text
    assert "This is not your current password." in response.text


def test_an_address_taken_meanwhile_is_refused_at_confirmation(client, make_member, login, emails):
    member = make_member(email="mine@example.org")
    login(member)
    _request(client)
    link = _confirm_link()
    make_member(email=NEW)  # e.g. an invitation sent to that address in the meantime
    response = client.post(link, follow_redirects=True)
    assert "This address cannot be used." in response.text
    db.session.refresh(member)
    assert member.email == "mine@example.org"
    assert client.get(link).status_code == 404
    assert emails()[-1] == ("mine@example.org", "email_change_requested")


def test_an_address_taken_at_the_same_moment_is_refused_not_a_server_error(
    client, make_member, login, emails, monkeypatch
):
    """Two accounts confirming the same new address at once: both pass the check, the unique
    constraint decides, and the loser reads the same refusal (not a 500), its address unchanged."""
    from portal.auth import email_change

    member = make_member(email="mine@example.org")
    login(member)
    _request(client)
    link = _confirm_link()
    make_member(email=NEW)
    monkeypatch.setattr(email_change, "_address_taken", lambda address, user: False)
    response = client.post(link, follow_redirects=True)
    assert response.status_code == 200
    assert "This address cannot be used." in response.text
    db.session.expire_all()
    assert db.session.get(type(member), member.id).email == "mine@example.org"
    assert client.get(link).status_code == 404
    refused = _audit("account.email_changed")
    assert [(event.outcome, event.detail) for event in refused] == [
        (Outcome.FAILURE, "address in use")
    ]
    change = db.session.scalars(db.select(EmailChange)).one()
    assert change.confirmed_at is None and change.cancelled_at is not None


def test_bad_input_is_refused_with_a_message(client, make_member, login, emails):
    member = make_member()
    login(member)
    for typed, message in [
        ("", "This field is required."),
        ("not an address", "Invalid email address."),
        ("a" * 250 + "@example.org", "Field cannot be longer than 254 characters."),
        (member.email.upper(), "This is already your email address."),
    ]:
        response = _request(client, email=typed)
        assert response.status_code == 200, typed
        assert message in response.text, typed
    assert emails() == []


def test_the_link_expires_after_24_hours(client, make_member, login, frozen_clock):
    member = make_member()
    login(member)
    _request(client)
    link = _confirm_link()
    frozen_clock.advance(hours=24, minutes=1)
    login(member)  # sessions time out sooner than the link
    assert client.get(link).status_code == 404
    assert client.post(link).status_code == 404
    assert "Change waiting for confirmation" not in client.get("/account/email").text
    db.session.refresh(member)
    assert member.email != NEW


def test_a_newer_request_replaces_the_older_one(client, make_member, login, emails):
    member = make_member()
    login(member)
    _request(client, email="first@example.org")
    first = _confirm_link("first@example.org")
    _request(client, email="second@example.org")
    second = _confirm_link("second@example.org")
    assert client.get(first).status_code == 404
    assert client.post(first).status_code == 404
    page = client.get("/account/email").text
    assert "second@example.org" in page and "first@example.org" not in page
    assert client.post(second).status_code == 302
    db.session.refresh(member)
    assert member.email == "second@example.org"


def test_the_member_can_cancel_a_pending_change(client, make_member, login):
    member = make_member()
    login(member)
    _request(client)
    link = _confirm_link()
    response = client.post("/account/email/cancel", follow_redirects=True)
    assert "The change of address is cancelled." in response.text
    assert "Change waiting for confirmation" not in response.text
    assert client.post(link).status_code == 404
    db.session.refresh(member)
    assert member.email != NEW
    assert len(_audit("account.email_change_cancelled")) == 1
    # Nothing pending: cancelling again says nothing and records nothing.
    client.post("/account/email/cancel")
    assert len(_audit("account.email_change_cancelled")) == 1


def test_the_link_works_only_signed_in_as_the_account_that_asked(app, client, make_member, login):
    member, stranger = make_member(), make_member()
    login(member)
    _request(client)
    link = _confirm_link()
    client.post("/logout")
    signed_out = client.get(link)
    assert signed_out.status_code == 302 and signed_out.location.startswith("/login?next=")
    strangers_browser = app.test_client()
    login(stranger, test_client=strangers_browser)
    assert strangers_browser.get(link).status_code == 404
    assert strangers_browser.post(link).status_code == 404
    db.session.refresh(member)
    assert member.email != NEW
    # Signing in from the link comes back to it.
    response = client.post(
        f"/login?next={link}", data={"email": member.email, "password": PASSWORD}
    )
    assert response.location == link
    assert client.post(link).status_code == 302
    db.session.refresh(member)
    assert member.email == NEW


def test_a_new_password_stops_a_pending_change(client, make_member, login):
    member = make_member()
    login(member)
    _request(client)
    link = _confirm_link()
    new_password = "a brand new passphrase"
    client.post(
        "/account/password",
        data={"current_password": PASSWORD, "password": new_password, "confirm": new_password},
    )
    assert client.post(link).status_code == 404
    db.session.refresh(member)
    assert member.email != NEW


def test_a_reset_link_sent_to_the_old_address_stops_working(client, make_member, login):
    member = make_member(email="old@example.org")
    client.post("/forgot-password", data={"email": "old@example.org"})
    reset = _confirm_link_of("password_reset")
    login(member)
    _request(client)
    client.post(_confirm_link())
    client.post("/logout")
    assert client.get(reset).status_code == 404


def _confirm_link_of(template) -> str:
    email = db.session.scalars(db.select(OutboxEmail).where(OutboxEmail.template == template)).one()
    return re.search(r"http://portal\.test(/\S+)", email.body_text).group(1)


class TestRateLimits:
    @pytest.fixture
    def app_overrides(self):
        return {"EMAIL_CHANGE_RATE_LIMIT": "2 per hour"}

    def test_requests_that_send_links_are_limited_per_account(
        self, client, make_member, login, emails
    ):
        login(make_member())
        _request(client, email="one@example.org")
        _request(client, email="two@example.org")
        response = _request(client, email="three@example.org")
        assert "You have asked for too many changes of address." in response.text
        assert [to for to, template in emails() if template == "email_change_confirm"] == [
            "one@example.org",
            "two@example.org",
        ]
