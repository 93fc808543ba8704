"""The education plan: drafted by staff, shared as versions, member input, diff, sign-offs."""

from decimal import Decimal

import pytest

from portal.assessment.services import released_version
from portal.cases.models import Stage
from portal.extensions import db
from portal.outbox.models import OutboxEmail
from portal.plan import services
from portal.plan.models import ActivityKind, PlanInput, PlanStatus, PlanVersion
from tests.programme import release_assessment, share_plan


@pytest.fixture
def assessed(make_case, make_staff):
    staff = make_staff()
    case = make_case(lead=staff, stage=Stage.ASSESSMENT)
    release_assessment(case, staff)
    return case, staff


def test_staff_draft_and_share_a_plan_through_the_pages(client, login, assessed):
    case, staff = assessed
    login(staff)
    assert client.post(f"/cases/{case.id}/plan/draft").status_code == 302
    factor_key = released_version(case).factors[0].key
    response = client.post(
        f"/cases/{case.id}/plan/draft/goals",
        data={"title": "Better consent notes", "factor_keys": [factor_key]},
    )
    assert response.status_code == 302
    draft = services.draft_of(case)
    goal = draft.goals[0]
    response = client.post(
        f"/cases/{case.id}/plan/draft/activities",
        data={
            "goal_id": goal.id,
            "title": "Consent e-learning",
            "kind": "elearning",
            "provider": "The mutual",
            "url": "https://learning.example.org/consent",
            "estimated_hours": "2.5",
            "due_date": "2027-03-31",
            "required": "y",
        },
    )
    assert response.status_code == 302
    assert client.post(f"/cases/{case.id}/plan/draft/share").status_code == 302
    version = services.shared_version(case)
    assert (version.number, version.status) == (1, PlanStatus.SHARED)
    activity = version.goals[0].activities[0]
    assert (activity.kind, activity.estimated_hours, str(activity.due_date)) == (
        ActivityKind.ELEARNING,
        Decimal("2.5"),
        "2027-03-31",
    )
    db.session.refresh(case)
    assert case.stage is Stage.PLANNING
    emails = db.session.scalars(db.select(OutboxEmail)).all()
    assert case.member.email in [e.to_address for e in emails]
    assert all("Consent" not in (e.body_text or "") for e in emails)


def test_goal_needs_a_factor_and_activity_input_is_validated(client, login, assessed):
    case, staff = assessed
    login(staff)
    client.post(f"/cases/{case.id}/plan/draft")
    response = client.post(f"/cases/{case.id}/plan/draft/goals", data={"title": "No factor"})
    assert response.status_code == 400 and "Link the goal to at least one factor." in response.text
    factor_key = released_version(case).factors[0].key
    client.post(
        f"/cases/{case.id}/plan/draft/goals", data={"title": "G", "factor_keys": [factor_key]}
    )
    goal = services.draft_of(case).goals[0]
    response = client.post(
        f"/cases/{case.id}/plan/draft/activities",
        data={
            "goal_id": goal.id,
            "title": "A",
            "kind": "elearning",
            "url": "javascript:alert(1)",
            "estimated_hours": "-3",
            "due_date": "31/31/2027",
        },
    )
    assert response.status_code == 400
    assert "Enter a full web address." in response.text
    assert "Enter 0 to 1000 hours." in response.text
    assert "Not a valid date value." in response.text
    assert services.draft_of(case).goals[0].activities == []
    response = client.post(f"/cases/{case.id}/plan/draft/share")
    assert response.status_code == 400 and "Every goal needs at least one activity" in response.text


def test_member_input_is_structured_appended_and_notifies_staff(client, login, assessed):
    case, staff = assessed
    share_plan(case, staff)
    db.session.query(OutboxEmail).delete()
    db.session.commit()
    login(case.member)
    page = client.get("/plan").text
    assert "Clearer discharge conversations" in page and "Communication e-learning" in page
    version = services.shared_version(case)
    activity_key = version.goals[0].activities[0].key
    response = client.post(
        "/plan/versions/1/input",
        data={
            "learning_preferences": ["online", "coaching"],
            "availability": "Evenings only.",
            "own_goals": "Feel confident at discharge.",
            "suggested_activities": "A simulation.",
            "target_key": activity_key,
            "comment": "Could this be shorter?",
        },
    )
    assert response.status_code == 302
    client.post("/plan/versions/1/input", data={"comment": "One more thought."})
    inputs = db.session.scalars(db.select(PlanInput).order_by(PlanInput.id)).all()
    assert [i.comment for i in inputs] == ["Could this be shorter?", "One more thought."]
    assert [p.value for p in inputs[0].preferences] == ["online", "coaching"]
    assert inputs[0].target_key == activity_key and inputs[1].target_key is None
    assert [e.to_address for e in db.session.scalars(db.select(OutboxEmail))] == [staff.email]
    staff_page = client.get("/plan").text
    assert "Evenings only." in staff_page


def test_empty_or_invalid_input_is_refused_and_keeps_what_was_typed(client, login, assessed):
    case, staff = assessed
    share_plan(case, staff)
    login(case.member)
    response = client.post("/plan/versions/1/input", data={"comment": "  "})
    assert response.status_code == 400 and "Fill in at least one part" in response.text
    response = client.post(
        "/plan/versions/1/input", data={"target_key": "not-a-key", "comment": "Kept text"}
    )
    assert response.status_code == 400 and "Kept text" in response.text
    assert db.session.scalar(db.select(db.func.count()).select_from(PlanInput)) == 0


