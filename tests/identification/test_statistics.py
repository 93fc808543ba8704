"""The peer-comparison statistics, checked against closed forms and values computed another way,
and on simulated peer groups for how often they raise ordinary members (false alarms)."""

import json
import math

import numpy as np
import pytest
from scipy import integrate, stats
from sklearn.linear_model import LogisticRegression

from portal.identification.statistics import (
    LEVEL_95,
    LEVEL_998,
    MIN_FRAILTY_VARIANCE,
    RecurrenceModel,
    c_statistic,
    fit_recurrence,
    frailty_variance,
    funnel_limits,
    limit_crossed,
    rate_ratio,
    rising_p,
    shrink,
    upper_tail_p,
)


def _poisson_cdf(k, mean):
    return sum(math.exp(-mean) * mean**i / math.factorial(i) for i in range(k + 1))


def _peer_group(rng, size, variance=0.0):
    """Expected counts of an ordinary peer group, and counts drawn with frailty `variance`."""
    expected = rng.uniform(0.5, 3.0, size)
    theta = rng.gamma(1 / variance, variance, size) if variance else np.ones(size)
    return rng.poisson(theta * expected), expected


def test_funnel_limits_at_e_10_by_hand():
    # Upper, p = 0.975: P(X <= 16) = 0.97296 < p <= P(X <= 17) = 0.98572, so r = 17;
    # P(X = 17) = 0.012705, a = (0.98572 - 0.975) / 0.012705 = 0.8437, limit (17 - 0.8437) / 10.
    # Lower, p = 0.025: P(X <= 3) = 0.01034 < p <= P(X <= 4) = 0.02925, so r = 4;
    # P(X = 4) = 0.018917, a = (0.02925 - 0.025) / 0.018917 = 0.2248, limit (4 - 0.2248) / 10.
    def limit(r, p):
        a = (_poisson_cdf(r, 10) - p) / (_poisson_cdf(r, 10) - _poisson_cdf(r - 1, 10))
        return (r - a) / 10

    lower, upper = funnel_limits(10.0, LEVEL_95)
    assert upper == pytest.approx(limit(17, 0.975), rel=1e-9) == pytest.approx(1.6160, abs=1e-4)
    assert lower == pytest.approx(limit(4, 0.025), rel=1e-9) == pytest.approx(0.3775, abs=1e-4)


@pytest.mark.parametrize("level", [LEVEL_95, LEVEL_998])
@pytest.mark.parametrize("count", [1, 2, 5, 12, 40])
def test_funnel_limits_where_a_whole_count_is_the_exact_quantile(level, count):
    # P(X >= O | E) = P(chi2 with 2O df <= 2E): the exact confidence limits for a count O.
    # At E = chi2.ppf(alpha/2, 2O) / 2, P(X <= O - 1) = 1 - alpha/2 exactly, so O - 1 is the upper
    # quantile with no interpolation (a = 0); at E = chi2.ppf(1 - alpha/2, 2(O + 1)) / 2,
    # P(X <= O) = alpha/2, so O is the lower quantile.
    alpha = 1 - level
    e_upper = stats.chi2.ppf(alpha / 2, 2 * count) / 2
    e_lower = stats.chi2.ppf(1 - alpha / 2, 2 * (count + 1)) / 2
    assert funnel_limits(e_upper, level)[1] == pytest.approx((count - 1) / e_upper, rel=1e-9)
    assert funnel_limits(e_lower, level)[0] == pytest.approx(count / e_lower, rel=1e-9)


def test_funnel_narrows_as_exposure_grows_and_tends_to_the_normal_limits():
    # The interpolated line wiggles slightly between whole counts, so compare well-spaced E.
    expected = np.array([0.5, 1, 2, 5, 10, 20, 50, 100, 1000, 10_000])
    for level in (LEVEL_95, LEVEL_998):
        lower, upper = funnel_limits(expected, level)
        assert np.all(np.diff(upper) < 0)
        assert np.all(np.diff(lower) >= 0)
        assert np.all(lower >= 0)
    lower, upper = funnel_limits(10_000.0, LEVEL_95)
    half_width = 1.96 / math.sqrt(10_000)
    assert upper - 1 == pytest.approx(half_width, rel=0.01)
    assert 1 - lower == pytest.approx(half_width, rel=0.01)


