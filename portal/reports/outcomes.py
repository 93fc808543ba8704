"""The program report's outcome section: did the program work? Matters before and after referral.

Referred group: register members referred from the register (a "refer" decision with its case)
whose plan first became active at least `MIN_YEARS_ACTIVE` before the report's "as of" (now). Each
is counted from their first such decision's date: the matters in the `BEFORE_YEARS` before it
against the matters since, each side's exposure in member-years from joining or the window's start,
whichever is later (portal/identification/register.py counts the screening's windows the same way:
matters opened after a window's start and on or before its end).

Comparison group: members flagged in the same screening runs the referred members were decided
from, with a shrunken ratio within the referred members' range in those runs, who were neither
referred from the register nor given a case otherwise; each counted from the date of the first of
those runs that flagged them. Members flagged when their matters are at a peak fall back towards
the average on their own (regression to the mean): without this group the referred group's drop
alone would overstate what the program did. Observational, not randomised.

Each group's matters and exposures are pooled and the two rates compared by their ratio (after
to before) with an exact conditional confidence interval (`identification.statistics.rate_ratio`).
One SQL statement computes both groups, whatever the size of the register; exposures are kept as
whole days, so the snapshot's figures are exact integers.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from datetime import datetime
from functools import cached_property
from typing import NamedTuple

from sqlalchemy import Date, Integer, String, and_, case, exists, func, literal, select, union_all
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from portal.cases.models import Case, MemberProfile
from portal.extensions import db
from portal.identification.models import (
    Decision,
    Matter,
    RegisterMember,
    ScreeningDecision,
    ScreeningResult,
    ScreeningRun,
)
from portal.identification.register import DAYS_PER_YEAR, years_before
from portal.identification.statistics import rate_ratio
from portal.plan.models import PlanVersion

BEFORE_YEARS = 3  # the window before referral (or the screening) whose matter rate is compared
MIN_YEARS_ACTIVE = 1  # a referred member counts once their plan has been active this long
LEVEL = 0.95
REFERRED, COMPARISON = "referred", "comparison"


class day_of(FunctionElement):  # noqa: N801 (a SQL function, named like one)
    """The (UTC) date of a datetime column, as a date on PostgreSQL and SQLite."""

    type = Date()
    name = "day_of"
    inherit_cache = True


@compiles(day_of)
def _day_of(element, compiler, **kw) -> str:
    (moment,) = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"CAST({moment} AS DATE)"


@compiles(day_of, "sqlite")
def _day_of_sqlite(element, compiler, **kw) -> str:
    (moment,) = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"date({moment})"


class years_earlier(FunctionElement):  # noqa: N801 (a SQL function, named like one)
    """`years_earlier(day, n)`: the same calendar day n years earlier, 29 February falling back
    to the 28th (as `identification.register.years_before` does)."""

    type = Date()
    name = "years_earlier"
    inherit_cache = True


@compiles(years_earlier)
def _years_earlier(element, compiler, **kw) -> str:
    day, years = (compiler.process(clause, **kw) for clause in element.clauses)
    # PostgreSQL keeps the day within the month: 29 February less 3 years is 28 February.
    return f"CAST({day} - make_interval(years => {years}) AS DATE)"


@compiles(years_earlier, "sqlite")
def _years_earlier_sqlite(element, compiler, **kw) -> str:
    day, years = (compiler.process(clause, **kw) for clause in element.clauses)
    # SQLite rolls 29 February over into 1 March: a day back when the month changed.
    shifted = f"date({day}, '-' || {years} || ' years')"
    return (
        f"(CASE WHEN strftime('%m', {shifted}) = strftime('%m', {day}) "
        f"THEN {shifted} ELSE date({shifted}, '-1 day') END)"
    )


class days_between(FunctionElement):  # noqa: N801 (a SQL function, named like one)
    """Whole days from the first date to the second, on PostgreSQL and SQLite."""

    type = Integer()
    name = "days_between"
    inherit_cache = True


@compiles(days_between)
def _days_between(element, compiler, **kw) -> str:
    start, end = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"({end} - {start})"


@compiles(days_between, "sqlite")
def _days_between_sqlite(element, compiler, **kw) -> str:
    start, end = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"CAST(round(julianday({end}) - julianday({start})) AS INTEGER)"


class RateRatio(NamedTuple):
    estimate: float
    lower: float
    upper: float


@dataclass
class GroupOutcome:
    """One group's pooled figures: members, and matters and exposure (whole days) before and
    after each member's anchor date."""

    members: int
    matters_before: int
    days_before: int
    matters_after: int
    days_after: int

    @property
    def years_before(self) -> float:
        return self.days_before / DAYS_PER_YEAR

    @property
    def years_after(self) -> float:
        return self.days_after / DAYS_PER_YEAR

    @cached_property
    def ratio(self) -> RateRatio | None:
        """The rate after divided by the rate before, with its 95% confidence interval; None
        when it cannot be computed: no matters, no exposure on one side, or no matters before
        (the ratio would be infinite)."""
        computed = rate_ratio(
            self.matters_after,
            self.years_after,
            self.matters_before,
            self.years_before,
            level=LEVEL,
        )
        if computed is None or not math.isfinite(computed[0]):
            return None
        return RateRatio(*computed)


