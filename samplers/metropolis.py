"""Random-walk Metropolis with an adapted proposal scale and covariance.

Proposals are x' = x + scale * L z with z ~ N(0, I) and L L' the metric (the warmup
estimate of the posterior covariance, diagonal unless ``dense``). During warmup the log
scale follows dual averaging towards an acceptance rate of 0.234 (Roberts, Gelman & Gilks
1997) and the covariance is estimated in Stan's windows; after each window the scale
restarts at 2.38 / sqrt(dim), optimal for a Gaussian with the right covariance.
"""

import numpy as np

from .adaptation import dual_averaging_init, warmup_update
from .integrators import init_state as init  # noqa: F401  (the kernel's init)
from .integrators import logp_grad
from .jit import compiled
from .state import MetropolisInfo, PositionState, record_draw

DEFAULT_TARGET_ACCEPT = 0.234
MIN_DENSE_DRAWS_PER_DIM = 0
"""The proposal covariance is estimated from every window (``proportional_schedule``'s are
long)."""


@compiled
def default_scale(dim):
    """2.38 / sqrt(dim): the optimal scale for a Gaussian target with known covariance."""
    return 2.38 / np.sqrt(dim)


@compiled
def step(rng, state, fn, fdata, idata, scale, metric):
    """One Metropolis transition: ``(state, MetropolisInfo)``."""
    d = state.position.size
    z = np.empty(d)
    for i in range(d):
        z[i] = rng.standard_normal()
    q = state.position.copy()
    if metric.dense:
        for i in range(d):
            s = 0.0
            for j in range(i + 1):
                s += metric.chol[i, j] * z[j]
            q[i] += scale * s
    else:
        for i in range(d):
            q[i] += scale * np.sqrt(metric.inv_mass_diag[i]) * z[i]
    g = np.empty(d)
    lp = logp_grad(fn, q, g, fdata, idata)
    accept = 0.0
    if lp > -np.inf:
        accept = min(1.0, np.exp(lp - state.logdensity))
    if rng.random() < accept:
        return PositionState(q, lp, g), MetropolisInfo(accept, True)
    return state, MetropolisInfo(accept, False)


@compiled
def run_chunk(fn, fdata, idata, rng, start, stop, tune, in_window, window_end, target,
              state, step_size, da, welford, metric, min_dense_draws, draws, stats):
    """Iterations ``start``..``stop - 1`` of a chain (warmup first), writing draws in place.

    Returns ``(state, step_size, da, welford, n_grad_evals, n_divergent)`` to continue
    with the next chunk; see ``runner.run_chain``.
    """
    scratch = np.empty(state.position.size)
    n_evals = 0
    for i in range(start, stop):
        used = step_size
        state, info = step(rng, state, fn, fdata, idata, step_size, metric)
        n_evals += 1
        if i < tune:
            da, welford, step_size, closed = warmup_update(
                i, tune, in_window, window_end, info.acceptance_rate, target,
                state.position, da, welford, metric, min_dense_draws, scratch)
            if closed:
                step_size = default_scale(state.position.size)
                da = dual_averaging_init(step_size, np.log(step_size))
        else:
            record_draw(draws, stats, i - tune, state, info.acceptance_rate, used)
    return state, step_size, da, welford, n_evals, 0
