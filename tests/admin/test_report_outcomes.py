"""The program report's outcome section on known data: who is in the referred and comparison
groups, their pooled matters and exposures, the rate ratios and their exact intervals (checked with
scipy's beta quantiles), small groups withheld, the page and the CSV, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import itertools
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from babel.numbers import format_decimal
from scipy import stats

from portal.assessment.models import MatterKind
from portal.cases.models import MemberProfile, Stage, TypeOfWork
from portal.extensions import db
from portal.identification.models import (
    Decision,
    Matter,
    RegisterMember,
    ScreeningDecision,
    ScreeningResult,
    ScreeningRun,
)
from portal.plan.models import PlanStatus, PlanVersion

# The frozen clock's "now": the report's as-of.
TODAY = date(2030, 1, 15)
RUN_A, RUN_B, RUN_C = date(2026, 1, 10), date(2026, 7, 10), date(2027, 1, 10)
_numbers = itertools.count(1)


def _at(day: date, hour: int = 15) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def _three_years_before(day: date) -> date:
    return day.replace(year=day.year - 3)  # no 29 February in this data


@dataclass
class Member:
    """A register member as the test expects the report to count them (anchor None: in neither
    group)."""

    row: RegisterMember
    anchor: date | None = None
    matters: list[date] = field(default_factory=list)

    def counted(self) -> tuple[int, int, int, int]:
        """(matters before, days before, matters since, days since), computed here."""
        start = _three_years_before(self.anchor)
        since = self.row.member_since
        before = sum(start < day <= self.anchor for day in self.matters)
        after = sum(self.anchor < day <= TODAY for day in self.matters)
        days_before = max(0, (self.anchor - max(since, start)).days)
        days_after = max(0, (TODAY - max(since, self.anchor)).days)
        return before, days_before, after, days_after


class Register:
    def __init__(self, staff, make_case):
        self.staff = staff
        self.make_case = make_case
        self.type_of_work_id = self._type_of_work()
        self.runs = {day: self._run(day) for day in (RUN_A, RUN_B, RUN_C)}
        self.referred: list[Member] = []
        self.comparison: list[Member] = []

    @staticmethod
    def _type_of_work() -> int:
        """A peer group: the migration's seeded list (emptied on PostgreSQL between tests)."""
        known = db.session.scalars(sa.select(TypeOfWork.id)).first()
        if known is not None:
            return known
        peers = TypeOfWork(code="family_medicine", name_en="Family medicine", name_fr="Médecine")
        db.session.add(peers)
        db.session.flush()
        return peers.id

    def _run(self, day: date) -> ScreeningRun:
        run = ScreeningRun(
            screening_date=day,
            trigger="manual",
            parameters={"window_years": 10},
            member_count=100,
            matter_count=50,
            flagged_count=10,
            peer_groups={},
            model={},
            duration_ms=1,
        )
        db.session.add(run)
        db.session.flush()
        return run

    def member(self, *, since=date(2010, 1, 1), number=None, matters=(), anchor=None) -> Member:
        n = next(_numbers)
        row = RegisterMember(
            member_number=number or f"R-{n:06d}",
            name=f"Register Member {n}",
            email=f"register{n}@example.org",
            language="en",
            type_of_work_id=self.type_of_work_id,
            province="ON",
            member_since=since,
        )
        db.session.add(row)
        db.session.flush()
        for day in matters:
            db.session.add(
                Matter(
                    matter_number=f"M-{next(_numbers):07d}",
                    kind=MatterKind.LEGAL_ACTION,
                    member_id=row.id,
                    opened_on=day,
                )
            )
        return Member(row, anchor, list(matters))

    def flag(self, member: Member, run_day: date, shrunken: float) -> None:
        db.session.add(
            ScreeningResult(
                run_id=self.runs[run_day].id,
                member_id=member.row.id,
                rank=1,
                observed=4,
                expected=1.0,
                ratio=4.0,
                shrunken_ratio=shrunken,
                probability_above_2=0.8,
                recent_observed=2,
                rising=False,
                high=True,
            )
        )

    def decide(self, member: Member, run_day: date | None, decision: Decision, on: date, case=None):
        db.session.add(
            ScreeningDecision(
                member_id=member.row.id,
                run_id=self.runs[run_day].id if run_day else None,
                decision=decision,
                reason="Reason",
                case_id=case.id if case else None,
                figures={},
                decided_by_id=self.staff.id,
                decided_at=_at(on, hour=23),
            )
        )

    def case_of(self):
        """A member's case in the portal and the member number their profile has."""
        case = self.make_case(lead=self.staff, stage=Stage.ONGOING_SUPPORT)
        return case, db.session.get(MemberProfile, case.member_id).member_number

    def refer(
        self,
        run_day: date,
        decided: date,
        shrunken: float,
        *,
        active_on: date | None,
        matters=(),
        since=date(2010, 1, 1),
    ) -> Member:
        """A member flagged in the run and referred from it, their plan first active on
        `active_on` (None: never)."""
        case, number = self.case_of()
        member = self.member(since=since, number=number, matters=matters, anchor=decided)
        self.flag(member, run_day, shrunken)
        self.decide(member, run_day, Decision.REFER, decided, case=case)
        if active_on is not None:
            # A superseded first version, then the active one: the first activation counts.
            for number_, status, day in (
                (1, PlanStatus.SUPERSEDED, active_on),
                (2, PlanStatus.ACTIVE, active_on + timedelta(days=30)),
            ):
                db.session.add(
                    PlanVersion(
                        case_id=case.id,
                        number=number_,
                        status=status,
                        created_by_id=self.staff.id,
                        activated_at=_at(day),
                    )
                )
        return member


