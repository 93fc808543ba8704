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
LOCKED = "After too many wrong passwords, this account is locked for 15 minutes."

# Each form that asks for the password again, with what it sends besides the password.
FORMS = {
    "password": (
        "/account/password",
        {"password": "a new long passphrase", "confirm": "a new long passphrase"},
    ),
    "email": ("/account/email", {"email": "new.address@example.org"}),
    "two-factor off": ("/account/two-factor/off", {}),
}


@pytest.fixture
def app_overrides() -> dict:
    return {"RATELIMIT_ENABLED": False}  # the lockout is what is tested, not the rate limits


@pytest.fixture
def member(make_member, client_for, frozen_clock):
    member = make_member()
    browser = client_for(member)
    enable_with_known_secret(member, pyotp.random_base32())  # for the two-step form
    db.session.commit()
    return member, browser


def _send(browser, form: str, password: str):
    url, data = FORMS[form]
    return browser.post(url, data={"current_password": password, **data})


@pytest.mark.parametrize("form", FORMS)
def test_wrong_passwords_lock_the_account_then_nothing_is_checked_until_it_lifts(
    app, member, client, frozen_clock, form
):
    member, browser = member
    for _attempt in range(4):
        assert NOT_YOURS in _send(browser, form, WRONG).text
    assert LOCKED in _send(browser, form, WRONG).text

    # Locked like five wrong sign-ins: the account holder is told by email, signing in is
    # paused, and the right password changes nothing on the form either.
    assert db.session.scalars(sa.select(OutboxEmail.template)).all() == ["account_locked"]
    assert (
        "Sign-in to this account is paused"
        in client.post("/login", data={"email": member.email, "password": PASSWORD}).text
    )
    assert LOCKED in _send(browser, form, PASSWORD).text
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
    assert refusals == ["wrong password"] * 4 + ["wrong password; now locked", "locked"]

    frozen_clock.advance(minutes=16)
    answer = _send(browser, form, PASSWORD)
    assert answer.status_code == 302, answer.text  # done


def test_the_right_password_forgives_earlier_mistakes(member, frozen_clock):
    member, browser = member
    for _attempt in range(4):
        _send(browser, "email", WRONG)
    assert _send(browser, "email", PASSWORD).status_code == 302
    for _attempt in range(4):  # a fresh count: four more mistakes do not lock
        assert NOT_YOURS in _send(browser, "password", WRONG).text
