"""Marking the plan complete, and the completion summary as CSV and PDF."""

from __future__ import annotations

import csv
import io

import pytest
from flask_babel import force_locale

from portal.activities import services, summary
from portal.csv_export import safe_cell
from portal.extensions import db
from portal.notifications.models import Notification
from tests.activities.helpers import activity, complete, pdf_text, submit

REQUIRED = ("Communication e-learning", "Teach-back workshop", "Documentation audit")


def _finish(case, lead):
    complete(case, REQUIRED[0], lead)
    complete(case, REQUIRED[1], lead)
    services.waive_activity(case, activity(case, REQUIRED[2]), by=lead, reason="Done elsewhere")
    db.session.commit()


def test_the_lead_advisor_marks_the_plan_complete_when_every_required_activity_is_done(
    app, active, signed_in
):
    case, lead = active["case"], active["lead"]
    client = signed_in(lead)
    client.post(f"/cases/{case.id}/activities/complete")
    assert services.overview(case).completion is None  # not everything done yet
    _finish(case, lead)
    # Only the lead advisor: a colleague on the team cannot.
    signed_in(active["colleague"]).post(f"/cases/{case.id}/activities/complete")
    assert services.overview(case).completion is None
    page = client.get(f"/cases/{case.id}/activities").data
    assert b"Mark the plan complete" in page
    assert client.post(f"/cases/{case.id}/activities/complete").status_code == 302
    completion = services.overview(case).completion
    assert completion.completed_by_id == lead.id
    assert db.session.scalar(
        db.select(Notification).where(
            Notification.user_id == case.member_id, Notification.topic == f"activity:{case.id}"
        )
    )
    with pytest.raises(services.ActivityError, match="already_complete"):
        services.complete_plan(case, by=lead)
    assert b"marked complete" in signed_in(case.member).get("/activities").data


def test_an_outsider_cannot_mark_it_complete(app, active, signed_in):
    case = active["case"]
    _finish(case, active["lead"])
    response = signed_in(active["outsider"]).post(f"/cases/{case.id}/activities/complete")
    assert response.status_code == 403  # asked for a reason (break-glass), not let in
    assert services.overview(case).completion is None


@pytest.mark.parametrize("value", ["=SUM(A1)", "+1", "-2", "@cmd", "\tx"])
def test_csv_cells_that_could_be_formulas_are_defused(value):
    assert safe_cell(value) == "'" + value
    assert safe_cell("plain") == "plain"
    assert safe_cell(None) == ""


def test_csv_summary(app, active, signed_in):
    case, lead = active["case"], active["lead"]
    complete(case, REQUIRED[0], lead)
    submit(case, REQUIRED[1], learned='=HYPERLINK("http://evil")', change="Ask back")
    services.verify_activity(case, activity(case, REQUIRED[1]), by=lead)
    db.session.commit()
    response = signed_in(case.member).get("/activities/summary.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0][:2] == ["Goal", "Activity"]
    assert rows[0][-2:] == ["What I learned", "What I will change in my practice"]
    by_title = {row[1]: row for row in rows[1:]}
    assert set(by_title) == {*REQUIRED, "Optional reading"}
    workshop = by_title["Teach-back workshop"]
    assert workshop[6] == "Completed"
    assert workshop[9] == '\'=HYPERLINK("http://evil")'
    assert workshop[10] == "Ask back"
    assert workshop[8]  # completed on
    assert by_title["Documentation audit"][6] == "Not started"


def test_pdf_summary_in_the_members_language(app, active, signed_in):
    case, lead = active["case"], active["lead"]
    case.member.language = "fr"
    db.session.commit()
    submit(case, REQUIRED[0], learned="J'ai appris à vérifier.", change="Je relirai mes notes.")
    services.verify_activity(case, activity(case, REQUIRED[0]), by=lead)
    db.session.commit()
    response = signed_in(case.member).get("/activities/summary.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF-")
    with force_locale("fr"):
        data = summary.pdf(services.overview(case), compress=False)
    text = pdf_text(data)
    assert "Dr. Member One" in text
    assert "Communication e-learning" in text
    assert "J'ai appris à vérifier." in text
    assert "Je relirai mes notes." in text
