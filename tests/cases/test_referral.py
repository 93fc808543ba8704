"""Referral intake: a staff member refers a member, from the form or the CLI."""

import re

from portal.audit.models import AuditEvent
from portal.auth.models import Role, User
from portal.cases.models import Case, Stage, StageChange
from portal.extensions import db
from portal.outbox.models import OutboxEmail

REFERRAL = {
    "name": "Dr. Test Member",
    "email": "new.member@example.org",
    "member_number": "m-123456",
    "type_of_work": "anaesthesiology",
    "province": "NS",
    "language": "fr",
    "reason": "Above peers in anaesthesiology: three matters in four years.",
}


def _refer(client, lead, **changes):
    return client.post("/cases/refer", data={**REFERRAL, "lead_advisor_id": lead.id, **changes})


def test_referral_creates_member_case_and_invitation(client, make_staff, login):
    staff = make_staff()
    login(staff)
    response = _refer(client, staff)
    assert response.status_code == 302
    case = db.session.scalars(db.select(Case)).one()
    assert response.location == f"/cases/{case.id}"
    assert case.stage is Stage.REFERRED and case.lead_advisor_id == staff.id
    member = db.session.get(User, case.member_id)
    assert member.role is Role.MEMBER and member.password_hash is None and member.language == "fr"
    assert [c.to_stage for c in db.session.scalars(db.select(StageChange))] == [Stage.REFERRED]
    email = db.session.scalars(db.select(OutboxEmail)).one()
    assert email.to_address == "new.member@example.org" and email.template == "invitation"
    assert email.language == "fr"
    assert REFERRAL["reason"] not in email.body_text and REFERRAL["reason"] not in email.body_html
    actions = db.session.scalars(db.select(AuditEvent.action)).all()
    assert {"case.referred", "account.invitation_sent"} <= set(actions)
    page = client.get(response.location).text
    assert "M-123456" in page and "Invitation pending" in page


def test_duplicate_email_or_member_number_is_refused_and_nothing_is_saved(
    client, make_staff, make_member, login
):
    staff = make_staff()
    existing = make_member()
    login(staff)
    _refer(client, staff)
    response = _refer(client, staff, email=existing.email.upper(), member_number="OTHER-1")
    assert response.status_code == 200
    assert "An account already uses this email address." in response.text
    response = _refer(client, staff, email="someone.else@example.org", member_number="M-123456")
    assert "A member with this number is already referred." in response.text
    assert "someone.else@example.org" in response.text  # what was typed is kept
    assert db.session.scalar(db.select(db.func.count()).select_from(Case)) == 1
    assert db.session.scalar(db.select(db.func.count()).select_from(OutboxEmail)) == 1


def test_invalid_referral_gets_clear_messages(client, make_staff, login):
    staff = make_staff()
    login(staff)
    response = _refer(client, staff, email="not-an-email", province="XX", member_number="<b>")
    assert response.status_code == 200
    assert "There is a problem" in response.text
    assert "Use letters, digits and hyphens only." in response.text
    assert db.session.scalar(db.select(db.func.count()).select_from(Case)) == 0


def test_members_cannot_refer(client, make_member, login):
    login(make_member())
    assert client.get("/cases/refer").status_code == 403


def test_resend_invitation_replaces_the_link(client, make_staff, login):
    staff = make_staff()
    login(staff)
    _refer(client, staff)
    case = db.session.scalars(db.select(Case)).one()
    assert client.post(f"/cases/{case.id}/resend-invitation").status_code == 302
    emails = db.session.scalars(db.select(OutboxEmail).order_by(OutboxEmail.id)).all()
    links = [re.search(r"(/invitation/\S+)", e.body_text).group(1) for e in emails]
    client.post("/logout")
    assert client.get(links[0]).status_code == 404
    assert client.get(links[1]).status_code == 200


def test_case_list_shows_only_my_cases_and_its_query_count_is_flat(
    client, make_staff, make_case, login, query_counter
):
    staff, other = make_staff(), make_staff()
    mine = make_case(lead=staff)
    make_case(lead=other)
    login(staff)
    with query_counter() as few:
        page = client.get("/cases/")
    assert page.text.count("/cases/") >= 1 and mine.member.name in page.text
    assert page.text.count("<tr>") == 2  # header + my one case
    for _ in range(10):
        make_case(lead=staff)
    with query_counter() as many:
        client.get("/cases/")
    assert many.count == few.count


def test_cli_refers_and_refuses_duplicates(app, make_staff):
    staff = make_staff()
    runner = app.test_cli_runner()
    args = [
        "cases",
        "refer",
        "--name",
        "Dr. Cli",
        "--email",
        "cli@example.org",
        "--member-number",
        "C-1",
        "--specialty",
        "Surgery",
        "--province",
        "AB",
        "--reason",
        "Test",
        "--lead",
        staff.email,
    ]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    again = runner.invoke(args=args)
    assert again.exit_code != 0 and "already uses" in again.output
    other_number = runner.invoke(
        args=[a if a != "cli@example.org" else "cli2@example.org" for a in args]
    )
    assert other_number.exit_code != 0 and "already referred" in other_number.output
    assert db.session.scalar(db.select(db.func.count()).select_from(Case)) == 1


def test_cli_creates_users_with_an_invitation(app):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "Staff@Example.org",
            "--name",
            "New Staff",
            "--role",
            "staff",
        ]
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalars(db.select(User)).one()
    assert user.email == "staff@example.org" and user.role is Role.STAFF
    assert db.session.scalars(db.select(OutboxEmail.template)).one() == "invitation"
    duplicate = runner.invoke(
        args=["users", "create", "--email", "staff@example.org", "--name", "X", "--role", "admin"]
    )
    assert duplicate.exit_code != 0
