"""Demo content for the assessment and the education plan, made through the real services.

Each step happens "as of" a day in the past, so the demo's versions, responses and sign-offs carry
believable dates.
"""

from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from portal import clock
from portal.assessment import services as assessment
from portal.assessment.models import FactorCategory, Position, Priority
from portal.auth.models import User
from portal.cases.models import Case, MemberProfile
from portal.extensions import db
from portal.identification.decisions import fill_from_register
from portal.identification.profile import profile_of, register_member_by_number
from portal.identification.screening import latest_run
from portal.plan import services as plan
from portal.plan.models import ActivityKind, LearningPreference


@contextmanager
def _as_of(days_ago: float):
    """Run the services as if it were `days_ago` days ago (demo loading only)."""
    real_now = clock.now
    moment = real_now() - timedelta(days=days_ago)
    clock.now = lambda: moment
    try:
        yield
    finally:
        clock.now = real_now


def profile_number(case: Case) -> str:
    return db.session.get(MemberProfile, case.member_id).member_number


def _case_of(email: str) -> Case:
    return db.session.scalar(
        select(Case).join(User, Case.member_id == User.id).where(User.email == email)
    )


FACTORS_JORDAN = [
    (
        FactorCategory.COMMUNICATION,
        Priority.HIGH,
        "Discharge conversations with patients and families were brief in three of the four "
        "matters; return precautions were not always understood.",
    ),
    (
        FactorCategory.DOCUMENTATION,
        Priority.MEDIUM,
        "Charting of discharge instructions and of the reassessment before discharge was "
        "incomplete.",
    ),
    (
        FactorCategory.WELLNESS,
        Priority.MEDIUM,
        "A sustained schedule of night shifts during the period reviewed; fatigue was mentioned "
        "by the member in one matter.",
    ),
]

FACTORS_AMELIE = [
    (
        FactorCategory.DOCUMENTATION,
        Priority.HIGH,
        "Informed-consent discussions were not documented in a way that showed the options and "
        "risks discussed.",
    ),
    (
        FactorCategory.COMMUNICATION,
        Priority.HIGH,
        "Patients reported feeling rushed when complications were disclosed.",
    ),
    (
        FactorCategory.OFFICE_SYSTEMS,
        Priority.LOW,
        "Follow-up of pathology results relied on memory rather than a tracking system.",
    ),
]


def _release(case, advisor, *, factors, narrative, days_ago):
    """Release the case's first assessment, its history and rates computed from the register
    (portal/demo/register.py) as a referral from the screening queue does."""
    run = latest_run()
    profile = profile_of(register_member_by_number(profile_number(case)), run)
    with _as_of(days_ago):
        draft = assessment.start_draft(case, by=advisor)
        end = clock.now().year
        assessment.update_summary(
            draft,
            period_start_year=end - 9,
            period_end_year=end,
            member_rate=None,
            peer_rate=None,
            narrative=narrative,
        )
        fill_from_register(draft, profile)
        for category, priority, description in factors:
            assessment.add_factor(
                draft, category=category, description=description, priority=priority
            )
        assessment.release(draft, case=case, by=advisor, change_note=None)
    return draft


def _draft_plan(case, advisor, goals, *, days_ago):
    """goals: (title, factor indexes, [(title, kind, provider, hours, due in days from today,
    required)])"""
    factors = assessment.released_version(case).factors
    today = clock.now().date()
    with _as_of(days_ago):
        draft = plan.start_draft(case, by=advisor)
        for title, factor_indexes, activities in goals:
            goal = plan.save_goal(
                draft,
                None,
                title=title,
                description="",
                factor_keys=[factors[i].key for i in factor_indexes],
            )
            for a_title, kind, provider, hours, due_in, required in activities:
                plan.save_activity(
                    draft,
                    None,
                    goal=goal,
                    details=plan.ActivityDetails(
                        title=a_title,
                        kind=kind,
                        provider=provider,
                        estimated_hours=Decimal(hours),
                        due_date=today + timedelta(days=due_in),
                        required=required,
                    ),
                )
    return draft


