"""What an email may say: a greeting, a fixed sentence or two, the link, and the generic privacy
notice. Never the referral reason or anything else from the member's file."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from portal.auth.models import TokenPurpose
from portal.auth.services import find_usable_token
from portal.cases.services import Referral, refer_member
from portal.extensions import db
from portal.outbox.worker import send_due_emails
from tests.outbox.helpers import parts

PRIVACY = (
    "For your privacy, this email never contains the content of your records or messages. "
    "Sign in to the MSP Portal to read them."
)
SIGNATURE = "MSP Portal — Member Support Program"
REASON = "Burnout after a patient's death; separation; considering leaving practice"


class VisibleText(HTMLParser):
    def __init__(self):
        super().__init__()
        self.chunks: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.links.append(dict(attrs)["href"])

    def handle_data(self, data):
        if data.strip():
            self.chunks.append(" ".join(data.split()))


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _only_the_link(message, pattern: str) -> str:
    """The single link of the email (the same in both parts), checked against `pattern`."""
    text, html = parts(message)
    links = re.findall(r"https?://\S+", text)
    assert len(links) == 1, links
    [link] = links
    assert re.fullmatch(pattern, link), link
    page = VisibleText()
    page.feed(html)
    assert page.links == [link]
    return link


def _assert_says_only(message, expected_lines: list[str]) -> None:
    text, html = parts(message)
    assert _lines(text) == expected_lines
    page = VisibleText()
    page.feed(html)
    assert page.chunks == [message["Subject"], *expected_lines]


def _assert_mentions_none(message, secrets: list[str], *, link: str) -> None:
    text, html = parts(message)
    everything = "\n".join([*(f"{k}: {v}" for k, v in message.items()), text, html])
    everything = everything.replace(link, "<link>").lower()  # a random token may spell anything
    for secret in secrets:
        assert secret.lower() not in everything, secret


def test_invitation_of_a_referred_member_carries_no_referral_details(
    app, mail_server, make_staff, outbox_rows
):
    lead = make_staff(name="Quentin Advisor", password=None)
    referral = Referral(
        name="Dana Member",
        email="dana@example.test",
        member_number="ON-778899",
        specialty="Paediatric oncology",
        province="NB",
        reason=REASON,
        language="en",
    )
    case = refer_member(referral, referred_by=lead, lead_advisor=lead)
    db.session.commit()
    [queued] = outbox_rows()
    assert queued.template == "invitation" and REASON not in queued.body_text + queued.body_html

    assert send_due_emails() == (1, 0)

    [message] = mail_server.messages()
    assert message["To"] == "dana@example.test"
    assert message["Subject"] == "You are invited to the MSP Portal"
    link = _only_the_link(message, r"http://portal\.test/invitation/[A-Za-z0-9_-]{20,}")
    _assert_says_only(
        message,
        [
            "Hello Dana Member,",
            "The Member Support Program team has invited you to the MSP Portal, where you can "
            "follow your program and reach the team securely.",
            "Set your password here (the link works once, for 7 days):",
            link,
            PRIVACY,
            SIGNATURE,
        ],
    )
    _assert_mentions_none(
        message,
        [
            REASON,
            "Burnout",
            "ON-778899",
            "Paediatric",
            "oncology",
            "NB",
            "Quentin Advisor",
            lead.email,
            f"/cases/{case.id}",
        ],
        link=link,
    )
    # The link is the member's working, single-use invitation.
    token = find_usable_token(link.rsplit("/", 1)[1], TokenPurpose.INVITATION)
    assert token is not None and token.user.email == "dana@example.test"


def test_password_reset_email_says_only_the_greeting_the_link_and_the_privacy_text(
    app, client, mail_server, make_member
):
    member = make_member(name="Robin Reset", password=None)
    assert client.post("/forgot-password", data={"email": member.email}).status_code == 200

    assert send_due_emails() == (1, 0)

    [message] = mail_server.messages()
    assert message["Subject"] == "Reset your MSP Portal password"
    link = _only_the_link(message, r"http://portal\.test/reset-password/[A-Za-z0-9_-]{20,}")
    _assert_says_only(
        message,
        [
            "Hello Robin Reset,",
            "Someone asked to reset the password of your MSP Portal account. If it was you, "
            "choose a new password here (the link works once, for 60 minutes):",
            link,
            "If it was not you, ignore this email: your password has not changed.",
            PRIVACY,
            SIGNATURE,
        ],
    )
    token = find_usable_token(link.rsplit("/", 1)[1], TokenPurpose.PASSWORD_RESET)
    assert token is not None and token.user_id == member.id


def test_links_in_the_outbox_are_gone_once_sent(app, mail_server, make_staff, outbox_rows):
    """A sent invitation's single-use link is no longer readable from the database."""
    lead = make_staff(password=None)
    refer_member(
        Referral(
            name="Lee",
            email="lee@example.test",
            member_number="X-1",
            specialty="ER",
            province="ON",
            reason=REASON,
        ),
        referred_by=lead,
        lead_advisor=lead,
    )
    db.session.commit()
    assert "/invitation/" in outbox_rows()[0].body_text
    send_due_emails()
    [row] = outbox_rows()
    assert row.body_text is None and row.body_html is None
    for column in ("subject", "to_address", "template", "last_error"):
        assert "/invitation/" not in str(getattr(row, column))
