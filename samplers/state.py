"""The small state objects the samplers pass around (NamedTuples, usable in nopython code),
and the layout of the per-draw statistics buffer.

Like BlackJAX, every kernel is a pure-looking ``step(rng, state, ...) -> (state, info)``;
the adaptation states are threaded through the compiled warmup loop the same way, so a
chain can stop after any iteration and resume with identical results.
"""

from typing import NamedTuple

import numpy as np

from .jit import compiled


class PositionState(NamedTuple):
    """Where a chain is: the point and what the log-density said there."""

    position: np.ndarray
    """(dim,) the current point on the unconstrained space."""
    logdensity: float
    """log density at ``position`` (finite)."""
    grad: np.ndarray
    """(dim,) gradient of the log density at ``position``."""


class Metric(NamedTuple):
    """The (inverse) mass matrix, i.e. the estimated posterior covariance.

    HMC and NUTS draw momenta from N(0, M) with M = inv_mass^-1; random-walk Metropolis
    proposes increments from N(0, scale^2 inv_mass). Both representations are always
    present (one of them unused) so that diagonal and dense runs share one compiled code
    path; ``dense`` chooses at run time.
    """

    inv_mass_diag: np.ndarray
    """(dim,) diagonal inverse mass (posterior variances); used when ``dense`` is False."""
    inv_mass: np.ndarray
    """(dim, dim) dense inverse mass (posterior covariance), or (0, 0) when diagonal."""
    chol: np.ndarray
    """(dim, dim) lower Cholesky factor of ``inv_mass``, or (0, 0) when diagonal."""
    dense: bool
    """True to use the dense matrices."""


class DualAveragingState(NamedTuple):
    """Nesterov dual averaging of a log step size (Hoffman & Gelman 2014, Stan's constants)."""

    log_step: float
    """log step size to use at the next iteration (x_t)."""
    log_step_avg: float
    """iterate average of the log step size (x_bar_t); its exp is the final step size."""
    error_avg: float
    """running average of (target - acceptance statistic) (H_bar_t, Stan's s_bar)."""
    count: float
    """number of updates since the last restart (t)."""
    mu: float
    """shrinkage point of the log step size (log(10 * eps0) for HMC/NUTS)."""


class WelfordState(NamedTuple):
    """Welford's online mean and (co)variance of the warmup draws in a slow window."""

    count: float
    """number of draws accumulated."""
    mean: np.ndarray
    """(dim,) running mean."""
    m2: np.ndarray
    """(dim,) running sum of squared deviations (diagonal estimate)."""
    m2_dense: np.ndarray
    """(dim, dim) running sum of outer products of deviations, or (0, 0) when diagonal."""


class MetropolisInfo(NamedTuple):
    """What one random-walk Metropolis transition did."""

    acceptance_rate: float
    """min(1, exp(log density ratio)) of the proposal (0 if the proposal's density is not finite)."""
    accepted: bool
    """whether the proposal was accepted."""


class TrajectoryInfo(NamedTuple):
    """What one static-HMC or NUTS transition did (one type, so both share a compiled loop)."""

    acceptance_rate: float
    """HMC: min(1, exp(-energy error)) of the end point. NUTS: mean over all leapfrog
    states of min(1, exp(H0 - H)) (Stan's accept_stat__)."""
    tree_depth: int
    """NUTS: number of doublings of the trajectory that were kept. HMC: 0."""
    n_steps: int
    """leapfrog steps taken, i.e. gradient evaluations (HMC: fewer than planned if the
    trajectory diverged)."""
    reached_max_treedepth: bool
    """NUTS: True if the trajectory stopped only because of ``max_treedepth``. HMC: False."""
    diverging: bool
    """True if some leapfrog step had an energy error above the divergence threshold or a
    density that is not finite."""
    energy: float
    """Hamiltonian of the state the chain moved to, with its momentum (HMC: the initial
    one if the proposal was rejected)."""
    energy_error: float
    """HMC: Hamiltonian at the trajectory's end minus its initial value. NUTS: of the
    selected state minus the initial one."""


STAT_NAMES = ("lp", "acceptance_rate", "step_size", "tree_depth", "n_steps",
              "reached_max_treedepth", "diverging", "energy", "energy_error")
"""Columns of the per-draw statistics buffer, with ArviZ's ``sample_stats`` names."""
(STAT_LP, STAT_ACCEPT, STAT_STEP, STAT_DEPTH, STAT_NSTEPS, STAT_MAXDEPTH, STAT_DIVERGING,
 STAT_ENERGY, STAT_ENERGY_ERROR) = range(len(STAT_NAMES))


@compiled
def record_draw(draws, stats, k, state, acceptance_rate, step_size):
    """Write post-warmup draw ``k`` and the statistics every sampler has."""
    draws[k, :] = state.position
    stats[k, STAT_LP] = state.logdensity
    stats[k, STAT_ACCEPT] = acceptance_rate
    stats[k, STAT_STEP] = step_size
