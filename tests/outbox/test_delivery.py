"""An email exists only if the action causing it was committed, and the worker delivers it over
real SMTP: both parts, the right headers, the recipient's language; then its bodies are erased."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError

from portal.auth.models import Role, User
from portal.auth.services import request_password_reset
from portal.cases.services import Referral, refer_member
from portal.extensions import db
from portal.outbox.models import EmailStatus, OutboxEmail
from portal.outbox.services import queue_email
from portal.outbox.worker import send_due_emails
from tests.outbox.helpers import parts


def _count(model) -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(model))


def _referral(**overrides) -> Referral:
    values = dict(
        name="Dana Member",
        email="dana@example.test",
        member_number="m-1001",
        specialty="Oncology",
        province="QC",
        reason="Confidential referral reason",
    )
    values.update(overrides)
    return Referral(**values)


def test_email_of_a_rolled_back_action_never_exists(app, mail_server, make_staff):
    lead = make_staff()
    refer_member(_referral(), referred_by=lead, lead_advisor=lead)
    assert db.session.new  # the member, case and outbox row are pending in this transaction
    db.session.rollback()

    assert _count(OutboxEmail) == 0
    assert db.session.scalar(db.select(User).where(User.email == "dana@example.test")) is None
    assert send_due_emails() == (0, 0)
    assert mail_server.messages() == []


def test_email_is_lost_with_its_action_when_the_commit_itself_fails(app, mail_server, make_member):
    member = make_member(password=None)
    request_password_reset(member.email)
    # The same transaction also does something the database refuses: nothing of it is kept.
    db.session.add(User(email=member.email, name="Duplicate", role=Role.MEMBER))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()

    assert _count(OutboxEmail) == 0
    assert send_due_emails() == (0, 0)
    assert mail_server.messages() == []


def test_committed_email_is_delivered_once_with_both_parts_then_erased(
    app, mail_server, make_member, outbox_rows
):
    member = make_member(name="Ada Lovelace", password=None)
    request_password_reset(member.email)
    db.session.commit()
    [queued] = outbox_rows()
    assert queued.status is EmailStatus.PENDING
    assert queued.attempts == 0 and queued.body_text and queued.body_html
    message_id = queued.message_id
    assert message_id.startswith("<") and message_id.endswith("@portal.test>")

    assert send_due_emails() == (1, 0)

    [received] = mail_server.messages()
    assert received["To"] == member.email
    assert received["Subject"] == "Reset your MSP Portal password"
    assert received["From"] == app.config["MAIL_DEFAULT_SENDER"]
    assert received["Auto-Submitted"] == "auto-generated"
    # Exactly one Message-ID, the one stored in the outbox (so a resend would be recognisable).
    assert received.get_all("Message-ID") == [message_id]
    assert received.get_content_type() == "multipart/mixed"
    text, html = parts(received)
    assert "Hello Ada Lovelace," in text
    assert "http://portal.test/reset-password/" in text
    assert "Hello Ada Lovelace," in html and 'href="http://portal.test/reset-password/' in html

    [sent] = outbox_rows()
    assert sent.status is EmailStatus.SENT
    assert sent.sent_at is not None and sent.claimed_until is None and sent.last_error is None
    assert sent.attempts == 1
    assert sent.body_text is None and sent.body_html is None  # the single-use link is gone
    assert sent.subject == "Reset your MSP Portal password"  # the metadata stays, for support


@pytest.mark.parametrize("user_language, expected", [("fr", "fr"), ("en", "en"), (None, "en")])
def test_email_is_written_in_the_recipients_language(
    app, mail_server, make_member, outbox_rows, user_language, expected
):
    member = make_member(language=user_language, password=None)
    queue_email(member, "notification", link="http://portal.test/")
    db.session.commit()
    assert outbox_rows()[0].language == expected

    assert send_due_emails() == (1, 0)

    [received] = mail_server.messages()
    _, html = parts(received)
    assert f'<html lang="{expected}">' in html


def test_html_lang_matches_the_language_the_email_was_rendered_in(
    app, mail_server, make_member, outbox_rows
):
    """A language the portal does not offer falls back to the default; so must the HTML."""
    member = make_member(language="de", password=None)
    queue_email(member, "notification", link="http://portal.test/")
    db.session.commit()
    assert outbox_rows()[0].language == "en"

    send_due_emails()

    _, html = parts(mail_server.messages()[0])
    assert '<html lang="en">' in html


def test_each_queued_email_is_delivered_to_its_own_recipient(
    app, mail_server, make_member, outbox_rows
):
    members = [make_member(password=None) for _ in range(5)]
    for member in members:
        queue_email(member, "notification", link="http://portal.test/")
    db.session.commit()

    assert send_due_emails() == (5, 0)

    received = mail_server.messages()
    assert sorted(m["To"] for m in received) == sorted(m.email for m in members)
    assert sorted(m["Message-ID"] for m in received) == sorted(r.message_id for r in outbox_rows())
    assert {r.status for r in outbox_rows()} == {EmailStatus.SENT}


def test_nothing_to_send_makes_no_smtp_connection(app, hanging_smtp_server):
    assert send_due_emails() == (0, 0)
    assert hanging_smtp_server.connections == []
