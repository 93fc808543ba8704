"""The staff member's caseload: their cases with the figures that say what needs doing.

Every figure is a correlated subquery of the page's one query (`with_expression` fills the
`query_expression` attributes of Case), so the page costs the same for 3 cases or 3,000. What
"overdue" and "awaiting verification" mean is defined once, in portal/activities/services.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, case, exists, func, or_, select
from sqlalchemy.orm import contains_eager, joinedload, with_expression

from portal.activities import services as activities
from portal.auth.models import User
from portal.cases.models import STAGE_ORDER, Case, CaseTeamMember, Stage
from portal.cases.services import assigned_cases, no_contact_since
from portal.checkins.models import CheckIn, CheckInStatus
from portal.messaging.models import Conversation

SORTS = ("last_contact", "next_check_in", "name", "stage")
SCOPES = ("lead", "team")


@dataclass(frozen=True)
class Filters:
    stage: str = ""  # "": open cases; a stage's value; "all": every case, closed ones too
    scope: str = ""  # "": every case of mine (every case, for admins); "lead" or "team"
    flagged: bool = False  # only cases without contact for CASE_NO_CONTACT_WEEKS
    attention: bool = False  # only cases with something to do (flagged, overdue, waiting)
    sort: str = "last_contact"

    def as_args(self) -> dict:
        """The filters as query-string arguments (for the pager's links)."""
        return {
            "stage": self.stage or None,
            "scope": self.scope or None,
            "flagged": "y" if self.flagged else None,
            "attention": "y" if self.attention else None,
            "sort": self.sort,
        }


def last_contact():
    """When the team and the member were last in touch; since referral if never."""
    return func.coalesce(Case.last_contact_at, Case.referred_at)


def no_contact_flag(now: datetime):
    return (Case.stage != Stage.CLOSED) & (last_contact() < no_contact_since(now))


def no_contact_weeks(case: Case, now: datetime) -> int | None:
    """Whole weeks without contact, when the case is flagged for it; None otherwise."""
    since = case.last_contact_at or case.referred_at
    if case.is_closed or since >= no_contact_since(now):
        return None
    return (now - since).days // 7


def figures(now: datetime) -> dict:
    """The caseload's per-case figures as SQL expressions correlated to Case.id."""
    return {
        "next_check_in_at": select(func.min(CheckIn.scheduled_at))
        .where(
            CheckIn.case_id == Case.id,
            CheckIn.status == CheckInStatus.SCHEDULED,
            CheckIn.scheduled_at >= now,
        )
        .scalar_subquery(),
        "overdue_activities": activities.overdue_count(Case.id, activities.local_today()),
        "awaiting_verification": activities.awaiting_verification_count(Case.id),
        "unanswered_conversations": select(func.count(Conversation.id))
        .where(Conversation.case_id == Case.id, Conversation.awaiting_reply_since.is_not(None))
        .scalar_subquery(),
        "overdue_conversations": select(func.count(Conversation.id))
        .where(Conversation.case_id == Case.id, Conversation.reply_due_at < now)
        .scalar_subquery(),
    }


def _scope(user: User, scope: str) -> list:
    if scope == "lead":
        return [Case.lead_advisor_id == user.id]
    if scope == "team":
        return [
            exists().where(CaseTeamMember.case_id == Case.id, CaseTeamMember.staff_id == user.id)
        ]
    return assigned_cases(user)


def caseload_query(user: User, filters: Filters, now: datetime) -> Select:
    """The cases `user` leads or is on the team of (admins: every case), with their figures,
    filtered and sorted."""
    exprs = figures(now)
    flagged = no_contact_flag(now)
    query = (
        select(Case)
        .join(Case.member)
        .where(*_scope(user, filters.scope))
        .options(
            contains_eager(Case.member),
            joinedload(Case.lead_advisor),
            *(with_expression(getattr(Case, name), expr) for name, expr in exprs.items()),
        )
    )
    if filters.stage == "":
        query = query.where(Case.stage != Stage.CLOSED)
    elif filters.stage != "all":
        query = query.where(Case.stage == Stage(filters.stage))
    if filters.flagged:
        query = query.where(flagged)
    if filters.attention:
        query = query.where(
            or_(
                flagged,
                exprs["overdue_activities"] > 0,
                exprs["awaiting_verification"] > 0,
                exprs["unanswered_conversations"] > 0,
            )
        )
    order = {
        "last_contact": [last_contact()],
        "next_check_in": [exprs["next_check_in_at"].asc().nulls_last()],
        "name": [User.name],
        "stage": [case({s: i for i, s in enumerate(STAGE_ORDER)}, value=Case.stage), User.name],
    }[filters.sort]
    return query.order_by(*order, Case.id)