def test_funnel_limits_of_a_member_without_exposure_are_undefined():
    lower, upper = funnel_limits(np.array([0.0, 2.0]), LEVEL_95)
    assert np.isnan(lower[0]) and np.isnan(upper[0])
    assert np.isfinite(upper[1])


def test_upper_tail_p_against_closed_forms():
    expected = np.array([0.2, 1.0, 3.5])
    assert np.allclose(upper_tail_p(np.ones(3), expected), 1 - np.exp(-expected))
    assert np.allclose(
        upper_tail_p(np.full(3, 2), expected), 1 - np.exp(-expected) * (1 + expected)
    )
    assert np.all(upper_tail_p(np.zeros(3), expected) == 1.0)


def test_limit_crossed_by_the_exact_tail():
    # E = 1: P(X >= 3) = 0.0803, P(X >= 4) = 0.0190, P(X >= 5) = 0.00366, P(X >= 6) = 0.000594.
    crossed = limit_crossed([3, 4, 5, 6], np.ones(4))
    assert crossed.tolist() == [None, "95", "95", "99.8"]
    assert limit_crossed([5, 0], [0.0, 0.0]).tolist() == [None, None]


def test_a_flagged_member_always_lies_above_the_drawn_funnel():
    rng = np.random.default_rng(7)
    observed, expected = _peer_group(rng, 20_000, variance=0.5)
    crossed = limit_crossed(observed, expected)
    for label, level in (("99.8", LEVEL_998), ("95", LEVEL_95)):
        flagged = crossed == label
        assert flagged.any()
        upper = funnel_limits(expected[flagged], level)[1]
        assert np.all(observed[flagged] / expected[flagged] > upper)


def test_frailty_variance_recovers_the_simulated_heterogeneity():
    rng = np.random.default_rng(20240601)
    assert frailty_variance(*_peer_group(rng, 200_000)) < 0.02
    assert frailty_variance(*_peer_group(rng, 200_000, variance=0.5)) == pytest.approx(
        0.5, abs=0.05
    )
    assert frailty_variance(np.array([]), np.array([])) == 0.0
    assert frailty_variance(np.array([0, 1]), np.zeros(2)) == 0.0


def test_shrink_posterior_mean_by_hand():
    mean, _ = shrink(np.array([0, 3, 8]), np.array([1.0, 1.5, 2.0]), 0.3)
    prior = 1 / 0.3
    hand = [(prior + 0) / (prior + 1.0), (prior + 3) / (prior + 1.5), (prior + 8) / (prior + 2.0)]
    assert np.allclose(mean, hand)


def test_shrink_tail_against_numerical_integration_of_the_gamma_density():
    shape, rate = 1 / 0.3 + 8, 1 / 0.3 + 2

    def density(theta):
        return math.exp(
            shape * math.log(rate)
            + (shape - 1) * math.log(theta)
            - rate * theta
            - math.lgamma(shape)
        )

    beyond_two = integrate.quad(density, 2, math.inf)[0]
    _, p = shrink(np.array([8]), np.array([2.0]), 0.3)
    assert p[0] == pytest.approx(beyond_two, rel=1e-7)
    assert p[0] > 0.5  # a member with 8 matters against 2 expected


def test_shrink_without_heterogeneity_pulls_everyone_to_the_peer_rate():
    mean, p = shrink(np.array([0, 2, 6]), np.array([1.0, 1.0, 1.0]), 0.0)
    assert np.allclose(mean, 1.0, atol=0.01)
    assert np.all(p < 1e-6)
    assert np.allclose(mean, shrink(np.array([0, 2, 6]), np.ones(3), MIN_FRAILTY_VARIANCE)[0])


def test_rising_p_against_binomial_values():
    p = rising_p(
        np.array([5, 4, 3, 0, 4, 4]),
        np.array([5, 2, 0, 0, 4, 1]),
        np.array([0.3, 0.5, 0.4, 0.3, 1.0, 0.0]),
    )
    # 0.3^5; P(k >= 2 | 4, 1/2) = 1 - (1 + 4) / 16; k = 0 is never evidence of a rise;
    # no matters, no earlier exposure and no recent exposure give nothing to compare.
    assert np.allclose(p, [0.3**5, 11 / 16, 1.0, 1.0, 1.0, 1.0])


def _clopper_pearson(x, n, level):
    alpha = 1 - level
    low = stats.beta.ppf(alpha / 2, x, n - x + 1) if x > 0 else 0.0
    high = stats.beta.ppf(1 - alpha / 2, x + 1, n - x) if x < n else 1.0
    return low, high


