"""``run_chain``: one chain of warmup and sampling, in compiled chunks.

Python validates the input, allocates the output arrays once, and calls a sampler's
compiled ``run_chunk`` over consecutive ranges of iterations. All sampler and adaptation
state (including the random generator's) is carried from chunk to chunk, so the draws do
not depend on where the chunks end. Between chunks Python reports progress and honours a
stop request; the compiled code releases the GIL, so chains in threads run in parallel.
"""

from __future__ import annotations

import math
import time
from typing import NamedTuple

import numpy as np
from numba import types
from numba.core.ccallback import CFunc

from . import hamiltonian, hmc, metropolis, nuts
from .adaptation import (dual_averaging_init, find_reasonable_step_size, proportional_schedule,
                         warmup_schedule, welford_init)
from .state import STAT_NAMES, Metric

_LOGP_SIGNATURE = types.float64(
    types.float64[::1], types.float64[::1], types.float64[::1], types.int64[::1]
)

_STATS = {
    "nuts": STAT_NAMES,
    "hmc": ("lp", "acceptance_rate", "step_size", "n_steps", "diverging", "energy",
            "energy_error"),
    "metropolis": ("lp", "acceptance_rate", "step_size"),
}
_INT_STATS = ("tree_depth", "n_steps")
_BOOL_STATS = ("reached_max_treedepth", "diverging")
_KERNELS = {"nuts": nuts, "hmc": hmc, "metropolis": metropolis}

CHUNK_SECONDS = 0.25
"""Aim of the wall time per compiled chunk: short enough for a responsive progress bar
and stop, long enough that the Python round trip costs nothing."""
MAX_CHUNK = 500


class ChainResult(NamedTuple):
    """The output of one chain."""

    draws: np.ndarray
    """(n_draws_done, dim) post-warmup draws on the unconstrained space."""
    stats: dict
    """name -> (n_draws_done,) per-draw statistics with ArviZ's names (only the sampler's)."""
    step_size: float
    """the step size (Metropolis: proposal scale) at the end of the run."""
    inv_mass: np.ndarray
    """the final inverse mass matrix: (dim,) diagonal or (dim, dim) dense."""
    n_grad_evals: int
    """log-density-and-gradient evaluations by the transitions (warmup included)."""
    tune_seconds: float
    """wall time of the warmup."""
    sample_seconds: float
    """wall time of the sampling."""
    completed: bool
    """False if the run was stopped before all iterations were done."""
    n_tune_done: int
    """warmup iterations done."""
    n_draws_done: int
    """post-warmup draws done (the rows of ``draws``)."""


def _positive_int(value, name, minimum):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def _positive_float(value, name, upper=math.inf):
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}") from None
    if not (0.0 < x < upper):
        bound = "" if upper == math.inf else f" and < {upper}"
        raise ValueError(f"{name} must be > 0{bound}, got {value}")
    return x


def _buffer(values, dtype, name):
    arr = np.ascontiguousarray(np.zeros(0) if values is None else values, dtype=dtype)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    return arr


def _validate(fn, fdata, idata, theta0, sampler, draws, tune, rng):
    if not isinstance(fn, CFunc):
        raise TypeError("fn must be a numba.cfunc with bayeskit.LOGP_SIGNATURE (e.g. "
                        f"LogDensity.fn), got {type(fn).__name__}")
    if fn._sig != _LOGP_SIGNATURE:
        raise TypeError(f"fn has signature {fn._sig}; expected {_LOGP_SIGNATURE}")
    if sampler not in _KERNELS:
        raise ValueError(f"sampler must be one of {sorted(_KERNELS)}, got {sampler!r}")
    theta0 = np.array(theta0, dtype=np.float64, copy=True)
    if theta0.ndim != 1 or theta0.size == 0:
        raise ValueError(f"theta0 must be a non-empty vector, got shape {theta0.shape}")
    if not np.all(np.isfinite(theta0)):
        raise ValueError("theta0 must be finite")
    if rng is None:
        rng = np.random.default_rng()
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    return (theta0, _buffer(fdata, np.float64, "fdata"), _buffer(idata, np.int64, "idata"),
            _positive_int(draws, "draws", 1), _positive_int(tune, "tune", 0), rng)


