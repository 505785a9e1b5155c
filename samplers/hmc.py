"""Static Hamiltonian Monte Carlo: a fixed integration time per transition.

Each transition draws a momentum, runs ``n = floor(path_length / step_size)`` leapfrog steps
(at least 1, at most ``MAX_STEPS``) and accepts the end point with probability
min(1, exp(-energy error)). The step size is jittered uniformly by +-10% per transition
(Stan's ``stepsize_jitter``) so that the integration time never stays at a resonant value
for some direction of the posterior; the step size adapts by dual averaging and the metric
in Stan's windows (see ``adaptation``; the warmup loop is ``hamiltonian.run_chunk``).

The default ``path_length`` is 2: with the metric adapted to the posterior covariance, a
Gaussian direction of unit scale moves by about a third of a period (cos 2 = -0.42), far
from the periodic resonance at 2 pi, while a trajectory stays short for well-scaled
posteriors.

The integration time is measured in units of the metric, so static HMC depends on the
metric far more than NUTS does: a direction in which the metric's variance is 100 times
too small is crossed only after ~100 / path_length transitions, and the warmup windows
then see too little of it to correct the metric. Stan's first dense windows (25 and 50
draws) hold fewer draws than a 50-d posterior has dimensions; their singular covariance,
shrunk towards 1e-3 I, made the metric ~1e-4 in half the directions, and a 50-d Gaussian
kept a 30-fold error to the end of warmup (ESS ~10 of 4000 draws). So a dense HMC metric
is only estimated from windows of at least ``MIN_DENSE_DRAWS_PER_DIM * dim`` draws (with
n = 4 d independent draws the eigenvalues of the estimate relative to the truth lie in
(1 -+ sqrt(d / n))^2 = (0.25, 2.25), Marchenko-Pastur); shorter windows set the diagonal.
"""

import numpy as np

from .integrators import (DIVERGENCE_THRESHOLD, kinetic_energy, leapfrog, sample_momentum,
                          velocity)
from .integrators import init_state as init  # noqa: F401  (the kernel's init)
from .jit import compiled
from .state import PositionState, TrajectoryInfo

DEFAULT_PATH_LENGTH = 2.0
MAX_STEPS = 1024
STEP_SIZE_JITTER = 0.1
DEFAULT_TARGET_ACCEPT = 0.8
MIN_DENSE_DRAWS_PER_DIM = 4
WORKSPACE_ROWS = 4


@compiled
def n_leapfrog_steps(path_length, step_size):
    """floor(path_length / step_size) within [1, MAX_STEPS] (MAX_STEPS if step_size is 0)."""
    if not (step_size * MAX_STEPS > path_length):  # also a step size of 0 or NaN
        return MAX_STEPS
    return int(max(1.0, np.floor(path_length / step_size)))


@compiled
def step(rng, state, fn, fdata, idata, step_size, metric, path_length, ws):
    """One static-HMC transition: ``(state, TrajectoryInfo)``; ``ws`` is (>= 4, dim) scratch."""
    q, p, g, v = ws[0], ws[1], ws[2], ws[3]
    q[:] = state.position
    g[:] = state.grad
    sample_momentum(rng, metric, p)
    velocity(metric, p, v)
    h0 = -state.logdensity + kinetic_energy(p, v)
    n_planned = n_leapfrog_steps(path_length, step_size)
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
        return new, TrajectoryInfo(accept, 0, n, False, diverging, h, h - h0)
    return state, TrajectoryInfo(accept, 0, n, False, diverging, h0, h - h0)
