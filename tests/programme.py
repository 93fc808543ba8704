"""Helpers that put a case through the program with the real services, for tests that need a
released assessment or a shared plan to exist."""

from datetime import timedelta
from decimal import Decimal

from portal import clock
from portal.assessment import services as assessment
from portal.assessment.models import FactorCategory, MatterKind, Priority
from portal.extensions import db
from portal.plan import services as plan
from portal.plan.models import ActivityKind


def release_assessment(case, staff, *, factors=2):
    draft = assessment.start_draft(case, by=staff)
    year = draft.period_end_year
    assessment.update_summary(
        draft,
        period_start_year=year - 4,
        period_end_year=year,
        member_rate=Decimal("1.20"),
        peer_rate=Decimal("0.40"),
        narrative="Four matters in five years, mostly about discharge communication.",
    )
    assessment.set_history(
        draft,
        {
            (year - 3, MatterKind.LEGAL_ACTION): 1,
            (year - 1, MatterKind.COLLEGE_COMPLAINT): 2,
            (year, MatterKind.HOSPITAL_MATTER): 1,
        },
    )
    categories = [
        FactorCategory.COMMUNICATION,
        FactorCategory.DOCUMENTATION,
        FactorCategory.WELLNESS,
    ]
    for index in range(factors):
        assessment.add_factor(
            draft,
            category=categories[index % 3],
            description=f"Factor {index + 1} described.",
            priority=Priority.HIGH,
        )
    assessment.release(draft, case=case, by=staff, change_note=None)
    db.session.commit()
    return draft


def share_plan(case, staff, *, change_note=None):
    draft = plan.start_draft(case, by=staff)
    if not draft.goals:
        factors = assessment.released_version(case).factors
        goal = plan.save_goal(
            draft,
            None,
            title="Clearer discharge conversations",
            description="",
            factor_keys=[factors[0].key],
        )
        plan.save_activity(
            draft,
            None,
            goal=goal,
            details=plan.ActivityDetails(
                title="Communication e-learning",
                kind=ActivityKind.ELEARNING,
                provider="The mutual",
                estimated_hours=Decimal("2.0"),
                due_date=(clock.now() + timedelta(days=30)).date(),
            ),
        )
    plan.share(draft, case=case, by=staff, change_note=change_note)
    db.session.commit()
    return draft
