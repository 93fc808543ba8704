"""Password reset in Chromium (on a phone): "Forgot your password?", the email reaches the SMTP
server, its link sets a new password, the member signs in with it (not with the old one); the
link then no longer works."""

import re

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD

pytestmark = pytest.mark.e2e

NEW_PASSWORD = "copper kettle autumn rain"


def test_member_resets_a_forgotten_password_with_a_single_use_link(
    open_page, check_page, sign_in, submit, inbox, make_member, make_case
):
    # Forms validate addresses strictly: a .test address (the factories' default) is refused.
    member = make_member(email="jordan.lee@example.org")
    make_case(member=member)
    page = open_page(phone=True)

    page.goto("/login")
    check_page(page)
    page.get_by_role("link", name="Forgot your password?").click()
    expect(page).to_have_url(re.compile(r"/forgot-password$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Reset your password")
    check_page(page)

    email = page.get_by_label("Email", exact=True)
    email.fill("not an address")
    submit(page, "Send the link")
    expect(page.get_by_role("alert")).to_contain_text("Invalid email address.")
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(email).to_have_accessible_description("Error: Invalid email address.")
    check_page(page)

    email.fill(member.email)
    submit(page, "Send the link")
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    check_page(page)

    link = inbox.link(
        to=member.email, subject="Reset your MSP Portal password", path="/reset-password/"
    )

    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose a new password")
    check_page(page)

    new_password = page.get_by_label("New password", exact=True)
    confirm = page.get_by_label("Repeat the new password", exact=True)
    new_password.fill(NEW_PASSWORD)
    confirm.fill(NEW_PASSWORD + " typo")
    submit(page, "Change my password")
    expect(page.get_by_role("alert")).to_contain_text("The two passwords differ.")
    expect(confirm).to_have_attribute("aria-invalid", "true")
    expect(confirm).to_have_accessible_description("Error: The two passwords differ.")
    check_page(page)

    new_password.fill(NEW_PASSWORD)
    confirm.fill(NEW_PASSWORD)
    submit(page, "Change my password")
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_role("status")).to_have_text(
        "Your password is changed. Sign in with your new password."
    )
    check_page(page)

    sign_in(page, member.email, PASSWORD)
    expect(page.get_by_role("alert")).to_contain_text("The email or password is not right.")
    check_page(page)

    sign_in(page, member.email, NEW_PASSWORD)
    expect(page).to_have_url(re.compile(r"/dashboard$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Your Member Support Program")
    check_page(page)

    notices = [m for m in inbox.deliver() if m["To"] == member.email]
    assert [m["Subject"] for m in notices] == [
        "Reset your MSP Portal password",
        "Your MSP Portal password was changed",
    ]

    # Opened again later, from another device: the link has been used.
    other_page = open_page()
    response = other_page.goto(link)
    assert response.status == 404
    expect(other_page.get_by_role("heading", level=1)).to_have_text("This link no longer works")
    expect(other_page.get_by_role("link", name="Ask for a new link")).to_have_attribute(
        "href", "/forgot-password"
    )
    check_page(other_page)