def test_revisions_keep_every_version_and_the_diff_shows_what_changed(client, login, assessed):
    case, staff = assessed
    share_plan(case, staff)
    draft = services.start_draft(case, by=staff)
    goal = draft.goals[0]
    activity = goal.activities[0]
    services.save_activity(
        draft,
        activity,
        goal=goal,
        details=services.ActivityDetails(
            title=activity.title,
            kind=ActivityKind.WORKSHOP,
            provider=activity.provider,
            estimated_hours=Decimal("3.0"),
            due_date=activity.due_date,
            required=False,
        ),
    )
    services.save_activity(
        draft,
        None,
        goal=goal,
        details=services.ActivityDetails(title="New reading", kind=ActivityKind.READING),
    )
    with pytest.raises(services.PlanError, match="no_change_note"):
        services.share(draft, case=case, by=staff, change_note=None)
    services.share(draft, case=case, by=staff, change_note="Workshop instead of e-learning.")
    db.session.commit()
    versions = services.shared_versions(case)
    assert [(v.number, v.status) for v in versions] == [
        (2, PlanStatus.SHARED),
        (1, PlanStatus.SUPERSEDED),
    ]
    changes = services.compare(services.shared_version(case, 1), services.shared_version(case, 2))
    summary = {(c.kind, c.item, c.title): [f[0] for f in c.fields] for c in changes}
    assert summary == {
        ("changed", "activity", "Communication e-learning"): [
            "kind",
            "estimated_hours",
            "required",
        ],
        ("added", "activity", "New reading"): [],
    }
    login(case.member)
    page = client.get("/plan/compare?from=1&to=2").text
    assert "New reading" in page and "Workshop instead of e-learning." in page
    assert client.get("/plan/versions/1").status_code == 200
    assert client.get("/plan/compare?from=x").status_code == 404


def test_plan_becomes_active_when_both_sides_sign_off(client, login, assessed, make_staff):
    case, staff = assessed
    share_plan(case, staff)
    login(case.member)
    assert client.post("/plan/versions/1/agree").status_code == 302
    version = services.shared_version(case)
    assert version.member_agreed_at is not None and version.status is PlanStatus.SHARED
    client.post("/logout")
    other_staff = make_staff()
    from portal.cases.models import CaseTeamMember

    db.session.add(CaseTeamMember(case_id=case.id, staff_id=other_staff.id))
    db.session.commit()
    login(other_staff)
    client.post(f"/cases/{case.id}/plan/versions/1/approve")
    db.session.refresh(version)
    assert version.approved_at is None  # only the lead advisor approves
    client.post("/logout")
    login(staff)
    client.post(f"/cases/{case.id}/plan/versions/1/approve")
    db.session.refresh(version)
    db.session.refresh(case)
    assert version.status is PlanStatus.ACTIVE and version.approved_by_id == staff.id
    assert case.stage is Stage.ONGOING_SUPPORT
    page = client.get(f"/cases/{case.id}/plan").text
    assert f"Member agreed: {case.member.name}" in page
    assert f"Lead advisor approved: {staff.name}" in page


def test_an_active_plan_is_revised_through_the_same_cycle(app, assessed):
    case, staff = assessed
    share_plan(case, staff)
    first = services.shared_version(case)
    services.member_agrees(first, case=case, member=case.member)
    services.advisor_approves(first, case=case, advisor=staff)
    db.session.commit()
    share_plan(case, staff, change_note="Added a second activity.")
    second = services.shared_version(case)
    assert services.active_version(case).id == first.id  # still active until signed off
    services.advisor_approves(second, case=case, advisor=staff)
    services.member_agrees(second, case=case, member=case.member)
    db.session.commit()
    assert services.active_version(case).id == second.id
    db.session.refresh(first)
    assert first.status is PlanStatus.SUPERSEDED
    with pytest.raises(services.PlanError):
        services.member_agrees(first, case=case, member=case.member)


def test_members_never_see_drafts_or_another_members_plan(client, login, assessed, make_case):
    case, staff = assessed
    share_plan(case, staff)
    draft = services.start_draft(case, by=staff)
    draft.goals[0].title = "Draft-only goal title"
    db.session.commit()
    login(case.member)
    assert "Draft-only goal title" not in client.get("/plan").text
    client.post("/logout")
    other = make_case()
    login(other.member)
    assert "ready for your input" in client.get("/plan").text
    for url in ("/plan/versions/1", "/plan/versions/1/print"):
        assert client.get(url).status_code == 404, url
    assert client.get("/plan/compare?from=1&to=1").location == "/plan"  # nothing to compare
    assert client.post("/plan/versions/1/agree").status_code == 404
    assert db.session.scalar(db.select(PlanVersion.member_agreed_at)) is None


def test_dashboard_lists_what_to_do_next(client, login, assessed):
    case, staff = assessed
    share_plan(case, staff)
    login(case.member)
    page = client.get("/dashboard").text
    for text in (
        "Review your assessment",
        "Add your perspective to your assessment",
        "Add your input to your plan",
        "Review and agree to your plan",
    ):
        assert text in page, text


def test_dashboard_query_count_does_not_grow_with_the_plan(client, login, assessed, query_counter):
    case, staff = assessed
    share_plan(case, staff)
    login(case.member)
    client.get("/dashboard")
    with query_counter() as small:
        client.get("/dashboard")
        client.get("/plan")
    draft = services.start_draft(case, by=staff)
    for n in range(15):
        goal = services.save_goal(
            draft,
            None,
            title=f"Goal {n}",
            description="",
            factor_keys=[draft.goals[0].factor_keys[0]],
        )
        for m in range(3):
            services.save_activity(
                draft,
                None,
                goal=goal,
                details=services.ActivityDetails(
                    title=f"Activity {n}.{m}", kind=ActivityKind.READING
                ),
            )
    services.share(draft, case=case, by=staff, change_note="Bigger plan.")
    db.session.commit()
    with query_counter() as large:
        client.get("/dashboard")
        client.get("/plan")
    assert large.count == small.count
