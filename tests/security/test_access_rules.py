"""Deny by default: every route declares who may reach it, and each role gets what it should.

EXPECTED is the reviewed table of rules. A new route fails this suite until it has both an
`@access(...)` declaration and a line here.
"""

import pytest
from flask import Flask

from portal.access import Access, rule_for_endpoint
from portal.audit.models import AuditEvent
from portal.extensions import db
from tests.security.routes import OBJECT_PARAMETERS, url_of

EXPECTED = {
    "static": Access.PUBLIC,
    "auth.login": Access.ANONYMOUS,
    "auth.logout": Access.AUTHENTICATED,
    "auth.accept_invitation": Access.ANONYMOUS,
    "auth.forgot_password": Access.PUBLIC,
    "auth.reset_password": Access.PUBLIC,
    "auth.change_password": Access.AUTHENTICATED,
    "auth.change_email": Access.AUTHENTICATED,
    "auth.cancel_email_change": Access.AUTHENTICATED,
    "auth.confirm_email_change": Access.AUTHENTICATED,
    "twofactor.verify": Access.ANONYMOUS,
    "twofactor.settings": Access.AUTHENTICATED,
    "twofactor.setup": Access.AUTHENTICATED,
    "twofactor.renew_recovery_codes": Access.AUTHENTICATED,
    "twofactor.turn_off": Access.AUTHENTICATED,
    "home.index": Access.AUTHENTICATED,
    "home.dashboard": Access.MEMBER,
    "cases.index": Access.STAFF,
    "cases.refer": Access.STAFF,
    "identification.queue": Access.STAFF,
    "identification.screen_now": Access.STAFF,
    "identification.member": Access.STAFF,
    "identification.refer": Access.STAFF,
    "identification.watch": Access.STAFF,
    "identification.not_now": Access.STAFF,
    "identification.import_files": Access.STAFF,
    "identification.import_result": Access.STAFF,
    "cases.show": Access.STAFF,
    "cases.resend_invitation": Access.STAFF,
    "cases.find": Access.STAFF,
    "cases.break_glass": Access.STAFF,
    "cases.break_glass_log": Access.ADMIN,
    "cases.timeline_view": Access.STAFF,
    "cases.close": Access.STAFF,
    "cases.reopen": Access.STAFF,
    "cases.view_log": Access.MEMBER,
    "assessment.staff_view": Access.STAFF,
    "assessment.start_draft": Access.STAFF,
    "assessment.update_summary": Access.STAFF,
    "assessment.update_history": Access.STAFF,
    "assessment.add_factor": Access.STAFF,
    "assessment.edit_factor": Access.STAFF,
    "assessment.remove_factor": Access.STAFF,
    "assessment.release": Access.STAFF,
    "assessment.staff_version": Access.STAFF,
    "assessment.member_view": Access.MEMBER,
    "assessment.member_version": Access.MEMBER,
    "assessment.add_perspective": Access.MEMBER,
    "assessment.acknowledge": Access.MEMBER,
    "assessment.member_print": Access.MEMBER,
    "plan.staff_view": Access.STAFF,
    "plan.start_draft": Access.STAFF,
    "plan.add_goal": Access.STAFF,
    "plan.edit_goal": Access.STAFF,
    "plan.remove_goal": Access.STAFF,
    "plan.add_activity": Access.STAFF,
    "plan.edit_activity": Access.STAFF,
    "plan.remove_activity": Access.STAFF,
    "plan.share": Access.STAFF,
    "plan.approve": Access.STAFF,
    "plan.staff_version": Access.STAFF,
    "plan.staff_compare": Access.STAFF,
    "plan.member_view": Access.MEMBER,
    "plan.member_version": Access.MEMBER,
    "plan.add_input": Access.MEMBER,
    "plan.agree": Access.MEMBER,
    "plan.member_compare": Access.MEMBER,
    "plan.member_print": Access.MEMBER,
    "activities.member_view": Access.MEMBER,
    "activities.member_activity": Access.MEMBER,
    "activities.start": Access.MEMBER,
    "activities.submit": Access.MEMBER,
    "activities.evidence": Access.AUTHENTICATED,
    "activities.summary_csv": Access.MEMBER,
    "activities.summary_pdf": Access.MEMBER,
    "activities.queue": Access.STAFF,
    "activities.staff_view": Access.STAFF,
    "activities.staff_activity": Access.STAFF,
    "activities.verify": Access.STAFF,
    "activities.return_to_member": Access.STAFF,
    "activities.waive": Access.STAFF,
    "activities.complete_plan": Access.STAFF,
    "activities.add_from_catalog": Access.STAFF,
    "activities.catalog": Access.STAFF,
    "activities.new_entry": Access.STAFF,
    "activities.edit_entry": Access.STAFF,
    "activities.retire_entry": Access.STAFF,
    "messaging.index": Access.MEMBER,
    "messaging.new": Access.MEMBER,
    "messaging.inbox": Access.STAFF,
    "messaging.start_for_case": Access.STAFF,
    "messaging.show": Access.AUTHENTICATED,
    "messaging.reply": Access.AUTHENTICATED,
    "messaging.add_note": Access.STAFF,
    "messaging.assign": Access.STAFF,
    "messaging.no_reply_needed": Access.STAFF,
    "messaging.transcript": Access.AUTHENTICATED,
    "messaging.attachment": Access.AUTHENTICATED,
    "messaging.canned_replies": Access.ADMIN,
    "messaging.edit_canned_reply": Access.ADMIN,
    "messaging.delete_canned_reply": Access.ADMIN,
    "notifications.settings": Access.AUTHENTICATED,
    "privacy.index": Access.MEMBER,
    "privacy.download": Access.MEMBER,
    "checkins.member_list": Access.MEMBER,
    "checkins.request_reschedule": Access.MEMBER,
    "checkins.staff_list": Access.STAFF,
    "checkins.staff_check_in": Access.STAFF,
    "checkins.reschedule": Access.STAFF,
    "checkins.cancel": Access.STAFF,
    "checkins.record_outcome": Access.STAFF,
    "checkins.decline_request": Access.STAFF,
    "admin.users": Access.ADMIN,
    "admin.set_user_active": Access.ADMIN,
    "admin.invite_staff": Access.ADMIN,
    "admin.change_role": Access.ADMIN,
    "admin.cases": Access.ADMIN,
    "admin.reassign_all": Access.ADMIN,
    "admin.case_assignment": Access.ADMIN,
    "admin.audit": Access.ADMIN,
    "admin.audit_csv": Access.ADMIN,
    "admin.outbox": Access.ADMIN,
    "admin.retry_email": Access.ADMIN,
    "reports.report": Access.ADMIN,
    "reports.report_csv": Access.ADMIN,
    "reports.refresh_report": Access.ADMIN,
    "i18n.switch_language": Access.PUBLIC,
}

