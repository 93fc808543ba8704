"""Screening the register: each member's matters against the number expected for peers in the same
type of work, ranked by an empirical-Bayes shrunken ratio, with rising risk and a recurrence score.

What a flag means, in plain words (the queue and docs/identification.md say the same):
- *expected* (E): the matters a member would have had at their peers' rate, by kind, over the
  years they were a member in the window (indirect standardisation);
- *above the 95% / 99.8% limit*: more matters than chance alone would give 1 time in 40 / 1 in
  1,000 at that E (exact Poisson funnel limits) — a pointer for the funnel plot, not a verdict;
- *P(true ratio > 2)*: after shrinking the member's ratio towards their group's (a few matters
  say little on their own), the chance that their true rate is over twice their peers'; the queue
  ranks by it, flags from SCREENING_FLAG_PROBABILITY (0.2) and calls it *high* ("probably over
  twice peers") from SCREENING_PROBABILITY (0.5);
- *rising*: more of their matters in the recent years than their own earlier years predict
  (exact binomial test, p < 0.01);
- *score*: the recurrence model's chance of a new matter in the next two years.
Flagged: worth a look by that chance, above the 99.8% limit, or rising; but nobody is flagged on
fewer than SCREENING_FLOOR_TOTAL matters in the window or
SCREENING_FLOOR_RECENT in the recent years: rare events make tiny counts look extreme.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass
from datetime import date

import numpy as np
from flask import current_app
from sqlalchemy import func, insert, select

from portal import clock
from portal.audit.services import record
from portal.auth.models import User
from portal.extensions import db
from portal.identification import statistics as stats
from portal.identification.models import Matter, ScreeningResult, ScreeningRun
from portal.identification.register import (
    DAYS_PER_YEAR,
    KINDS,
    Counts,
    ReferenceDates,
    count_register,
    days_between,
    exposure_years,
)

MAX_KEPT_FACTOR = 5  # flagged members kept per run: up to this many times the queue's size


@dataclass(frozen=True)
class Settings:
    window_years: int
    recent_years: int
    floor_total: int
    floor_recent: int
    ratio: float
    flag_probability: float
    probability: float
    rising_p: float
    queue_share: float

    @classmethod
    def from_config(cls) -> Settings:
        config = current_app.config
        return cls(
            window_years=config["SCREENING_WINDOW_YEARS"],
            recent_years=config["SCREENING_RECENT_YEARS"],
            floor_total=config["SCREENING_FLOOR_TOTAL"],
            floor_recent=config["SCREENING_FLOOR_RECENT"],
            ratio=config["SCREENING_RATIO"],
            flag_probability=config["SCREENING_FLAG_PROBABILITY"],
            probability=config["SCREENING_PROBABILITY"],
            rising_p=config["SCREENING_RISING_P"],
            queue_share=config["SCREENING_QUEUE_SHARE"],
        )

    def queue_size(self, members: int) -> int:
        return max(1, round(self.queue_share * members)) if members else 0

    def dates(self, screening_date: date) -> ReferenceDates:
        return ReferenceDates(screening_date, self.window_years, self.recent_years)


@dataclass
class Figures:
    """Every member's figures in one screening (arrays aligned with `Counts.member_ids`)."""

    observed: np.ndarray
    expected: np.ndarray
    expected_by_kind: np.ndarray
    ratio: np.ndarray
    shrunken: np.ndarray
    probability: np.ndarray
    limit: np.ndarray
    recent: np.ndarray
    recent_expected: np.ndarray
    rising_p: np.ndarray
    rising: np.ndarray
    high: np.ndarray
    floor: np.ndarray
    flagged: np.ndarray
    score: np.ndarray | None


# --- Peer groups ---------------------------------------------------------------------------------


def _group_rows(counts: Counts, group_id: int) -> np.ndarray:
    return counts.type_of_work_ids == group_id


def peer_groups(counts: Counts, dates: ReferenceDates) -> dict[str, dict]:
    """Each type of work's rates per member-year, by kind, over the window and its two parts
    (recent and earlier), from SQL's per-member counts: plain sums, no loop over matters."""
    exposure = exposure_years(
        counts.member_since, dates.window_start(dates.screening), dates.screening
    )
    recent_exposure = exposure_years(counts.member_since, dates.recent_start, dates.screening)
    observed = counts.by_kind["now"]
    groups = {}
    for group_id in np.unique(counts.type_of_work_ids):
        rows = _group_rows(counts, group_id)
        years = float(exposure[rows].sum())
        recent_years = float(recent_exposure[rows].sum())
        by_kind = observed[rows].sum(axis=0)
        recent = int(counts.recent[rows].sum())
        total = int(by_kind.sum())
        groups[str(int(group_id))] = {
            "members": int(rows.sum()),
            "exposure": years,
            "observed": {kind.value: int(n) for kind, n in zip(KINDS, by_kind, strict=True)},
            "rates": {
                kind.value: (int(n) / years if years else 0.0)
                for kind, n in zip(KINDS, by_kind, strict=True)
            },
            "rate": total / years if years else 0.0,
            "recent_rate": recent / recent_years if recent_years else 0.0,
            "earlier_rate": (
                (total - recent) / (years - recent_years) if years > recent_years else 0.0
            ),
        }
    return groups


