"""A register member's profile: their figures in a screening run, computed on the spot from the
run's peer groups and model (so that any register member can be looked at, flagged or not), the
history per year against peers, the matters, and the decisions taken on them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
from flask import abort
from sqlalchemy import and_, select
from sqlalchemy.orm import joinedload

from portal.extensions import db
from portal.identification import statistics as stats
from portal.identification.models import (
    Matter,
    RegisterMember,
    ScreeningDecision,
    ScreeningResult,
    ScreeningRun,
)
from portal.identification.queue import in_program
from portal.identification.register import KINDS, count_register, exposure_years, yearly_history
from portal.identification.screening import Settings, figures_for, stored_scorer


def register_member_or_404(member_id: int) -> RegisterMember:
    member = db.session.scalar(
        select(RegisterMember)
        .options(joinedload(RegisterMember.type_of_work))
        .where(RegisterMember.id == member_id)
    )
    if member is None:
        abort(404)
    return member


def register_member_by_number(member_number: str) -> RegisterMember | None:
    return db.session.scalar(
        select(RegisterMember).where(RegisterMember.member_number == member_number.upper())
    )


@dataclass
class Profile:
    """A register member's figures in a run, as the profile page shows them."""

    member: RegisterMember
    run: ScreeningRun
    observed: int
    expected: float
    expected_by_kind: dict[str, float]
    ratio: float
    shrunken: float
    probability: float
    limit: str | None
    recent: int
    recent_expected: float
    rising: bool
    rising_p: float
    high: bool
    floor: bool
    flagged: bool
    score: float | None
    limits: dict[str, tuple[float, float]]
    history: list[tuple[int, dict[str, int], dict[str, float]]]
    matters: list[Matter]
    in_program: bool
    decisions: list[ScreeningDecision]

    @property
    def figures(self) -> dict:
        """What a decision was based on, kept with it."""
        return {
            "run_id": self.run.id,
            "screening_date": self.run.screening_date.isoformat(),
            "observed": self.observed,
            "expected": round(self.expected, 3),
            "ratio": round(self.ratio, 3),
            "shrunken_ratio": round(self.shrunken, 3),
            "probability_above_2": round(self.probability, 4),
            "limit": self.limit,
            "recent": self.recent,
            "rising": self.rising,
            "score": round(self.score, 4) if self.score is not None else None,
        }


def profile_of(member: RegisterMember, run: ScreeningRun) -> Profile:
    settings = Settings(**{k: v for k, v in run.parameters.items() if k != "queue_size"})
    dates = settings.dates(run.screening_date)
    counts = count_register(dates, member_id=member.id)
    if not len(counts):
        abort(404)  # joined after the run's screening date
    f = figures_for(counts, dates, run.peer_groups, settings, stored_scorer(run))
    expected = float(f.expected[0])
    limits = {
        level: tuple(float(v) for v in stats.funnel_limits(max(expected, 1e-9), level))
        for level in (0.95, 0.998)
    }
    return Profile(
        member=member,
        run=run,
        observed=int(f.observed[0]),
        expected=expected,
        expected_by_kind={k.value: float(f.expected_by_kind[0][i]) for i, k in enumerate(KINDS)},
        ratio=float(f.ratio[0]),
        shrunken=float(f.shrunken[0]),
        probability=float(f.probability[0]),
        limit=f.limit[0],
        recent=int(f.recent[0]),
        recent_expected=float(f.recent_expected[0]),
        rising=bool(f.rising[0]),
        rising_p=float(f.rising_p[0]),
        high=bool(f.high[0]),
        floor=bool(f.floor[0]),
        flagged=bool(f.flagged[0]),
        score=float(f.score[0]) if f.score is not None else None,
        limits=limits,
        history=history_against_peers(member, run),
        matters=list(
            db.session.scalars(
                select(Matter)
                .where(Matter.member_id == member.id, Matter.opened_on <= run.screening_date)
                .order_by(Matter.opened_on.desc())
            )
        ),
        in_program=bool(db.session.scalar(select(in_program(member.member_number)))),
        decisions=list(
            db.session.scalars(
                select(ScreeningDecision)
                .options(joinedload(ScreeningDecision.decided_by))
                .where(ScreeningDecision.member_id == member.id)
                .order_by(ScreeningDecision.decided_at.desc())
            )
        ),
    )


def history_against_peers(
    member: RegisterMember, run: ScreeningRun
) -> list[tuple[int, dict[str, int], dict[str, float]]]:
    """Per calendar year of the window: the member's matters by kind, and the number expected at
    their peers' rates for the part of that year they were a member."""
    last_year = run.screening_date.year
    first_year = last_year - run.parameters["window_years"] + 1
    counts = yearly_history(member.id, first_year, last_year)
    rates = run.peer_groups.get(str(member.type_of_work_id), {}).get("rates", {})
    since = np.array([member.member_since], dtype="datetime64[D]")
    rows = []
    for year in range(first_year, last_year + 1):
        end = min(date(year, 12, 31), run.screening_date)
        years = float(exposure_years(since, date(year - 1, 12, 31), end)[0])
        rows.append(
            (
                year,
                {kind.value: counts.get((year, kind), 0) for kind in KINDS},
                {kind.value: rates.get(kind.value, 0.0) * years for kind in KINDS},
            )
        )
    return rows


def group_points(run: ScreeningRun, type_of_work_id: int) -> list[tuple[float, float, int]]:
    """The run's flagged members of one peer group: (E, O/E, member id) for the funnel plot."""
    rows = db.session.execute(
        select(ScreeningResult.expected, ScreeningResult.ratio, ScreeningResult.member_id)
        .join(ScreeningResult.member)
        .where(
            and_(
                ScreeningResult.run_id == run.id,
                RegisterMember.type_of_work_id == type_of_work_id,
            )
        )
        .order_by(ScreeningResult.rank)
        .limit(200)
    ).all()
    return [(float(e), float(r), int(m)) for e, r, m in rows]
