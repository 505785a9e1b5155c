"""Static Hamiltonian Monte Carlo: a fixed integration time per transition.

Each transition draws a momentum, runs ``n = floor(path_length / step_size)`` leapfrog steps
(at least 1, at most ``MAX_STEPS``) and accepts the end point with probability
min(1, exp(-energy error)). The step size is jittered uniformly by +-10% per transition
(Stan's ``stepsize_jitter``) so that the integration time never stays at a resonant value
for some direction of the posterior; the step size adapts by dual averaging and the metric
in Stan's windows (see ``adaptation``).

The default ``path_length`` is 2: with the metric adapted to the posterior covariance, a
Gaussian direction of unit scale moves by about a third of a period (cos 2 = -0.42), far
from the periodic resonance at 2 pi, while a trajectory stays short for well-scaled
posteriors.
"""

import numpy as np
from numba import njit

from .adaptation import dual_averaging_init, find_reasonable_step_size, warmup_update
from .integrators import (DIVERGENCE_THRESHOLD, kinetic_energy, leapfrog, sample_momentum,
                          velocity)
from .integrators import init_state as init  # noqa: F401  (the kernel's init)
from .state import (STAT_ACCEPT, STAT_DIVERGING, STAT_ENERGY, STAT_ENERGY_ERROR, STAT_LP,
                    STAT_NSTEPS, STAT_STEP, HMCInfo, PositionState)

DEFAULT_PATH_LENGTH = 2.0
MAX_STEPS = 1024
STEP_SIZE_JITTER = 0.1
DEFAULT_TARGET_ACCEPT = 0.8


@njit(cache=True, nogil=True)
def step(rng, state, fn, fdata, idata, step_size, metric, path_length, ws):
    """One static-HMC transition: ``(state, HMCInfo)``. ``ws`` is (>= 4, dim) scratch."""
    q, p, g, v = ws[0], ws[1], ws[2], ws[3]
    q[:] = state.position
    g[:] = state.grad
    sample_momentum(rng, metric, p)
    velocity(metric, p, v)
    h0 = -state.logdensity + kinetic_energy(p, v)
    n_planned = int(max(1.0, min(float(MAX_STEPS), np.floor(path_length / step_size))))
    eps = step_size * (1.0 + STEP_SIZE_JITTER * (2.0 * rng.random() - 1.0))
    lp = state.logdensity
    h = h0
    diverging = False
    n = 0
    for _ in range(n_planned):
        lp = leapfrog(fn, fdata, idata, metric, q, p, g, eps, v)
        n += 1
        h = -lp + kinetic_energy(p, v)
        if not np.isfinite(h) or h - h0 > DIVERGENCE_THRESHOLD:
            diverging = True
            h = np.inf
            break
    accept = 0.0 if diverging else min(1.0, np.exp(h0 - h))
    if rng.random() < accept:
        new = PositionState(q.copy(), lp, g.copy())
        return new, HMCInfo(accept, n, diverging, h, h - h0)
    return state, HMCInfo(accept, n, diverging, h0, h - h0)


@njit(cache=True, nogil=True)
def run_chunk(fn, fdata, idata, rng, start, stop, tune, in_window, window_end, target,
              state, step_size, da, welford, metric, path_length, draws, stats):
    """Iterations ``start``..``stop - 1`` of a chain (warmup first), writing draws in place.

    Returns ``(state, step_size, da, welford, n_grad_evals, n_divergent)``.
    """
    ws = np.empty((4, state.position.size))
    n_evals = 0
    n_div = 0
    for i in range(start, stop):
        used = step_size
        state, info = step(rng, state, fn, fdata, idata, step_size, metric, path_length, ws)
        n_evals += info.n_steps
        n_div += info.diverging
        if i < tune:
            da, welford, step_size, closed = warmup_update(
                i, tune, in_window, window_end, info.acceptance_rate, target,
                state.position, da, welford, metric, ws[0])
            if closed:
                step_size = find_reasonable_step_size(rng, fn, fdata, idata, state, metric,
                                                      step_size, ws)
                da = dual_averaging_init(step_size, np.log(10.0 * step_size))
        else:
            k = i - tune
            draws[k, :] = state.position
            stats[k, STAT_LP] = state.logdensity
            stats[k, STAT_ACCEPT] = info.acceptance_rate
            stats[k, STAT_STEP] = used
            stats[k, STAT_NSTEPS] = info.n_steps
            stats[k, STAT_DIVERGING] = info.diverging
            stats[k, STAT_ENERGY] = info.energy
            stats[k, STAT_ENERGY_ERROR] = info.energy_error
    return state, step_size, da, welford, n_evals, n_div
