"""The member's "Who viewed my file": staff and admin views of their own records, from the audit
trail, newest first, with break-glass openings marked."""

from __future__ import annotations

from portal.audit.services import record
from portal.extensions import db
from tests.cases.test_break_glass import REASON
from tests.programme import release_assessment


def test_lists_staff_views_of_the_members_own_file(
    app, client, login, make_staff, make_admin, make_member, make_case, query_counter
):
    lead = make_staff(name="Dr. Lead Viewer")
    case = make_case(lead=lead)
    other_case = make_case(lead=lead)
    release_assessment(case, lead)
    staff_client = app.test_client()
    login(lead, test_client=staff_client)
    staff_client.get(f"/cases/{case.id}")  # the case page is audited as a view
    staff_client.get(f"/cases/{case.id}/assessment")
    staff_client.get(f"/cases/{other_case.id}")  # another member's file
    outsider = make_staff(name="Dr. Break Glass")
    outsider_client = app.test_client()
    login(outsider, test_client=outsider_client)
    outsider_client.post(f"/cases/{case.id}/break-glass", data={"reason": REASON})
    admin_client = app.test_client()
    login(make_admin(name="Ada Admin"), test_client=admin_client)
    admin_client.get(f"/cases/{case.id}/timeline")

    login(case.member)
    client.get("/assessment")  # the member's own views are not listed
    page = client.get("/my-file/views")
    assert page.status_code == 200
    text = page.text
    assert text.index("Ada Admin") < text.index("Dr. Break Glass") < text.index("Dr. Lead Viewer")
    assert "Administrator" in text and "MSP team" in text
    assert "Your assessment" in text and "Your case" in text
    assert "Opened by someone not on your case, for a stated reason" in text
    assert REASON not in text  # the member sees that it happened, not the staff's reason
    assert case.member.name not in text.split("<main", 1)[1].split("</main>", 1)[0]
    assert f"user {lead.id}" not in text

    other = app.test_client()
    login(other_case.member, test_client=other)
    other_text = other.get("/my-file/views").text
    assert "Dr. Lead Viewer" in other_text and "Dr. Break Glass" not in other_text
    assert "Ada Admin" not in other_text

    def count() -> int:
        with query_counter() as queries:
            assert client.get("/my-file/views").status_code == 200
        return queries.count

    few = count()
    for _ in range(30):
        record("plan.viewed", actor=lead, case_id=case.id, detail="staff v1")
    db.session.commit()
    assert count() == few


def test_dashboard_links_to_the_view_log_and_staff_cannot_open_it(
    client, login, make_staff, make_case
):
    case = make_case()
    login(case.member)
    assert 'href="/my-file/views"' in client.get("/dashboard").text
    staff_client = client.application.test_client()
    login(make_staff(), test_client=staff_client)
    assert staff_client.get("/my-file/views").status_code == 403
