"""Secure messaging in Chromium: a member asks on a phone (with an attachment), the advisor reads
it in the team inbox and replies on a desktop, the member is notified by an email that reaches the
SMTP server and says nothing of the content, follows its link and reads the reply. Every page is
checked with axe-core, on both viewports."""

import re

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD
from tests.messaging.helpers import pdf_bytes

pytestmark = pytest.mark.e2e

QUESTION = "Can I do the communication workshop online? My shifts make travel hard."
ANSWER = "Yes: the online session on 3 March counts for your plan. I have reserved a seat."


def test_member_asks_staff_replies_member_is_notified_and_reads(
    live_server, open_page, check_page, sign_in, submit, inbox, make_member, make_staff,
    make_case, tmp_path,
):  # fmt: skip
    live_server.app.config["UPLOAD_DIR"] = str(tmp_path / "uploads")
    member = make_member(name="Dr. Jordan Lee", email="jordan.lee@example.org")
    advisor = make_staff(name="Dr. Claire Tremblay", email="claire@example.org")
    make_case(member=member, lead=advisor)

    # The member, on a phone, starts a conversation.
    phone = open_page(phone=True)
    sign_in(phone, member.email, PASSWORD)
    check_page(phone)
    phone.get_by_role("link", name="Messages").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Messages with the MSP team")
    check_page(phone)
    phone.get_by_role("link", name="New message").click()
    expect(phone.get_by_role("note")).to_contain_text("Messages are not for urgent matters.")
    expect(phone.get_by_role("note")).to_contain_text("within 2 business days")
    check_page(phone)

    # Forgetting the message keeps the subject, with the error tied to the field.
    phone.get_by_label("Subject").fill("Communication workshop")
    submit(phone, "Send")
    body = phone.get_by_label("Your message")
    expect(body).to_have_attribute("aria-invalid", "true")
    expect(body).to_have_accessible_description("Error: This field is required.")
    expect(phone.get_by_label("Subject")).to_have_value("Communication workshop")
    check_page(phone)

    body.fill(QUESTION)
    phone.get_by_label("Attach files").set_input_files(
        {"name": "shift schedule.pdf", "mimeType": "application/pdf", "buffer": pdf_bytes()}
    )
    submit(phone, "Send")
    expect(phone.get_by_role("status")).to_have_text("Your message was sent.")
    expect(phone.get_by_role("heading", level=1)).to_have_text("Communication workshop")
    expect(phone.get_by_text(QUESTION)).to_be_visible()
    expect(phone.get_by_role("link", name="shift schedule.pdf")).to_be_visible()
    expect(phone.get_by_text("Not yet seen by the MSP team")).to_be_visible()
    check_page(phone)

    # The advisor, on a desktop, finds it in the team inbox and replies.
    desk = open_page()
    sign_in(desk, advisor.email, PASSWORD)
    check_page(desk)
    messages_link = desk.get_by_role("link", name=re.compile(r"^Messages"))
    expect(messages_link).to_have_text(re.compile(r"Messages\s*1\s*unread"))
    messages_link.click()
    expect(desk.get_by_role("heading", level=1)).to_have_text("Team inbox")
    check_page(desk)
    desk.get_by_label("Show").select_option("awaiting")
    submit(desk, "Show")
    expect(desk.get_by_role("cell", name="Dr. Jordan Lee")).to_be_visible()
    check_page(desk)
    desk.get_by_role("link", name="Communication workshop").click()
    expect(desk.get_by_text(QUESTION)).to_be_visible()
    check_page(desk)
    desk.get_by_label("Internal note", exact=True).fill(
        "Online seat reserved; confirm attendance later."
    )
    submit(desk, "Add the internal note")
    expect(desk.get_by_role("status")).to_contain_text("The member cannot see it.")
    check_page(desk)
    desk.get_by_label("Your reply").fill(ANSWER)
    submit(desk, "Send to the member")
    expect(desk.get_by_role("status")).to_have_text("Your message was sent.")
    expect(desk.get_by_text(ANSWER)).to_be_visible()
    check_page(desk)

    # The member is notified by email, without the content, and follows the link.
    link = inbox.link(
        to=member.email, subject="You have something new in the MSP Portal", path="/messages/"
    )
    [email] = [m for m in inbox.deliver() if m["To"] == member.email]
    assert ANSWER not in email.as_string() and "workshop" not in email.as_string()

    phone.goto("/messages/")
    expect(phone.get_by_role("link", name=re.compile(r"^Messages"))).to_have_text(
        re.compile(r"Messages\s*1\s*unread")
    )
    expect(phone.get_by_role("main").get_by_text("1 unread", exact=True)).to_be_visible()
    check_page(phone)
    phone.goto(link)
    expect(phone.get_by_text(ANSWER)).to_be_visible()
    expect(phone.get_by_text(re.compile(r"^Seen by the MSP team on"))).to_be_visible()
    expect(phone.get_by_text("Online seat reserved")).to_have_count(0)
    expect(phone.get_by_role("link", name=re.compile(r"^Messages"))).to_have_text("Messages")
    check_page(phone)
