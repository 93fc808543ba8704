"""Two-step sign-in: staff must enrol; codes are single-use; recovery codes; the demo's secret."""

import re

import pyotp
import pytest

from portal.audit.models import AuditEvent
from portal.auth.models import User, UserSession
from portal.extensions import db
from portal.twofactor.models import RecoveryCode, TotpCredential
from tests.factories import PASSWORD

STEP = 30


@pytest.fixture
def app_overrides() -> dict:
    return {"TWO_FACTOR_REQUIRED_ROLES": ("staff", "admin")}


def _secret_on_page(page: str) -> str:
    match = re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', page)
    assert match, "the key is shown as text"
    return match.group(1).replace(" ", "")


def _code(secret: str, frozen_clock, steps_ahead: int = 0) -> str:
    return pyotp.TOTP(secret).at(frozen_clock().timestamp() + steps_ahead * STEP)


def _enrol(client, frozen_clock) -> tuple[str, list[str]]:
    secret = _secret_on_page(client.get("/account/two-factor").text)
    response = client.post(
        "/account/two-factor/setup",
        data={"current_password": PASSWORD, "code": _code(secret, frozen_clock)},
    )
    assert response.status_code == 200
    codes = re.findall(r"<code>([0-9a-f]{5}-[0-9a-f]{5})</code>", response.text)
    return secret, codes


def _password_step(client, user):
    return client.post("/login", data={"email": user.email, "password": PASSWORD})


