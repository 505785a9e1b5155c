"""bayeskit.bootstrap against scipy.stats.bootstrap, and BCa coverage.

Agreement: both libraries estimate the same interval endpoints, quantiles of one bootstrap
distribution, from B = 9999 independent resamples each. An empirical p-quantile sits at
true probability p + e with sd(e) = sqrt(p (1 - p) / B); for BCa the level p itself is
estimated through z0 = Phi^-1(fraction of resamples below the estimate), with
sd(z0) = sqrt(p0 (1 - p0) / B) / phi(z0), propagated to p by the BCa formula. With both
deviations within Z = 4.5 of their sds (probability 1 - 7e-6 each), the two endpoints lie
within ``Q(p + delta) - Q(p - delta)`` of each other, ``Q`` the quantile function of the
pooled resamples. The standard errors agree within Z * sqrt(2) times the sd of a sample sd.
"""

import numpy as np
import pytest
import scipy.stats
from scipy.special import ndtr, ndtri
from scipy.stats import norm

import bayeskit as bk

Z = 4.5
B = 9999
LEVEL = 0.95


def _pearson(x, y, axis=-1):
    return scipy.stats.pearsonr(x, y, axis=axis)[0]


def _mean_diff(x, y, axis=-1):
    return np.mean(x, axis=axis) - np.mean(y, axis=axis)


def _jackknife_acceleration(samples, statistic, paired):
    """BCa acceleration by brute-force leave-one-out (numpy, independent of bayeskit)."""
    groups = [None] if paired else range(len(samples))
    num = den = 0.0
    for j in groups:
        n = len(samples[0] if j is None else samples[j])
        values = []
        for i in range(n):
            cut = [np.delete(s, i) if (j is None or k == j) else s
                   for k, s in enumerate(samples)]
            values.append(statistic(*cut, axis=-1))
        u = (n - 1) * (np.mean(values) - np.asarray(values))
        num += np.sum(u**3) / n**3
        den += np.sum(u**2) / n**2
    return num / (6 * den**1.5)


def _levels_and_spread(pooled, theta_hat, method, accel):
    """The two endpoint probabilities and the sd of each one's estimation error."""
    alpha = (1 - LEVEL) / 2
    p = np.array([alpha, 1 - alpha])
    se_p = np.sqrt(p * (1 - p) / B)
    if method != "bca":
        return p, se_p
    p0 = (np.sum(pooled < theta_hat) + np.sum(pooled <= theta_hat)) / (2 * pooled.size)
    se_z0 = np.sqrt(p0 * (1 - p0) / B) / norm.pdf(ndtri(p0))

    def levels(z0):
        zs = z0 + ndtri(p)
        return ndtr(z0 + zs / (1 - accel * zs))

    z0 = ndtri(p0)
    slope = (levels(z0 + 1e-4) - levels(z0 - 1e-4)) / 2e-4
    level = levels(z0)
    return level, np.sqrt(level * (1 - level) / B + (slope * se_z0) ** 2)


def _check_agreement(ours, theirs, theta_hat, method, accel):
    pooled = np.concatenate([ours.bootstrap_distribution, theirs.bootstrap_distribution])
    level, spread = _levels_and_spread(pooled, theta_hat, method, accel)
    width = (np.quantile(pooled, np.clip(level + Z * spread, 0, 1))
             - np.quantile(pooled, np.clip(level - Z * spread, 0, 1)))
    if method == "basic":
        width = width[::-1]  # basic's low end is 2 theta_hat - Q(1 - alpha)
    got = np.array(ours.confidence_interval)
    ref = np.array(theirs.confidence_interval)
    assert np.all(np.abs(got - ref) <= width), (method, got, ref, width)
    kurt = scipy.stats.kurtosis(pooled, fisher=False)
    se_sd = ours.standard_error * np.sqrt((kurt - 1) / (4 * B))
    assert abs(ours.standard_error - theirs.standard_error) <= Z * np.sqrt(2) * se_sd


@pytest.fixture(scope="module")
def samples():
    rng = np.random.default_rng(20261123)
    x = rng.lognormal(0.0, 0.8, size=60)
    y = 0.5 * x + rng.normal(size=60)
    z = rng.gamma(3.0, size=45)
    return x, y, z


CASES = {
    # name: (bayeskit statistic, scipy statistic, sample indices, paired)
    "mean": (np.mean, np.mean, (0,), False),
    "median": (np.median, np.median, (0,), False),
    "std": (np.std, np.std, (0,), False),
    "correlation": (bk.bootstrap_statistics.correlation(), _pearson, (0, 1), True),
    "two-sample": (_mean_diff, _mean_diff, (0, 2), False),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", list(CASES))
def test_intervals_agree_with_scipy(samples, name):
    ours_stat, sp_stat, which, paired = CASES[name]
    data = tuple(samples[i] for i in which)
    theta_hat = sp_stat(*data, axis=-1)
    accel = _jackknife_acceleration(data, sp_stat, paired)
    theirs = None
    for k, method in enumerate(("bca", "percentile", "basic")):
        ours = bk.bootstrap(data, ours_stat, n_resamples=B, paired=paired, method=method,
                            seed=k)
        # scipy resamples once and re-uses its distribution for the other methods
        theirs = scipy.stats.bootstrap(data, sp_stat, n_resamples=0 if theirs else B,
                                       paired=paired, method=method, rng=100,
                                       bootstrap_result=theirs)
        _check_agreement(ours, theirs, theta_hat, method, accel)


@pytest.mark.slow
def test_bca_coverage_on_skewed_data():
    """95% BCa intervals for the mean of lognormal(0, 0.5) samples (skewness 1.75, n = 100)
    cover the true mean exp(1/8) at the nominal rate, within 3 binomial sds over 400
    replications. (Measured with 3000 replications: 0.943 here; for lognormal(0, 1) BCa
    under-covers at this n, 0.925, and scipy.stats.bootstrap gives 0.925 on the same data
    sets, so that is the method's finite-sample error, not an implementation's.)"""
    rng = np.random.default_rng(7)
    reps, truth = 400, np.exp(0.125)
    hits = 0
    for r in range(reps):
        x = rng.lognormal(0.0, 0.5, size=100)
        ci = bk.bootstrap((x,), np.mean, n_resamples=1999, seed=r).confidence_interval
        hits += ci.low <= truth <= ci.high
    sd = np.sqrt(LEVEL * (1 - LEVEL) / reps)
    assert abs(hits / reps - LEVEL) <= 3 * sd, hits / reps
