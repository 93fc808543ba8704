"""The statistics behind the peer comparison: pure functions on numpy arrays, no Flask, no database.

A member's observed count O of medical-legal matters in the window is compared with the count E
their peers' rate predicts for their exposure. Matters are rare (about one per member per decade),
so counts are small and every tail is computed exactly with scipy.stats rather than with a normal
approximation, which would flag far too many members with small exposure.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import special, stats
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

LEVEL_95 = 0.95
LEVEL_998 = 0.998

# With no heterogeneity between peers (φ estimated at 0) the prior would be a point mass at 1 and
# 1/φ would be infinite. A prior variance of 1e-3 (a standard deviation of about 3% around the
# peer rate) keeps the arithmetic finite while still shrinking everyone almost fully to 1.
MIN_FRAILTY_VARIANCE = 1e-3


def funnel_limits(expected: ArrayLike, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper limits for the ratio O/E of a Poisson count with mean E at two-sided `level`.

    Exact Poisson quantiles are integers, so limits drawn from them alone jump in steps as E
    grows; Spiegelhalter (2005, "Funnel plots for comparing institutional performance") interpolates
    between neighbouring counts to give a smooth funnel. Limits are NaN where E is 0 (no exposure,
    nothing to compare); the lower limit is clipped at 0.
    """
    expected = np.asarray(expected, dtype=float)
    safe = np.where(expected > 0, expected, 1.0)
    alpha = 1.0 - level
    limits = []
    for p in (alpha / 2, 1 - alpha / 2):
        r = stats.poisson.ppf(p, safe)
        # P(X <= r) - P(X <= r - 1) is the probability of exactly r.
        a = (stats.poisson.cdf(r, safe) - p) / stats.poisson.pmf(r, safe)
        limits.append(np.where(expected > 0, (r - a) / safe, np.nan))
    lower, upper = limits
    return np.maximum(lower, 0.0)[()], upper[()]


def upper_tail_p(observed: ArrayLike, expected: ArrayLike) -> np.ndarray:
    """P(X >= O) for X ~ Poisson(E): how surprising a count at least this high is among peers."""
    observed = np.asarray(observed, dtype=float)
    expected = np.asarray(expected, dtype=float)
    return np.where(observed == 0, 1.0, stats.poisson.sf(observed - 1, expected))


def limit_crossed(observed: ArrayLike, expected: ArrayLike) -> np.ndarray:
    """The highest upper funnel limit a member lies beyond: "99.8", "95" or None.

    A member is flagged when their count is significant by the exact one-sided test,
    P(X >= O) < (1 − level)/2. The interpolated funnel is drawn between whole counts, so at small
    E a count just above the drawn line is not that unusual: with E between 0.5 and 3, flagging
    by the line would raise about 5% of an ordinary peer group at "95" instead of 2.5%. Every
    flagged member still lies above the drawn line. Only the upper side matters here (the
    programme looks for more matters than peers, not fewer); members with E == 0 get None.
    """
    expected = np.asarray(expected, dtype=float)
    p = np.where(expected > 0, upper_tail_p(observed, expected), 1.0)
    crossed = np.full(np.shape(p), None, dtype=object)
    crossed[p < (1 - LEVEL_95) / 2] = "95"
    crossed[p < (1 - LEVEL_998) / 2] = "99.8"
    return crossed


def frailty_variance(observed: ArrayLike, expected: ArrayLike) -> float:
    """Method-of-moments estimate of the frailty variance φ of a peer group.

    Members differ in ways the peer rate does not capture. Modelling a member's rate as θ times
    the peer rate with θ ~ Gamma(mean 1, variance φ) gives Var(O) = E + φE²; the excess of the
    squared residuals over the Poisson variance, relative to ΣE², estimates φ. Negative estimates
    (less spread than Poisson) mean no heterogeneity, so they are reported as 0.
    """
    observed = np.asarray(observed, dtype=float)
    expected = np.asarray(expected, dtype=float)
    sum_e2 = float(np.sum(expected**2))
    if observed.size == 0 or sum_e2 == 0:
        return 0.0
    excess = float(np.sum((observed - expected) ** 2 - observed))
    return max(0.0, excess / sum_e2)


def shrink(
    observed: ArrayLike, expected: ArrayLike, variance: float, threshold: float = 2.0
) -> tuple[np.ndarray, np.ndarray]:
    """Empirical-Bayes posterior of a member's relative rate θ: (posterior mean, P(θ > threshold)).

    A raw O/E of 3 from one matter against 0.33 expected is mostly chance. With the gamma prior
    the posterior is Gamma(shape 1/φ + O, rate 1/φ + E), which pulls small-exposure members
    towards the peer rate (1) and lets large-exposure members keep their own rate. The less the
    peers differ (small φ), the stronger the pull; φ below MIN_FRAILTY_VARIANCE is floored there.
    """
    observed = np.asarray(observed, dtype=float)
    expected = np.asarray(expected, dtype=float)
    prior = 1.0 / max(variance, MIN_FRAILTY_VARIANCE)
    shape = prior + observed
    rate = prior + expected
    return shape / rate, stats.gamma.sf(threshold, shape, scale=1.0 / rate)


