"""An advisor works the screening queue: the queue, a flagged member's profile with its funnel
plot, and a decision. In Chromium, on a desktop and a phone, every page checked with axe-core."""

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from portal import clock
from portal.extensions import db
from portal.identification.models import RegisterMember, ScreeningDecision, ScreeningResult
from portal.identification.screening import screen
from portal.identification.synthetic import generate
from tests.factories import PASSWORD
from tests.identification.helpers import load_register

pytestmark = pytest.mark.e2e


@pytest.fixture
def screened(app, make_staff):
    advisor = make_staff(name="Dr. Screening Advisor")
    today = clock.now().date()
    load_register(generate(600, today=today, planted_high=4, planted_ratio=8, seed=4))
    run = screen(today, by=None, trigger="manual")
    db.session.commit()
    top = db.session.scalars(
        select(ScreeningResult).where(ScreeningResult.run_id == run.id).order_by("rank")
    ).first()
    return advisor, db.session.get(RegisterMember, top.member_id)


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_queue_profile_and_decision(open_page, check_page, sign_in, submit, screened, phone):
    advisor, member = screened
    page = open_page(phone=phone)
    sign_in(page, advisor.email, PASSWORD)
    check_page(page)
    page.get_by_role("link", name="Identification").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Identification: the screening queue")
    check_page(page)

    page.get_by_role("link", name=member.name).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(member.name)
    expect(page.locator("svg.funnel")).to_be_visible()
    check_page(page)

    page.get_by_label("Why not now?").fill("Matters already reviewed with the member last year.")
    submit(page, "Record: not now")
    expect(page.get_by_text("comes back to the queue only with a new matter")).to_be_visible()
    check_page(page)
    assert db.session.scalars(select(ScreeningDecision)).one().member_id == member.id
