"""An administrator's pages in Chromium, checked with axe-core on a desktop and a phone: accounts,
a case's assignment, the audit trail, the outbox (sending a failed email again) and the report."""

import re

import pytest
from playwright.sync_api import expect

from portal.extensions import db
from portal.outbox.models import EmailStatus
from portal.outbox.services import queue_email
from tests.factories import PASSWORD

pytestmark = pytest.mark.e2e

PHONE = {"width": 375, "height": 740}


def test_an_admin_goes_through_the_administration_pages(
    open_page, check_page, sign_in, submit, make_admin, make_staff, make_case
):
    admin = make_admin(name="Ada Admin")
    lead = make_staff(name="Dr. Lead")
    make_staff(name="Dr. Colleague")
    case = make_case(lead=lead)
    email = queue_email(lead, "notification", link="http://portal.test/")
    email.status, email.attempts, email.last_error = EmailStatus.FAILED, 8, "SMTPServerDisconnected"
    db.session.commit()
    page = open_page()
    sign_in(page, admin.email, PASSWORD)
    check_page(page)

    for path, heading in (
        ("/admin/users", "Accounts"),
        ("/admin/users/invite", "Invite a staff member or administrator"),
        ("/admin/cases", "Case assignments"),
        ("/admin/audit", "Audit trail"),
        ("/admin/report", "Program report"),
    ):
        page.goto(path)
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        check_page(page)

    page.goto(f"/admin/cases/{case.id}/assignment")
    check_page(page)
    page.get_by_label("Dr. Colleague").check()
    submit(page, "Save who works on the case")
    expect(page.get_by_role("status")).to_contain_text("lead advisor and team are saved")
    expect(page.get_by_label("Dr. Colleague")).to_be_checked()
    check_page(page)

    page.goto("/admin/report?date_from=2020-01-01")
    expect(page.get_by_text("Figures computed")).to_be_visible()
    check_page(page)
    submit(page, "Compute the figures now")
    expect(page).to_have_url(re.compile(r"/admin/report\?date_from=2020-01-01$"))
    expect(page.get_by_role("status")).to_contain_text("computed again")
    check_page(page)

    page.goto("/admin/outbox")
    expect(page.get_by_text("SMTPServerDisconnected")).to_be_visible()
    check_page(page)
    submit(page, f"Send again the email to {lead.email}")
    expect(page).to_have_url(re.compile(r"/admin/outbox"))
    expect(page.get_by_role("status")).to_contain_text("back in the queue")
    check_page(page)

    page.set_viewport_size(PHONE)
    for path in ("/admin/users", "/admin/audit", "/admin/outbox", "/admin/report"):
        page.goto(path)
        check_page(page)
