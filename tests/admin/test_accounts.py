"""Staff accounts: inviting staff and admins, changing role, deactivating (which signs the person
out at once) — all audited."""

import re

from portal.audit.models import AuditEvent
from portal.auth.models import Role, User, UserSession
from portal.extensions import db
from portal.outbox.models import OutboxEmail


def _actions() -> list[str]:
    return list(db.session.scalars(db.select(AuditEvent.action).order_by(AuditEvent.id)))


def _invite(client, **changes):
    data = {
        "name": "Dr. New Advisor",
        "email": "New.Advisor@example.org",
        "role": "staff",
        "language": "fr",
        **changes,
    }
    return client.post("/admin/users/invite", data=data)


def test_inviting_a_staff_member_creates_the_account_and_sends_the_invitation(
    admin, admin_client, app
):
    assert admin_client.get("/admin/users/invite").status_code == 200
    response = _invite(admin_client)
    assert response.status_code == 302 and response.location == "/admin/users"
    user = db.session.scalars(db.select(User).where(User.email == "new.advisor@example.org")).one()
    assert user.role is Role.STAFF and user.language == "fr" and not user.has_password
    email = db.session.scalars(db.select(OutboxEmail)).one()
    assert (email.to_address, email.template, email.language) == (user.email, "invitation", "fr")
    created = db.session.scalars(
        db.select(AuditEvent).where(AuditEvent.action == "account.created")
    ).one()
    assert (created.actor_id, created.object_id, created.detail) == (admin.id, user.id, "staff")
    assert "account.invitation_sent" in _actions()
    # The link works: the new advisor chooses a password and is staff.
    link = re.search(r"(/invitation/\S+)", email.body_text).group(1)
    assert app.test_client().get(link).status_code == 200
    page = admin_client.get("/admin/users").text
    assert "Dr. New Advisor" in page and "Invited" in page


def test_an_admin_can_be_invited_too(admin_client):
    _invite(admin_client, email="second.admin@example.org", role="admin")
    user = db.session.scalars(db.select(User).where(User.email == "second.admin@example.org"))
    assert user.one().role is Role.ADMIN


def test_invitation_refuses_a_used_address_bad_input_and_the_member_role(admin_client, make_member):
    member = make_member()
    response = _invite(admin_client, email=member.email.upper())
    assert response.status_code == 200
    assert "An account already uses this email address." in response.text
    response = _invite(admin_client, email="not-an-address", role="member", name="")
    assert response.status_code == 200 and "There is a problem" in response.text
    assert 'aria-describedby="role-error"' in response.text
    assert db.session.scalar(db.select(db.func.count()).select_from(OutboxEmail)) == 0
    assert db.session.scalar(db.select(db.func.count()).select_from(User)) == 2


def test_role_changes_between_staff_and_admin_and_is_audited(admin, admin_client, make_staff):
    staff = make_staff()
    response = admin_client.post(f"/admin/users/{staff.id}/role", data={"role": "admin"})
    assert response.status_code == 302
    db.session.refresh(staff)
    assert staff.role is Role.ADMIN
    event = db.session.scalars(
        db.select(AuditEvent).where(AuditEvent.action == "account.role_changed")
    ).one()
    assert (event.actor_id, event.object_id, event.detail) == (admin.id, staff.id, "staff -> admin")
    admin_client.post(f"/admin/users/{staff.id}/role", data={"role": "staff"})
    db.session.refresh(staff)
    assert staff.role is Role.STAFF
    # The same role again changes nothing and records nothing.
    admin_client.post(f"/admin/users/{staff.id}/role", data={"role": "staff"})
    assert _actions().count("account.role_changed") == 2


def test_role_change_refuses_members_oneself_and_unknown_roles(
    admin, admin_client, make_member, make_staff
):
    member, staff = make_member(), make_staff()
    admin_client.post(f"/admin/users/{member.id}/role", data={"role": "staff"})
    admin_client.post(f"/admin/users/{admin.id}/role", data={"role": "staff"})
    response = admin_client.post(f"/admin/users/{staff.id}/role", data={"role": "member"})
    assert response.status_code == 302
    for user, role in ((member, Role.MEMBER), (admin, Role.ADMIN), (staff, Role.STAFF)):
        db.session.refresh(user)
        assert user.role is role
    assert "account.role_changed" not in _actions()
    page = admin_client.get("/admin/users").text
    assert "Choose staff or administrator." in page
    assert admin_client.post("/admin/users/999999/role", data={"role": "admin"}).status_code == 404


def test_a_staff_member_becoming_admin_reaches_admin_pages_at_once(
    admin_client, make_staff, client_for
):
    staff = make_staff()
    staff_client = client_for(staff)
    assert staff_client.get("/admin/audit").status_code == 403
    admin_client.post(f"/admin/users/{staff.id}/role", data={"role": "admin"})
    assert staff_client.get("/admin/audit").status_code == 200
    admin_client.post(f"/admin/users/{staff.id}/role", data={"role": "staff"})
    assert staff_client.get("/admin/audit").status_code == 403


def test_deactivation_signs_the_person_out_at_once(admin_client, make_staff, client_for):
    staff = make_staff()
    staff_client = client_for(staff)  # a live session, with its cookie
    assert staff_client.get("/cases/").status_code == 200
    response = admin_client.post(f"/admin/users/{staff.id}/active", data={"active": "0"})
    assert response.status_code == 302
    # The very next request with the old cookie is signed out.
    response = staff_client.get("/cases/")
    assert response.status_code == 302 and response.location.startswith("/login")
    sessions = db.session.scalars(db.select(UserSession).where(UserSession.user_id == staff.id))
    assert all(s.ended_at is not None and s.end_reason == "deactivated" for s in sessions)
    assert "account.deactivated" in _actions()
    # Reactivated, the old cookie still does not work: they sign in again.
    admin_client.post(f"/admin/users/{staff.id}/active", data={"active": "1"})
    assert staff_client.get("/cases/").status_code == 302
    assert client_for(staff).get("/cases/").status_code == 200


def test_members_and_staff_cannot_reach_account_management(make_member, make_staff, client_for):
    for user in (make_member(), make_staff()):
        client = client_for(user)
        assert client.get("/admin/users").status_code == 403
        assert client.get("/admin/users/invite").status_code == 403
        assert _invite(client).status_code == 403
    assert db.session.scalar(db.select(db.func.count()).select_from(OutboxEmail)) == 0
