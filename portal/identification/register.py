"""What the register says about members on a date, counted by SQL aggregates.

One GROUP BY over the matters gives, per member, the counts by kind in the window before each
reference date, the date of the last matter, and the matters in the following years: the screening
(portal/identification/screening.py) and a single member's profile read the same query, the
profile limited to one member, so the figures a person sees are the ones the screening ranked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
from sqlalchemy import and_, func, select

from portal.assessment.models import MatterKind
from portal.extensions import db
from portal.identification.models import Matter, RegisterMember

KINDS = list(MatterKind)
DAYS_PER_YEAR = 365.25
HORIZON_YEARS = 2  # the recurrence model predicts a new matter within this many years


def years_before(day: date, years: int) -> date:
    """The same calendar day `years` earlier (29 February falls back to the 28th)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


@dataclass(frozen=True)
class ReferenceDates:
    """The screening date and the two earlier dates of the recurrence model's back-test: the
    model is fitted at `train` (outcome: the two years after it) and tested at `test` (outcome:
    the most recent two years, held out)."""

    screening: date
    window_years: int
    recent_years: int

    @property
    def test(self) -> date:
        return years_before(self.screening, HORIZON_YEARS)

    @property
    def train(self) -> date:
        return years_before(self.screening, 2 * HORIZON_YEARS)

    @property
    def all(self) -> dict[str, date]:
        return {"now": self.screening, "test": self.test, "train": self.train}

    def window_start(self, at: date) -> date:
        """Matters opened after this day and on or before `at` are in `at`'s window."""
        return years_before(at, self.window_years)

    @property
    def recent_start(self) -> date:
        return years_before(self.screening, self.recent_years)


@dataclass
class Counts:
    """Per member (one row each, ordered by member id): the arrays the statistics read."""

    member_ids: np.ndarray
    type_of_work_ids: np.ndarray
    member_since: np.ndarray  # datetime64[D]
    by_kind: dict[str, np.ndarray]  # reference name → (members × kinds) counts in its window
    last_matter: dict[str, np.ndarray]  # reference name → datetime64[D], NaT when none
    recent: np.ndarray  # matters in the recent years before the screening date
    following: dict[str, np.ndarray]  # "train"/"test" → matters in the horizon after it

    def __len__(self) -> int:
        return len(self.member_ids)

    def total(self, reference: str = "now") -> np.ndarray:
        return self.by_kind[reference].sum(axis=1)


def exposure_years(member_since: np.ndarray, start: date, end: date) -> np.ndarray:
    """Member-years in (start, end]: from joining or the window's start, whichever is later."""
    begin = np.maximum(member_since, np.datetime64(start, "D"))
    days = (np.datetime64(end, "D") - begin).astype("timedelta64[D]").astype(float)
    return np.clip(days, 0, None) / DAYS_PER_YEAR


def _in(start: date, end: date):
    return and_(Matter.opened_on > start, Matter.opened_on <= end)


def count_register(dates: ReferenceDates, member_id: int | None = None) -> Counts:
    """The register's counts on `dates` (for one member with `member_id`)."""
    members_query = (
        select(RegisterMember.id, RegisterMember.type_of_work_id, RegisterMember.member_since)
        .where(RegisterMember.member_since <= dates.screening)
        .order_by(RegisterMember.id)
    )
    columns = []
    for name, at in dates.all.items():
        start = dates.window_start(at)
        for kind in KINDS:
            columns.append(
                func.count().filter(_in(start, at), Matter.kind == kind).label(f"{name}_{kind}")
            )
        columns.append(func.max(Matter.opened_on).filter(Matter.opened_on <= at).label(name))
    columns.append(func.count().filter(_in(dates.recent_start, dates.screening)).label("recent"))
    columns.append(func.count().filter(_in(dates.train, dates.test)).label("after_train"))
    columns.append(func.count().filter(_in(dates.test, dates.screening)).label("after_test"))
    matters_query = (
        select(Matter.member_id, *columns)
        .where(Matter.opened_on <= dates.screening)
        .group_by(Matter.member_id)
        .order_by(Matter.member_id)
    )
    if member_id is not None:
        members_query = members_query.where(RegisterMember.id == member_id)
        matters_query = matters_query.where(Matter.member_id == member_id)

    members = db.session.execute(members_query).all()
    ids = np.fromiter((row[0] for row in members), dtype=np.int64, count=len(members))
    counts = Counts(
        member_ids=ids,
        type_of_work_ids=np.fromiter((row[1] for row in members), np.int64, len(members)),
        member_since=np.array([row[2] for row in members], dtype="datetime64[D]"),
        by_kind={name: np.zeros((len(ids), len(KINDS)), np.int64) for name in dates.all},
        last_matter={
            name: np.full(len(ids), np.datetime64("NaT"), "datetime64[D]") for name in dates.all
        },
        recent=np.zeros(len(ids), np.int64),
        following={"train": np.zeros(len(ids), np.int64), "test": np.zeros(len(ids), np.int64)},
    )
    # Streamed in chunks (a server-side cursor on PostgreSQL): one member's row at a time, never
    # the whole grouped result in memory.
    names = list(dates.all)
    rows = db.session.execute(matters_query.execution_options(yield_per=10_000)).mappings()
    for row in rows:
        at = np.searchsorted(ids, row["member_id"])
        if at >= len(ids) or ids[at] != row["member_id"]:
            continue  # joined after the screening date
        for name in names:
            counts.by_kind[name][at] = [row[f"{name}_{kind}"] for kind in KINDS]
            if row[name] is not None:
                counts.last_matter[name][at] = np.datetime64(row[name], "D")
        counts.recent[at] = row["recent"]
        counts.following["train"][at] = row["after_train"]
        counts.following["test"][at] = row["after_test"]
    return counts


def yearly_history(member_id: int, first_year: int, last_year: int) -> dict[tuple[int, str], int]:
    """A member's matters per (calendar year, kind) over the years given: the assessment's
    history table and the profile's chart."""
    year = func.extract("year", Matter.opened_on)
    rows = db.session.execute(
        select(year, Matter.kind, func.count())
        .where(
            Matter.member_id == member_id,
            Matter.opened_on >= date(first_year, 1, 1),
            Matter.opened_on < date(last_year + 1, 1, 1),
        )
        .group_by(year, Matter.kind)
    ).all()
    return {(int(y), MatterKind(kind)): n for y, kind, n in rows}


def days_between(earlier: np.ndarray, later: date) -> np.ndarray:
    return (np.datetime64(later, "D") - earlier).astype("timedelta64[D]").astype(float)
