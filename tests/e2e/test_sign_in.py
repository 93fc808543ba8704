"""Signing in and out in Chromium: the member's dashboard, the Sign out button, the back button
after signing out, errors tied to the form, and the header's language button."""

import re

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD

pytestmark = pytest.mark.e2e

PHONE = {"width": 375, "height": 740}


def test_member_signs_in_sees_the_dashboard_and_signs_out(
    open_page, check_page, sign_in, submit, make_member, make_case
):
    member = make_member(name="Dr. Jane Morrow")
    make_case(member=member)
    page = open_page()

    page.goto("/dashboard")
    expect(page).to_have_url(re.compile(r"/login\?next=/dashboard$"))
    expect(page.get_by_role("status")).to_have_text("Please sign in to continue.")
    check_page(page)

    sign_in(page, member.email, PASSWORD)
    expect(page).to_have_url(re.compile(r"/dashboard$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Your Member Support Program")
    expect(page.get_by_text("Signed in as Dr. Jane Morrow")).to_be_visible()
    expect(page.get_by_role("link", name="My program")).to_have_attribute("aria-current", "page")
    check_page(page)

    page.set_viewport_size(PHONE)
    check_page(page)

    submit(page, "Sign out")
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_role("status")).to_have_text("You are signed out.")
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
    check_page(page)

    # The back button asks the server again (pages are no-store), which sends to sign in.
    page.go_back()
    expect(page).to_have_url(re.compile(r"/login\?next=/dashboard$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    expect(page.get_by_text("Your Member Support Program")).to_have_count(0)
    check_page(page)

    page.goto("/dashboard")
    expect(page).to_have_url(re.compile(r"/login\?next=/dashboard$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    check_page(page)


def test_sign_in_errors_are_tied_to_the_form(open_page, check_page, submit, make_member):
    member = make_member()
    page = open_page(phone=True)
    page.goto("/login")
    check_page(page)

    # Nothing filled in: each field says what is wrong, and the summary links to it.
    submit(page, "Sign in")
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("There is a problem")
    expect(summary).to_be_focused()  # without JavaScript: the summary has `autofocus`
    email = page.get_by_label("Email", exact=True)
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(email).to_have_accessible_description("Error: This field is required.")
    expect(summary.get_by_role("link", name="Email: This field is required.")).to_have_attribute(
        "href", "#email"
    )
    check_page(page)

    # A wrong password: the form's error summary says so; the address is kept, the password not.
    email.fill(member.email)
    page.get_by_label("Password", exact=True).fill("not the right password")
    submit(page, "Sign in")
    expect(page).to_have_url(re.compile(r"/login$"))
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("The email or password is not right.")
    expect(page.locator("[role=alert] + form:has(#password)")).to_have_count(1)  # just above it
    expect(page.get_by_label("Email", exact=True)).to_have_value(member.email)
    expect(page.get_by_label("Password", exact=True)).to_have_value("")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    check_page(page)


def test_language_button_switches_the_portal_to_french(open_page, check_page, submit):
    page = open_page()
    page.goto("/login")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    check_page(page)

    submit(page, "Français")
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    check_page(page)

    submit(page, "English")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    check_page(page)
