"""The demo covers the caseload pages: flagged, closed and break-glass cases included."""

from portal.extensions import db
from tests.cases.test_caseload import _rows


def _sign_in(app, email):
    client = app.test_client()
    response = client.post("/login", data={"email": email, "password": "msp-demo-2026"})
    assert response.status_code == 302
    return client


def test_demo_caseload(app):
    assert "demo data loaded" in app.test_cli_runner().invoke(args=["demo"]).output
    db.session.expire_all()
    advisor = _sign_in(app, "advisor@example.org")
    rows = _rows(advisor.get("/cases/").text)
    assert len(rows) >= 7
    assert any("Dr. Olivia Chen" in r and "No contact for 11 weeks" in r for r in rows)
    assert "Dr. Grace Morin" in advisor.get("/cases/?stage=closed").text
    admin = _sign_in(app, "admin@example.org")
    assert "Dr. Samuel Okafor" in admin.get("/cases/break-glass").text
    haddad = _sign_in(app, "f.haddad@example.org")
    assert "Opened by someone not on your case" in haddad.get("/my-file/views").text
    morin = _sign_in(app, "g.morin@example.org")
    assert "Closing summary from the MSP team" in morin.get("/dashboard").text
