"""``bootstrap``: ``scipy.stats.bootstrap``'s interface on a compiled resampling engine.

How the statistic is computed (the first that applies):

1. a :class:`~.statistics.Statistic` from ``bk.bootstrap_statistics``, or a numpy function
   recognised as one (``np.mean``, ``np.median``, ``np.std``, ``np.var``, partials of them
   with ``ddof=``, ``partial(np.quantile, q=...)``): compiled kernels, no resample is ever
   gathered;
2. a numba ``@njit`` function of the 1-D resampled arrays, ``stat(x, ...) -> float or
   array``: called on each resample inside a compiled loop;
3. anything else: called like scipy calls it, ``stat(*resamples, axis=-1)`` on batches of
   ``batch`` resamples when vectorized, else once per resample.

The same seed gives the same resamples on all three paths and on any ``executor``.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from .common import (ALTERNATIVES, METHODS, STREAM_SIZE, as_samples, check_choice,
                     check_count, check_level, run_streams, spawn_streams)
from .evaluators import (BatchedEvaluator, BuiltinEvaluator, JitEvaluator, PythonEvaluator,
                         is_jitted, vectorize)
from .intervals import confidence_interval
from .statistics import recognise

_BATCH_ELEMENTS = 1 << 22
"""Default memory bound of the batched path: about this many resampled values per call."""


class ConfidenceInterval(NamedTuple):
    """A confidence (or credible) interval: ``low`` and ``high``, scalars or arrays."""

    low: np.ndarray | float
    high: np.ndarray | float


@dataclass
class BootstrapResult:
    """Result of :func:`bootstrap`, with the fields of scipy's ``BootstrapResult``.

    confidence_interval: ``ConfidenceInterval(low, high)``.
    bootstrap_distribution: the statistic of each resample, resamples along the last axis
        (``shape[-1] == n_resamples``).
    standard_error: the sample standard deviation (ddof=1) of the bootstrap distribution.
    """

    confidence_interval: ConfidenceInterval
    bootstrap_distribution: np.ndarray
    standard_error: np.ndarray | float


def _scalar(a):
    a = np.asarray(a)
    return a[()] if a.ndim == 0 else a


def _is_vectorized(statistic, vectorized):
    if vectorized is None:
        try:
            return "axis" in inspect.signature(statistic).parameters
        except (TypeError, ValueError):
            return False
    if vectorized not in (True, False):
        raise ValueError(f"vectorized must be True, False or None, got {vectorized!r}")
    return vectorized


def make_evaluator(samples, statistic, *, paired, vectorized, batch):
    """The evaluator (see :mod:`.evaluators`) computing ``statistic`` on ``samples``."""
    if not callable(statistic):
        raise TypeError(f"statistic must be callable, got {statistic!r}")
    builtin = recognise(statistic)
    if builtin is not None:
        if len(samples) != builtin.n_samples:
            raise ValueError(f"statistic {builtin!r} takes {builtin.n_samples} sample(s); "
                             f"data has {len(samples)}")
        if builtin.paired and not paired:
            raise ValueError(f"statistic {builtin!r} needs its samples resampled together: "
                             f"pass paired=True")

        def make(ss):
            return BuiltinEvaluator(builtin, ss)
    elif is_jitted(statistic):
        def make(ss):
            return JitEvaluator(statistic, ss, paired)
    else:
        if not _is_vectorized(statistic, vectorized):
            statistic = vectorize(statistic)
        if batch is None:
            width = sum(s.shape[-1] for s in samples)
            width *= max(int(np.prod(np.broadcast_shapes(*(s.shape[:-1] for s in samples)))), 1)
            batch = max(1, min(STREAM_SIZE, _BATCH_ELEMENTS // width))
        return PythonEvaluator(statistic, samples, paired, batch)
    if all(s.ndim == 1 for s in samples):
        return make(samples)
    return BatchedEvaluator(make, samples)


def bootstrap(data, statistic, *, n_resamples=9999, batch=None, vectorized=None,
              paired=False, axis=0, confidence_level=0.95, alternative="two-sided",
              method="bca", seed=None, executor=None, progressbar=False, rng=None):
    """A bootstrap confidence interval of ``statistic``, called like
    ``scipy.stats.bootstrap`` (``seed``, or scipy's name ``rng``, for the random stream).

    Parameters
    ----------
    data : sequence of array-like
        The samples, e.g. ``(x,)`` or ``(x, y)``; observations along ``axis``, other axes
        broadcast (one interval per element). NaN/inf are rejected.
    statistic : callable
        See the module docstring for the three ways it is computed.
    n_resamples : int
        Number of bootstrap resamples.
    batch : int, optional
        Resamples per call of a (non-compiled) vectorized statistic; memory is
        O(batch * n). Default: what fits in about 32 MB.
    vectorized : bool, optional
        Whether a non-compiled ``statistic`` takes ``axis`` (default: it has that parameter).
    paired : bool
        Resample the rows of all samples together (the samples must have equal lengths).
    axis : int
        The axis of the observations.
    confidence_level : float in (0, 1)
    alternative : {"two-sided", "less", "greater"}
        One-sided intervals have an infinite other end.
    method : {"bca", "percentile", "basic"}
        BCa uses the jackknife (on the fast path too) for its acceleration.
    seed : None, int, SeedSequence or numpy Generator
        (``rng=`` is accepted as a synonym, scipy's name for it).
    executor : concurrent.futures.Executor, optional
        Runs the streams of 1024 resamples as separate tasks; same result as without.
        Default: compiled statistics use a thread per core, others run in this thread.
    progressbar : bool

    Returns
    -------
    BootstrapResult
        ``confidence_interval`` (``.low``, ``.high``), ``bootstrap_distribution``
        (``(*value_shape, n_resamples)``), ``standard_error``.

    Warns ``DegenerateDataWarning`` (and returns NaN bounds) when the distribution contains
    NaN or BCa's jackknife is degenerate.
    """
    if rng is not None:
        if seed is not None:
            raise TypeError("pass seed or rng (its scipy name), not both")
        seed = rng
    method = check_choice(method, METHODS, "method")
    alternative = check_choice(alternative, ALTERNATIVES, "alternative")
    confidence_level = check_level(confidence_level, "confidence_level")
    n_resamples = check_count(n_resamples, "n_resamples")
    if batch is not None:
        batch = check_count(batch, "batch")
    if paired not in (True, False):
        raise ValueError(f"paired must be True or False, got {paired!r}")
    samples = as_samples(data, axis, paired)
    evaluator = make_evaluator(samples, statistic, paired=paired, vectorized=vectorized,
                               batch=batch)
    result, _ = run_bootstrap(evaluator, n_resamples=n_resamples, method=method,
                              confidence_level=confidence_level, alternative=alternative,
                              seed=seed, executor=executor, progressbar=progressbar)
    return result


def run_bootstrap(evaluator, *, n_resamples, method, confidence_level, alternative, seed,
                  executor=None, progressbar=False):
    """Resample with ``evaluator`` (see :mod:`.evaluators`; arguments already checked);
    return the :class:`BootstrapResult` and the statistic of the original data."""
    streams = spawn_streams(seed, n_resamples)
    values = run_streams(evaluator.resamples, streams, executor, progressbar,
                         threads=getattr(evaluator, "releases_gil", False))
    theta_b = np.moveaxis(values, 0, -1)
    theta_hat = evaluator.estimate()
    jackknife = evaluator.jackknife() if method == "bca" else None
    low, high = confidence_interval(theta_b, theta_hat, method=method,
                                    confidence_level=confidence_level,
                                    alternative=alternative, jackknife=jackknife)
    result = BootstrapResult(
        confidence_interval=ConfidenceInterval(_scalar(low), _scalar(high)),
        bootstrap_distribution=theta_b,
        standard_error=_scalar(np.std(theta_b, axis=-1, ddof=1)))
    return result, _scalar(theta_hat)