def _around(anchor: date, before: int, after: int) -> list[date]:
    """`before` matters in the three years up to `anchor` and `after` since, plus matters that
    do not count: on the window's first day (excluded), four years before, and after today. One
    of the matters before is on the anchor day itself (it counts as before)."""
    days = [anchor - timedelta(days=150 * k) for k in range(before)]
    days += [anchor + timedelta(days=120 * (k + 1)) for k in range(after)]
    return [
        *days,
        _three_years_before(anchor),
        anchor - timedelta(days=4 * 366),
        TODAY + timedelta(days=10),
    ]


@pytest.fixture
def app_overrides():
    return {"REPORT_MIN_MEMBERS": 5}


@pytest.fixture
def register(app, frozen_clock, make_staff, make_case) -> Register:
    """Six referred members (plans active for more than a year), six comparison members, and
    members in neither group for every reason there is."""
    assert frozen_clock.current.date() == TODAY
    register = Register(make_staff(), make_case)
    decided_a = [date(2026, 2, 1) + timedelta(days=7 * k) for k in range(4)]
    decided_b = [date(2026, 8, 3), date(2026, 9, 14)]
    shrunken = [2.0, 2.2, 2.4, 2.6, 2.8, 3.0]
    for k, (run_day, decided) in enumerate(
        [(RUN_A, day) for day in decided_a] + [(RUN_B, day) for day in decided_b]
    ):
        register.referred.append(
            register.refer(
                run_day,
                decided,
                shrunken[k],
                active_on=decided + timedelta(days=60 + 10 * k),
                matters=_around(decided, before=3 + k % 2, after=k % 2),
                # The last joined within the window before: less exposure before.
                since=decided - timedelta(days=500) if k == 5 else date(2010, 1, 1),
            )
        )
    # Comparison: flagged alongside, in range, not referred (a watch or not-now decision is not a
    # referral); the first is flagged in both runs and counted from the first.
    for k, (run_day, ratio) in enumerate(
        [(RUN_A, 2.1), (RUN_A, 2.0), (RUN_A, 2.5), (RUN_A, 3.0), (RUN_B, 2.9), (RUN_B, 2.3)]
    ):
        member = register.member(
            anchor=run_day, matters=_around(run_day, before=3 + k % 3, after=1 + k % 2)
        )
        register.flag(member, run_day, ratio)
        register.comparison.append(member)
    first = register.comparison[0]
    register.flag(first, RUN_B, 2.4)
    register.decide(register.comparison[1], RUN_A, Decision.WATCH, date(2026, 2, 2))
    register.decide(register.comparison[2], RUN_A, Decision.NOT_NOW, date(2026, 2, 2))

    # In neither group. Referred, but the plan has been active for less than a year, or was never
    # signed off; the second was referred from a run no counted referral came from.
    recent = register.refer(
        RUN_A, date(2026, 3, 1), 2.5, active_on=TODAY - timedelta(days=300), matters=[RUN_A]
    )
    never = register.refer(RUN_C, date(2027, 2, 1), 2.5, active_on=None, matters=[RUN_C])
    # Flagged in a counted run, but more severe than any referred member, or with a case of their
    # own (a manual referral); flagged only in the other run.
    severe = register.member(matters=[RUN_A])
    register.flag(severe, RUN_A, 3.5)
    _case, number = register.case_of()
    in_program = register.member(number=number, matters=[RUN_A])
    register.flag(in_program, RUN_A, 2.5)
    elsewhere = register.member(matters=[RUN_C])
    register.flag(elsewhere, RUN_C, 2.5)
    # Never flagged at all.
    register.member(matters=[RUN_A])
    db.session.commit()
    register.outside = [recent, never, severe, in_program, elsewhere]
    return register


