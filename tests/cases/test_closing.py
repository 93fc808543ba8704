"""Closing a case: the lead (or an admin) closes it with a summary the member reads; the member
keeps read-only access, and every member write is refused with nothing saved."""

from __future__ import annotations

import io

import pytest

from portal.activities.models import ActivityProgress, Submission
from portal.assessment.models import Acknowledgement, PerspectiveEntry
from portal.audit.models import AuditEvent
from portal.cases.models import Case, CaseTeamMember, Stage, StageChange
from portal.extensions import db
from portal.messaging.models import Message
from portal.notifications.models import Notification
from portal.outbox.models import OutboxEmail
from portal.plan.models import PlanInput, PlanVersion
from tests.activities.helpers import activate_plan, activity, pdf_bytes
from tests.messaging.helpers import start_conversation
from tests.programme import share_plan

SUMMARY = "You completed every activity of your plan. Thank you for your work with us."
CLOSED = "Your case is closed, so nothing was changed."


@pytest.fixture
def app_overrides(tmp_path) -> dict:
    return {"UPLOAD_DIR": str(tmp_path / "uploads")}


@pytest.fixture
def programme(make_staff, make_case):
    """A case with an active plan, a revised plan shared for input, and a conversation."""
    lead = make_staff(name="Dr. Lead")
    case = make_case(lead=lead, stage=Stage.ASSESSMENT)
    activate_plan(case, lead)
    share_plan(case, lead, change_note="One more activity.")
    conversation = start_conversation(case, lead)
    return case, lead, conversation


def _close(client, case, summary=SUMMARY):
    return client.post(f"/cases/{case.id}/close", data={"closing_summary": summary})


def test_the_lead_closes_the_case_with_a_summary(client, login, programme):
    case, lead, _ = programme
    login(lead)
    emails_before = db.session.scalar(db.select(db.func.count()).select_from(OutboxEmail))
    response = _close(client, case)
    assert response.status_code == 302
    db.session.refresh(case)
    assert case.stage is Stage.CLOSED and case.closing_summary == SUMMARY
    assert case.closed_by_id == lead.id and case.closed_at is not None
    assert db.session.scalar(
        db.select(StageChange).where(StageChange.to_stage == Stage.CLOSED)
    ).changed_by_id == (lead.id)
    assert db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "case.closed"))
    notification = db.session.scalars(
        db.select(Notification)
        .where(Notification.user_id == case.member_id)
        .order_by(Notification.id)
    ).all()[-1]
    assert notification.link.endswith("/dashboard")
    for email in db.session.scalars(db.select(OutboxEmail)).all()[emails_before:]:
        assert SUMMARY not in (email.body_text or "") and SUMMARY not in (email.body_html or "")
    # A second submission (a double click, a stale page) changes nothing.
    again = _close(client, case, summary="Another summary")
    assert again.status_code == 302
    assert "This case is already closed." in client.get(again.location).text
    db.session.refresh(case)
    assert case.closing_summary == SUMMARY
    member = client.application.test_client()
    login(case.member, test_client=member)
    dashboard = member.get("/dashboard").text
    assert "Closing summary from the MSP team" in dashboard and SUMMARY in dashboard


def test_a_summary_is_required_and_only_the_lead_or_an_admin_closes(
    client, login, make_staff, make_admin, programme
):
    case, lead, _ = programme
    login(lead)
    response = _close(client, case, summary="   ")
    assert response.status_code == 400 and "There is a problem" in response.text
    colleague = make_staff()
    db.session.add(CaseTeamMember(case_id=case.id, staff_id=colleague.id))
    db.session.commit()
    other = client.application.test_client()
    login(colleague, test_client=other)
    refused = _close(other, case)
    assert refused.status_code == 302
    assert (
        "Only the lead advisor or an administrator can do this." in other.get(refused.location).text
    )
    db.session.refresh(case)
    assert case.stage is Stage.ONGOING_SUPPORT
    admin = client.application.test_client()
    login(make_admin(), test_client=admin)
    assert _close(admin, case).status_code == 302
    db.session.refresh(case)
    assert case.stage is Stage.CLOSED


def _counts() -> dict:
    return {
        model.__name__: db.session.scalar(db.select(db.func.count()).select_from(model))
        for model in (
            PerspectiveEntry,
            Acknowledgement,
            PlanInput,
            ActivityProgress,
            Submission,
            Message,
        )
    } | {
        "agreed": db.session.scalar(
            db.select(db.func.count())
            .select_from(PlanVersion)
            .where(PlanVersion.member_agreed_at.is_not(None))
        )
    }


def test_every_member_write_is_refused_once_closed(client, login, programme):
    case, lead, conversation = programme
    login(lead)
    _close(client, case)
    member = client.application.test_client()
    login(case.member, test_client=member)
    key = activity(case, "Communication e-learning").key
    before = _counts()
    writes = [
        ("/assessment/versions/1/perspective", {"overall": "I see it differently."}),
        ("/assessment/versions/1/acknowledge", {}),
        ("/plan/versions/2/input", {"comment": "More workshops, please."}),
        ("/plan/versions/2/agree", {}),
        (f"/activities/{key}/start", {}),
        (
            f"/activities/{key}/submit",
            {
                "evidence": (io.BytesIO(pdf_bytes()), "certificate.pdf"),
                "learned": "Something.",
                "practice_change": "Something else.",
            },
        ),
        ("/messages/new", {"subject": "Hello", "body": "A new question."}),
        (f"/messages/{conversation.id}/reply", {"body": "A reply."}),
    ]
    for url, data in writes:
        response = member.post(url, data=data, content_type="multipart/form-data")
        assert response.status_code == 303 and response.location == "/dashboard", url
        assert CLOSED in member.get("/dashboard").text, url
    assert _counts() == before
    # The records stay readable, without their forms.
    for url in ("/assessment", "/plan", f"/activities/{key}", f"/messages/{conversation.id}"):
        page = member.get(url)
        assert page.status_code == 200, url
        assert "Your case is closed: you can read all your records" in page.text, url
    assert "Send my perspective" not in member.get("/assessment").text
    assert "Send my input" not in member.get("/plan").text
    assert "Mark as started" not in member.get(f"/activities/{key}").text
    assert 'action="/messages/' not in member.get(f"/messages/{conversation.id}").text
    assert member.get("/messages/new").location == "/dashboard"


def test_the_lead_reopens_a_closed_case(client, login, programme):
    case, lead, _ = programme
    login(lead)
    _close(client, case)
    assert client.post(f"/cases/{case.id}/reopen", data={"reason": ""}).status_code == 400
    response = client.post(
        f"/cases/{case.id}/reopen", data={"reason": "The member asked for more coaching."}
    )
    assert response.status_code == 302
    db.session.refresh(case)
    assert case.stage is Stage.ONGOING_SUPPORT and case.closed_at is None
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "case.reopened"))
    assert event.detail == "The member asked for more coaching."
    member = client.application.test_client()
    login(case.member, test_client=member)
    assert member.post("/messages/new", data={"subject": "Hi", "body": "Back."}).status_code == 302
    assert db.session.get(Case, case.id).stage is Stage.ONGOING_SUPPORT