@dataclass
class ProgramOutcomes:
    before_years: int
    min_years_active: int
    referred: GroupOutcome
    comparison: GroupOutcome

    def figures(self) -> dict:
        return {
            "before_years": self.before_years,
            "min_years_active": self.min_years_active,
            REFERRED: asdict(self.referred),
            COMPARISON: asdict(self.comparison),
        }

    @classmethod
    def from_figures(cls, figures: dict) -> ProgramOutcomes:
        return cls(
            before_years=figures["before_years"],
            min_years_active=figures["min_years_active"],
            referred=GroupOutcome(**figures[REFERRED]),
            comparison=GroupOutcome(**figures[COMPARISON]),
        )

    @property
    def level_percent(self) -> int:
        """The confidence intervals' level, in percent."""
        return round(100 * LEVEL)

    @property
    def groups(self) -> list[tuple[str, GroupOutcome]]:
        return [(REFERRED, self.referred), (COMPARISON, self.comparison)]


def _later(a, b):
    return case((a > b, a), else_=b)


def _anchors(as_of: datetime):
    """The two groups' members and their anchor dates, as one CTE of (cohort, member_id, anchor)."""
    cutoff = datetime.combine(years_before(as_of.date(), MIN_YEARS_ACTIVE), as_of.timetz())
    # A plan first active by the cutoff is one with a version activated by then.
    active_long_enough = exists().where(
        PlanVersion.case_id == ScreeningDecision.case_id,
        PlanVersion.activated_at <= cutoff,
    )
    decision = ScreeningDecision  # shorter lines
    ranked = (
        select(
            decision.member_id,
            decision.run_id,
            day_of(decision.decided_at).label("anchor"),
            func.row_number()
            .over(partition_by=decision.member_id, order_by=(decision.decided_at, decision.id))
            .label("position"),
        )
        .where(
            decision.decision == Decision.REFER,
            decision.case_id.is_not(None),
            active_long_enough,
        )
        .subquery("ranked")
    )
    referred = (
        select(ranked.c.member_id, ranked.c.run_id, ranked.c.anchor)
        .where(ranked.c.position == 1)
        .cte("referred")
    )
    # The referred members' severity in the runs they were decided from.
    severity = (
        select(ScreeningResult.shrunken_ratio)
        .join(
            referred,
            and_(
                referred.c.run_id == ScreeningResult.run_id,
                referred.c.member_id == ScreeningResult.member_id,
            ),
        )
        .subquery("severity")
    )
    lowest = select(func.min(severity.c.shrunken_ratio)).scalar_subquery()
    highest = select(func.max(severity.c.shrunken_ratio)).scalar_subquery()
    ever_referred = exists().where(
        ScreeningDecision.member_id == ScreeningResult.member_id,
        ScreeningDecision.decision == Decision.REFER,
    )
    has_case = (
        exists()
        .where(
            MemberProfile.member_number == RegisterMember.member_number,
            Case.member_id == MemberProfile.user_id,
        )
        .correlate(RegisterMember)
    )
    comparison = (
        select(ScreeningResult.member_id, func.min(ScreeningRun.screening_date).label("anchor"))
        .join(ScreeningRun, ScreeningRun.id == ScreeningResult.run_id)
        .join(RegisterMember, RegisterMember.id == ScreeningResult.member_id)
        .where(
            ScreeningResult.run_id.in_(select(referred.c.run_id)),
            ScreeningResult.shrunken_ratio.between(lowest, highest),
            ~ever_referred,
            ~has_case,
        )
        .group_by(ScreeningResult.member_id)
        .subquery("comparison")
    )
    return union_all(
        select(
            literal(REFERRED, String).label("cohort"),
            referred.c.member_id,
            referred.c.anchor,
        ),
        select(
            literal(COMPARISON, String).label("cohort"),
            comparison.c.member_id,
            comparison.c.anchor,
        ),
    ).cte("anchors")


