from portal.audit.models import AuditEvent
from portal.auth.models import UserSession
from portal.extensions import db


def test_member_signs_in_and_lands_on_dashboard(client, make_member, login):
    member = make_member()
    response = login(member)
    assert response.location == "/"
    page = client.get("/", follow_redirects=True)
    assert page.request.path == "/dashboard"
    assert "Your Member Support Program" in page.text


def test_staff_lands_on_case_list(client, make_staff, login):
    staff = make_staff()
    login(staff)
    page = client.get("/", follow_redirects=True)
    assert page.request.path == "/cases/"


def test_wrong_password_is_refused_and_audited(client, make_member):
    member = make_member()
    response = client.post("/login", data={"email": member.email, "password": "wrong password!"})
    assert response.status_code == 200
    assert "The email or password is not right." in response.text
    events = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "auth.login")).all()
    assert [e.outcome.value for e in events] == ["failure"]
    assert db.session.scalar(db.select(db.func.count()).select_from(UserSession)) == 0
