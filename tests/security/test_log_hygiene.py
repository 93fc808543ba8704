"""No secret in the logs, even with logging turned up (DEBUG, and SQLAlchemy's statements): not
a password, a link's token, the session cookie, a sign-in code or what a member wrote — through the
flows that handle them, the outbox worker sending the emails, a database failure in the middle of a
message, and the development server's access log.

The whole suite is also watched for the factories' and the demo's passwords (tests/log_hygiene.py);
here each test adds its own secrets with `log_secrets.add()`, and the plugin fails it on a leak.
"""

from __future__ import annotations

import logging
import re
import threading
import urllib.error
import urllib.request

import pyotp
import pytest
from werkzeug.serving import make_server

from portal.auth.models import User
from portal.extensions import db
from portal.outbox.worker import run_worker
from portal.twofactor.services import enable_with_known_secret
from tests.factories import PASSWORD
from tests.outbox.helpers import parts

BODY = "Confidential: my hospital privileges were suspended on Friday"
REASON = "Referral reason: three college complaints about consent"
NEW_PASSWORD = "a brand new passphrase for the logs test"
CHOSEN_PASSWORD = "the invited member chose this passphrase"


@pytest.fixture
def everything_logged(caplog):
    """Every logger at DEBUG, and SQLAlchemy's statements logged too (it keeps itself at WARNING
    otherwise): each statement is logged, without its values, and the worker's passes.

    SQLAlchemy's engine logger is turned up to INFO, not DEBUG: at DEBUG it logs every result row,
    by design (`echo="debug"`) — a data dump, never to be used in production (README)."""
    caplog.set_level(logging.DEBUG)
    for name in ("sqlalchemy", "sqlalchemy.engine"):  # alembic's logging config sets the latter
        caplog.set_level(logging.INFO, logger=name)
    return caplog


def _link(mail_server, path: str) -> str:
    text, _html = parts(mail_server.messages()[-1])
    return re.search(rf"http://portal\.test(/{path}/[A-Za-z0-9_-]+)", text).group(1)


def test_sign_in_links_codes_and_messages_leave_no_secret_in_the_logs(
    app, client, mail_server, make_member, make_staff, make_case, log_secrets, everything_logged
):
    member = make_member()
    staff = make_staff()
    case = make_case(member=member, lead=staff)
    # The worker ends the test's session: keep plain values.
    member_email, staff_email, staff_id, case_id = member.email, staff.email, staff.id, case.id
    log_secrets.update({BODY, REASON, NEW_PASSWORD, CHOSEN_PASSWORD})

    # A wrong password, then the right one; the session cookie.
    client.post("/login", data={"email": member_email, "password": PASSWORD + "x"})
    assert client.post("/login", data={"email": member_email, "password": PASSWORD}).status_code
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    log_secrets.add(cookie.value)

    # A message: its body, and the notification the worker sends.
    assert client.post("/messages/new", data={"subject": "Help", "body": BODY}).status_code == 302
    client.post("/logout")

    # A password reset link, used.
    client.post("/forgot-password", data={"email": member_email})
    run_worker(once=True)
    reset = _link(mail_server, "reset-password")
    log_secrets.add(reset.rsplit("/", 1)[1])
    client.get(reset)
    response = client.post(reset, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302

    # Staff with two-step sign-in: a wrong code, then the right one; then a referral.
    secret = pyotp.random_base32()
    enable_with_known_secret(db.session.get(User, staff_id), secret)
    db.session.commit()
    log_secrets.add(secret)
    staff_client = app.test_client()
    staff_client.post("/login", data={"email": staff_email, "password": PASSWORD})
    code = pyotp.TOTP(secret).now()
    log_secrets.add(code)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    staff_client.post("/login/code", data={"code": wrong})
    assert staff_client.post("/login/code", data={"code": code}).status_code == 302
    staff_client.get(f"/cases/{case_id}")
    referral = {
        "name": "Dr. Invited",
        "email": "invited@example.org",
        "member_number": "ON-1234",
        "type_of_work": "general_surgery",
        "province": "ON",
        "language": "en",
        "reason": REASON,
        "lead_advisor_id": staff_id,
    }
    assert staff_client.post("/cases/refer", data=referral).status_code == 302

    # The invitation link, used.
    run_worker(once=True)
    invitation = _link(mail_server, "invitation")
    log_secrets.add(invitation.rsplit("/", 1)[1])
    invited = app.test_client()
    invited.get(invitation)
    response = invited.post(
        invitation, data={"password": CHOSEN_PASSWORD, "confirm": CHOSEN_PASSWORD}
    )
    assert response.status_code == 302

    # The logs did run: statements and the worker's passes were recorded (without their values).
    names = {record.name for record in everything_logged.records}
    assert "sqlalchemy.engine.Engine" in names and "portal.outbox.worker" in names


@pytest.mark.parametrize(
    "kind, status", [("OperationalError", 503), ("IntegrityError", 500)], ids=["503", "500"]
)
def test_a_failure_while_saving_a_message_logs_no_content(
    app, client_for, make_case, fail_on_insert_into, log_secrets, everything_logged, kind, status
):
    """The error is logged with its statement (and traceback, for a 500), never its values."""
    case = make_case()
    log_secrets.add(BODY)
    member = client_for(case.member)
    fail_on_insert_into("messages", kind)
    response = member.post("/messages/new", data={"subject": "Help", "body": BODY})
    assert response.status_code == status
    errors = [r for r in everything_logged.records if r.levelno >= logging.ERROR]
    assert errors, "the failure should be logged"


def test_the_development_servers_access_log_hides_link_tokens(app, everything_logged):
    token = "aSingleUseToken_0123456789abcdefghij"
    server = make_server("127.0.0.1", 0, app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        for path in (f"/reset-password/{token}", f"/invitation/{token}?x=1"):
            url = f"http://127.0.0.1:{server.server_port}{path}"
            with pytest.raises(urllib.error.HTTPError, match="404"):
                urllib.request.urlopen(url)  # noqa: S310 - our own local server; not a real token
    finally:
        server.shutdown()
        thread.join(timeout=5)
    lines = [r.getMessage() for r in everything_logged.records if r.name == "werkzeug"]
    assert any("/reset-password/…" in line for line in lines), lines
    assert any("/invitation/…" in line for line in lines), lines
    assert not any(token in line for line in lines), lines
