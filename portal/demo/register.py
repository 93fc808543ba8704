"""The demo's register: about 2,000 synthetic members in six types of work over their whole
membership, with planted high-rate and rising members so that the screening queue shows real
flags, and the demo members' own matters, so that their assessments' figures are the register's.

Imported through the real importer (the same CSV files a mutual would send) and screened."""

import io
from datetime import date, timedelta

from flask import current_app

from portal import clock
from portal.identification.importer import import_register
from portal.identification.screening import screen
from portal.identification.synthetic import FixedMember, generate


def _years_ago(today: date, years: float) -> date:
    return today - timedelta(days=round(years * 365.25))


def demo_members(today: date) -> list[FixedMember]:
    """The demo's members as the register knows them; their matters agree with their referral
    reasons and assessments (portal/demo/__init__.py, programme.py)."""
    return [
        FixedMember(
            "M-100245", "Dr. Jordan Lee", "member@example.org", "en", "emergency_medicine", "ON",
            date(2009, 7, 1),
            [
                (_years_ago(today, 5.4), "college_complaint"),
                (_years_ago(today, 2.9), "legal_action"),
                (_years_ago(today, 2.2), "college_complaint"),
                (_years_ago(today, 1.1), "hospital_matter"),
            ],
        ),
        FixedMember(
            "M-200318", "Dre Amélie Gagnon", "member2@example.org", "fr",
            "obstetrics_gynaecology", "QC", date(2012, 9, 1),
            [
                (_years_ago(today, 4.6), "college_complaint"),
                (_years_ago(today, 3.5), "college_complaint"),
                (_years_ago(today, 2.4), "legal_action"),
                (_years_ago(today, 1.3), "college_complaint"),
            ],
        ),
        FixedMember(
            "M-300771", "Dr. Priya Raman", "member3@example.org", "en", "family_medicine", "BC",
            date(2015, 3, 1),
            [
                (_years_ago(today, 2.8), "legal_action"),
                (_years_ago(today, 1.7), "hospital_matter"),
                (_years_ago(today, 0.5), "legal_action"),
            ],
        ),
    ]  # fmt: skip


def load_register_demo() -> None:
    today = clock.now().date()
    register = generate(
        current_app.config["DEMO_REGISTER_MEMBERS"],
        today=today,
        seed=2026,
        planted_high=10,
        planted_rising=8,
        fixed=demo_members(today),
    )
    members, matters = register.csv_files()
    import_register(
        members=io.BytesIO(members),
        matters=io.BytesIO(matters),
        members_name="demo-members.csv",
        matters_name="demo-matters.csv",
        by=None,
        source="cli",
        today=today,
    )
    screen(today, by=None, trigger="demo")
