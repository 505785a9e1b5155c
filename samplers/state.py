"""The small state objects the samplers pass around (NamedTuples, usable in nopython code).

Like BlackJAX, every kernel is a pure-looking ``step(rng, state, ...) -> (state, info)``;
the adaptation states are threaded through the compiled warmup loop the same way, so a
chain can stop after any iteration and resume with identical results.
"""

from typing import NamedTuple

import numpy as np


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


class HMCInfo(NamedTuple):
    """What one static-HMC transition did."""

    acceptance_rate: float
    """Metropolis acceptance probability min(1, exp(-energy error)) of the end point."""
    n_steps: int
    """leapfrog steps taken (fewer than planned if the trajectory diverged)."""
    diverging: bool
    """True if the energy error exceeded the divergence threshold or the density was not finite."""
    energy: float
    """Hamiltonian of the state the chain moved to (the initial one if rejected)."""
    energy_error: float
    """Hamiltonian at the trajectory's end minus its initial value."""


class NUTSInfo(NamedTuple):
    """What one NUTS transition did."""

    acceptance_rate: float
    """mean over all leapfrog states of min(1, exp(H0 - H)) (Stan's accept_stat__)."""
    tree_depth: int
    """number of doublings of the trajectory that were kept."""
    n_steps: int
    """leapfrog steps taken, i.e. gradient evaluations."""
    reached_max_treedepth: bool
    """True if the trajectory stopped only because of ``max_treedepth``."""
    diverging: bool
    """True if some leapfrog step had an energy error above the divergence threshold."""
    energy: float
    """Hamiltonian of the selected state (with its momentum)."""
    energy_error: float
    """Hamiltonian of the selected state minus the initial Hamiltonian."""


STAT_NAMES = ("lp", "acceptance_rate", "step_size", "tree_depth", "n_steps",
              "reached_max_treedepth", "diverging", "energy", "energy_error")
"""Columns of the per-draw statistics buffer, with ArviZ's ``sample_stats`` names."""
(STAT_LP, STAT_ACCEPT, STAT_STEP, STAT_DEPTH, STAT_NSTEPS, STAT_MAXDEPTH, STAT_DIVERGING,
 STAT_ENERGY, STAT_ENERGY_ERROR) = range(len(STAT_NAMES))