def load_programme_demo(advisor: User) -> None:
    jordan = _case_of("member@example.org")
    _release(
        jordan,
        advisor,
        factors=FACTORS_JORDAN,
        narrative=(
            "Over the last ten years you had four medical-legal matters, three of them in the last "
            "three years, about three times the rate of peers in emergency medicine. In three "
            "matters, patients or families said they did not understand the plan at "
            "discharge. We see this as an opportunity: discharge communication is a skill that "
            "responds well to focused practice."
        ),
        days_ago=40,
    )
    member = jordan.member
    with _as_of(33):
        version = assessment.released_version(jordan)
        assessment.record_perspective(
            version,
            case=jordan,
            member=member,
            responses=[
                assessment.FactorResponse(
                    version.factors[0].key,
                    Position.AGREE_WITH_CONTEXT,
                    "I agree discharge talks are short; the department was badly understaffed that "
                    "year and I often had 20 patients waiting.",
                )
            ],
            overall="",
        )
        assessment.acknowledge(version, case=jordan, member=member)
    _draft_plan(
        jordan,
        advisor,
        [
            (
                "Clear, checked discharge conversations",
                [0, 1],
                [
                    (
                        "Discharge communication e-learning module",
                        ActivityKind.ELEARNING,
                        "The mutual",
                        "2",
                        30,
                        True,
                    ),
                    (
                        "Teach-back workshop",
                        ActivityKind.WORKSHOP,
                        "Provincial college",
                        "4",
                        60,
                        True,
                    ),
                ],
            ),
            (
                "Sustainable shift patterns",
                [2],
                [
                    (
                        "Coaching sessions on fatigue and scheduling",
                        ActivityKind.COACHING,
                        "Physician health program",
                        "3",
                        75,
                        False,
                    ),
                ],
            ),
        ],
        days_ago=10,
    )
    with _as_of(9):
        plan.share(plan.draft_of(jordan), case=jordan, by=advisor, change_note=None)

    amelie = _case_of("member2@example.org")
    _release(
        amelie,
        advisor,
        factors=FACTORS_AMELIE,
        narrative=(
            "Four matters in five years, above peers in obstetrics and gynaecology. Documentation "
            "of consent discussions and the way complications were disclosed come up in each."
        ),
        days_ago=190,
    )
    member2 = amelie.member
    with _as_of(185):
        version = assessment.released_version(amelie)
        assessment.record_perspective(
            version,
            case=amelie,
            member=member2,
            responses=[assessment.FactorResponse(version.factors[0].key, Position.AGREE, "")],
            overall="Je reconnais que mes notes de consentement sont trop brèves.",
        )
        assessment.acknowledge(version, case=amelie, member=member2)
    _draft_plan(
        amelie,
        advisor,
        [
            (
                "Documented informed consent",
                [0],
                [
                    (
                        "Informed consent: documenting the discussion",
                        ActivityKind.ELEARNING,
                        "The mutual",
                        "1.5",
                        -20,
                        True,
                    ),
                    (
                        "Chart audit of 20 consent notes",
                        ActivityKind.PRACTICE_AUDIT,
                        "Self",
                        "6",
                        20,
                        True,
                    ),
                ],
            ),
            (
                "Disclosure conversations",
                [1],
                [
                    (
                        "Disclosure of adverse events workshop",
                        ActivityKind.WORKSHOP,
                        "Provincial association",
                        "7",
                        5,
                        True,
                    ),
                ],
            ),
        ],
        days_ago=151,
    )
    with _as_of(149):
        plan.share(plan.draft_of(amelie), case=amelie, by=advisor, change_note=None)
    with _as_of(140):
        plan.record_input(
            plan.shared_version(amelie),
            case=amelie,
            member=member2,
            given=plan.MemberInput(
                learning_preferences=[LearningPreference.ONLINE, LearningPreference.READING],
                availability="Pas de formation en présentiel avant mars.",
                suggested_activities="Un module sur la tenue de dossiers en ligne.",
            ),
        )
    with _as_of(130):
        draft = plan.start_draft(amelie, by=advisor)
        goal = draft.goals[0]
        plan.save_activity(
            draft,
            None,
            goal=goal,
            details=plan.ActivityDetails(
                title="Online module: record keeping",
                kind=ActivityKind.ELEARNING,
                provider="The mutual",
                estimated_hours=Decimal("1"),
                due_date=None,
                required=False,
            ),
        )
        plan.share(
            draft,
            case=amelie,
            by=advisor,
            change_note="Added an online module on record keeping, as you suggested.",
        )
    with _as_of(115):
        version = plan.shared_version(amelie)
        plan.member_agrees(version, case=amelie, member=member2)
    with _as_of(110):
        plan.advisor_approves(version, case=amelie, advisor=advisor)
