"""The four program steps as a member sees them, and where they are."""

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from portal.cases.models import Case

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