def program_outcomes(as_of: datetime) -> ProgramOutcomes:
    """Both groups' pooled figures as of `as_of`, in one statement."""
    today = as_of.date()
    anchors = _anchors(as_of)
    windows = (
        select(
            anchors.c.cohort,
            anchors.c.member_id,
            anchors.c.anchor,
            years_earlier(anchors.c.anchor, BEFORE_YEARS).label("start"),
            RegisterMember.member_since,
        )
        .join(RegisterMember, RegisterMember.id == anchors.c.member_id)
        .cte("windows")
    )
    before = and_(Matter.opened_on > windows.c.start, Matter.opened_on <= windows.c.anchor)
    after = and_(Matter.opened_on > windows.c.anchor, Matter.opened_on <= today)
    matters = (
        select(
            windows.c.cohort,
            windows.c.member_id,
            func.sum(case((before, 1), else_=0)).label("before"),
            func.sum(case((after, 1), else_=0)).label("after"),
        )
        .join(
            Matter,
            and_(
                Matter.member_id == windows.c.member_id,
                Matter.opened_on > windows.c.start,
                Matter.opened_on <= today,
            ),
        )
        .group_by(windows.c.cohort, windows.c.member_id)
        .subquery("matters")
    )
    member_since = windows.c.member_since

    def exposure(start, end):
        days = days_between(_later(member_since, start), end)
        return func.sum(case((days > 0, days), else_=0))

    rows = db.session.execute(
        select(
            windows.c.cohort,
            func.count(),
            func.coalesce(func.sum(matters.c.before), 0),
            exposure(windows.c.start, windows.c.anchor),
            func.coalesce(func.sum(matters.c.after), 0),
            exposure(windows.c.anchor, literal(today, Date)),
        )
        .select_from(windows)
        .outerjoin(
            matters,
            and_(matters.c.cohort == windows.c.cohort, matters.c.member_id == windows.c.member_id),
        )
        .group_by(windows.c.cohort)
    ).all()
    groups = {
        cohort: GroupOutcome(*(int(value or 0) for value in values)) for cohort, *values in rows
    }
    return ProgramOutcomes(
        before_years=BEFORE_YEARS,
        min_years_active=MIN_YEARS_ACTIVE,
        referred=groups.get(REFERRED) or GroupOutcome(0, 0, 0, 0, 0),
        comparison=groups.get(COMPARISON) or GroupOutcome(0, 0, 0, 0, 0),
    )
