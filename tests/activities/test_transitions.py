"""Every status change, who may make it, and the append-only history it leaves."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.activities import services
from portal.activities.models import ActivityStatus, StatusChange, Submission
from portal.audit.models import AuditEvent
from portal.extensions import db
from portal.notifications.models import Notification
from portal.outbox.models import OutboxEmail
from portal.plan import services as plan
from tests.activities.helpers import activity, complete, submit, upload
from tests.programme import share_plan

S = ActivityStatus
TITLE = "Communication e-learning"


def _put_in(status: ActivityStatus, case, staff) -> None:
    """Bring TITLE to `status` through the real transitions."""
    member = case.member
    target = activity(case, TITLE)
    if status is S.IN_PROGRESS:
        services.start_activity(case, target, by=member)
    elif status is S.SUBMITTED:
        submit(case, TITLE)
    elif status is S.COMPLETED:
        complete(case, TITLE, staff)
    elif status is S.RETURNED:
        submit(case, TITLE)
        services.return_activity(case, target, by=staff, comment="Name missing")
    elif status is S.WAIVED:
        services.waive_activity(case, target, by=staff, reason="Done elsewhere")
    db.session.commit()
    assert services.status_of(case, target.key) is status


def _attempt(action: str, case, by):
    target = activity(case, TITLE)
    if action == "start":
        services.start_activity(case, target, by=by)
    elif action == "submit":
        services.submit_evidence(
            case, target, by=by, upload=upload(), learned="L", practice_change="C"
        )
    elif action == "verify":
        services.verify_activity(case, target, by=by)
    elif action == "return":
        services.return_activity(case, target, by=by, comment="More please")
    elif action == "waive":
        services.waive_activity(case, target, by=by, reason="Not needed")


# (action, actor, from status) → resulting status, or None when refused.
TRANSITIONS = {
    ("start", S.NOT_STARTED): S.IN_PROGRESS,
    ("submit", S.NOT_STARTED): S.SUBMITTED,
    ("submit", S.IN_PROGRESS): S.SUBMITTED,
    ("submit", S.RETURNED): S.SUBMITTED,
    ("verify", S.SUBMITTED): S.COMPLETED,
    ("return", S.SUBMITTED): S.RETURNED,
    ("waive", S.NOT_STARTED): S.WAIVED,
    ("waive", S.IN_PROGRESS): S.WAIVED,
    ("waive", S.SUBMITTED): S.WAIVED,
    ("waive", S.RETURNED): S.WAIVED,
}
MEMBER_ACTIONS = {"start", "submit"}


@pytest.mark.parametrize("action", ["start", "submit", "verify", "return", "waive"])
@pytest.mark.parametrize("start_from", list(S))
def test_each_action_from_each_status(app, active, action, start_from):
    case, lead = active["case"], active["lead"]
    _put_in(start_from, case, lead)
    actor = case.member if action in MEMBER_ACTIONS else lead
    expected = TRANSITIONS.get((action, start_from))
    before = db.session.scalar(select(db.func.count()).select_from(StatusChange))
    if expected is None:
        with pytest.raises(services.ActivityError):
            _attempt(action, case, actor)
        db.session.rollback()
        assert services.status_of(case, activity(case, TITLE).key) is start_from
        assert db.session.scalar(select(db.func.count()).select_from(StatusChange)) == before
    else:
        _attempt(action, case, actor)
        db.session.commit()
        key = activity(case, TITLE).key
        assert services.status_of(case, key) is expected
        last = services.history_of(case, key)[-1]
        assert (last.from_status, last.to_status, last.changed_by_id) == (
            start_from,
            expected,
            actor.id,
        )


@pytest.mark.parametrize("action", ["start", "submit"])
def test_staff_cannot_make_the_members_changes(app, active, action):
    with pytest.raises(services.ActivityError):
        _attempt(action, active["case"], active["lead"])


@pytest.mark.parametrize("action", ["verify", "return", "waive"])
def test_the_member_cannot_make_staff_changes(app, active, action):
    _put_in(S.SUBMITTED, active["case"], active["lead"])
    with pytest.raises(services.ActivityError):
        _attempt(action, active["case"], active["member"])


def test_return_and_waive_need_a_reason(app, active):
    case, lead = active["case"], active["lead"]
    _put_in(S.SUBMITTED, case, lead)
    target = activity(case, TITLE)
    with pytest.raises(services.ActivityError, match="no_comment"):
        services.return_activity(case, target, by=lead, comment="  ")
    with pytest.raises(services.ActivityError, match="no_reason"):
        services.waive_activity(case, target, by=lead, reason="")


def test_history_is_appended_with_who_when_and_why(app, active):
    case, lead = active["case"], active["lead"]
    target = activity(case, TITLE)
    services.start_activity(case, target, by=case.member)
    db.session.commit()
    submit(case, TITLE)
    services.return_activity(case, target, by=lead, comment="The certificate has no name")
    db.session.commit()
    submit(case, TITLE, learned="Second try")
    services.verify_activity(case, target, by=lead)
    db.session.commit()
    history = services.history_of(case, target.key)
    assert [(h.from_status, h.to_status) for h in history] == [
        (S.NOT_STARTED, S.IN_PROGRESS),
        (S.IN_PROGRESS, S.SUBMITTED),
        (S.SUBMITTED, S.RETURNED),
        (S.RETURNED, S.SUBMITTED),
        (S.SUBMITTED, S.COMPLETED),
    ]
    assert history[2].comment == "The certificate has no name"
    assert history[2].changed_by_id == lead.id
    assert all(h.changed_at for h in history)
    # Earlier submissions are kept.
    submissions = services.submissions_of(case, target.key)
    assert [s.learned for s in submissions] == ["Second try", "I learned."]
    audited = db.session.scalars(
        select(AuditEvent.detail).where(AuditEvent.action == "activity.status_changed")
    ).all()
    assert len(audited) == 5
    assert f"{target.key} submitted->completed" in audited


def test_status_survives_a_revision_of_the_plan(app, active):
    case, lead = active["case"], active["lead"]
    complete(case, TITLE, lead)
    share_plan(case, lead, change_note="Moved a due date")
    version = plan.shared_version(case)
    plan.member_agrees(version, case=case, member=case.member)
    plan.advisor_approves(version, case=case, advisor=lead)
    db.session.commit()
    assert plan.active_version(case).number == 2
    overview = services.overview(case)
    statuses = {item.activity.title: item.status for item in overview.items}
    assert statuses[TITLE] is S.COMPLETED


def test_submission_notifies_the_lead_advisor_and_outcomes_the_member(app, active):
    case, lead = active["case"], active["lead"]
    submit(case, TITLE)
    notified = db.session.scalars(
        select(Notification.user_id).where(Notification.topic == f"verification:{case.id}")
    ).all()
    assert sorted(notified) == sorted([lead.id, active["colleague"].id])
    services.verify_activity(case, activity(case, TITLE), by=lead)
    db.session.commit()
    emails = db.session.scalars(
        select(OutboxEmail).where(OutboxEmail.to_address == case.member.email)
    ).all()
    assert emails
    for email in emails:  # content-free: no title, no reflection
        assert TITLE not in (email.body_text or "") + email.subject
        assert "I learned" not in (email.body_text or "")


def test_submission_is_kept_with_its_file(app, active):
    submission = submit(active["case"], TITLE)
    stored = db.session.get(Submission, submission.id)
    assert stored.file.original_name == "certificate.pdf"
    assert stored.file.content_type == "application/pdf"


# --- Through the web: the roles the routes allow ------------------------------------------------


def test_member_starts_and_staff_verify_over_http(app, active, signed_in):
    case, lead = active["case"], active["lead"]
    key = activity(case, TITLE).key
    member = signed_in(case.member)
    assert member.post(f"/activities/{key}/start").status_code == 302
    assert services.status_of(case, key) is S.IN_PROGRESS
    # A member cannot reach staff routes at all.
    assert member.post(f"/cases/{case.id}/activities/{key}/verify").status_code == 403
    submit(case, TITLE)
    staff = signed_in(lead)
    assert staff.post(f"/activities/{key}/start").status_code == 403
    response = staff.post(f"/cases/{case.id}/activities/{key}/return", data={"comment": ""})
    assert response.status_code == 400
    assert b"Say what is missing." in response.data
    assert services.status_of(case, key) is S.SUBMITTED
    assert staff.post(f"/cases/{case.id}/activities/{key}/verify").status_code == 302
    assert services.status_of(case, key) is S.COMPLETED


def test_team_colleague_may_verify_but_not_an_advisor_off_the_case(app, active, signed_in):
    case = active["case"]
    key = activity(case, TITLE).key
    submit(case, TITLE)
    outsider = signed_in(active["outsider"])
    assert outsider.post(f"/cases/{case.id}/activities/{key}/verify").status_code == 403
    assert outsider.get("/verification").data.count(TITLE.encode()) == 0
    colleague = signed_in(active["colleague"])
    assert TITLE.encode() in colleague.get("/verification").data
    assert colleague.post(f"/cases/{case.id}/activities/{key}/verify").status_code == 302
    assert services.status_of(case, key) is S.COMPLETED


def test_waive_needs_a_reason_over_http(app, active, signed_in):
    case = active["case"]
    key = activity(case, TITLE).key
    staff = signed_in(active["lead"])
    response = staff.post(f"/cases/{case.id}/activities/{key}/waive", data={"reason": ""})
    assert response.status_code == 400
    assert b"Give the reason for waiving." in response.data
    staff.post(f"/cases/{case.id}/activities/{key}/waive", data={"reason": "Covered by a course"})
    assert services.status_of(case, key) is S.WAIVED
    page = signed_in(case.member).get(f"/activities/{key}").data
    assert b"Covered by a course" in page


def test_an_activity_not_in_the_active_plan_is_404(app, active, signed_in):
    member = signed_in(active["member"])
    assert member.get("/activities/" + "0" * 32).status_code == 404
    other = signed_in(active["other_member"])
    key = activity(active["case"], TITLE).key
    assert other.get(f"/activities/{key}").status_code == 404
    assert other.post(f"/activities/{key}/start").status_code == 404


def test_queue_lists_submitted_activities_oldest_first(app, active, signed_in, monkeypatch):
    from datetime import timedelta

    from portal import clock

    case = active["case"]
    real_now = clock.now
    monkeypatch.setattr(clock, "now", lambda: real_now() - timedelta(days=2))
    submit(case, "Teach-back workshop")
    monkeypatch.setattr(clock, "now", real_now)
    submit(case, TITLE)
    page = signed_in(active["lead"]).get("/verification").data.decode()
    assert page.index("Teach-back workshop") < page.index(TITLE)