def test_staff_without_a_second_factor_reach_only_its_set_up(
    client, make_staff, login, frozen_clock
):
    staff = make_staff()
    login(staff)
    for path in ("/cases/", "/messages/inbox", "/admin/users"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.location == "/account/two-factor"
    page = client.get("/account/two-factor")
    assert page.status_code == 200
    assert "<svg" in page.text  # the QR code, drawn by the portal itself
    assert page.headers["Cache-Control"] == "no-store"


def test_enrolment_asks_for_the_password_and_a_working_code(
    client, make_staff, login, frozen_clock
):
    staff = make_staff()
    login(staff)
    secret = _secret_on_page(client.get("/account/two-factor").text)

    wrong_password = client.post(
        "/account/two-factor/setup",
        data={"current_password": "not my password", "code": _code(secret, frozen_clock)},
    )
    assert wrong_password.status_code == 400
    assert "This is not your current password." in wrong_password.text
    wrong_code = client.post(
        "/account/two-factor/setup", data={"current_password": PASSWORD, "code": "000000"}
    )
    assert wrong_code.status_code == 400
    assert db.session.get(User, staff.id).two_factor_enabled_at is None

    secret_again, codes = _enrol(client, frozen_clock)
    assert secret_again == secret  # the same key until enrolment succeeds
    assert len(codes) == 10 and len(set(codes)) == 10
    assert db.session.get(User, staff.id).two_factor_enabled_at is not None
    stored = db.session.scalars(db.select(RecoveryCode.code_hash)).all()
    assert len(stored) == 10 and not set(codes) & set(stored)  # only hashes are kept
    assert client.get("/cases/").status_code == 200


def test_sign_in_asks_for_a_code_and_refuses_a_replayed_one(
    app, client, make_staff, login, frozen_clock
):
    staff = make_staff()
    login(staff)
    secret, _ = _enrol(client, frozen_clock)
    client.post("/logout")

    frozen_clock.advance(seconds=STEP)
    response = _password_step(client, staff)
    assert response.location == "/login/code"
    assert client.get("/cases/").status_code == 302  # no session before the code
    code = _code(secret, frozen_clock)
    assert client.post("/login/code", data={"code": code}).status_code == 302
    assert client.get("/cases/").status_code == 200

    other = app.test_client()
    _password_step(other, staff)
    replay = other.post("/login/code", data={"code": code})
    assert replay.status_code == 200
    assert "already used" in replay.text
    failures = db.session.scalars(
        db.select(AuditEvent).where(
            AuditEvent.action == "auth.second_factor", AuditEvent.outcome == "failure"
        )
    ).all()
    assert len(failures) == 1


def test_a_recovery_code_works_once(app, client, make_staff, login, frozen_clock):
    staff = make_staff()
    login(staff)
    _, codes = _enrol(client, frozen_clock)
    client.post("/logout")

    _password_step(client, staff)
    response = client.post("/login/code", data={"code": codes[3].upper()}, follow_redirects=True)
    assert "9 are left" in response.text
    client.post("/logout")
    _password_step(client, staff)
    assert client.post("/login/code", data={"code": codes[3]}).status_code == 200


def test_wrong_codes_lock_the_account_like_wrong_passwords(
    app, client, make_staff, login, frozen_clock
):
    staff = make_staff()
    login(staff)
    _enrol(client, frozen_clock)
    client.post("/logout")
    _password_step(client, staff)
    for _ in range(app.config["LOGIN_MAX_FAILURES"] - 1):
        assert client.post("/login/code", data={"code": "123456"}).status_code == 200
    locked = client.post("/login/code", data={"code": "123456"})
    assert locked.location == "/login"
    assert _password_step(client, staff).status_code == 200  # paused for 15 minutes


def test_the_right_password_alone_does_not_forgive_wrong_codes(
    app, client, make_staff, login, frozen_clock
):
    """Someone with the password but not the phone cannot reset the count of wrong codes by
    entering the password again: only a right code forgives."""
    staff = make_staff()
    login(staff)
    secret, _codes = _enrol(client, frozen_clock)
    client.post("/logout")
    for _ in range(app.config["LOGIN_MAX_FAILURES"] - 1):
        _password_step(client, staff)
        client.post("/login/code", data={"code": "123456"})
    _password_step(client, staff)
    assert client.post("/login/code", data={"code": "123456"}).location == "/login"  # locked

    frozen_clock.advance(minutes=16)  # the lock lifts; a right code then forgives the count
    _password_step(client, staff)
    assert client.post("/login/code", data={"code": _code(secret, frozen_clock)}).status_code == 302
    client.post("/logout")
    _password_step(client, staff)
    assert client.post("/login/code", data={"code": "123456"}).status_code == 200  # counted from 0


def test_no_code_is_checked_once_the_account_is_locked(
    app, client, make_staff, login, frozen_clock
):
    staff = make_staff()
    login(staff)
    secret, _codes = _enrol(client, frozen_clock)
    client.post("/logout")
    _password_step(client, staff)  # the code is asked for...
    other = app.test_client()  # ...while someone elsewhere guesses the password
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        other.post("/login", data={"email": staff.email, "password": "not the password"})
    paused = client.post("/login/code", data={"code": _code(secret, frozen_clock)})
    assert paused.location == "/login"
    assert "paused for 15 minutes" in client.get("/login").text


def test_the_password_step_expires_after_five_minutes(client, make_staff, login, frozen_clock):
    staff = make_staff()
    login(staff)
    secret, _ = _enrol(client, frozen_clock)
    client.post("/logout")
    frozen_clock.advance(seconds=STEP)
    _password_step(client, staff)
    frozen_clock.advance(minutes=6)
    response = client.post("/login/code", data={"code": _code(secret, frozen_clock)})
    assert response.location == "/login"


def test_moving_to_a_new_app_ends_other_sessions(app, client, make_staff, login, frozen_clock):
    staff = make_staff()
    login(staff)
    _enrol(client, frozen_clock)
    frozen_clock.advance(seconds=STEP)
    laptop = app.test_client()
    _password_step(laptop, staff)
    credential = db.session.get(TotpCredential, staff.id)
    assert laptop.post("/login/code", data={"code": _code(credential.secret, frozen_clock)})
    assert laptop.get("/cases/").status_code == 200

    frozen_clock.advance(seconds=STEP)
    _enrol(client, frozen_clock)  # a new key from a new phone
    assert laptop.get("/cases/").status_code == 302
    assert client.get("/cases/").status_code == 200
    ended = db.session.scalars(
        db.select(UserSession.end_reason).where(UserSession.ended_at.is_not(None))
    ).all()
    assert "two_factor_changed" in ended


def test_members_may_turn_it_on_and_off_but_staff_may_not_turn_it_off(
    client, make_member, make_staff, login, frozen_clock
):
    member = make_member()
    login(member)
    assert client.get("/dashboard").status_code == 200  # not required of members
    _enrol(client, frozen_clock)
    refused = client.post("/account/two-factor/off", data={"off-current_password": "wrong one!!"})
    assert refused.status_code == 400
    client.post("/account/two-factor/off", data={"off-current_password": PASSWORD})
    assert db.session.get(User, member.id).two_factor_enabled_at is None
    assert db.session.scalar(db.select(db.func.count()).select_from(RecoveryCode)) == 0

    client.post("/logout")
    staff = make_staff()
    login(staff)
    _enrol(client, frozen_clock)
    client.post("/account/two-factor/off", data={"off-current_password": PASSWORD})
    assert db.session.get(User, staff.id).two_factor_enabled_at is not None


def test_new_recovery_codes_replace_the_old_ones(client, make_staff, login, frozen_clock):
    staff = make_staff()
    login(staff)
    _, old = _enrol(client, frozen_clock)
    response = client.post(
        "/account/two-factor/recovery-codes", data={"codes-current_password": PASSWORD}
    )
    new = re.findall(r"<code>([0-9a-f]{5}-[0-9a-f]{5})</code>", response.text)
    assert len(new) == 10 and not set(new) & set(old)
    client.post("/logout")
    _password_step(client, staff)
    assert client.post("/login/code", data={"code": old[0]}).status_code == 200
    assert client.post("/login/code", data={"code": new[0]}).status_code == 302


def test_the_development_demo_enrols_staff_with_the_published_secret(app, frozen_clock):
    from portal.demo import load_demo

    app.config["PORTAL_ENV"] = "development"
    load_demo()
    db.session.commit()
    secret = app.config["DEMO_TOTP_SECRET"]
    assert secret == "MSPDEMO2STAFF3SECRET4FOR5TOTP6AB"
    client = app.test_client()
    client.post("/login", data={"email": "advisor@example.org", "password": "msp-demo-2026"})
    response = client.post("/login/code", data={"code": pyotp.TOTP(secret).at(frozen_clock())})
    assert response.status_code == 302
    assert client.get("/cases/").status_code == 200
    member = app.test_client()
    member.post("/login", data={"email": "member@example.org", "password": "msp-demo-2026"})
    assert member.get("/dashboard").status_code == 200


def test_codes_in_other_scripts_are_simply_wrong(client, make_staff, login, frozen_clock):
    staff = make_staff()
    login(staff)
    client.get("/account/two-factor")
    for code in ("שלום עולם", "١٢٣٤٥٦", "𝟏𝟐𝟑𝟒𝟓𝟔", "12345\x00"):
        response = client.post(
            "/account/two-factor/setup", data={"current_password": PASSWORD, "code": code}
        )
        assert response.status_code == 400, code


def test_a_set_up_sent_without_a_key_shown_asks_to_scan_first(client, make_staff, login):
    login(make_staff())
    response = client.post(
        "/account/two-factor/setup", data={"current_password": PASSWORD, "code": "123456"}
    )
    assert response.location == "/account/two-factor"
