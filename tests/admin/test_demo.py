"""The demo gives every administration page something real to show."""

import pytest

from portal.demo import load_demo
from portal.extensions import db
from portal.outbox.models import EmailStatus, OutboxEmail


@pytest.fixture
def app_overrides():
    return {"REPORT_MIN_MEMBERS": 1}


def test_the_demo_fills_the_admin_pages(app, client):
    load_demo()
    db.session.commit()
    failed = db.session.scalars(
        db.select(OutboxEmail).where(OutboxEmail.status == EmailStatus.FAILED)
    ).one()
    assert failed.last_error and failed.body_text
    client.post("/login", data={"email": "admin@example.org", "password": "msp-demo-2026"})
    outbox = client.get("/admin/outbox?status=failed").text
    assert "advisor2@example.org" in outbox and "Mailbox full" in outbox and "Send again" in outbox
    audit = client.get("/admin/audit").text
    assert "case.referred" in client.get("/admin/audit?action=case.").text
    assert "auth.login" in audit
    cases = client.get("/admin/cases").text
    assert "Dr. Claire Tremblay" in cases and "Dr. Samuel Okafor" in cases
    report = client.get("/admin/report").text
    assert "Not shown" not in report and '<svg class="chart"' in report
    assert "days" in report
