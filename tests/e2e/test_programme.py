"""The member's review-and-respond and plan-input journeys in Chromium, every page checked with
axe-core, on a desktop and on a phone."""

import re

import pytest
from playwright.sync_api import expect

from portal.cases.models import Stage
from tests.factories import PASSWORD
from tests.programme import release_assessment, share_plan

pytestmark = pytest.mark.e2e


@pytest.fixture
def member_in_planning(make_case, make_staff):
    staff = make_staff(name="Dr. Lead Advisor")
    case = make_case(lead=staff, stage=Stage.ASSESSMENT)
    release_assessment(case, staff)
    return case, staff


def test_member_reviews_the_assessment_and_responds(
    open_page, check_page, sign_in, submit, member_in_planning
):
    case, staff = member_in_planning
    page = open_page(phone=True)
    sign_in(page, case.member.email, PASSWORD)
    check_page(page)
    page.get_by_role("link", name="Review your assessment").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your assessment")
    expect(
        page.get_by_role("img", name=re.compile("Medical-legal matters by year"))
    ).to_be_visible()
    check_page(page)

    # Sending nothing is refused with a clear message.
    submit(page, "Send my perspective")
    expect(page.get_by_role("alert")).to_contain_text("Choose a position or write a comment")
    check_page(page)

    page.get_by_role("group", name="Your view of factor 1").get_by_label(
        "I agree, with context"
    ).check()
    page.get_by_label("Your comment").first.fill("We were short-staffed that winter.")
    page.get_by_label("Your overall perspective").fill("I want to do better at discharge.")
    submit(page, "Send my perspective")
    expect(page.get_by_role("status")).to_contain_text("Your perspective is saved")
    expect(page.get_by_text("We were short-staffed that winter.")).to_be_visible()
    check_page(page)

    submit(page, "I have reviewed this version")
    expect(page.get_by_text("You confirmed that you reviewed this version")).to_be_visible()
    check_page(page)

    page.get_by_role("link", name="Print or save as PDF").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Assessment")
    check_page(page)


def test_member_adds_input_to_the_plan_and_agrees(
    open_page, check_page, sign_in, submit, member_in_planning
):
    case, staff = member_in_planning
    share_plan(case, staff)
    page = open_page()
    sign_in(page, case.member.email, PASSWORD)
    check_page(page)
    page.get_by_role("link", name="Add your input to your plan").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your education plan")
    check_page(page)

    page.get_by_label("Online").check()
    page.get_by_label("One-to-one coaching").check()
    page.get_by_label("Your availability and constraints").fill("Evenings, not on call weeks.")
    page.get_by_label("Comment on").select_option(label="Communication e-learning")
    page.get_by_label("Your comment").fill("Is there a French version?")
    submit(page, "Send my input")
    expect(page.get_by_role("status")).to_contain_text("Your input is saved")
    expect(page.get_by_text("Evenings, not on call weeks.")).to_be_visible()
    check_page(page)

    submit(page, "I agree to this plan")
    expect(page.get_by_role("status")).to_contain_text("Your agreement is recorded")
    check_page(page)

    page.set_viewport_size({"width": 375, "height": 740})
    page.goto("/dashboard")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your Member Support Program")
    check_page(page)
