"""The four program steps as a member sees them, and where they are."""

from dataclasses import dataclass
from datetime import timedelta

from flask import url_for
from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l

from portal import clock
from portal.activities import services as activities
from portal.assessment import services as assessment
from portal.cases.models import Case
from portal.plan import services as plan
from portal.plan.models import PlanStatus

STEPS = (
    (_l("Identification"), _l("You were referred to the Member Support Program.")),
    (_l("Assessment"), _l("The MSP team reviews your medical-legal history with you.")),
    (_l("Education plan"), _l("Together we build a plan tailored to you.")),
    (_l("Ongoing support"), _l("Regular check-ins and advice while you follow your plan.")),
)


@dataclass(frozen=True)
class Step:
    number: int
    title: str
    description: str
    state: str  # "done", "current" or "upcoming"


def program_steps(case: Case | None) -> list[Step]:
    current = case.step_index if case else 0
    return [
        Step(
            number=index + 1,
            title=title,
            description=description,
            state="done" if index < current else "current" if index == current else "upcoming",
        )
        for index, (title, description) in enumerate(STEPS)
    ]


@dataclass(frozen=True)
class NextStep:
    text: str
    url: str


def next_steps(case: Case | None) -> list[NextStep]:
    """What the member has to do now, most pressing first. A fixed number of queries."""
    if case is None:
        return []
    steps: list[NextStep] = []
    responses = assessment.member_responses(case)
    if responses is not None:
        if not responses.acknowledged:
            steps.append(
                NextStep(gettext("Review your assessment"), url_for("assessment.member_view"))
            )
        if not responses.has_perspective:
            steps.append(
                NextStep(
                    gettext("Add your perspective to your assessment"),
                    url_for("assessment.member_view") + "#perspective",
                )
            )
    latest = plan.latest_shared_with_input(case)
    if latest is not None:
        shared, has_input = latest
        if shared.status is PlanStatus.SHARED:
            if not has_input:
                steps.append(
                    NextStep(
                        gettext("Add your input to your plan"),
                        url_for("plan.member_view") + "#input",
                    )
                )
            if shared.member_agreed_at is None:
                steps.append(
                    NextStep(gettext("Review and agree to your plan"), url_for("plan.member_view"))
                )
    today = clock.now().date()
    month_end = (today.replace(day=1) + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    due = activities.unfinished_due_count(case, today.replace(day=1), month_end)
    if due:
        steps.append(
            NextStep(
                ngettext(
                    "%(num)d activity due this month",
                    "%(num)d activities due this month",
                    due,
                ),
                url_for("activities.member_view"),
            )
        )
    return steps
