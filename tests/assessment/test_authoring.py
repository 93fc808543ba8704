"""Staff author an assessment: drafts private to staff, immutable released versions, corrections."""

import pytest

from portal.assessment import services
from portal.assessment.models import AssessmentVersion, VersionStatus
from portal.audit.models import AuditEvent
from portal.cases.models import Stage, StageChange
from portal.extensions import db
from portal.outbox.models import OutboxEmail
from tests.programme import release_assessment


@pytest.fixture
def setting(make_case, make_staff, login, client):
    staff = make_staff()
    case = make_case(lead=staff, stage=Stage.REFERRED)
    login(staff)
    return case, staff


def _start(client, case):
    assert client.post(f"/cases/{case.id}/assessment/draft").status_code == 302
    return db.session.scalars(db.select(AssessmentVersion)).one()


def test_staff_build_and_release_a_draft_through_the_pages(client, setting):
    case, staff = setting
    draft = _start(client, case)
    year = draft.period_end_year
    response = client.post(
        f"/cases/{case.id}/assessment/draft/summary",
        data={
            "period_start_year": year - 9,
            "period_end_year": year,
            "member_rate": "1.5",
            "peer_rate": "0.5",
            "narrative": "What we found.",
        },
    )
    assert response.status_code == 302
    history = {f"count_{year}_legal_action": "2", f"count_{year - 1}_college_complaint": "1"}
    assert (
        client.post(f"/cases/{case.id}/assessment/draft/history", data=history).status_code == 302
    )
    response = client.post(
        f"/cases/{case.id}/assessment/draft/factors",
        data={
            "category": "communication",
            "description": "Brief discharge talks.",
            "priority": "high",
        },
    )
    assert response.status_code == 302
    page = client.get(f"/cases/{case.id}/assessment").text
    assert "Brief discharge talks." in page and "Draft (staff only)" in page

    assert client.post(f"/cases/{case.id}/assessment/draft/release").status_code == 302
    db.session.refresh(draft)
    assert (draft.status, draft.number) == (VersionStatus.RELEASED, 1)
    assert sorted((e.year, e.kind.value, e.count) for e in draft.history) == [
        (year - 1, "college_complaint", 1),
        (year, "legal_action", 2),
    ]
    db.session.refresh(case)
    assert case.stage is Stage.ASSESSMENT
    assert [c.to_stage for c in db.session.scalars(db.select(StageChange))] == [Stage.ASSESSMENT]
    email = db.session.scalars(db.select(OutboxEmail)).one()
    assert email.to_address == case.member.email
    assert "What we found." not in email.body_text and "discharge" not in email.body_text.lower()


def test_release_needs_factors_and_a_narrative(client, setting):
    case, _ = setting
    _start(client, case)
    response = client.post(f"/cases/{case.id}/assessment/draft/release")
    assert response.status_code == 400
    assert "Add at least one contributing factor" in response.text
    assert db.session.scalar(db.select(AssessmentVersion.status)) is VersionStatus.DRAFT


def test_bad_summary_input_gets_clear_messages_and_changes_nothing(client, setting):
    case, _ = setting
    draft = _start(client, case)
    before = (draft.period_start_year, draft.period_end_year)
    for data, message in [
        ({"period_start_year": "2020", "period_end_year": "2010"}, "must not be before"),
        ({"period_start_year": "2000", "period_end_year": "2020"}, "at most the last 10 years"),
        ({"period_start_year": "abc", "period_end_year": "2020"}, "Not a valid integer"),
        (
            {"period_start_year": "2018", "period_end_year": "2020", "member_rate": "-1"},
            "Enter a number from 0 to 1000",
        ),
    ]:
        response = client.post(f"/cases/{case.id}/assessment/draft/summary", data=data)
        assert response.status_code == 400 and message in response.text, data
    db.session.refresh(draft)
    assert (draft.period_start_year, draft.period_end_year) == before


def test_drafts_are_private_to_staff(client, setting, make_member, login):
    case, _ = setting
    _start(client, case)
    client.post(
        f"/cases/{case.id}/assessment/draft/factors",
        data={"category": "wellness", "description": "Secret draft text", "priority": "low"},
    )
    client.post("/logout")
    login(case.member)
    page = client.get("/assessment")
    assert page.status_code == 200 and "Secret draft text" not in page.text
    assert "preparing your assessment" in page.text
    assert client.get("/assessment/versions/1").status_code == 404


def test_released_versions_never_change_and_corrections_are_new_versions(app, setting):
    case, staff = setting
    first = release_assessment(case, staff)
    with pytest.raises(services.AssessmentError):
        services.add_factor(
            first,
            category=first.factors[0].category,
            description="x",
            priority=first.factors[0].priority,
        )
    draft = services.start_draft(case, by=staff)
    assert draft.id != first.id
    assert [f.key for f in draft.factors] == [f.key for f in first.factors]
    services.update_factor(
        draft,
        draft.factors[0],
        category=draft.factors[0].category,
        description="Corrected wording.",
        priority=draft.factors[0].priority,
    )
    with pytest.raises(services.AssessmentError, match="no_change_note"):
        services.release(draft, case=case, by=staff, change_note="")
    services.release(draft, case=case, by=staff, change_note="Reworded factor 1.")
    db.session.commit()
    db.session.refresh(first)
    assert first.factors[0].description == "Factor 1 described."
    assert [v.number for v in services.released_versions(case)] == [2, 1]
    assert services.released_version(case).change_note == "Reworded factor 1."


def test_every_view_of_an_assessment_is_audited(client, setting, login):
    case, staff = setting
    release_assessment(case, staff)
    client.get(f"/cases/{case.id}/assessment")
    client.get(f"/cases/{case.id}/assessment/versions/1")
    client.post("/logout")
    login(case.member)
    client.get("/assessment")
    client.get("/assessment/versions/1/print")
    views = db.session.scalars(
        db.select(AuditEvent)
        .where(AuditEvent.action == "assessment.viewed")
        .order_by(AuditEvent.id)
    ).all()
    assert [(e.actor_id, e.detail) for e in views] == [
        (staff.id, "staff v1"),
        (staff.id, "staff v1"),
        (case.member_id, "member v1"),
        (case.member_id, "print v1"),
    ]
    assert all(e.case_id == case.id for e in views)


def test_chart_is_server_rendered_svg_with_a_text_alternative(client, setting, login):
    case, staff = setting
    release_assessment(case, staff)
    client.post("/logout")
    login(case.member)
    page = client.get("/assessment").text
    assert '<svg class="chart"' in page and 'role="img"' in page
    assert "<title id=" in page and "<desc id=" in page
    assert "Matters by year and kind" in page  # the table beside the chart
    assert "Your rate is about 3.0 times theirs." in page
    assert "<script" not in page


def test_a_rejected_form_keeps_its_input_and_the_other_forms_keep_the_draft(client, setting):
    case, _ = setting
    draft = _start(client, case)
    client.post(
        f"/cases/{case.id}/assessment/draft/summary",
        data={
            "period_start_year": draft.period_end_year - 2,
            "period_end_year": draft.period_end_year,
            "narrative": "Saved narrative.",
        },
    )
    response = client.post(
        f"/cases/{case.id}/assessment/draft/factors",
        data={"category": "communication", "description": "", "priority": "high"},
    )
    assert response.status_code == 400
    assert "Saved narrative." in response.text  # the summary form shows the saved draft
    assert "This field is required." in response.text
