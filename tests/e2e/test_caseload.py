"""A staff member's day starts on the caseload: the flagged case, its page, its timeline; and a
colleague not on the case opens it with a reason. In Chromium, every page checked with axe-core."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from portal import clock
from portal.cases.models import Stage
from portal.extensions import db
from tests.activities.helpers import activate_plan
from tests.factories import PASSWORD
from tests.messaging.helpers import start_conversation

pytestmark = pytest.mark.e2e


@pytest.fixture
def caseload(app, make_staff, make_member, make_case, tmp_path):
    app.config["UPLOAD_DIR"] = str(tmp_path / "uploads")
    lead = make_staff(name="Dr. Lead Advisor")
    case = make_case(
        member=make_member(name="Dr. Flagged Member"), lead=lead, stage=Stage.ASSESSMENT
    )
    activate_plan(case, lead)
    start_conversation(case, case.member, subject="A question about my plan")
    case.last_contact_at = clock.now() - timedelta(weeks=10)
    make_case(member=make_member(name="Dr. Recent Member"), lead=lead, stage=Stage.PLANNING)
    db.session.commit()
    return lead, case


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_caseload_case_and_timeline(open_page, check_page, sign_in, submit, caseload, phone):
    lead, case = caseload
    page = open_page(phone=phone)
    sign_in(page, lead.email, PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("My caseload")
    expect(page.get_by_text("No contact for 10 weeks")).to_be_visible()
    check_page(page)

    page.get_by_label("Only cases that need attention").check()
    submit(page, "Show")
    expect(page.get_by_role("link", name="Dr. Flagged Member")).to_be_visible()
    expect(page.get_by_role("link", name="Dr. Recent Member")).to_have_count(0)
    check_page(page)

    page.get_by_role("link", name="Dr. Flagged Member").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Dr. Flagged Member")
    check_page(page)
    page.get_by_role("link", name="Timeline: the whole story of the case").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Timeline of Dr. Flagged Member's case"
    )
    expect(page.get_by_text("Plan version 1 became active")).to_be_visible()
    check_page(page)
    page.get_by_label("Messages").check()
    submit(page, "Show")
    expect(page.get_by_role("link", name="A question about my plan")).to_be_visible()
    expect(page.get_by_text("Plan version 1 became active")).to_have_count(0)
    check_page(page)


def test_a_colleague_opens_the_case_with_a_reason(
    open_page, check_page, sign_in, submit, caseload, make_staff
):
    _, case = caseload
    colleague = make_staff(name="Dr. Colleague")
    page = open_page()
    sign_in(page, colleague.email, PASSWORD)
    check_page(page)
    page.goto(f"/cases/{case.id}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Open a case you are not on")
    check_page(page)
    page.get_by_label("Why do you need to open this case?").fill("too short")
    submit(page, "Open the case")
    expect(page.get_by_role("alert")).to_contain_text("at least 20 characters")
    check_page(page)
    page.get_by_label("Why do you need to open this case?").fill(
        "The member called the urgent line while the lead is away."
    )
    submit(page, "Open the case")
    expect(page.get_by_role("heading", level=1)).to_have_text("Dr. Flagged Member")
    check_page(page)