ROLE_ALLOWED = {
    Access.MEMBER: {"member", "other_member"},
    Access.STAFF: {"staff", "staff_not_on_case", "admin"},
    Access.ADMIN: {"admin"},
    Access.AUTHENTICATED: {"member", "other_member", "staff", "staff_not_on_case", "admin"},
}


def test_every_route_declares_an_access_rule_and_it_is_the_reviewed_one(app: Flask):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    with app.test_request_context():
        declared = {endpoint: rule_for_endpoint(endpoint) for endpoint in endpoints}
    undeclared = sorted(e for e, rule in declared.items() if rule is None)
    assert not undeclared, f"routes without @access(...): {undeclared}"
    assert declared == EXPECTED


def test_an_undeclared_route_is_refused_for_everyone(app, client):
    @app.route("/forgotten")
    def forgotten():
        return "should never be served"

    assert client.get("/forgotten").status_code == 403
    assert db.session.scalar(
        db.select(AuditEvent).where(AuditEvent.detail.like("route.undeclared%"))
    )


@pytest.mark.parametrize(
    "who", ["anonymous", "member", "other_member", "staff", "staff_not_on_case", "admin"]
)
def test_every_route_answers_each_role_as_declared(app, people, who):
    client = app.test_client()
    if who != "anonymous":
        assert (
            client.post(
                "/login",
                data={"email": people[who].email, "password": "correct horse battery staple"},
            ).status_code
            == 302
        )
    for rule in app.url_map.iter_rules():
        access = EXPECTED[rule.endpoint]
        url = url_of(rule, people)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if rule.endpoint in {"auth.logout", "i18n.switch_language"}:
                continue  # would end or change the session under test; covered elsewhere
            response = client.open(url, method=method)
            where = f"{who} {method} {url}"
            assert response.status_code < 500, where
            if access is Access.PUBLIC:
                assert response.status_code != 403, where
            elif access is Access.ANONYMOUS:
                if who == "anonymous" and rule.endpoint == "twofactor.verify":
                    assert response.location == "/login", where  # no password step yet
                elif who == "anonymous":
                    assert response.status_code in {200, 404}, where
                else:
                    assert response.status_code == 302 and response.location == "/", where
            elif who == "anonymous":
                assert response.status_code == 302, where
                assert response.location.startswith("/login"), where
            elif who not in ROLE_ALLOWED[access]:
                assert response.status_code == 403, where
            elif who in {"other_member", "staff_not_on_case"} and any(
                f"<int:{p}>" in rule.rule for p in ("conversation_id", "attachment_id")
            ):
                assert response.status_code == 404, where  # not their case's conversation
            elif rule.endpoint == "cases.break_glass" and who == "staff_not_on_case":
                # The reason form; sent empty here, it is refused and opens nothing.
                assert response.status_code == (200 if method == "GET" else 400), where
            elif "<int:case_id>" in rule.rule and who == "staff_not_on_case":
                assert response.status_code == 403, where  # not their case: asked for a reason
                assert "Open a case you are not on" in response.text, where
            elif who == "other_member" and any(p in rule.rule for p in OBJECT_PARAMETERS):
                assert response.status_code == 404, where  # no such version in their own case
            elif "<token>" in rule.rule:
                assert response.status_code == 404, where  # not a real link's token
            elif any(p in rule.rule for p in OBJECT_PARAMETERS):
                # An earlier request of the walk (a removal) may have taken the object away.
                assert response.status_code in {200, 302, 400, 404}, where
            else:
                assert response.status_code in {200, 302, 400}, where


