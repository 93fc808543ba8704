"""Fixtures for the messaging tests: uploads in the test's own folder, a frozen clock, a member's
case with its lead advisor, and sign-in helpers for several people at once."""

from __future__ import annotations

import pytest

from portal.cases.models import CaseTeamMember
from portal.extensions import db


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
