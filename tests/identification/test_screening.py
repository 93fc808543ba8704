"""Screening the register: planted high-rate and rising members are found near the top, a
register where nobody differs from peers fills no more than the queue's nominal size, the figures
are the register's own, and a run is stored as computed."""

from datetime import date

import numpy as np
import pytest
from scipy import stats as scipy_stats
from sqlalchemy import select

from portal.extensions import db
from portal.identification.models import ScreeningResult
from portal.identification.profile import profile_of, register_member_or_404
from portal.identification.screening import screen
from portal.identification.synthetic import FixedMember, generate
from tests.identification.helpers import TODAY, load_register


def _results(run):
    return list(
        db.session.scalars(
            select(ScreeningResult)
            .where(ScreeningResult.run_id == run.id)
            .order_by(ScreeningResult.rank)
        )
    )


def test_planted_members_are_found_near_the_top(app):
    register = generate(
        3000,
        today=TODAY,
        planted_high=6,
        planted_ratio=8,
        planted_rising=6,
        rising_ratio=15,
        frailty_variance=0.1,
        seed=7,
    )
    ids = load_register(register)
    run = screen(TODAY, by=None, trigger="manual")
    db.session.commit()
    results = _results(run)
    queue_size = run.parameters["queue_size"]
    assert queue_size == 30
    top = {r.member_id for r in results[:queue_size]}
    found_high = sum(ids[n] in top for n in register.planted_high)
    assert found_high >= 4, "planted high-rate members should rank in the queue"
    rising = {r.member_id for r in results if r.rising}
    assert sum(ids[n] in rising for n in register.planted_rising) >= 3
    assert run.model["auc"] is not None and run.model["auc"] > 0.6
    assert run.model["test"]["members"] > 0 and run.model["anchor_c"] == 0.70


def test_a_pure_poisson_register_flags_no_more_than_the_nominal_size(app):
    register = generate(4000, today=TODAY, frailty_variance=0, seed=11)
    load_register(register)
    run = screen(TODAY, by=None, trigger="manual")
    db.session.commit()
    assert run.flagged_count <= run.parameters["queue_size"]
    for group in run.peer_groups.values():
        assert group["frailty_variance"] < 0.15


def test_figures_are_computed_from_the_register(app):
    today = date(2026, 6, 30)
    jordan = FixedMember(
        member_number="M-100245",
        name="Dr. Jordan Lee",
        email="member@example.org",
        language="en",
        type_of_work="emergency_medicine",
        province="ON",
        member_since=date(2010, 1, 1),
        matters=[
            (date(2021, 3, 1), "college_complaint"),
            (date(2023, 5, 2), "legal_action"),
            (date(2024, 8, 3), "college_complaint"),
            (date(2025, 9, 4), "hospital_matter"),
            (date(2012, 1, 1), "legal_action"),  # outside the ten-year window
        ],
    )
    register = generate(500, today=today, seed=3, fixed=[jordan])
    ids = load_register(register)
    run = screen(today, by=None, trigger="manual")
    db.session.commit()
    profile = profile_of(register_member_or_404(ids["M-100245"]), run)
    assert profile.observed == 4
    group = run.peer_groups[str(profile.member.type_of_work_id)]
    # Exposure: the whole window (a member since 2010), ten years of 365.25 days.
    window_days = (today - date(2016, 6, 30)).days
    assert profile.expected == pytest.approx(group["rate"] * window_days / 365.25)
    assert profile.ratio == pytest.approx(4 / profile.expected)
    # The funnel limits are exact Poisson limits at the member's E.
    upper = profile.limits[0.95][1]
    assert scipy_stats.poisson.ppf(0.975, profile.expected) / profile.expected == pytest.approx(
        upper, abs=1 / profile.expected
    )
    history = {year: sum(observed.values()) for year, observed, _ in profile.history}
    assert history[2021] == history[2023] == history[2024] == history[2025] == 1
    assert sum(history.values()) == 4 and min(history) == 2017


def test_a_run_is_stored_and_never_changes(app):
    register = generate(800, today=TODAY, planted_high=3, seed=5)
    load_register(register)
    first = screen(TODAY, by=None, trigger="manual")
    db.session.commit()
    kept = [(r.member_id, r.rank, r.observed) for r in _results(first)]
    second = screen(TODAY, by=None, trigger="manual")
    db.session.commit()
    assert second.id != first.id
    assert [(r.member_id, r.rank, r.observed) for r in _results(first)] == kept
    assert first.parameters["window_years"] == 10 and first.peer_groups


def test_an_empty_register_screens_to_an_empty_queue(app):
    run = screen(TODAY, by=None, trigger="manual")
    db.session.commit()
    assert run.member_count == 0 and run.flagged_count == 0 and run.model["auc"] is None
    assert np.isfinite(run.duration_ms)
