"""Break-glass access: a staff member opens a case they are not on only by stating a reason; the
grant expires, is audited, listed for admins and shown in the member's view log."""

from __future__ import annotations

from datetime import timedelta

import pytest

from portal import clock
from portal.audit.models import AuditEvent
from portal.cases.models import BreakGlassAccess
from portal.extensions import db

REASON = "Covering for the lead advisor, who is on leave this week."


@pytest.fixture
def outsider_and_case(make_staff, make_member, make_case):
    lead = make_staff(name="Dr. Lead")
    case = make_case(member=make_member(name="Dr. Guarded Member"), lead=lead)
    return make_staff(name="Dr. Outsider"), case


def _grants() -> list[BreakGlassAccess]:
    return list(db.session.scalars(db.select(BreakGlassAccess)))


def test_a_case_link_asks_for_a_reason_and_shows_only_the_minimum(client, login, outsider_and_case):
    outsider, case = outsider_and_case
    login(outsider)
    response = client.get(f"/cases/{case.id}/timeline")
    assert response.status_code == 403
    assert "Why do you need to open this case?" in response.text
    assert "Dr. Guarded Member" in response.text and "Dr. Lead" in response.text
    assert case.member.email not in response.text and "Timeline of" not in response.text
    assert f'name="next" type="hidden" value="/cases/{case.id}/timeline"' in response.text
    denied = db.session.scalars(
        db.select(AuditEvent).where(AuditEvent.action == "access.denied")
    ).one()
    assert denied.actor_id == outsider.id and denied.object_id == case.id
    assert client.get("/cases/999999").status_code == 404  # no such case: nothing to open


@pytest.mark.parametrize("reason", ["", "   ", "just because"])
def test_refused_without_a_meaningful_reason(client, login, outsider_and_case, reason):
    outsider, case = outsider_and_case
    login(outsider)
    response = client.post(f"/cases/{case.id}/break-glass", data={"reason": reason})
    assert response.status_code == 400
    assert "There is a problem" in response.text
    assert _grants() == []
    assert client.get(f"/cases/{case.id}").status_code == 403


def test_a_reason_opens_the_case_for_the_configured_hours_and_is_audited(
    app, client, login, outsider_and_case, monkeypatch
):
    outsider, case = outsider_and_case
    login(outsider)
    response = client.post(
        f"/cases/{case.id}/break-glass",
        data={"reason": REASON, "next": f"/cases/{case.id}/timeline"},
    )
    assert response.status_code == 302 and response.location == f"/cases/{case.id}/timeline"
    grant = _grants()[0]
    assert grant.staff_id == outsider.id and grant.reason == REASON
    assert grant.expires_at - grant.granted_at == timedelta(hours=app.config["BREAK_GLASS_HOURS"])
    event = db.session.scalars(
        db.select(AuditEvent).where(AuditEvent.action == "case.break_glass")
    ).one()
    assert event.actor_id == outsider.id and event.case_id == case.id and event.detail == REASON
    assert client.get(f"/cases/{case.id}").status_code == 200
    assert client.get(f"/cases/{case.id}/assessment").status_code == 200
    # Not on the caseload: it is not theirs, only opened.
    assert "Dr. Guarded Member" not in client.get("/cases/").text
    # A next link to another site is not followed.
    response = client.post(
        f"/cases/{case.id}/break-glass", data={"reason": REASON, "next": "https://evil.example"}
    )
    assert response.location == f"/cases/{case.id}"

    later = clock.now() + timedelta(hours=app.config["BREAK_GLASS_HOURS"], minutes=1)
    monkeypatch.setattr(clock, "now", lambda: later)
    login(outsider)  # the session itself has timed out meanwhile
    assert client.get(f"/cases/{case.id}").status_code == 403


def test_staff_on_the_case_and_admins_need_no_reason(client, login, make_admin, outsider_and_case):
    _, case = outsider_and_case
    login(make_admin())
    assert client.get(f"/cases/{case.id}/break-glass").status_code == 302
    assert client.get(f"/cases/{case.id}").status_code == 200
    assert _grants() == []


def test_find_a_case_by_name_or_member_number(client, login, outsider_and_case, make_case):
    outsider, case = outsider_and_case
    own = make_case(lead=outsider)
    login(outsider)
    page = client.get("/cases/find?q=guarded")
    assert page.status_code == 200
    assert "Dr. Guarded Member" in page.text and f"T-{case.member_id:06d}" in page.text
    assert f"/cases/{case.id}/break-glass" in page.text
    assert "Reason for referral" not in page.text and case.member.email not in page.text
    number = client.get(f"/cases/find?q=t-{own.member_id:06d}")
    assert f'href="/cases/{own.id}"' in number.text  # their own case opens directly
    assert client.get("/cases/find?q=%25").text.count("<tr>") == 0  # wildcards are literal
    assert "There is a problem" not in client.get("/cases/find").text
    assert client.get("/cases/find?q=x").status_code == 200  # too short: a field error


def test_admins_see_every_break_glass_access_newest_first(
    client, app, login, make_admin, make_staff, outsider_and_case
):
    outsider, case = outsider_and_case
    login(outsider)
    client.post(f"/cases/{case.id}/break-glass", data={"reason": REASON})
    second = make_staff(name="Dr. Second Outsider")
    other = app.test_client()
    login(second, test_client=other)
    other.post(f"/cases/{case.id}/break-glass", data={"reason": "Member called the urgent line."})
    assert client.get("/cases/break-glass").status_code == 403
    admin = app.test_client()
    login(make_admin(), test_client=admin)
    page = admin.get("/cases/break-glass").text
    assert page.index("Dr. Second Outsider") < page.index("Dr. Outsider")
    assert REASON in page and "Member called the urgent line." in page
    assert "Dr. Guarded Member" in page and "Active" in page


def test_an_opened_case_is_readable_but_stays_out_of_the_outsiders_worklists(
    client, login, outsider_and_case
):
    from portal.activities.services import verification_queue_query
    from portal.messaging.services import inbox_query, start_conversation, unread_count_for

    outsider, case = outsider_and_case
    conversation = start_conversation(
        case, author=case.member, subject="A question", body="Could we talk this week?"
    )
    db.session.commit()
    login(outsider)
    client.post(f"/cases/{case.id}/break-glass", data={"reason": REASON})
    assert client.get(f"/messages/{conversation.id}").status_code == 200  # readable
    assert unread_count_for(outsider) == 0
    inbox = inbox_query(outsider, show=None, search=None, now=clock.now())
    assert db.session.scalars(inbox).all() == []
    assert db.session.scalars(verification_queue_query(outsider)).all() == []