def _pooled(members: list[Member]) -> tuple[int, int, int, int, int]:
    sums = [sum(values) for values in zip(*(m.counted() for m in members), strict=True)]
    return (len(members), *sums)


def _rate_ratio_with_scipy(o_after, t_after, o_before, t_before, level=0.95):
    """(o_after/t_after) / (o_before/t_before) and its exact conditional interval: given all
    n matters, those after are Binomial(n, p) with p/(1-p) = RR * t_after/t_before, so the
    Clopper–Pearson bounds of p (beta quantiles) give RR's."""
    n, alpha = o_after + o_before, 1 - level
    p_low = stats.beta.ppf(alpha / 2, o_after, n - o_after + 1) if o_after else 0.0
    p_high = stats.beta.ppf(1 - alpha / 2, o_after + 1, n - o_after) if o_after < n else 1.0
    scale = t_before / t_after
    return (
        (o_after / t_after) / (o_before / t_before),
        p_low / (1 - p_low) * scale,
        p_high / (1 - p_high) * scale,
    )


def _as_of():
    from portal import clock

    return clock.now()


def test_the_groups_pool_their_members_matters_and_exposures(register):
    from portal.reports.outcomes import program_outcomes

    outcomes = program_outcomes(as_of=_as_of())
    for outcome, members in (
        (outcomes.referred, register.referred),
        (outcomes.comparison, register.comparison),
    ):
        expected = _pooled(members)
        assert (
            outcome.members,
            outcome.matters_before,
            outcome.days_before,
            outcome.matters_after,
            outcome.days_after,
        ) == expected
    # The figures worked out by hand for the referred group: 3, 4, 3, 4, 3 and 4 matters before,
    # 0, 1, 0, 1, 0 and 1 since; three years before each (1,096 days when the window spans
    # a 29 February, 1,095 otherwise) but 500 days for the member who joined in the window.
    assert (outcomes.referred.matters_before, outcomes.referred.matters_after) == (21, 3)
    spans = [(m.anchor - _three_years_before(m.anchor)).days for m in register.referred[:5]]
    assert outcomes.referred.days_before == sum(spans) + 500
    assert outcomes.referred.days_after == sum((TODAY - m.anchor).days for m in register.referred)
    assert outcomes.comparison.members == 6  # counted once though flagged in two runs


def test_the_rate_ratios_and_their_intervals(register):
    from portal.reports.outcomes import program_outcomes

    outcomes = program_outcomes(as_of=_as_of())
    for outcome in (outcomes.referred, outcomes.comparison):
        expected = _rate_ratio_with_scipy(
            outcome.matters_after,
            outcome.days_after / 365.25,
            outcome.matters_before,
            outcome.days_before / 365.25,
        )
        assert outcome.ratio == pytest.approx(expected, rel=1e-9)
        assert outcome.ratio.lower < outcome.ratio.estimate < outcome.ratio.upper
    # The referred group's matters fell further than the comparison group's.
    assert outcomes.referred.ratio.estimate < outcomes.comparison.ratio.estimate < 1


def test_no_ratio_without_matters_before(app):
    from portal.reports.outcomes import GroupOutcome

    assert GroupOutcome(5, 0, 5000, 2, 3000).ratio is None  # it would be infinite
    assert GroupOutcome(5, 0, 5000, 0, 3000).ratio is None
    assert GroupOutcome(5, 3, 5000, 0, 0).ratio is None  # no time since
    assert GroupOutcome(5, 3, 5000, 0, 3000).ratio.estimate == 0.0


def test_one_statement_whatever_the_size_of_the_register(register, query_counter):
    from portal.reports.outcomes import program_outcomes

    with query_counter() as queries:
        program_outcomes(as_of=_as_of())
    assert queries.count == 1
    for k in range(4):  # more of every group
        register.refer(RUN_B, date(2026, 8, 10), 2.5, active_on=date(2026, 10, 1), matters=[RUN_B])
        member = register.member(matters=[RUN_B, RUN_B - timedelta(days=k)])
        register.flag(member, RUN_B, 2.5)
    db.session.commit()
    with query_counter() as queries:
        outcomes = program_outcomes(as_of=_as_of())
    assert queries.count == 1
    assert (outcomes.referred.members, outcomes.comparison.members) == (10, 10)


def test_the_figures_survive_the_snapshot(register):
    from portal.reports.services import Period, ProgramReport, program_report
    from portal.reports.snapshots import current_report

    report = program_report(Period(), min_members=5)
    figures = json.loads(json.dumps(report.figures(), allow_nan=False))  # plain JSON
    assert figures["outcomes"]["referred"]["members"] == 6
    again = ProgramReport.from_figures(
        figures, period=Period(), min_members=5, computed_at=report.computed_at
    )
    assert again.outcomes == report.outcomes
    assert again.outcomes.referred.ratio == report.outcomes.referred.ratio
    # Kept and read back through the snapshot table, on both databases.
    current_report(Period(), min_members=5, max_age_minutes=5)
    db.session.commit()
    kept = current_report(Period(), min_members=5, max_age_minutes=5)
    assert kept.outcomes == report.outcomes


