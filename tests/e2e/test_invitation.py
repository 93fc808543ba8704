"""Invitation in Chromium: a staff member refers a member through the referral form, the invitation
email reaches the SMTP server, the member sets a password from its link (on a phone) and lands on
their dashboard; the link then no longer works. The staff member's pages are checked too."""

import re

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD

pytestmark = pytest.mark.e2e

MEMBER_EMAIL = "amelie.roy@example.org"
NEW_PASSWORD = "lantern harbour morning tide"
PHONE = {"width": 375, "height": 740}


def test_referred_member_accepts_the_invitation_once(
    open_page, check_page, sign_in, submit, inbox, make_staff
):
    staff = make_staff(name="Dr. Claire Tremblay")

    # The staff member refers the member.
    page = open_page()
    sign_in(page, staff.email, PASSWORD)
    expect(page).to_have_url(re.compile(r"/cases/$"))
    check_page(page)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Refer a member").click()
    expect(page).to_have_url(re.compile(r"/cases/refer$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Refer a member to the program")
    check_page(page)

    submit(page, "Refer and send the invitation")
    expect(page.get_by_role("alert")).to_contain_text("There is a problem")
    expect(page.get_by_label("Full name", exact=True)).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Province or territory", exact=True)).to_have_accessible_description(
        "Error: This field is required."
    )
    check_page(page)

    page.get_by_label("Full name", exact=True).fill("Dr. Amélie Roy")
    page.get_by_label("Email", exact=True).fill(MEMBER_EMAIL)
    page.get_by_label("Member number", exact=True).fill("M-2026-001")
    page.get_by_label("Type of work", exact=True).select_option("emergency_medicine")
    page.get_by_label("Province or territory", exact=True).select_option("QC")
    page.get_by_label("Member's language", exact=True).select_option("en")
    page.get_by_label("Reason for referral", exact=True).fill("Three claims in two years.")
    expect(page.get_by_label("Lead advisor", exact=True)).to_have_value(str(staff.id))
    submit(page, "Refer and send the invitation")
    expect(page).to_have_url(re.compile(r"/cases/\d+$"))
    expect(page.get_by_role("status")).to_have_text(
        f"Referral recorded. An invitation was sent to {MEMBER_EMAIL}."
    )
    expect(
        page.get_by_text("Invitation pending: the member has not set a password yet.")
    ).to_be_visible()
    check_page(page)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Cases").click()
    expect(page).to_have_url(re.compile(r"/cases/$"))
    cases = page.get_by_role("table", name="Cases (1)")
    expect(cases.get_by_role("row")).to_have_count(2)
    expect(cases.get_by_role("row").nth(1)).to_contain_text("Dr. Amélie Roy")
    check_page(page)
    page.set_viewport_size(PHONE)  # the table scrolls in its own region, not the page
    check_page(page)

    # The invitation reaches the SMTP server.
    link = inbox.link(
        to=MEMBER_EMAIL, subject="You are invited to the MSP Portal", path="/invitation/"
    )

    # The member opens it on a phone and chooses a password, a too-short one first.
    member_page = open_page(phone=True)
    member_page.goto(link)
    expect(member_page.get_by_role("heading", level=1)).to_have_text("Welcome to the MSP Portal")
    expect(member_page.get_by_text("Hello Dr. Amélie Roy.")).to_contain_text(MEMBER_EMAIL)
    check_page(member_page)

    new_password = member_page.get_by_label("New password", exact=True)
    confirm = member_page.get_by_label("Repeat the new password", exact=True)
    new_password.fill("too short")
    confirm.fill("too short")
    submit(member_page, "Set my password")
    expect(member_page.get_by_role("alert")).to_contain_text("Use at least 12 characters.")
    expect(new_password).to_have_attribute("aria-invalid", "true")
    expect(new_password).to_have_accessible_description(
        re.compile(r"At least 12 characters\..*Error: Use at least 12 characters\.")
    )
    check_page(member_page)

    new_password.fill(NEW_PASSWORD)
    confirm.fill(NEW_PASSWORD)
    submit(member_page, "Set my password")
    expect(member_page).to_have_url(re.compile(r"/dashboard$"))
    expect(member_page.get_by_role("status")).to_have_text(
        "Welcome to the MSP Portal. Your password is set."
    )
    expect(member_page.get_by_role("heading", level=1)).to_have_text("Your Member Support Program")
    expect(member_page.get_by_text("Lead advisor: Dr. Claire Tremblay")).to_be_visible()
    check_page(member_page)

    # The staff member sees the account is set up.
    page.get_by_role("link", name="Dr. Amélie Roy").click()
    expect(page).to_have_url(re.compile(r"/cases/\d+$"))
    expect(page.get_by_text("The member has set a password and can sign in.")).to_be_visible()
    check_page(page)

    # The link worked once.
    submit(member_page, "Sign out")
    expect(member_page).to_have_url(re.compile(r"/login$"))
    check_page(member_page)
    response = member_page.goto(link)
    assert response.status == 404
    expect(member_page.get_by_role("heading", level=1)).to_have_text("This link no longer works")
    expect(member_page.get_by_label("New password", exact=True)).to_have_count(0)
    check_page(member_page)
