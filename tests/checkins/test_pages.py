"""What members and staff see: times in each side's zone, internal notes never on a member's page,
requests to reschedule, access to other cases, audit of every view, constant query counts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from portal.audit.models import AuditEvent
from portal.checkins import services
from portal.checkins.models import CheckInStatus, RescheduleRequest
from portal.extensions import db
from tests.checkins.helpers import AGENDA, schedule

NOTES = "Internal: seemed tired, ask about night shifts"


def _held(check_in, staff, frozen_clock, **overrides):
    frozen_clock.set(check_in.scheduled_at + timedelta(hours=1))
    values = {
        "held": True,
        "internal_notes": NOTES,
        "member_summary": "We reviewed your audit.",
        "plan_change": "Add the disclosure workshop.",
    }
    values.update(overrides)
    services.record_outcome(check_in, by=staff, outcome=services.Outcome(**values))
    db.session.commit()


def test_times_read_in_each_side_zone(app, people, client_for, frozen_clock):
    # 20 January 2030, 15:00 UTC: 10:00 in Toronto (the lead), 9:00 in Regina (the member).
    check_in = schedule(
        people["case"], people["lead"], starts_at=datetime(2030, 1, 20, 15, 0, tzinfo=UTC)
    )
    member_page = client_for(people["member"]).get("/check-ins").text
    assert "Jan 20, 2030, 9:00\u202fAM CST</time> (your time)" in member_page
    assert "Jan 20, 2030, 10:00\u202fAM EST for Lead Advisor" in member_page
    staff_page = client_for(people["lead"]).get(f"/cases/{people['case'].id}/check-ins").text
    assert "Jan 20, 2030, 10:00\u202fAM EST</time> (your time)" in staff_page
    assert "Jan 20, 2030, 9:00\u202fAM CST for the member" in staff_page
    # The same zone on both sides: one time, no "for the member".
    people["member"].time_zone = "America/Toronto"
    db.session.commit()
    staff_page = client_for(people["lead"]).get(
        f"/cases/{people['case'].id}/check-ins/{check_in.id}"
    )
    assert "for the member" not in staff_page.text


def test_the_dashboard_shows_upcoming_check_ins_in_the_member_zone(app, people, client_for):
    schedule(people["case"], people["lead"], starts_at=datetime(2030, 1, 20, 15, 0, tzinfo=UTC))
    page = client_for(people["member"]).get("/dashboard").text
    assert "Your next check-ins" in page
    assert "Jan 20, 2030, 9:00\u202fAM CST" in page and "Video call" in page
    assert 'href="/check-ins"' in page  # the navigation


def test_internal_notes_never_reach_the_member(app, people, client_for, frozen_clock):
    check_in = schedule(people["case"], people["lead"])
    _held(check_in, people["lead"], frozen_clock)
    member = client_for(people["member"])
    for url in ("/check-ins", "/dashboard", f"/check-ins/{check_in.id}/reschedule"):
        page = member.get(url).text
        assert NOTES not in page and "Internal notes" not in page, url
    page = member.get("/check-ins").text
    assert "We reviewed your audit." in page and "Add the disclosure workshop." in page
    assert AGENDA in page and "Held" in page
    staff_page = client_for(people["lead"]).get(
        f"/cases/{people['case'].id}/check-ins/{check_in.id}"
    )
    assert NOTES in staff_page.text


def test_other_members_and_staff_not_on_the_case_get_404(app, people, client_for):
    check_in = schedule(people["case"], people["lead"])
    other = client_for(people["other_member"])
    assert other.get(f"/check-ins/{check_in.id}/reschedule").status_code == 404
    response = other.post(f"/check-ins/{check_in.id}/reschedule", data={"reason": "Mine now"})
    assert response.status_code == 404
    assert AGENDA not in other.get("/check-ins").text
    outsider = client_for(people["outsider"])
    # Another staff member's own case, with this check-in's id: not there.
    url = f"/cases/{people['other_case'].id}/check-ins/{check_in.id}"
    assert outsider.get(url).status_code == 404
    assert outsider.post(url + "/cancel").status_code == 404
    db.session.refresh(check_in)
    assert check_in.status is CheckInStatus.SCHEDULED
    assert db.session.scalar(db.select(db.func.count()).select_from(RescheduleRequest)) == 0


def test_views_are_audited(app, people, client_for):
    check_in = schedule(people["case"], people["lead"])
    client_for(people["member"]).get("/check-ins")
    client_for(people["lead"]).get(f"/cases/{people['case'].id}/check-ins/{check_in.id}")
    views = db.session.scalars(
        db.select(AuditEvent).where(AuditEvent.action == "check_ins.viewed").order_by(AuditEvent.id)
    ).all()
    assert [(e.actor_id, e.case_id, e.detail) for e in views] == [
        (people["member"].id, people["case"].id, "member"),
        (people["lead"].id, people["case"].id, "staff"),
    ]


def test_the_member_asks_to_reschedule_once_and_staff_answer(
    app, people, client_for, emails, frozen_clock
):
    check_in = schedule(people["case"], people["lead"])
    member = client_for(people["member"])
    form = {"reason": "I am on call that morning.", "preferred_times": "Thursday afternoon"}
    response = member.post(f"/check-ins/{check_in.id}/reschedule", data=form)
    assert response.status_code == 302
    assert emails()[-1] == (people["lead"].email, "notification")
    again = member.post(f"/check-ins/{check_in.id}/reschedule", data=form)
    assert again.status_code == 400 and "already asked" in again.text
    assert db.session.scalar(db.select(db.func.count()).select_from(RescheduleRequest)) == 1
    assert "The MSP team will answer." in member.get("/check-ins").text

    staff = client_for(people["lead"])
    page = staff.get(f"/cases/{people['case'].id}/check-ins").text
    assert "The member asks to reschedule" in page
    page = staff.get(f"/cases/{people['case'].id}/check-ins/{check_in.id}").text
    assert "I am on call that morning." in page and "Thursday afternoon" in page
    response = staff.post(f"/cases/{people['case'].id}/check-ins/{check_in.id}/decline-request")
    assert response.status_code == 302
    db.session.refresh(check_in)
    assert check_in.open_request is None
    assert check_in.reschedule_requests[0].resolved_by_id == people["lead"].id
    assert emails()[-1] == (people["member"].email, "notification")
    # Declining twice finds nothing to answer.
    staff.post(f"/cases/{people['case'].id}/check-ins/{check_in.id}/decline-request")
    assert emails()[-1] == (people["member"].email, "notification")
    # A new request can be made, and rescheduling answers it.
    member.post(f"/check-ins/{check_in.id}/reschedule", data=form)
    services.reschedule_check_in(
        check_in,
        by=people["lead"],
        slot=services.Slot(check_in.scheduled_at + timedelta(days=2), "America/Toronto"),
        sequence=0,
    )
    db.session.commit()
    db.session.refresh(check_in)
    assert check_in.open_request is None and len(check_in.reschedule_requests) == 2


def test_no_request_on_a_past_or_cancelled_check_in(app, people, client_for, frozen_clock):
    check_in = schedule(people["case"], people["lead"])
    services.cancel_check_in(check_in, by=people["lead"])
    db.session.commit()
    member = client_for(people["member"])
    response = member.post(f"/check-ins/{check_in.id}/reschedule", data={"reason": "Please"})
    assert response.status_code == 400 and "no longer scheduled" in response.text
    assert db.session.scalar(db.select(db.func.count()).select_from(RescheduleRequest)) == 0


def test_query_counts_do_not_grow_with_check_ins(
    app, people, client_for, query_counter, frozen_clock
):
    member = client_for(people["member"])
    staff = client_for(people["lead"])
    case_url = f"/cases/{people['case'].id}/check-ins"

    def counts() -> tuple[int, int, int]:
        member.get("/check-ins")  # warm up (e.g. last-seen refresh)
        with query_counter() as member_page:
            assert member.get("/check-ins").status_code == 200
        with query_counter() as dashboard:
            assert member.get("/dashboard").status_code == 200
        with query_counter() as staff_page:
            assert staff.get(case_url).status_code == 200
        return member_page.count, dashboard.count, staff_page.count

    start = frozen_clock()
    first = schedule(people["case"], people["lead"], starts_at=start + timedelta(days=2))
    member.post(f"/check-ins/{first.id}/reschedule", data={"reason": "On call"})
    few = counts()
    for days in range(3, 9):
        schedule(people["case"], people["colleague"], starts_at=start + timedelta(days=days))
    for index, check_in in enumerate(services.check_ins_of(people["case"])[1:4]):
        frozen_clock.set(check_in.scheduled_at + timedelta(hours=1))
        services.record_outcome(
            check_in,
            by=people["lead"],
            outcome=services.Outcome(bool(index % 2), "n", "summary", None),
        )
        db.session.commit()
        frozen_clock.set(start)
    member.post(
        f"/check-ins/{services.check_ins_of(people['case'])[-1].id}/reschedule",
        data={"reason": "Away"},
    )
    assert counts() == few