# --- Figures -------------------------------------------------------------------------------------


def figures_for(
    counts: Counts,
    dates: ReferenceDates,
    groups: dict[str, dict],
    settings: Settings,
    scorer: Scorer | None,
) -> Figures:
    """The figures of the members in `counts` against the peer groups' figures `groups` (which
    must carry each group's frailty variance: see `screen`)."""
    n = len(counts)
    window = (dates.window_start(dates.screening), dates.screening)
    exposure = exposure_years(counts.member_since, *window)
    recent_exposure = exposure_years(counts.member_since, dates.recent_start, dates.screening)
    rates = np.zeros((n, len(KINDS)))
    recent_rate, earlier_rate, variance = np.zeros(n), np.zeros(n), np.zeros(n)
    for key, group in groups.items():
        rows = _group_rows(counts, int(key))
        rates[rows] = [group["rates"][kind.value] for kind in KINDS]
        recent_rate[rows] = group["recent_rate"]
        earlier_rate[rows] = group["earlier_rate"]
        variance[rows] = group.get("frailty_variance", 0.0)
    expected_by_kind = rates * exposure[:, None]
    expected = expected_by_kind.sum(axis=1)
    observed = counts.total("now")
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(expected > 0, observed / expected, 0.0)
    shrunken, probability = np.ones(n), np.zeros(n)
    for value in np.unique(variance):
        rows = variance == value
        shrunken[rows], probability[rows] = stats.shrink(
            observed[rows], expected[rows], float(value), threshold=settings.ratio
        )
    recent_expected = recent_rate * recent_exposure
    earlier_expected = earlier_rate * (exposure - recent_exposure)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(
            recent_expected + earlier_expected > 0,
            recent_expected / (recent_expected + earlier_expected),
            0.0,
        )
    rising_p = stats.rising_p(observed, counts.recent, share)
    floor = (observed >= settings.floor_total) | (counts.recent >= settings.floor_recent)
    limit = stats.limit_crossed(observed, expected)
    high = probability >= settings.probability
    rising = (rising_p < settings.rising_p) & (counts.recent >= settings.floor_recent)
    worth_a_look = probability >= settings.flag_probability
    flagged = floor & (worth_a_look | (limit == "99.8") | rising)
    score = scorer.scores(counts, dates) if scorer is not None else None
    return Figures(
        observed=observed,
        expected=expected,
        expected_by_kind=expected_by_kind,
        ratio=ratio,
        shrunken=shrunken,
        probability=probability,
        limit=limit,
        recent=counts.recent,
        recent_expected=recent_expected,
        rising_p=rising_p,
        rising=rising,
        high=high,
        floor=floor,
        flagged=flagged,
        score=score,
    )


# --- The recurrence model ------------------------------------------------------------------------

FEATURES = [
    "log_prior_matters",
    *[f"prior_{kind.value}" for kind in KINDS],
    "years_since_last",
    "any_prior",
    "years_of_membership",
]


def recurrence_features(
    counts: Counts, dates: ReferenceDates, reference: str, group_ids: list[int]
) -> np.ndarray:
    """One row per member: the register's history before `reference` ("train", "test", "now"),
    and their type of work (one column per group after the first)."""
    at = dates.all[reference]
    by_kind = counts.by_kind[reference]
    total = by_kind.sum(axis=1)
    last = counts.last_matter[reference]
    since_last = np.where(
        np.isnat(last), dates.window_years, np.minimum(days_between(last, at) / DAYS_PER_YEAR, 10)
    )
    membership = np.clip(days_between(counts.member_since, at) / DAYS_PER_YEAR, 0, 40)
    groups = [(counts.type_of_work_ids == g).astype(float) for g in group_ids[1:]]
    return np.column_stack(
        [np.log1p(total), by_kind, since_last, (total > 0).astype(float), membership, *groups]
    )


@dataclass(frozen=True)
class Scorer:
    """The recurrence model with the peer groups its type-of-work columns stand for."""

    model: stats.RecurrenceModel
    group_ids: list[int]

    def scores(self, counts: Counts, dates: ReferenceDates) -> np.ndarray:
        return self.model.predict(recurrence_features(counts, dates, "now", self.group_ids))


