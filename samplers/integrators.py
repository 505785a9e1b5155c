"""Hamiltonian building blocks: safe log-density calls, the metric, and the leapfrog step.

The log density ``fn(theta, grad, fdata, idata) -> lp`` is a first-class function
argument (a numba ``FunctionType`` with ``bayeskit.LOGP_SIGNATURE``), so none of this
is recompiled for a new model.
"""

import numpy as np

from .jit import compiled
from .state import PositionState

DIVERGENCE_THRESHOLD = 1000.0
"""An energy error (H - H0) above this marks a divergent trajectory (Stan's max_deltaH)."""


@compiled
def logp_grad(fn, theta, grad, fdata, idata):
    """Log density at ``theta`` (gradient into ``grad``), with NaN and +inf mapped to -inf.

    A non-finite gradient also yields -inf, so a sampler treats the point as outside the
    support (a rejection or divergence) instead of propagating NaNs.
    """
    lp = fn(theta, grad, fdata, idata)
    if not np.isfinite(lp):
        return -np.inf
    for i in range(grad.size):
        if not np.isfinite(grad[i]):
            return -np.inf
    return lp


@compiled
def init_state(position, fn, fdata, idata):
    """A chain's state at ``position``: a copy of it, its log density and gradient."""
    q = position.copy()
    g = np.empty_like(q)
    lp = logp_grad(fn, q, g, fdata, idata)
    return PositionState(q, lp, g)


@compiled
def velocity(metric, p, out):
    """out = M^-1 p (Stan's ``dtau_dp``, the "sharp" momentum)."""
    d = p.size
    if metric.dense:
        for i in range(d):
            s = 0.0
            for j in range(d):
                s += metric.inv_mass[i, j] * p[j]
            out[i] = s
    else:
        for i in range(d):
            out[i] = metric.inv_mass_diag[i] * p[i]


@compiled
def kinetic_energy(p, v):
    """0.5 p' M^-1 p, given the velocity ``v`` = M^-1 p."""
    s = 0.0
    for i in range(p.size):
        s += p[i] * v[i]
    return 0.5 * s


@compiled
def sample_momentum(rng, metric, out):
    """Draw p ~ N(0, M) with M = inv_mass^-1: p = L^-T z where inv_mass = L L'."""
    d = out.size
    for i in range(d):
        out[i] = rng.standard_normal()
    if metric.dense:
        chol = metric.chol
        for i in range(d - 1, -1, -1):  # back substitution of L' p = z
            s = out[i]
            for j in range(i + 1, d):
                s -= chol[j, i] * out[j]
            out[i] = s / chol[i, i]
    else:
        for i in range(d):
            out[i] /= np.sqrt(metric.inv_mass_diag[i])


@compiled
def leapfrog(fn, fdata, idata, metric, q, p, g, step_size, v):
    """One leapfrog step of size ``step_size`` (negative to go back), in place.

    ``q``, ``p``, ``g`` are the position, momentum and log-density gradient at ``q``;
    ``v`` is scratch that ends holding M^-1 p at the new point. Returns the new log
    density (-inf if it is not finite; the caller then treats the step as divergent).
    """
    half = 0.5 * step_size
    for i in range(q.size):
        p[i] += half * g[i]
    velocity(metric, p, v)
    for i in range(q.size):
        q[i] += step_size * v[i]
    lp = logp_grad(fn, q, g, fdata, idata)
    if lp == -np.inf:
        return lp
    for i in range(q.size):
        p[i] += half * g[i]
    velocity(metric, p, v)
    return lp


@compiled
def cholesky(a, out):
    """Lower Cholesky factor of the symmetric matrix ``a`` into ``out``.

    Returns False (leaving ``out`` partly written) if ``a`` is not positive definite,
    instead of raising, so compiled warmup code can keep its previous metric.
    """
    d = a.shape[0]
    for j in range(d):
        s = a[j, j]
        for k in range(j):
            s -= out[j, k] * out[j, k]
        if not (s > 0.0) or not np.isfinite(s):
            return False
        out[j, j] = np.sqrt(s)
        for i in range(j + 1, d):
            t = a[i, j]
            for k in range(j):
                t -= out[i, k] * out[j, k]
            out[i, j] = t / out[j, j]
        for i in range(j):
            out[i, j] = 0.0
    return True
