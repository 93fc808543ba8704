"""Fixtures for the activities tests: uploads in the test's own folder, and a member whose plan is
active, with a lead advisor, a colleague on the case team and an advisor not on the case."""

from __future__ import annotations

import pytest

from portal.cases.models import CaseTeamMember, Stage
from portal.extensions import db
from tests.activities.helpers import activate_plan


@pytest.fixture
def app_overrides(tmp_path) -> dict:
    return {"UPLOAD_DIR": str(tmp_path / "uploads")}


@pytest.fixture
def people(make_member, make_staff, make_admin, make_case):
    member = make_member(name="Dr. Member One")
    lead = make_staff(name="Lead Advisor")
    colleague = make_staff(name="Team Colleague")
    outsider = make_staff(name="Other Advisor")
    admin = make_admin(name="An Admin")
    other_member = make_member(name="Dr. Other Member")
    case = make_case(member=member, lead=lead, stage=Stage.ASSESSMENT)
    make_case(member=other_member, lead=outsider)
    db.session.add(CaseTeamMember(case_id=case.id, staff_id=colleague.id))
    db.session.commit()
    return {
        "member": member,
        "lead": lead,
        "colleague": colleague,
        "outsider": outsider,
        "admin": admin,
        "other_member": other_member,
        "case": case,
    }


@pytest.fixture
def active(people):
    """The people, with the member's plan active (tests.activities.helpers.DEFAULT)."""
    activate_plan(people["case"], people["lead"])
    return people


@pytest.fixture
def signed_in(app, login):
    """`signed_in(user)`: a fresh client signed in as `user`."""

    def sign_in(user):
        client = app.test_client()
        login(user, test_client=client)
        return client

    return sign_in