def test_refusals_are_audited(app, people):
    client = app.test_client()
    client.post(
        "/login", data={"email": people["member"].email, "password": "correct horse battery staple"}
    )
    assert client.get("/admin/users").status_code == 403
    outsider = app.test_client()
    outsider.post(
        "/login",
        data={
            "email": people["staff_not_on_case"].email,
            "password": "correct horse battery staple",
        },
    )
    refused = outsider.get(f"/cases/{people['case'].id}")
    assert refused.status_code == 403 and "Why do you need to open this case?" in refused.text
    assert people["member"].email not in refused.text  # the minimum only, not the file
    denied = db.session.scalars(
        db.select(AuditEvent).where(AuditEvent.action == "access.denied").order_by(AuditEvent.id)
    ).all()
    assert [(e.actor_id, e.outcome.value) for e in denied] == [
        (people["member"].id, "denied"),
        (people["staff_not_on_case"].id, "denied"),
    ]
    assert denied[1].object_id == people["case"].id
    assert denied[1].detail.startswith("case.break_glass_required")


MISSING = {"activity_key": "no-such-activity", "token": None, "filename": None}


@pytest.mark.parametrize("who", ["member", "staff", "admin"])
def test_an_object_that_does_not_exist_answers_404(app, people, who):
    """The third column of the matrix: for everyone allowed on a route, each object id in its URL
    replaced in turn by one that does not exist answers 404, whatever the method."""
    client = app.test_client()
    client.post(
        "/login", data={"email": people[who].email, "password": "correct horse battery staple"}
    )
    checked = 0
    for rule in app.url_map.iter_rules():
        if who not in ROLE_ALLOWED.get(EXPECTED[rule.endpoint], set()):
            continue
        for parameter in sorted(rule.arguments):
            if MISSING.get(parameter, 0) is None:
                continue  # not an object id: tokens and static files have their own tests
            missing = str(MISSING.get(parameter, 999_999))
            url = url_of(rule, people, **{parameter: missing})
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                response = client.open(url, method=method)
                assert response.status_code == 404, f"{who} {method} {url}"
                checked += 1
    assert checked > 0
