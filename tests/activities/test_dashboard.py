"""The dashboard's "what to do next" counts activities due this month that are still to do, and
the navigation leads to the activities pages."""

from __future__ import annotations

from portal.activities import services
from portal.extensions import db
from portal.home.steps import next_steps
from tests.activities.helpers import Planned, activate_plan, activity, complete


def test_due_this_month_counts_only_activities_still_to_do(app, make_case, make_staff):
    lead = make_staff()
    case = make_case(lead=lead)
    today = services.local_today()
    first = today.replace(day=1)
    offset = (first - today).days  # due on the first of this month: always this month
    activate_plan(
        case,
        lead,
        [
            Planned(0, "Still to do", "1", offset),
            Planned(0, "Done", "1", offset),
            Planned(1, "Waived", "1", offset),
            Planned(1, "Later", "1", offset + 70),
        ],
    )
    complete(case, "Done", lead)
    services.waive_activity(case, activity(case, "Waived"), by=lead, reason="n/a")
    db.session.commit()
    with app.test_request_context():
        steps = next_steps(case)
    due = [s for s in steps if "due this month" in s.text]
    assert [(s.text, s.url) for s in due] == [("1 activity due this month", "/activities")]


def test_navigation_has_activities_for_members_and_verification_for_staff(app, active, signed_in):
    member_page = signed_in(active["member"]).get("/activities").data.decode()
    assert 'href="/activities" aria-current="page"' in member_page
    staff_page = signed_in(active["lead"]).get("/verification").data.decode()
    assert 'href="/verification" aria-current="page"' in staff_page