def test_rate_ratio_against_clopper_pearson_by_beta_quantiles():
    low, high = _clopper_pearson(10, 20, 0.95)
    estimate, lower, upper = rate_ratio(10, 1.0, 10, 1.0)
    assert estimate == 1.0
    assert lower == pytest.approx(low / (1 - low), rel=1e-9)
    assert upper == pytest.approx(high / (1 - high), rel=1e-9)

    # Twice the exposure for the same count halves the ratio and its interval.
    assert rate_ratio(10, 2.0, 10, 1.0) == pytest.approx((0.5, lower / 2, upper / 2))


def test_rate_ratio_edge_cases():
    low, _ = _clopper_pearson(3, 3, 0.9)
    estimate, lower, upper = rate_ratio(3, 2.0, 0, 4.0, level=0.9)
    assert estimate == math.inf and upper == math.inf
    assert lower == pytest.approx(low / (1 - low) * 4.0 / 2.0, rel=1e-9)
    assert rate_ratio(0, 1.0, 4, 1.0)[:2] == (0.0, 0.0)
    assert rate_ratio(0, 1.0, 0, 1.0) is None
    assert rate_ratio(2, 0.0, 1, 1.0) is None
    assert rate_ratio(2, 1.0, 1, 0.0) is None


def _recurrence_data(rng, size=5_000):
    signal, noise = rng.normal(2.0, 1.5, size), rng.normal(10.0, 4.0, size)
    y = rng.random(size) < 1 / (1 + np.exp(-(-1.0 + 1.2 * (signal - 2.0))))
    return np.column_stack([signal, noise, np.full(size, 3.0)]), y.astype(int)


def test_recurrence_model_finds_the_signal_and_ignores_the_noise():
    X, y = _recurrence_data(np.random.default_rng(11))
    model = fit_recurrence(X, y, ["signal", "noise", "constant"])
    assert c_statistic(y, model.predict(X)) > 0.75
    assert model.coefficients[0] > 1.0
    assert abs(model.coefficients[1]) < 0.1
    assert model.scales[2] == 1.0 and model.coefficients[2] == 0.0


def test_recurrence_model_predicts_like_scikit_learn_from_its_stored_numbers():
    X, y = _recurrence_data(np.random.default_rng(12))
    model = fit_recurrence(X, y, ["signal", "noise", "constant"])
    scales = X.std(axis=0)
    scales[scales == 0] = 1.0
    reference = LogisticRegression(solver="lbfgs", C=1.0, max_iter=200)
    reference.fit((X - X.mean(axis=0)) / scales, y)
    expected = reference.predict_proba((X - X.mean(axis=0)) / scales)[:, 1]
    assert np.allclose(model.predict(X), expected, rtol=0, atol=1e-9)

    stored = json.loads(json.dumps(model.to_dict()))
    restored = RecurrenceModel.from_dict(stored)
    assert restored == model
    assert np.array_equal(restored.predict(X), model.predict(X))


def test_c_statistic_is_undefined_for_a_single_class():
    assert c_statistic(np.zeros(5), np.linspace(0, 1, 5)) is None
    assert c_statistic(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8])) == 0.75


def test_false_alarms_in_an_ordinary_peer_group():
    rng = np.random.default_rng(3)
    observed, expected = _peer_group(rng, 20_000)
    crossed = limit_crossed(observed, expected)
    assert np.mean(crossed == "99.8") <= 0.002
    assert np.mean((crossed == "95") | (crossed == "99.8")) <= 0.03

    _, beyond_two = shrink(observed, expected, frailty_variance(observed, expected))
    assert np.mean(beyond_two >= 0.5) <= 0.01

    # Constant rate: each matter falls in the recent part with the recent share of exposure.
    recent_share = rng.uniform(0.2, 0.5, observed.size)
    recent = rng.binomial(observed, recent_share)
    assert np.mean(rising_p(observed, recent, recent_share) < 0.01) <= 0.01


def test_a_planted_outlier_ranks_in_the_top_percent():
    rng = np.random.default_rng(5)
    observed, expected = _peer_group(rng, 5_000, variance=0.3)
    # Four times the peer rate over 3 expected matters: the 12 matters such a member would have.
    observed[0], expected[0] = 12, 3.0
    _, beyond_two = shrink(observed, expected, frailty_variance(observed, expected))
    assert np.sum(beyond_two > beyond_two[0]) < 0.01 * observed.size
