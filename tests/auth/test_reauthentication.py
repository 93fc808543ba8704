"""The password asked again before a sensitive change counts towards the account's lockout: from a
stolen session, the password cannot be guessed at the speed of the forms (issue 7's re-auth, made
as strict as sign-in)."""

import pyotp
import pytest
import sqlalchemy as sa

from portal.audit.models import AuditEvent, Outcome
from portal.auth.models import User
from portal.extensions import db
from portal.outbox.models import OutboxEmail
from portal.twofactor.services import enable_with_known_secret
from tests.factories import PASSWORD

WRONG = "not the password at all"
NOT_YOURS = "This is not your current password."
LOCKED = "Sign-in to this account is paused for 15 minutes after too many attempts."
SIGNED_OUT = "paused for 15 minutes, and you were signed out"
LOCKED_FOR_LOGIN = "Sign-in to this account is paused"

# Each form that asks for the password again: where it posts, the password's field, and what it
# sends besides.
FORMS = {
    "password": (
        "/account/password",
        "current_password",
        {"password": "a new long passphrase", "confirm": "a new long passphrase"},
    ),
    "email": ("/account/email", "current_password", {"email": "new.address@example.org"}),
    "two-factor off": ("/account/two-factor/off", "off-current_password", {}),
    "new recovery codes": ("/account/two-factor/recovery-codes", "codes-current_password", {}),
    "new authenticator": ("/account/two-factor/setup", "current_password", {"code": "123456"}),
}
# How each form answers once the password is accepted (the new authenticator's code is wrong).
ACCEPTED = {
    "password": 302,
    "email": 302,
    "two-factor off": 302,
    "new recovery codes": 200,
    "new authenticator": 400,
}
PURPOSES = {  # the two-step forms' audit events say which change the password was for
    "two-factor off": "turn off",
    "new recovery codes": "new recovery codes",
    "new authenticator": "set up",
}


@pytest.fixture
def app_overrides() -> dict:
    return {"RATELIMIT_ENABLED": False}  # the lockout is what is tested, not the rate limits


@pytest.fixture
def member(make_member, client_for, frozen_clock):
    """A member with two sessions (the second on another device), and two-step sign-in on (for
    its form)."""
    member = make_member()
    browser, other_device = client_for(member), client_for(member)
    enable_with_known_secret(member, pyotp.random_base32())
    db.session.commit()
    return member, browser, other_device


def _send(browser, form: str, password: str):
    url, field, data = FORMS[form]
    browser.get("/account/two-factor")  # the page that shows a new key (the setup form needs one)
    return browser.post(url, data={field: password, **data})


@pytest.mark.parametrize("form", FORMS)
def test_wrong_passwords_lock_the_account_and_end_the_session_that_guessed(
    app, member, client, frozen_clock, form
):
    member, browser, other_device = member
    for _attempt in range(4):
        answer = _send(browser, form, WRONG).text
        assert NOT_YOURS in answer and "After 5 wrong passwords, sign-in" in answer
    # The fifth: that session is over, and the sign-in page says why.
    answer = _send(browser, form, WRONG)
    assert answer.status_code == 302 and answer.location == "/login"
    assert SIGNED_OUT in browser.get("/login").text
    assert browser.get("/account/password").status_code == 302

    # Locked like five wrong sign-ins: the account holder is told by email (which says it
    # happened in a signed-in session), signing in is paused, and on the forms of the holder's
    # other session even the right password is not checked until the lock lifts.
    [email] = db.session.scalars(sa.select(OutboxEmail)).all()
    assert (
        email.template == "account_locked" and "That session is now signed out" in email.body_text
    )
    assert (
        LOCKED_FOR_LOGIN
        in client.post("/login", data={"email": member.email, "password": PASSWORD}).text
    )
    assert LOCKED in _send(other_device, form, PASSWORD).text
    db.session.expire_all()
    unchanged = db.session.get(User, member.id)
    assert unchanged.email == member.email and unchanged.two_factor_enabled_at is not None
    refusals = db.session.scalars(
        sa.select(AuditEvent.detail).where(
            AuditEvent.outcome == Outcome.FAILURE,
            AuditEvent.actor_id == member.id,
            AuditEvent.action.like("account.%"),
        )
    ).all()
    expected = ["wrong password"] * 4 + ["wrong password; now locked", "locked"]
    if form in PURPOSES:
        expected = [f"{PURPOSES[form]}: {detail}" for detail in expected]
    assert refusals == expected

    frozen_clock.advance(minutes=16)
    answer = _send(other_device, form, PASSWORD)
    assert answer.status_code == ACCEPTED[form], answer.text
    assert NOT_YOURS not in answer.text and LOCKED not in answer.text


def test_wrong_sign_ins_and_wrong_passwords_on_the_forms_add_up(member, client):
    member, browser, _other_device = member
    for _attempt in range(3):
        client.post("/login", data={"email": member.email.upper(), "password": WRONG})
    assert NOT_YOURS in _send(browser, "email", WRONG).text
    assert _send(browser, "password", WRONG).location == "/login"
    assert SIGNED_OUT in browser.get("/login").text


def test_a_password_reset_lifts_the_lock(member, client):
    """What the lockout email advises: the reset signs every session out and opens the account."""
    from portal.auth.models import TokenPurpose
    from portal.auth.services import issue_token

    member, browser, other_device = member
    for _attempt in range(5):
        _send(browser, "password", WRONG)
    # The holder, still signed in on another device, can ask for the link there: the forms
    # offer it, and the page is open to signed-in people.
    page = other_device.get("/account/password").text
    assert 'href="/forgot-password"' in page
    assert other_device.post("/forgot-password", data={"email": member.email}).status_code == 200
    token = issue_token(member, TokenPurpose.PASSWORD_RESET)
    db.session.commit()
    new_password = "a fresh and long passphrase"
    answer = other_device.post(
        f"/reset-password/{token}", data={"password": new_password, "confirm": new_password}
    )
    assert answer.status_code == 302 and answer.location == "/login"
    assert other_device.get("/account/password").status_code == 302  # signed out, as every one
    signed_in = client.post("/login", data={"email": member.email, "password": new_password})
    assert signed_in.status_code == 302 and "/login/code" in signed_in.location


def test_the_right_password_forgives_earlier_mistakes(member, frozen_clock):
    member, browser, _other_device = member
    for _attempt in range(4):
        _send(browser, "email", WRONG)
    assert _send(browser, "email", PASSWORD).status_code == 302
    for _attempt in range(4):  # a fresh count: four more mistakes do not lock
        assert NOT_YOURS in _send(browser, "password", WRONG).text
