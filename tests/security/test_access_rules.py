"""Deny by default: every route declares who may reach it, and each role gets what it should.

EXPECTED is the reviewed table of rules. A new route fails this suite until it has both an
`@access(...)` declaration and a line here.
"""

import re

import pytest
from flask import Flask

from portal.access import Access, rule_for_endpoint
from portal.audit.models import AuditEvent
from portal.extensions import db

EXPECTED = {
    "static": Access.PUBLIC,
    "auth.login": Access.ANONYMOUS,
    "auth.logout": Access.AUTHENTICATED,
    "auth.accept_invitation": Access.ANONYMOUS,
    "auth.forgot_password": Access.ANONYMOUS,
    "auth.reset_password": Access.ANONYMOUS,
    "auth.change_password": Access.AUTHENTICATED,
    "home.index": Access.AUTHENTICATED,
    "home.dashboard": Access.MEMBER,
    "cases.index": Access.STAFF,
    "cases.refer": Access.STAFF,
    "cases.show": Access.STAFF,
    "cases.resend_invitation": Access.STAFF,
    "admin.users": Access.ADMIN,
    "admin.set_user_active": Access.ADMIN,
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


@pytest.fixture
def people(make_member, make_staff, make_admin, make_case):
    member, other_member = make_member(), make_member()
    staff, staff_not_on_case, admin = make_staff(), make_staff(), make_admin()
    case = make_case(member=member, lead=staff)
    make_case(member=other_member, lead=staff_not_on_case)
    return {
        "member": member,
        "other_member": other_member,
        "staff": staff,
        "staff_not_on_case": staff_not_on_case,
        "admin": admin,
        "case": case,
    }


def _url(rule, case_id: int, user_id: int) -> str:
    values = {
        "case_id": case_id,
        "user_id": user_id,
        "token": "not-a-real-token",
        "filename": "css/portal.css",
    }
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", lambda m: str(values[m.group(1)]), rule.rule)


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
    case = people["case"]
    for rule in app.url_map.iter_rules():
        access = EXPECTED[rule.endpoint]
        url = _url(rule, case.id, people["member"].id)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if rule.endpoint in {"auth.logout", "i18n.switch_language"}:
                continue  # would end or change the session under test; covered elsewhere
            response = client.open(url, method=method)
            where = f"{who} {method} {url}"
            assert response.status_code < 500, where
            if access is Access.PUBLIC:
                assert response.status_code != 403, where
            elif access is Access.ANONYMOUS:
                if who == "anonymous":
                    assert response.status_code in {200, 404}, where
                else:
                    assert response.status_code == 302 and response.location == "/", where
            elif who == "anonymous":
                assert response.status_code == 302, where
                assert response.location.startswith("/login"), where
            elif who not in ROLE_ALLOWED[access]:
                assert response.status_code == 403, where
            elif (
                rule.endpoint.startswith("cases.")
                and "<" in rule.rule
                and who == "staff_not_on_case"
            ):
                assert response.status_code == 404, where  # not their case: as if it did not exist
            else:
                assert response.status_code in {200, 302}, where


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
    assert outsider.get(f"/cases/{people['case'].id}").status_code == 404
    denied = db.session.scalars(
        db.select(AuditEvent).where(AuditEvent.action == "access.denied").order_by(AuditEvent.id)
    ).all()
    assert [(e.actor_id, e.outcome.value) for e in denied] == [
        (people["member"].id, "denied"),
        (people["staff_not_on_case"].id, "denied"),
    ]
    assert denied[1].object_id == people["case"].id