def _shown(ratio: float) -> str:
    """A ratio as the English page shows it: two decimals."""
    return format_decimal(ratio, format="#,##0.00", locale="en")


def _text(response) -> str:
    assert response.status_code == 200
    return response.text.replace("\n", "").replace("  ", "")


def test_the_page_shows_both_groups_side_by_side(register, admin_client):
    from portal.reports.outcomes import program_outcomes

    outcomes = program_outcomes(as_of=_as_of())
    text = _text(admin_client.get("/admin/report"))
    assert "Did the program work?" in text
    assert '<th scope="row">Members</th><td>6</td><td>6</td>' in text
    assert '<th scope="row">Matters in the 3 years before</th><td>21</td>' in text
    years = format_decimal(outcomes.referred.years_before, format="#,##0.0", locale="en")
    assert f'<th scope="row">Member-years before</th><td>{years}</td>' in text
    for outcome in (outcomes.referred, outcomes.comparison):
        estimate, lower, upper = (_shown(value) for value in outcome.ratio)
        assert f"{estimate} (95% CI {lower} to {upper})" in text
    for words in (
        "Below 1: fewer matters after than before",
        "fall back towards the average on their own",
        "its effect is the difference between the two groups",
        "observational comparison, not a randomised trial",
    ):
        assert words in text, words
    for member in register.referred + register.comparison + register.outside:
        assert member.row.member_number not in text and member.row.name not in text


def test_the_csv_has_both_groups(register, admin_client):
    from portal.reports.outcomes import program_outcomes

    outcomes = program_outcomes(as_of=_as_of())
    rows = list(csv.reader(io.StringIO(admin_client.get("/admin/report.csv").text)))
    table = {(row[0], row[1]): row[2:] for row in rows[1:]}
    assert table[("outcome_referred", "members")] == ["6", "members", "6"]
    assert table[("outcome_referred", "matters_before")] == ["21", "matters", "6"]
    assert table[("outcome_comparison", "matters_after")][0] == str(
        outcomes.comparison.matters_after
    )
    ratio = outcomes.referred.ratio
    assert table[("outcome_referred", "rate_ratio")][0] == str(round(ratio.estimate, 2))
    assert table[("outcome_referred", "rate_ratio_upper_95")][0] == str(round(ratio.upper, 2))


def test_a_group_of_fewer_than_five_is_withheld(register, admin_client):
    """Two referred members' plans were first signed off only recently: four remain (the
    least and most severe among them, from both runs, so the comparison group is the same)."""
    for member in register.referred[2:4]:
        decision = db.session.scalars(
            sa.select(ScreeningDecision).where(ScreeningDecision.member_id == member.row.id)
        ).one()
        db.session.execute(
            sa.update(PlanVersion)
            .where(PlanVersion.case_id == decision.case_id)
            .values(activated_at=_at(TODAY - timedelta(days=30)))
        )
    db.session.commit()
    from portal.reports.outcomes import program_outcomes

    outcomes = program_outcomes(as_of=_as_of())
    assert outcomes.referred.members == 4
    assert outcomes.comparison.members == 6
    text = _text(admin_client.get("/admin/report"))
    withheld = "Not shown: fewer than 5 members"
    assert f'<th scope="row">Members</th><td>{withheld}</td><td>6</td>' in text
    assert f"{_shown(outcomes.referred.ratio.estimate)} (95% CI" not in text
    assert f"{_shown(outcomes.comparison.ratio.estimate)} (95% CI" in text
    rows = list(csv.reader(io.StringIO(admin_client.get("/admin/report.csv").text)))
    table = {(row[0], row[1]): row[2:] for row in rows[1:]}
    assert table[("outcome_referred", "members")] == ["withheld", "members", "withheld"]
    assert table[("outcome_referred", "rate_ratio")][0] == "withheld"
    assert table[("outcome_comparison", "members")] == ["6", "members", "6"]


def test_without_register_data_the_section_says_so(admin_client):
    text = _text(admin_client.get("/admin/report"))
    assert "Did the program work?" in text
    assert "No members yet: nobody referred from the register" in text
    rows = list(csv.reader(io.StringIO(admin_client.get("/admin/report.csv").text)))
    table = {(row[0], row[1]): row[2:] for row in rows[1:]}
    assert table[("outcome_referred", "members")] == ["0", "members", "0"]
    assert table[("outcome_comparison", "rate_ratio")] == ["", "ratio", "0"]
