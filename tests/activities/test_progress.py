"""The member's activities page: status, what is overdue or due soon, and the progress figures."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from portal.activities import services
from portal.audit.models import AuditEvent
from portal.extensions import db
from tests.activities.helpers import Planned, activate_plan, activity, complete, submit


def test_figures_on_known_data(app, active):
    case, lead = active["case"], active["lead"]
    # DEFAULT: goal 1: e-learning 2 h (required), workshop 4 h (required);
    #          goal 2: audit 6 h (required), reading 1.5 h (optional).
    complete(case, "Communication e-learning", active["lead"])
    complete(case, "Optional reading", active["lead"])
    submit(case, "Teach-back workshop")
    services.waive_activity(case, activity(case, "Documentation audit"), by=lead, reason="Done")
    db.session.commit()
    overview = services.overview(case)
    totals = overview.figures
    # Required, not waived: e-learning and workshop; one of them completed.
    assert (totals.required_completed, totals.required_total, totals.percent) == (1, 2, 50)
    # Planned hours leave out the waived audit: 2 + 4 + 1.5; completed: 2 + 1.5.
    assert (totals.hours_completed, totals.hours_planned) == (Decimal("3.5"), Decimal("7.5"))
    first, second = overview.goals
    assert (first.figures.percent, first.figures.hours_completed) == (50, Decimal(2))
    assert (second.figures.required_total, second.figures.percent) == (0, 100)
    assert (second.figures.hours_completed, second.figures.hours_planned) == (
        Decimal("1.5"),
        Decimal("1.5"),
    )
    assert not overview.all_required_done


def test_page_shows_statuses_standing_and_figures_in_text(app, active, signed_in):
    case = active["case"]
    complete(case, "Communication e-learning", active["lead"])
    page = signed_in(case.member).get("/activities").data.decode()
    assert "Required activities completed: 1 of 3 (33%)" in page
    assert "Hours completed: 2 of 13.5 planned." in page
    assert '<progress id="progress-overall" max="100" value="33">' in page
    assert 'role="img"' in page and "<title" in page  # the SVG chart and its text alternative
    assert "Hours completed and still planned, by goal" in page
    # Workshop due in 5 days, audit 3 days late: said in words, not colour alone.
    assert page.count("Due within 7 days") == 1
    assert page.count(">Overdue<") == 1
    assert "Completed" in page and "Not started" in page


def test_page_view_is_audited(app, active, signed_in):
    signed_in(active["member"]).get("/activities")
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "activities.viewed"))
    assert (event.actor_id, event.case_id) == (active["member"].id, active["case"].id)


def test_without_an_active_plan_the_page_says_so(app, people, signed_in):
    page = signed_in(people["member"]).get("/activities")
    assert page.status_code == 200
    assert b"once your education plan is active" in page.data


def _queries_for_page(app, make_case, make_staff, signed_in, query_counter, count):
    lead = make_staff()
    case = make_case(lead=lead)
    activate_plan(
        case,
        lead,
        [Planned(i % 2, f"Activity {i}", "1", 10 + i) for i in range(count)],
    )
    for i in range(0, count, 3):
        submit(case, f"Activity {i}")
    client = signed_in(case.member)
    client.get("/activities")  # warm up: first-request work is not the page's cost
    with query_counter() as queries:
        assert client.get("/activities").status_code == 200
    return queries.count


def test_query_count_does_not_grow_with_the_number_of_activities(
    app, make_case, make_staff, signed_in, query_counter
):
    few = _queries_for_page(app, make_case, make_staff, signed_in, query_counter, 3)
    many = _queries_for_page(app, make_case, make_staff, signed_in, query_counter, 30)
    assert few == many, (few, many)
    print(f"/activities: {few} queries with 3 activities, {many} with 30")


def test_staff_pages_query_count_is_constant(app, make_case, make_staff, signed_in, query_counter):
    counts = []
    for count in (3, 30):
        lead = make_staff()
        case = make_case(lead=lead)
        activate_plan(case, lead, [Planned(i % 2, f"Act {i}", "1", 10) for i in range(count)])
        for i in range(count):
            submit(case, f"Act {i}")
        client = signed_in(lead)
        client.get(f"/cases/{case.id}/activities")
        client.get("/verification")
        with query_counter() as queries:
            client.get(f"/cases/{case.id}/activities")
            client.get("/verification")
        counts.append(queries.count)
    assert counts[0] == counts[1], counts
    print(f"case activities page + verification queue: {counts} queries with 3 and 30 activities")
