"""Fixtures for the archive tests: uploads in the test's own folder, the clock frozen, and a member
whose file holds every kind of record (with drafts, internal notes and another member's records
that the archive must leave out)."""

from __future__ import annotations

import pytest

from portal.cases.models import Stage
from portal.extensions import db
from tests.privacy.helpers import fill_file, fill_other_file


@pytest.fixture
def app_overrides(tmp_path) -> dict:
    return {"UPLOAD_DIR": str(tmp_path / "uploads")}


@pytest.fixture
def people(frozen_clock, make_member, make_staff, make_admin, make_case):
    member = make_member(name="Dr. Archive Owner")
    member.time_zone = "America/Edmonton"
    lead = make_staff(name="Lead Advisor")
    admin = make_admin(name="An Admin")
    other_member = make_member(name="Dr. Someone Else")
    case = make_case(member=member, lead=lead, stage=Stage.ASSESSMENT)
    other_case = make_case(member=other_member, lead=lead, stage=Stage.ASSESSMENT)
    db.session.commit()
    return {
        "member": member,
        "lead": lead,
        "admin": admin,
        "other_member": other_member,
        "case": case,
        "other_case": other_case,
    }


@pytest.fixture
def full(people, frozen_clock):
    """The people, with the member's file filled (tests.privacy.helpers.fill_file) and another
    member's file holding records of its own."""
    people["records"] = fill_file(people["case"], people["lead"], frozen_clock)
    fill_other_file(people["other_case"], people["lead"])
    return people
