"""The program report: counts, rates and durations about the whole program, de-identified by design.

No figure names anyone or carries free text. A figure drawn from fewer than `REPORT_MIN_MEMBERS`
members is withheld (a count of 1 to 4 members, a median or rate over fewer than 5), so that a
small program's report cannot point at one person; zero is shown as zero.

Every figure is computed in the database, in a fixed number of queries whatever the size of the
program; a median is read as the middle row(s) of an ordered query, never by loading every value.

Definitions (also in the README):
- Members per stage: each case's stage today (a member referred again has a case each). With a
  period: the cases referred in it.
- Referral to active plan: from a case's referral to the first time a version of its plan became
  active (both sides signed off). With a period: plans first active in it.
- Activity completion rate: on every plan active today, the activities completed (verified by
  staff) divided by all activities of those plans less those waived. Today's picture: the period
  does not apply.
- Staff response time: a wait starts with a member message that nothing answers yet (the first
  member message after the team's last reply in the conversation) and ends with the next staff
  reply in the same conversation; internal notes do not count, nor waits still open. With a
  period: waits that started in it.
- Check-ins: scheduled in the period (or ever), by status: held, missed, cancelled.
- Outcomes: matters before and after referral, for the members referred from the register and a
  comparison group flagged alongside them (portal/reports/outcomes.py). Today's picture: the
  period does not apply.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import Float, Select, and_, case, distinct, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from portal import clock
from portal.activities.models import ActivityProgress, ActivityStatus
from portal.cases.models import STAGE_ORDER, Case, Stage
from portal.checkins.models import CheckIn, CheckInStatus
from portal.extensions import db
from portal.messaging.models import Conversation, Message
from portal.plan.models import Goal, PlannedActivity, PlanStatus, PlanVersion
from portal.reports.outcomes import ProgramOutcomes, program_outcomes

SECONDS_PER_DAY = 86_400
SECONDS_PER_HOUR = 3_600


class seconds_between(FunctionElement):  # noqa: N801 (a SQL function, named like one)
    """Seconds from the first datetime column to the second, on PostgreSQL and SQLite."""

    type = Float()
    name = "seconds_between"
    inherit_cache = True


@compiles(seconds_between)
def _seconds_between_postgresql(element, compiler, **kw) -> str:
    start, end = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"CAST(EXTRACT(EPOCH FROM ({end} - {start})) AS DOUBLE PRECISION)"


@compiles(seconds_between, "sqlite")
def _seconds_between_sqlite(element, compiler, **kw) -> str:
    start, end = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"((julianday({end}) - julianday({start})) * 86400.0)"


@dataclass(frozen=True)
class Period:
    start: datetime | None = None
    end: datetime | None = None  # exclusive

    def contains(self, column) -> list:
        conditions = []
        if self.start is not None:
            conditions.append(column >= self.start)
        if self.end is not None:
            conditions.append(column < self.end)
        return conditions


@dataclass
class MedianDuration:
    members: int  # distinct cases measured
    measured: int  # how many durations
    median_seconds: float | None

    def median_in(self, unit_seconds: int) -> float | None:
        if self.median_seconds is None:
            return None
        return round(self.median_seconds / unit_seconds, 1)


@dataclass
class Completion:
    members: int  # cases with an active plan
    planned: int
    waived: int
    completed: int

    @property
    def counted(self) -> int:
        return self.planned - self.waived

    @property
    def rate(self) -> float | None:
        """Percent, one decimal."""
        return round(100 * self.completed / self.counted, 1) if self.counted else None


@dataclass
class CheckIns:
    members: int
    held: int
    missed: int
    cancelled: int

    @property
    def held_rate(self) -> float | None:
        """Held as a percent of those that were due to happen (held or missed)."""
        due = self.held + self.missed
        return round(100 * self.held / due, 1) if due else None


@dataclass
class ProgramReport:
    period: Period
    min_members: int
    stages: list[tuple[Stage, int]]
    referral_to_plan: MedianDuration
    completion: Completion
    response_time: MedianDuration
    check_ins: CheckIns
    outcomes: ProgramOutcomes
    computed_at: datetime

    def figures(self) -> dict:
        """The computed figures as plain JSON values (what portal/reports/snapshots.py keeps)."""
        return {
            "stages": {stage.value: count for stage, count in self.stages},
            "referral_to_plan": asdict(self.referral_to_plan),
            "completion": asdict(self.completion),
            "response_time": asdict(self.response_time),
            "check_ins": asdict(self.check_ins),
            "outcomes": self.outcomes.figures(),
        }

    @classmethod
    def from_figures(
        cls, figures: dict, *, period: Period, min_members: int, computed_at: datetime
    ) -> ProgramReport:
        return cls(
            period=period,
            min_members=min_members,
            stages=[(stage, figures["stages"][stage.value]) for stage in STAGE_ORDER],
            referral_to_plan=MedianDuration(**figures["referral_to_plan"]),
            completion=Completion(**figures["completion"]),
            response_time=MedianDuration(**figures["response_time"]),
            check_ins=CheckIns(**figures["check_ins"]),
            outcomes=ProgramOutcomes.from_figures(figures["outcomes"]),
            computed_at=computed_at,
        )

    def hides(self, members: int) -> bool:
        """A count of members, or a figure drawn from that many, too small to show (none at all
        is shown: there is nobody to point at)."""
        return 0 < members < self.min_members

    @property
    def referral_to_plan_days(self) -> float | None:
        return self.referral_to_plan.median_in(SECONDS_PER_DAY)

    @property
    def response_time_hours(self) -> float | None:
        return self.response_time.median_in(SECONDS_PER_HOUR)

    @property
    def total(self) -> int:
        return sum(count for _, count in self.stages)

    @property
    def hides_total(self) -> bool:
        """With a stage count withheld, the total would give it away from the others."""
        return any(self.hides(count) for _, count in self.stages)


def _median(durations: Select) -> MedianDuration:
    """The median of `durations`, a query of (case_id, seconds), in one statement: the durations
    are numbered in order and the middle one or two averaged (positions p with n <= 2p <= n + 2 of
    n), so the durations are computed once."""
    durations = durations.subquery()
    ranked = select(
        durations.c.case_id,
        durations.c.seconds,
        func.row_number().over(order_by=durations.c.seconds).label("position"),
        func.count().over().label("measured"),
    ).subquery()
    position, measured = ranked.c.position, ranked.c.measured
    middle = and_(2 * position >= measured, 2 * position <= measured + 2)
    measured, members, median = db.session.execute(
        select(
            func.count(),
            func.count(distinct(ranked.c.case_id)),
            func.avg(case((middle, ranked.c.seconds))),
        ).select_from(ranked)
    ).one()
    if not measured:
        return MedianDuration(members=0, measured=0, median_seconds=None)
    return MedianDuration(members, measured, float(median))


def members_per_stage(period: Period) -> list[tuple[Stage, int]]:
    counts = dict(
        db.session.execute(
            select(Case.stage, func.count())
            .where(*period.contains(Case.referred_at))
            .group_by(Case.stage)
        ).all()
    )
    return [(stage, counts.get(stage, 0)) for stage in STAGE_ORDER]


def referral_to_active_plan(period: Period) -> MedianDuration:
    first_active = (
        select(
            PlanVersion.case_id.label("case_id"),
            func.min(PlanVersion.activated_at).label("activated_at"),
        )
        .where(PlanVersion.activated_at.is_not(None))
        .group_by(PlanVersion.case_id)
        .subquery()
    )
    return _median(
        select(
            Case.id.label("case_id"),
            seconds_between(Case.referred_at, first_active.c.activated_at).label("seconds"),
        )
        .join(first_active, first_active.c.case_id == Case.id)
        .where(*period.contains(first_active.c.activated_at))
    )


def activity_completion() -> Completion:
    status = ActivityProgress.status
    members, planned, waived, completed = db.session.execute(
        select(
            func.count(distinct(PlanVersion.case_id)),
            func.count(PlannedActivity.id),
            func.coalesce(func.sum(case((status == ActivityStatus.WAIVED, 1), else_=0)), 0),
            func.coalesce(func.sum(case((status == ActivityStatus.COMPLETED, 1), else_=0)), 0),
        )
        .select_from(PlannedActivity)
        .join(Goal, Goal.id == PlannedActivity.goal_id)
        .join(PlanVersion, PlanVersion.id == Goal.version_id)
        .outerjoin(
            ActivityProgress,
            and_(
                ActivityProgress.case_id == PlanVersion.case_id,
                ActivityProgress.activity_key == PlannedActivity.key,
                # Only these count: the other progress rows need not be joined.
                status.in_((ActivityStatus.WAIVED, ActivityStatus.COMPLETED)),
            ),
        )
        .where(PlanVersion.status == PlanStatus.ACTIVE)
    ).one()
    return Completion(members, planned, int(waived), int(completed))


def staff_response_time(period: Period) -> MedianDuration:
    """From the member's first message since the team's previous reply to the team's reply (notes
    are not replies): each reply keeps when its wait began (`Message.wait_started_at`, set by
    `post_message`), so a wait is one row, counted in the period it started in."""
    return _median(
        select(
            Conversation.case_id.label("case_id"),
            seconds_between(Message.wait_started_at, Message.created_at).label("seconds"),
        )
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(Message.wait_started_at.is_not(None), *period.contains(Message.wait_started_at))
    )


def check_in_outcomes(period: Period) -> CheckIns:
    outcomes = (CheckInStatus.HELD, CheckInStatus.MISSED, CheckInStatus.CANCELLED)

    def counted(status: CheckInStatus):
        return func.coalesce(func.sum(case((CheckIn.status == status, 1), else_=0)), 0)

    members, held, missed, cancelled = db.session.execute(
        select(
            func.count(distinct(CheckIn.case_id)), *(counted(status) for status in outcomes)
        ).where(CheckIn.status.in_(outcomes), *period.contains(CheckIn.scheduled_at))
    ).one()
    return CheckIns(members=members, held=int(held), missed=int(missed), cancelled=int(cancelled))


def program_report(period: Period, *, min_members: int) -> ProgramReport:
    computed_at = clock.now()  # the figures are at least as recent as this
    return ProgramReport(
        period=period,
        min_members=min_members,
        stages=members_per_stage(period),
        referral_to_plan=referral_to_active_plan(period),
        completion=activity_completion(),
        response_time=staff_response_time(period),
        check_ins=check_in_outcomes(period),
        outcomes=program_outcomes(as_of=computed_at),
        computed_at=computed_at,
    )


CSV_HEADER = ["figure", "category", "value", "unit", "members"]
WITHHELD = "withheld"


def csv_rows(report: ProgramReport) -> Iterator[list[object]]:
    """The report as rows of (figure, category, value, unit, members); a withheld figure says so
    instead of its value. The first row says when the figures were computed."""
    yield ["computed_at", "", report.computed_at.isoformat(timespec="seconds"), "UTC", ""]
    for stage, count in report.stages:
        value = WITHHELD if report.hides(count) else count
        yield ["members_per_stage", stage.value, value, "members", value]
    total = WITHHELD if report.hides_total else report.total
    yield ["members_per_stage", "total", total, "members", total]

    def withheld_or(members: int, value: object) -> object:
        return WITHHELD if report.hides(members) else value

    timing = report.referral_to_plan
    yield [
        "referral_to_active_plan",
        "median",
        withheld_or(timing.members, report.referral_to_plan_days),
        "days",
        withheld_or(timing.members, timing.members),
    ]
    completion = report.completion
    for category, value, unit in (
        ("rate", completion.rate, "percent"),
        ("completed", completion.completed, "activities"),
        ("counted", completion.counted, "activities"),
        ("waived", completion.waived, "activities"),
    ):
        yield [
            "activity_completion",
            category,
            withheld_or(completion.members, value),
            unit,
            withheld_or(completion.members, completion.members),
        ]
    response = report.response_time
    yield [
        "staff_response_time",
        "median",
        withheld_or(response.members, report.response_time_hours),
        "hours",
        withheld_or(response.members, response.members),
    ]
    check_ins = report.check_ins
    for category, value, unit in (
        ("held", check_ins.held, "check-ins"),
        ("missed", check_ins.missed, "check-ins"),
        ("cancelled", check_ins.cancelled, "check-ins"),
        ("held_rate", check_ins.held_rate, "percent"),
    ):
        yield [
            "check_ins",
            category,
            withheld_or(check_ins.members, value),
            unit,
            withheld_or(check_ins.members, check_ins.members),
        ]
    for group, outcome in report.outcomes.groups:
        members = withheld_or(outcome.members, outcome.members)
        ratio = outcome.ratio
        estimate, lower, upper = (None,) * 3 if ratio is None else (round(r, 2) for r in ratio)
        for category, value, unit in (
            ("members", outcome.members, "members"),
            ("matters_before", outcome.matters_before, "matters"),
            ("member_years_before", round(outcome.years_before, 1), "member-years"),
            ("matters_after", outcome.matters_after, "matters"),
            ("member_years_after", round(outcome.years_after, 1), "member-years"),
            ("rate_ratio", estimate, "ratio"),
            ("rate_ratio_lower_95", lower, "ratio"),
            ("rate_ratio_upper_95", upper, "ratio"),
        ):
            yield [f"outcome_{group}", category, withheld_or(outcome.members, value), unit, members]
