"""The screening queue: the latest run's flagged members who are not in the program and not decided
since their last new matter, most severe first, never more than the run's queue size."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.orm import contains_eager

from portal.cases.models import Case, MemberProfile, Stage
from portal.extensions import db
from portal.identification.models import (
    Decision,
    Limit,
    RegisterMember,
    ScreeningDecision,
    ScreeningResult,
    ScreeningRun,
)

FLAGS = ("high", "rising", Limit.P998.value, Limit.P95.value)


@dataclass(frozen=True)
class QueueFilters:
    type_of_work_id: int | None = None
    province: str | None = None
    flag: str | None = None


def in_program(member_number=RegisterMember.member_number):
    """The register member (by number: a column in a query, or one member's number) has an
    open case."""
    return exists().where(
        MemberProfile.member_number == member_number,
        Case.member_id == MemberProfile.user_id,
        Case.stage != Stage.CLOSED,
    )


def decided(today: date, member=RegisterMember):
    """A decision since the member's last new matter that still holds (a Watch holds until its
    review date)."""
    return exists().where(
        ScreeningDecision.member_id == member.id,
        or_(
            member.last_matter_added_at.is_(None),
            ScreeningDecision.decided_at >= member.last_matter_added_at,
        ),
        or_(
            ScreeningDecision.decision != Decision.WATCH,
            ScreeningDecision.review_on > today,
        ),
    )


def queue_query(run: ScreeningRun, filters: QueueFilters, today: date) -> Select:
    query = (
        select(ScreeningResult)
        .join(ScreeningResult.member)
        .options(contains_eager(ScreeningResult.member).joinedload(RegisterMember.type_of_work))
        .where(ScreeningResult.run_id == run.id, ~in_program(), ~decided(today))
        .order_by(ScreeningResult.rank)
    )
    if filters.type_of_work_id:
        query = query.where(RegisterMember.type_of_work_id == filters.type_of_work_id)
    if filters.province:
        query = query.where(RegisterMember.province == filters.province)
    if filters.flag == "high":
        query = query.where(ScreeningResult.high.is_(True))
    elif filters.flag == "rising":
        query = query.where(ScreeningResult.rising.is_(True))
    elif filters.flag == Limit.P998.value:
        query = query.where(ScreeningResult.limit_crossed == Limit.P998)
    elif filters.flag == Limit.P95.value:
        query = query.where(ScreeningResult.limit_crossed.in_([Limit.P95, Limit.P998]))
    return query


def queue_rank_cutoff(run: ScreeningRun, today: date) -> int | None:
    """The rank of the last member the queue shows: the queue holds the top `queue_size`
    undecided members, never the whole flagged list."""
    size = run.parameters.get("queue_size", 0)
    if not size:
        return None
    ranks = (
        select(ScreeningResult.rank)
        .join(ScreeningResult.member)
        .where(ScreeningResult.run_id == run.id, ~in_program(), ~decided(today))
        .order_by(ScreeningResult.rank)
        .limit(size)
        .subquery()
    )
    return db.session.scalar(select(func.max(ranks.c.rank)))