def fit_model(counts: Counts, dates: ReferenceDates) -> tuple[Scorer | None, dict]:
    """Fit on the register as it stood four years ago (outcome: the next two years), test on the
    held-out most recent two years, then refit two years ago for today's scores."""
    group_ids = [int(g) for g in np.unique(counts.type_of_work_ids)]
    names = FEATURES + [f"type_of_work_{g}" for g in group_ids[1:]]
    summary: dict = {"features": names, "anchor_c": 0.70, "fitted_on": dates.screening.isoformat()}

    def sample(reference: str):
        present = counts.member_since <= np.datetime64(dates.all[reference], "D")
        X = recurrence_features(counts, dates, reference, group_ids)[present]
        y = (counts.following[reference][present] > 0).astype(int)
        return X, y

    X_train, y_train = sample("train")
    X_test, y_test = sample("test")
    summary.update(
        train={
            "at": dates.train.isoformat(),
            "members": len(y_train),
            "events": int(y_train.sum()),
        },
        test={"at": dates.test.isoformat(), "members": len(y_test), "events": int(y_test.sum())},
    )
    if len(set(y_train)) < 2 or len(set(y_test)) < 2:
        summary["auc"] = None
        return None, summary
    backtest = stats.fit_recurrence(X_train, y_train, names)
    summary["auc"] = stats.c_statistic(y_test, backtest.predict(X_test))
    model = stats.fit_recurrence(X_test, y_test, names)
    summary["model"] = model.to_dict()
    summary["group_ids"] = group_ids
    return Scorer(model, group_ids), summary


def stored_scorer(run: ScreeningRun) -> Scorer | None:
    """The run's model as it was fitted, to score a member the same way on their profile."""
    data = (run.model or {}).get("model")
    if not data:
        return None
    return Scorer(stats.RecurrenceModel.from_dict(data), run.model["group_ids"])


# --- A run ---------------------------------------------------------------------------------------


def screen(
    screening_date: date, *, by: User | None, trigger: str, settings: Settings | None = None
) -> ScreeningRun:
    """Screen the whole register on `screening_date` and store the run with its flagged members
    (ranked, at most MAX_KEPT_FACTOR times the queue's size). The caller commits."""
    started = time.monotonic()
    settings = settings or Settings.from_config()
    dates = settings.dates(screening_date)
    counts = count_register(dates)
    groups = peer_groups(counts, dates)
    # The frailty variance needs each member's E, which needs the groups' rates: two passes.
    first = figures_for(counts, dates, groups, settings, None)
    for key, group in groups.items():
        rows = _group_rows(counts, int(key))
        group["frailty_variance"] = stats.frailty_variance(
            first.observed[rows], first.expected[rows]
        )
        group["expected_max"] = float(first.expected[rows].max()) if rows.any() else 0.0
    scorer, model_summary = fit_model(counts, dates)
    figures = figures_for(counts, dates, groups, settings, scorer)
    queue_size = settings.queue_size(len(counts))
    order = np.lexsort((-figures.observed, -figures.shrunken, -figures.probability))
    flagged = [i for i in order if figures.flagged[i]][: MAX_KEPT_FACTOR * queue_size]
    matter_count = db.session.scalar(
        select(func.count()).select_from(Matter).where(Matter.opened_on <= screening_date)
    )
    run = ScreeningRun(
        screening_date=screening_date,
        created_by_id=by.id if by else None,
        trigger=trigger,
        parameters=asdict(settings) | {"queue_size": queue_size},
        member_count=len(counts),
        matter_count=matter_count or 0,
        flagged_count=int(figures.flagged.sum()),
        peer_groups=groups,
        model=model_summary,
        duration_ms=0,
    )
    db.session.add(run)
    db.session.flush()
    rows = [_result_row(run.id, rank, i, counts, figures) for rank, i in enumerate(flagged, 1)]
    if rows:
        db.session.execute(insert(ScreeningResult), rows)
    run.duration_ms = int((time.monotonic() - started) * 1000)
    record(
        "screening.run",
        actor=by,
        object_type="screening_run",
        object_id=run.id,
        detail=(
            f"{trigger} on {screening_date}: {len(counts)} members, {run.flagged_count} flagged, "
            f"c={model_summary.get('auc')}"
        ),
    )
    return run


def _result_row(run_id: int, rank: int, i: int, counts: Counts, figures: Figures) -> dict:
    return {
        "run_id": run_id,
        "member_id": int(counts.member_ids[i]),
        "rank": rank,
        "observed": int(figures.observed[i]),
        "expected": float(figures.expected[i]),
        "ratio": float(figures.ratio[i]),
        "shrunken_ratio": float(figures.shrunken[i]),
        "probability_above_2": float(figures.probability[i]),
        "limit_crossed": figures.limit[i],
        "recent_observed": int(figures.recent[i]),
        "rising": bool(figures.rising[i]),
        "rising_p": _finite(figures.rising_p[i]),
        "high": bool(figures.high[i]),
        "score": _finite(figures.score[i]) if figures.score is not None else None,
    }


def _finite(value) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


def latest_run() -> ScreeningRun | None:
    return db.session.scalar(select(ScreeningRun).order_by(ScreeningRun.id.desc()).limit(1))


def screen_nightly() -> None:
    """The worker's job: screen today unless a run for today exists."""
    today = clock.now().date()
    last = latest_run()
    if last is not None and last.screening_date == today:
        return
    screen(today, by=None, trigger="nightly")
    db.session.commit()
