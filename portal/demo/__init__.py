"""`flask demo`: realistic demo content for a newcomer (never in production).

Idempotent: it loads once, and says so when the demo accounts already exist. Later features extend
`load_demo` so that every page has something real to show.
"""

from datetime import timedelta

import click
from flask import current_app
from flask.cli import with_appcontext

from portal import clock
from portal.auth.models import Role, User
from portal.auth.services import create_user, find_user_by_email
from portal.cases.models import (
    PROVINCE_TIME_ZONES,
    Case,
    CaseTeamMember,
    MemberProfile,
    Stage,
    StageChange,
)
from portal.cases.services import Referral, refer_member, type_of_work_named
from portal.demo.activities import load_activities_demo
from portal.demo.admin import load_admin_demo
from portal.demo.caseload import load_caseload_demo
from portal.demo.checkins import load_checkins_demo
from portal.demo.programme import load_programme_demo
from portal.demo.register import load_register_demo
from portal.extensions import db
from portal.messaging.demo import load_messaging_demo
from portal.twofactor.services import enable_with_known_secret

DEMO_PASSWORD = "msp-demo-2026"

STAFF = (
    ("admin@example.org", "Alex Admin", Role.ADMIN, "en"),
    ("advisor@example.org", "Dr. Claire Tremblay", Role.STAFF, "en"),
    ("advisor2@example.org", "Dr. Samuel Okafor", Role.STAFF, "en"),
)


def _member_with_case(
    *, email, name, language, member_number, specialty, province, reason, stages, lead, team=()
) -> Case:
    """A member who has accepted their invitation, with a case that went through `stages`
    (each a (stage, days ago) pair, oldest first)."""
    now = clock.now()
    member = create_user(
        email=email, name=name, role=Role.MEMBER, password=DEMO_PASSWORD, language=language
    )
    member.time_zone = PROVINCE_TIME_ZONES[province]
    type_of_work = type_of_work_named(specialty)
    db.session.add(
        MemberProfile(
            user_id=member.id,
            member_number=member_number,
            specialty=specialty,
            type_of_work_id=type_of_work.id if type_of_work else None,
            province=province,
        )
    )
    referred_days = stages[0][1]
    case = Case(
        member_id=member.id,
        lead_advisor_id=lead.id,
        referred_by_id=lead.id,
        referral_reason=reason,
        stage=stages[-1][0],
        referred_at=now - timedelta(days=referred_days),
        last_activity_at=now - timedelta(days=stages[-1][1]),
    )
    db.session.add(case)
    db.session.flush()
    previous = None
    for stage, days_ago in stages:
        db.session.add(
            StageChange(
                case_id=case.id,
                from_stage=previous,
                to_stage=stage,
                changed_by_id=lead.id,
                changed_at=now - timedelta(days=days_ago),
            )
        )
        previous = stage
    for staff in team:
        db.session.add(CaseTeamMember(case_id=case.id, staff_id=staff.id))
    return case


def load_demo() -> None:
    load_register_demo()
    staff: dict[str, User] = {}
    for email, name, role, language in STAFF:
        staff[email] = create_user(
            email=email, name=name, role=role, password=DEMO_PASSWORD, language=language
        )
    advisor, advisor2 = staff["advisor@example.org"], staff["advisor2@example.org"]
    if current_app.config["PORTAL_ENV"] == "development":
        # Staff must sign in with a second factor; the demo's is published (see README).
        for user in staff.values():
            enable_with_known_secret(user, current_app.config["DEMO_TOTP_SECRET"])

    _member_with_case(
        email="member@example.org",
        name="Dr. Jordan Lee",
        language="en",
        member_number="M-100245",
        specialty="Emergency medicine",
        province="ON",
        reason=(
            "Four matters in six years (two college complaints, one legal action, one hospital "
            "matter), about three times the rate of peers in emergency medicine. Recurring themes "
            "of communication with patients and families at discharge."
        ),
        stages=[(Stage.REFERRED, 95), (Stage.ASSESSMENT, 60), (Stage.PLANNING, 12)],
        lead=advisor,
    )
    _member_with_case(
        email="member2@example.org",
        name="Dre Amélie Gagnon",
        language="fr",
        member_number="M-200318",
        specialty="Obstetrics and gynaecology",
        province="QC",
        reason=(
            "Three college complaints and one legal action in five years; documentation and "
            "informed-consent discussions were raised in each."
        ),
        stages=[
            (Stage.REFERRED, 240),
            (Stage.ASSESSMENT, 200),
            (Stage.PLANNING, 150),
            (Stage.ONGOING_SUPPORT, 110),
        ],
        lead=advisor,
        team=(advisor2,),
    )
    # The third member goes through the real referral path: account, case and invitation email.
    refer_member(
        Referral(
            name="Dr. Priya Raman",
            email="member3@example.org",
            member_number="M-300771",
            specialty="Family medicine",
            province="BC",
            reason=(
                "Two legal actions and a hospital matter in three years, above peers in family "
                "medicine; office systems for test-result follow-up are a possible factor."
            ),
            language="en",
        ),
        referred_by=advisor,
        lead_advisor=advisor,
    )
    load_programme_demo(advisor)
    load_messaging_demo()
    load_activities_demo()
    load_checkins_demo()
    load_caseload_demo(advisor, advisor2)
    load_admin_demo()


@click.command("demo")
@with_appcontext
def demo_command() -> None:
    """Load the demo accounts and content (development and testing only; idempotent)."""
    if not current_app.config["DEMO_ALLOWED"]:
        raise click.ClickException("the demo data is not loaded in production")
    if find_user_by_email("admin@example.org") is not None:
        click.echo("demo data already loaded")
        return
    load_demo()
    db.session.commit()
    click.echo(f"demo data loaded; accounts use the password {DEMO_PASSWORD} (member3 is invited)")