def run_chain(fn, fdata, idata, theta0, *, sampler="nuts", draws=1000, tune=1000, rng=None,
              target_accept=None, max_treedepth=nuts.DEFAULT_MAX_TREEDEPTH, dense_mass=False,
              path_length=None, init_step_size=None, progress=None, stop=None,
              chunk_size=None):
    """Run one chain of ``sampler`` on the log density ``fn`` from ``theta0``.

    Parameters
    ----------
    fn, fdata, idata : the compiled log density (a cfunc with ``bayeskit.LOGP_SIGNATURE``)
        and its float64 / int64 data buffers.
    theta0 : (dim,) starting point on the unconstrained space; its density must be finite.
    sampler : "nuts", "hmc" or "metropolis".
    draws, tune : post-warmup draws kept, and warmup iterations (Stan's windowed warmup).
    rng : the chain's ``numpy.random.Generator`` (advanced in place; None: a fresh one).
    target_accept : acceptance-statistic target of the step-size adaptation; None means 0.8
        for NUTS and HMC and 0.234 for Metropolis.
    max_treedepth : NUTS's maximum number of trajectory doublings.
    dense_mass : adapt a dense metric (HMC/NUTS mass matrix, Metropolis proposal
        covariance) instead of a diagonal one. Static HMC estimates it only from warmup
        windows of at least 4 * dim draws (shorter ones set the diagonal; see ``hmc``).
    path_length : HMC's integration time (default ``hmc.DEFAULT_PATH_LENGTH`` = 2).
    init_step_size : first step size (HMC/NUTS; default 1, then Stan's heuristic when
        tuning) or proposal scale (Metropolis; default 2.38 / sqrt(dim)).
    progress : ``callable(done_iterations, total_iterations, info)`` called between chunks;
        ``info`` has ``phase`` ("tune" or "sample"), ``step_size``, ``divergences`` (so
        far, warmup included), ``draws_per_second`` and ``n_grad_evals``.
    stop : a ``threading.Event``; when set, the run ends after the current chunk and
        returns what was drawn with ``completed=False``.
    chunk_size : iterations per compiled chunk (default: sized to about 0.25 s, at most
        500). It never changes the draws.

    Returns
    -------
    ChainResult
    """
    theta0, fdata, idata, draws, tune, rng = _validate(fn, fdata, idata, theta0, sampler,
                                                       draws, tune, rng)
    kernel = _KERNELS[sampler]
    dim = theta0.size
    if target_accept is None:
        target_accept = kernel.DEFAULT_TARGET_ACCEPT
    target_accept = _positive_float(target_accept, "target_accept", 1.0)
    min_dense_draws = kernel.MIN_DENSE_DRAWS_PER_DIM * dim
    if sampler == "metropolis":
        run_chunk, extra = metropolis.run_chunk, (min_dense_draws,)
    else:
        if sampler == "nuts":
            max_treedepth = _positive_int(max_treedepth, "max_treedepth", 1)
            if max_treedepth > 30:
                raise ValueError(f"max_treedepth must be <= 30, got {max_treedepth}")
            path_length = 0.0  # unused by NUTS
        else:
            path_length = hmc.DEFAULT_PATH_LENGTH if path_length is None else path_length
            path_length = _positive_float(path_length, "path_length")
            max_treedepth = 0  # unused by static HMC
        run_chunk = hamiltonian.run_chunk
        extra = (min_dense_draws, sampler == "nuts", max_treedepth, path_length)
    if init_step_size is not None:
        init_step_size = _positive_float(init_step_size, "init_step_size")
    if chunk_size is not None:
        chunk_size = _positive_int(chunk_size, "chunk_size", 1)
    dense_mass = bool(dense_mass)

    state = kernel.init(theta0, fn, fdata, idata)
    if not np.isfinite(state.logdensity):
        raise ValueError("the log density at theta0 is not finite (or its gradient is not); "
                         "choose a starting point inside the support")
    metric = Metric(np.ones(dim), np.eye(dim) if dense_mass else np.zeros((0, 0)),
                    np.eye(dim) if dense_mass else np.zeros((0, 0)), dense_mass)
    if sampler == "metropolis":
        step_size = init_step_size or float(metropolis.default_scale(dim))
        mu = math.log(step_size)
    else:
        step_size = init_step_size or 1.0
        if tune > 0 or init_step_size is None:
            step_size = float(find_reasonable_step_size(
                rng, fn, fdata, idata, state, metric, step_size, np.empty((4, dim))))
        mu = math.log(10.0 * step_size)
    da = dual_averaging_init(step_size, mu)
    welford = welford_init(dim, dense_mass)
    schedule = proportional_schedule if sampler == "metropolis" else warmup_schedule
    in_window, window_end = schedule(tune)

    out_draws = np.zeros((draws, dim))
    out_stats = np.zeros((draws, len(STAT_NAMES)))
    total = tune + draws
    done = 0
    n_evals = 0
    n_div = 0
    seconds = [0.0, 0.0]  # tune, sample
    chunk = chunk_size or 10
    while done < total:
        if stop is not None and stop.is_set():
            break
        phase = 0 if done < tune else 1
        end = min(done + chunk, tune if phase == 0 else total)
        t0 = time.perf_counter()
        state, step_size, da, welford, evals, divs = run_chunk(
            fn, fdata, idata, rng, done, end, tune, in_window, window_end, target_accept,
            state, step_size, da, welford, metric, *extra, out_draws, out_stats)
        elapsed = time.perf_counter() - t0
        seconds[phase] += elapsed
        n_evals += evals
        n_div += divs
        rate = (end - done) / elapsed if elapsed > 0 else math.inf
        done = end
        if chunk_size is None:
            chunk = int(min(MAX_CHUNK, max(1, CHUNK_SECONDS * rate)))
        if progress is not None:
            progress(done, total, {"phase": "tune" if done <= tune and phase == 0 else "sample",
                                   "step_size": float(step_size), "divergences": int(n_div),
                                   "draws_per_second": float(rate),
                                   "n_grad_evals": int(n_evals)})

    n_tune_done = min(done, tune)
    n_draws_done = done - n_tune_done
    stats = {}
    for name in _STATS[sampler]:
        col = out_stats[:n_draws_done, STAT_NAMES.index(name)]
        if name in _INT_STATS:
            col = col.astype(np.int64)
        elif name in _BOOL_STATS:
            col = col.astype(np.bool_)
        stats[name] = col.copy()
    inv_mass = metric.inv_mass.copy() if dense_mass else metric.inv_mass_diag.copy()
    return ChainResult(out_draws[:n_draws_done].copy() if n_draws_done < draws else out_draws,
                       stats, float(step_size), inv_mass, int(n_evals), seconds[0], seconds[1],
                       done == total, n_tune_done, n_draws_done)
