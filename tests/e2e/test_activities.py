"""The member submits evidence for an activity and staff verify it, in Chromium, every page
checked with axe-core."""

import re

import pytest
from playwright.sync_api import expect

from portal.activities import services
from portal.activities.models import ActivityStatus
from portal.cases.models import Stage
from tests.activities.helpers import activate_plan, activity, pdf_bytes
from tests.activities.helpers import submit as submit_evidence
from tests.factories import PASSWORD

pytestmark = pytest.mark.e2e

TITLE = "Teach-back workshop"


@pytest.fixture
def member_with_active_plan(app, make_case, make_staff, tmp_path):
    app.config["UPLOAD_DIR"] = str(tmp_path / "uploads")
    staff = make_staff(name="Dr. Lead Advisor")
    case = make_case(lead=staff, stage=Stage.ASSESSMENT)
    activate_plan(case, staff)
    return case, staff


def test_member_submits_evidence_and_staff_verify_it(
    live_server, open_page, check_page, sign_in, submit, member_with_active_plan, tmp_path
):
    case, staff = member_with_active_plan
    live_server.app.config["UPLOAD_DIR"] = str(tmp_path / "uploads")
    key = activity(case, TITLE).key

    page = open_page(phone=True)
    sign_in(page, case.member.email, PASSWORD)
    check_page(page)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Activities").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your activities")
    expect(page.get_by_text("Required activities completed: 0 of 3 (0%)")).to_be_visible()
    expect(
        page.get_by_role("img", name=re.compile("Hours completed and still planned"))
    ).to_be_visible()
    check_page(page)

    page.get_by_role("link", name=TITLE).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    check_page(page)
    submit(page, "Mark as started")
    expect(page.get_by_role("status")).to_contain_text("marked as started")
    check_page(page)

    # A file that lies about its type is refused, with the message tied to the field.
    fake = tmp_path / "certificate.pdf"
    fake.write_bytes(b"<!doctype html><p>not a pdf</p>")
    page.get_by_label("Evidence: certificate or proof of attendance").set_input_files(str(fake))
    page.get_by_label("What I learned").fill("Teach-back catches misunderstandings.")
    page.get_by_label("What I will change in my practice").fill("I ask patients to explain back.")
    submit(page, "Submit for verification")
    expect(page.get_by_role("alert")).to_contain_text("is not a PDF, PNG or JPEG file")
    check_page(page)

    real = tmp_path / "attendance.pdf"
    real.write_bytes(pdf_bytes("Attendance"))
    page.get_by_label("Evidence: certificate or proof of attendance").set_input_files(str(real))
    submit(page, "Submit for verification")
    expect(page.get_by_role("status")).to_contain_text("Your evidence is sent")
    expect(page.get_by_text("Teach-back catches misunderstandings.")).to_be_visible()
    check_page(page)

    advisor = open_page()
    sign_in(advisor, staff.email, PASSWORD)
    check_page(advisor)
    advisor.get_by_role("link", name="Verification").click()
    expect(advisor.get_by_role("heading", level=1)).to_have_text("Verification")
    check_page(advisor)
    advisor.get_by_role("link", name=TITLE).click()
    expect(advisor.get_by_role("heading", level=1)).to_have_text(TITLE)
    check_page(advisor)
    with advisor.expect_download() as download:
        advisor.get_by_role("link", name="Download attendance.pdf").click()
    assert download.value.suggested_filename == "attendance.pdf"
    submit(advisor, "Verify: mark as completed")
    expect(advisor.get_by_role("status")).to_contain_text("verified as completed")
    check_page(advisor)
    assert services.status_of(case, key) is ActivityStatus.COMPLETED

    advisor.get_by_role("link", name=re.compile("Back to the activities of")).click()
    expect(advisor.get_by_role("heading", level=1)).to_contain_text("Activities")
    check_page(advisor)

    page.goto("/activities")
    expect(page.get_by_text("Required activities completed: 1 of 3 (33%)")).to_be_visible()
    check_page(page)


def test_staff_keep_the_catalog_and_return_evidence(
    open_page, check_page, sign_in, submit, member_with_active_plan
):
    case, staff = member_with_active_plan
    submit_evidence(case, TITLE)
    page = open_page()
    sign_in(page, staff.email, PASSWORD)
    check_page(page)
    page.goto("/catalog")
    expect(page.get_by_role("heading", level=1)).to_have_text("Activity catalog")
    check_page(page)
    page.get_by_role("link", name="Add an activity").click()
    check_page(page)
    submit(page, "Save")
    expect(page.get_by_role("alert")).to_be_visible()
    check_page(page)
    page.get_by_label("Title in English").fill("Disclosure workshop")
    page.get_by_label("Title in French").fill("Atelier sur la divulgation")
    page.get_by_label("Communication").check()
    submit(page, "Save")
    expect(page.get_by_role("status")).to_contain_text("added to the catalog")
    check_page(page)

    page.goto(f"/cases/{case.id}/activities/{activity(case, TITLE).key}")
    check_page(page)
    page.get_by_label("What is missing").fill("The certificate does not show your name.")
    submit(page, "Return to the member")
    expect(page.get_by_role("status")).to_contain_text("returned to the member")
    check_page(page)

    member = open_page(phone=True)
    sign_in(member, case.member.email, PASSWORD)
    check_page(member)
    member.goto(f"/activities/{activity(case, TITLE).key}")
    expect(member.get_by_text("The certificate does not show your name.").first).to_be_visible()
    check_page(member)
