"""Confidence intervals from a bootstrap distribution: percentile, basic and BCa.

All functions work elementwise over leading dimensions: ``theta_b`` has shape
``(*value_shape, B)`` with the resamples last, ``theta_hat`` has ``value_shape``.
Quantiles of the bootstrap distribution use the 'linear' rule (numpy's default), as
``scipy.stats.bootstrap`` does. BCa follows Efron & Tibshirani (1993), ch. 14.3 and
eq. 15.36: bias correction ``z0`` from the fraction of resamples below the estimate (ties
count half), acceleration ``a`` from the jackknife, summed over independently resampled
samples.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy.special import ndtr, ndtri


class DegenerateDataWarning(RuntimeWarning):
    """The bootstrap distribution is degenerate, so the interval is NaN (as in scipy)."""


def quantiles(theta_b, probs):
    """Linear-interpolation quantiles of ``theta_b`` (..., B) at per-element probabilities
    ``probs`` (..., k); NaN where the distribution or the probability is NaN."""
    srt = np.sort(theta_b, axis=-1)
    big = srt.shape[-1]
    probs = np.asarray(probs, dtype=np.float64)
    h = (big - 1) * np.clip(np.nan_to_num(probs, nan=0.0), 0.0, 1.0)
    lo = np.floor(h).astype(np.int64)
    hi = np.minimum(lo + 1, big - 1)
    a = np.take_along_axis(srt, lo, axis=-1)
    b = np.take_along_axis(srt, hi, axis=-1)
    out = a + (h - lo) * (b - a)
    bad = np.isnan(probs) | np.isnan(theta_b).any(axis=-1, keepdims=True)
    return np.where(bad, np.nan, out)


def bca_acceleration(jackknife):
    """The BCa acceleration ``a`` from jackknife values: a list (one per independently
    resampled sample) of arrays ``(n_j, *value_shape)``. NaN when they are all equal."""
    num = 0.0
    den = 0.0
    for values in jackknife:
        n = values.shape[0]
        u = (n - 1) * (values.mean(axis=0) - values)
        num = num + np.sum(u**3, axis=0) / n**3
        den = den + np.sum(u**2, axis=0) / n**2
    with np.errstate(divide="ignore", invalid="ignore"):
        return num / (6.0 * den**1.5)


def bca_probabilities(theta_b, theta_hat, acceleration, alpha):
    """The adjusted probabilities ``(alpha_1, alpha_2)`` of the BCa interval at level
    ``alpha`` in each tail."""
    theta_hat = np.asarray(theta_hat)[..., None]
    below = np.sum(theta_b < theta_hat, axis=-1) + np.sum(theta_b <= theta_hat, axis=-1)
    z0 = ndtri(below / (2.0 * theta_b.shape[-1]))
    z = ndtri(alpha)
    with np.errstate(divide="ignore", invalid="ignore"):
        lo = z0 + z
        hi = z0 - z
        alpha_1 = ndtr(z0 + lo / (1 - acceleration * lo))
        alpha_2 = ndtr(z0 + hi / (1 - acceleration * hi))
    return alpha_1, alpha_2


def confidence_interval(theta_b, theta_hat, *, method, confidence_level, alternative,
                        jackknife=None):
    """``(low, high)`` arrays of ``value_shape`` (``jackknife`` is needed for BCa)."""
    alpha = (1 - confidence_level) / 2 if alternative == "two-sided" else 1 - confidence_level
    if method == "bca":
        a1, a2 = bca_probabilities(theta_b, theta_hat, bca_acceleration(jackknife), alpha)
    else:
        a1 = np.full(np.shape(theta_hat), alpha)
        a2 = 1 - a1
    ci = quantiles(theta_b, np.stack([a1, a2], axis=-1))
    if np.isnan(ci).any():
        warnings.warn(DegenerateDataWarning(
            "The bootstrap confidence interval is NaN: the bootstrap distribution contains "
            "NaN or is degenerate (for BCa: all jackknife values equal, e.g. identical "
            "observations or a statistic like np.min). Inspect the data or use another "
            "method."), stacklevel=4)
    low, high = ci[..., 0], ci[..., 1]
    if method == "basic":
        low, high = 2 * theta_hat - high, 2 * theta_hat - low
    if alternative == "less":
        low = np.full_like(low, -np.inf)
    elif alternative == "greater":
        high = np.full_like(high, np.inf)
    return low, high