def rising_p(total: ArrayLike, recent: ArrayLike, recent_share: ArrayLike) -> np.ndarray:
    """One-sided p-value that a member's rate rose in the recent part of the window.

    Given the n matters in the window, a constant rate puts each in the recent years with
    probability p0 (the recent share of the member's expected matters), so k ~ Binomial(n, p0);
    conditioning on n removes the member's own level and leaves only the timing. p is 1 where
    there is nothing to compare: no matters, or no exposure before (p0 >= 1) or recently (p0 <= 0).
    """
    total = np.asarray(total, dtype=float)
    recent = np.asarray(recent, dtype=float)
    recent_share = np.asarray(recent_share, dtype=float)
    comparable = (total > 0) & (recent_share > 0) & (recent_share < 1)
    p = stats.binom.sf(recent - 1, total, np.clip(recent_share, 0.0, 1.0))
    return np.where(comparable, p, 1.0)


def _odds(pi: float) -> float:
    return math.inf if pi >= 1.0 else pi / (1.0 - pi)


def rate_ratio(
    o1: int, t1: float, o2: int, t2: float, level: float = 0.95
) -> tuple[float, float, float] | None:
    """Ratio of two Poisson rates (o1/t1) / (o2/t2), with an exact conditional confidence interval.

    Given o1 + o2 matters in all, o1 ~ Binomial(o1 + o2, π) with π/(1 − π) = RR · t1/t2, so a
    Clopper–Pearson interval for π is an exact interval for RR, valid for the small counts here.
    Returns (estimate, lower, upper), or None with no matters or no exposure on either side.
    """
    total = o1 + o2
    if total == 0 or t1 == 0 or t2 == 0:
        return None
    ci = stats.binomtest(o1, total).proportion_ci(confidence_level=level, method="exact")
    exposure = t2 / t1
    estimate = math.inf if o2 == 0 else (o1 / t1) / (o2 / t2)
    return float(estimate), _odds(ci.low) * exposure, _odds(ci.high) * exposure


@dataclass(frozen=True)
class RecurrenceModel:
    """A fitted logistic model of a new matter, kept as plain numbers so it can be stored as JSON
    with the screening run and applied later without pickling a scikit-learn object."""

    features: list[str]
    coefficients: list[float]
    intercept: float
    means: list[float]
    scales: list[float]

    def to_dict(self) -> dict:
        return {
            "features": list(self.features),
            "coefficients": [float(c) for c in self.coefficients],
            "intercept": float(self.intercept),
            "means": [float(m) for m in self.means],
            "scales": [float(s) for s in self.scales],
        }

    @classmethod
    def from_dict(cls, data: dict) -> RecurrenceModel:
        return cls(
            features=[str(f) for f in data["features"]],
            coefficients=[float(c) for c in data["coefficients"]],
            intercept=float(data["intercept"]),
            means=[float(m) for m in data["means"]],
            scales=[float(s) for s in data["scales"]],
        )

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Probability of a new matter for each row of X (columns in the order of `features`)."""
        standardised = (np.asarray(X, dtype=float) - self.means) / np.asarray(self.scales)
        return special.expit(standardised @ np.asarray(self.coefficients) + self.intercept)


def fit_recurrence(X: np.ndarray, y: np.ndarray, features: list[str]) -> RecurrenceModel:
    """Fit the recurrence model on standardised columns.

    Standardising makes the coefficients comparable across features (the change in log-odds per
    standard deviation) and makes the default ridge penalty treat every feature alike. A constant
    column gets scale 1 so it does not divide by zero; its coefficient is then 0.
    """
    X = np.asarray(X, dtype=float)
    if X.shape[1] != len(features):
        raise ValueError(f"X has {X.shape[1]} columns but {len(features)} features are named")
    means = X.mean(axis=0)
    scales = X.std(axis=0)
    scales[scales == 0] = 1.0
    fitted = LogisticRegression(solver="lbfgs", C=1.0, max_iter=200)
    fitted.fit((X - means) / scales, np.asarray(y))
    return RecurrenceModel(
        features=list(features),
        coefficients=fitted.coef_[0].tolist(),
        intercept=float(fitted.intercept_[0]),
        means=means.tolist(),
        scales=scales.tolist(),
    )


def c_statistic(y: ArrayLike, p: ArrayLike) -> float | None:
    """Area under the ROC curve of predictions p; None when y has one class (it is undefined)."""
    if np.unique(np.asarray(y)).size < 2:
        return None
    return float(roc_auc_score(y, p))
