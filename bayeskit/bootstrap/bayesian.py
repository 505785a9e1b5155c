"""Rubin's (1981) Bayesian bootstrap: the posterior of a statistic of the data-generating
distribution under a non-informative Dirichlet process, sampled by putting Dirichlet(1, ...,
1) weights on the observed rows and evaluating the *weighted* statistic.

Statistics: the ``bk.bootstrap_statistics`` ones (and the numpy functions recognised as
them) as weighted functionals (see :func:`~.statistics.weighted_value`); a numba ``@njit``
function ``stat(*samples, weights) -> float or array`` (called inside a compiled loop); or
any Python function ``stat(*samples, weights)`` (called once per draw). Samples are the
columns of one data set: they share the weights, so they must have equal lengths.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from .api import ConfidenceInterval, _scalar
from .common import as_samples, check_count, check_level, run_streams, spawn_streams
from .evaluators import _store, is_jitted
from .intervals import quantiles
from .resample import fill_dirichlet_weights, stream_state
from .statistics import recognise, weighted_value


@dataclass
class BayesianBootstrapResult:
    """Result of :func:`bayesian_bootstrap`.

    credible_interval: equal-tailed ``ConfidenceInterval(low, high)`` at ``credible_level``.
    bootstrap_distribution: posterior draws of the statistic, draws along the last axis.
    standard_error: the posterior standard deviation (ddof=1 over the draws).
    mean: the posterior mean.
    """

    credible_interval: ConfidenceInterval
    bootstrap_distribution: np.ndarray
    standard_error: np.ndarray | float
    mean: np.ndarray | float


@njit(cache=True, nogil=True)
def _weighted_builtin_driver(code, par, x, y, order, state, rows, out):
    w = np.empty(x.shape[0])
    for b in range(rows):
        fill_dirichlet_weights(state, w)
        weighted_value(code, par, x, y, order, w, out[b])
    return out


@njit(cache=True, nogil=True)
def _weighted_jit_driver(stat, samples, state, rows, out):
    w = np.empty(samples[0].shape[0])
    for b in range(rows):
        fill_dirichlet_weights(state, w)
        _store(out[b], stat(*samples, w))
    return out


class _Weighted:
    """Draws of a weighted statistic on 1-D samples of equal length ``n``."""

    def __init__(self, samples, statistic):
        self.samples = tuple(np.ascontiguousarray(s) for s in samples)
        self.n = self.samples[0].shape[0]
        self.builtin = recognise(statistic)
        self.statistic = statistic
        if self.builtin is not None:
            if len(samples) != self.builtin.n_samples:
                raise ValueError(f"statistic {self.builtin!r} takes {self.builtin.n_samples} "
                                 f"sample(s); data has {len(samples)}")
            x = self.samples[0]
            y = self.samples[1] if len(samples) > 1 else np.zeros(0)
            self.arrays = (x, y, np.argsort(x, kind="stable"))
            self.value_shape = self.builtin.out_shape
        else:
            if not callable(statistic):
                raise TypeError(f"statistic must be callable, got {statistic!r}")
            w = np.full(self.n, 1.0 / self.n)
            try:
                value = np.asarray(statistic(*self.samples, w), dtype=np.float64)
            except Exception as exc:
                raise TypeError(f"statistic(*samples, weights) failed on the data: "
                                f"{type(exc).__name__}: {str(exc)[:500]}") from exc
            self.value_shape = value.shape
        self.k = int(np.prod(self.value_shape, dtype=np.int64))

    def draws(self, seed_seq, rows):
        state = stream_state(seed_seq)
        out = np.empty((rows, self.k))
        if self.builtin is not None:
            _weighted_builtin_driver(self.builtin.code, self.builtin.params, *self.arrays,
                                     state, rows, out)
        elif is_jitted(self.statistic):
            _weighted_jit_driver(self.statistic, self.samples, state, rows, out)
        else:
            w = np.empty(self.n)
            for b in range(rows):
                fill_dirichlet_weights(state, w)
                out[b] = np.asarray(self.statistic(*self.samples, w.copy()),
                                    dtype=np.float64).ravel()
        return out.reshape((rows, *self.value_shape))


def bayesian_bootstrap(data, statistic, *, n_resamples=4000, credible_level=0.95, seed=None,
                       executor=None, progressbar=False):
    """Posterior draws of ``statistic`` by Rubin's Bayesian bootstrap.

    Parameters
    ----------
    data : sequence of 1-D array-like of equal length
        Columns of one data set (rows are the exchangeable units), e.g. ``(x,)``, ``(x, y)``.
    statistic : callable
        ``bk.bootstrap_statistics.mean()`` etc. or ``np.mean``/``np.median``/``np.std``/
        ``np.var``/``partial(np.quantile, q=...)`` (weighted versions, compiled), an
        ``@njit`` function or a Python function ``stat(*samples, weights)`` (weights sum to 1).
    n_resamples : int
        Number of posterior draws.
    credible_level : float in (0, 1)
        Probability of the equal-tailed credible interval.
    seed, executor, progressbar
        As in :func:`~bayeskit.bootstrap.bootstrap` (same seed, same draws on any executor).

    Returns
    -------
    BayesianBootstrapResult
    """
    credible_level = check_level(credible_level, "credible_level")
    n_resamples = check_count(n_resamples, "n_resamples")
    samples = as_samples(data, 0, paired=True)
    if any(s.ndim != 1 for s in samples):
        raise ValueError("bayesian_bootstrap takes 1-D samples (the columns of one data set)")
    weighted = _Weighted(samples, statistic)
    compiled = weighted.builtin is not None or is_jitted(statistic)
    draws = run_streams(weighted.draws, spawn_streams(seed, n_resamples), executor,
                        progressbar, desc="Bayesian bootstrap", threads=compiled)
    dist = np.moveaxis(draws, 0, -1)
    alpha = (1 - credible_level) / 2
    probs = np.broadcast_to([alpha, 1 - alpha], (*weighted.value_shape, 2))
    ci = quantiles(dist, probs)
    return BayesianBootstrapResult(
        credible_interval=ConfidenceInterval(_scalar(ci[..., 0]), _scalar(ci[..., 1])),
        bootstrap_distribution=dist,
        standard_error=_scalar(np.std(dist, axis=-1, ddof=1)),
        mean=_scalar(np.mean(dist, axis=-1)))
