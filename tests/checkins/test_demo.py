"""`flask demo`: member2 has held and missed check-ins and the next one with a cadence; member has
an upcoming check-in with an open request to reschedule; the pages show them."""

from __future__ import annotations

from sqlalchemy import select

from portal.auth.models import User
from portal.cases.services import current_case_of
from portal.checkins import services
from portal.checkins.models import CheckInStatus
from portal.demo import DEMO_PASSWORD, load_demo
from portal.extensions import db


def _case_of(email: str):
    return current_case_of(db.session.scalar(select(User).where(User.email == email)))


def test_demo_check_ins(app, client, login):
    load_demo()
    db.session.commit()
    amelie = services.check_ins_of(_case_of("member2@example.org"))
    assert [c.status for c in amelie] == [
        CheckInStatus.HELD,
        CheckInStatus.MISSED,
        CheckInStatus.HELD,
        CheckInStatus.SCHEDULED,
    ]
    assert all(c.internal_notes for c in amelie[:3]) and amelie[2].member_summary
    assert amelie[-1].cadence_weeks == 6
    assert {c.scheduled_by.email for c in amelie} == {
        "advisor@example.org",
        "advisor2@example.org",
    }
    [jordan] = services.check_ins_of(_case_of("member@example.org"))
    assert jordan.open_request is not None

    member2 = db.session.scalar(select(User).where(User.email == "member2@example.org"))
    login(member2, DEMO_PASSWORD)
    page = client.get("/check-ins")
    assert page.status_code == 200 and "Votre audit montre de nets progrès" in page.text
    assert "voicemail" not in page.text  # internal notes stay with the team
