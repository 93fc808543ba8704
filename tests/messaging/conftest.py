"""Fixtures for the messaging tests: uploads in the test's own folder, a frozen clock, a member's
case with its lead advisor, and sign-in helpers for several people at once."""

from __future__ import annotations

import pytest

from portal.cases.models import CaseTeamMember
from portal.extensions import db
from portal.outbox.models import OutboxEmail


@pytest.fixture
def app_overrides(tmp_path) -> dict:
    return {"UPLOAD_DIR": str(tmp_path / "uploads")}


@pytest.fixture
def team(make_member, make_staff, make_case):
    """A member's case: lead advisor, a second advisor on the case team, and an outsider."""
    member = make_member(name="Dr. Member One")
    lead = make_staff(name="Lead Advisor")
    colleague = make_staff(name="Team Colleague")
    outsider = make_staff(name="Other Advisor")
    case = make_case(member=member, lead=lead)
    db.session.add(CaseTeamMember(case_id=case.id, staff_id=colleague.id))
    db.session.commit()
    return {
        "member": member,
        "lead": lead,
        "colleague": colleague,
        "outsider": outsider,
        "case": case,
    }


@pytest.fixture
def client_for(app, login):
    """`client_for(user)`: a test client of its own, signed in as `user`."""

    def make(user):
        test_client = app.test_client()
        login(user, test_client=test_client)
        return test_client

    return make


@pytest.fixture
def emails(app):
    """`emails()`: the outbox rows, oldest first, as (recipient address, template)."""

    def read():
        db.session.expire_all()
        return [
            (row.to_address, row.template)
            for row in db.session.scalars(db.select(OutboxEmail).order_by(OutboxEmail.id))
        ]

    return read
