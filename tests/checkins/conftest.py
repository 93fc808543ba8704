"""Fixtures for the check-in tests, with the clock frozen (`frozen_clock`, tests/conftest.py): a
member in Saskatchewan whose lead advisor is in Ontario (so times read differently on each side), a
colleague on the case team, and outsiders."""

from __future__ import annotations

import pytest

from portal.cases.models import CaseTeamMember, Stage
from portal.extensions import db


@pytest.fixture
def people(frozen_clock, make_member, make_staff, make_admin, make_case):
    member = make_member(name="Dr. Member One")
    member.time_zone = "America/Regina"
    lead = make_staff(name="Lead Advisor")
    lead.time_zone = "America/Toronto"
    colleague = make_staff(name="Team Colleague")
    outsider = make_staff(name="Other Advisor")
    other_member = make_member(name="Dr. Other Member")
    case = make_case(member=member, lead=lead, stage=Stage.ONGOING_SUPPORT)
    other_case = make_case(member=other_member, lead=outsider, stage=Stage.ONGOING_SUPPORT)
    db.session.add(CaseTeamMember(case_id=case.id, staff_id=colleague.id))
    db.session.commit()
    return {
        "member": member,
        "lead": lead,
        "colleague": colleague,
        "outsider": outsider,
        "other_member": other_member,
        "case": case,
        "other_case": other_case,
    }
