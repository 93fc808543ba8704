from portal import create_app
from portal.auth.models import User
from portal.cases.models import Case, Stage
from portal.extensions import db

# portal/demo/caseload.py: more of the advisor's members, at every stage.
CASELOAD_STAGES = {
    "n.williams@example.org": Stage.REFERRED,
    "f.haddad@example.org": Stage.ASSESSMENT,
    "m.lefebvre@example.org": Stage.PLANNING,
    "o.chen@example.org": Stage.ONGOING_SUPPORT,
    "e.roy@example.org": Stage.ONGOING_SUPPORT,
    "g.morin@example.org": Stage.CLOSED,
}


def test_demo_loads_once_with_the_documented_accounts(app, client):
    runner = app.test_cli_runner()
    assert "demo data loaded" in runner.invoke(args=["demo"]).output
    assert "already loaded" in runner.invoke(args=["demo"]).output
    emails = set(db.session.scalars(db.select(User.email)))
    assert emails == {
        "admin@example.org",
        "advisor@example.org",
        "advisor2@example.org",
        "member@example.org",
        "member2@example.org",
        "member3@example.org",
        *CASELOAD_STAGES,
    }
    stages = {c.member.email: c.stage for c in db.session.scalars(db.select(Case))}
    assert stages == {
        "member@example.org": Stage.PLANNING,
        "member2@example.org": Stage.ONGOING_SUPPORT,
        "member3@example.org": Stage.REFERRED,
        **CASELOAD_STAGES,
    }
    for email in emails - {"member3@example.org"}:
        response = app.test_client().post(
            "/login", data={"email": email, "password": "msp-demo-2026"}
        )
        assert response.status_code == 302, email
    member3 = db.session.scalars(db.select(User).where(User.email == "member3@example.org")).one()
    assert member3.password_hash is None


def test_demo_refuses_in_production(database_url, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x" * 64)
    app = create_app("production", {"SQLALCHEMY_DATABASE_URI": database_url})
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code != 0 and "not loaded in production" in result.output
