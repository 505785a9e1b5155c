"""Hand-written log densities shared by the inference tests (not a test module).

Compiled once per machine (``cache=True``). ``gaussian`` is picklable, so it can travel
to a process pool the way a model's log density does.
"""

from __future__ import annotations

import numpy as np
from numba import cfunc, njit

from bayeskit import LOGP_SIGNATURE, LogDensity


@cfunc(LOGP_SIGNATURE, cache=True)
def _gaussian_fn(theta, grad, fdata, idata):
    # Independent normals: fdata = [mu_0..mu_{d-1}, sd_0..sd_{d-1}].
    d = theta.size
    lp = 0.0
    for i in range(d):
        z = (theta[i] - fdata[i]) / fdata[d + i]
        lp -= 0.5 * z * z
        grad[i] = -z / fdata[d + i]
    return lp


def gaussian(mu, sd):
    """Independent N(mu_i, sd_i^2) on R^d; picklable (rebuilt from mu and sd)."""
    mu, sd = np.asarray(mu, dtype=float), np.asarray(sd, dtype=float)
    return PicklableGaussian(_gaussian_fn, mu.size, np.concatenate([mu, sd]))


class PicklableGaussian(LogDensity):
    def __reduce__(self):
        d = self.dim
        return gaussian, (self.fdata[:d].copy(), self.fdata[d:].copy())


@njit(cache=True)
def funnel_logp(theta, grad):
    """Neal's funnel in 3-d: v ~ N(0, 3), x_i ~ N(0, exp(v / 2)) (centered: hard)."""
    v = theta[0]
    lp = -v * v / 18.0
    grad[0] = -v / 9.0
    s2 = np.exp(v)
    for i in range(1, theta.size):
        lp += -0.5 * theta[i] ** 2 / s2 - 0.5 * v
        grad[0] += 0.5 * theta[i] ** 2 / s2 - 0.5
        grad[i] = -theta[i] / s2
    return lp


class Named(LogDensity):
    """A hand-written density on (mu, log sigma) reporting named, constrained values."""

    def constrain(self, theta):
        theta = self._check_theta(theta)
        return {"mu": theta[0], "sigma": np.exp(theta[1])}

    def unconstrain(self, values):
        return np.array([float(values["mu"]), np.log(float(values["sigma"]))])


@njit(cache=True)
def nan_gradient_in_sigma(theta, grad):
    """Finite density, but a NaN derivative in the second coordinate (a buggy gradient)."""
    grad[0] = -theta[0]
    grad[1] = np.nan
    return -0.5 * theta[0] ** 2 - 0.5 * theta[1] ** 2


@njit(cache=True)
def nowhere_finite(theta, grad):
    for i in range(theta.size):
        grad[i] = 0.0
    return -np.inf


@njit(cache=True)
def needs_large_mu(theta, grad):
    """Finite only where mu > 3: uniform(-2, 2) starts never reach it."""
    grad[0] = -(theta[0] - 4.0)
    grad[1] = -theta[1]
    if theta[0] <= 3.0:
        return -np.inf
    return -0.5 * (theta[0] - 4.0) ** 2 - 0.5 * theta[1] ** 2


@njit(cache=True)
def unbounded(theta, grad):
    """A log density increasing without bound in theta[0]: no mode."""
    grad[0] = 1.0
    return theta[0]


@cfunc(LOGP_SIGNATURE, cache=True)
def _normal_mean_fn(theta, grad, fdata, idata):
    # y_i ~ N(mu, 1), mu ~ N(0, prior_sd^2); fdata = [prior_sd, y_1..y_n].
    mu = theta[0]
    s = fdata[0]
    lp = -0.5 * mu * mu / (s * s)
    g = -mu / (s * s)
    for i in range(1, fdata.size):
        r = fdata[i] - mu
        lp -= 0.5 * r * r
        g += r
    grad[0] = g
    return lp


class NormalMean(LogDensity):
    """A hand-written model, y_i ~ N(mu, 1) with mu ~ N(0, prior_sd^2), offering what a
    compiled bk.Model offers (named values, observed data, pointwise log-likelihood,
    predictive simulation), so the driver's model paths are tested on an exact posterior.
    """

    def __init__(self, y, prior_sd=10.0):
        y = np.asarray(y, dtype=float)
        super().__init__(_normal_mean_fn, 1, np.concatenate([[prior_sd], y]))
        self.y, self.prior_sd = y, prior_sd
        self.param_names = ["mu"]
        self.deterministic_names = ["mu_x2"]

    def __reduce__(self):
        return NormalMean, (self.y, self.prior_sd)

    @property
    def exact_posterior(self):
        """(mean, sd) of mu's normal posterior."""
        precision = 1 / self.prior_sd**2 + self.y.size
        return self.y.sum() / precision, precision**-0.5

    def constrain(self, theta):
        theta = self._check_theta(theta)
        return {"mu": theta[0], "mu_x2": 2 * theta[0]}

    def unconstrain(self, values):
        return np.array([float(values["mu"])])

    def constrain_draws(self, thetas):
        thetas = np.asarray(thetas)
        return {"mu": thetas[..., 0], "mu_x2": 2 * thetas[..., 0]}

    @property
    def observed_data(self):
        return {"y": self.y}

    @property
    def dims(self):
        return {"y": ["obs"]}

    @property
    def coords(self):
        return {"obs": np.arange(self.y.size)}

    def log_likelihood_draws(self, thetas):
        r = self.y - np.asarray(thetas)[..., :1]
        return {"y": -0.5 * r * r - 0.5 * np.log(2 * np.pi)}

    def sample_observed(self, thetas, rng):
        mu = np.asarray(thetas)[..., :1]
        return {"y": mu + rng.standard_normal(mu.shape[:-1] + self.y.shape)}

    def sample_prior(self, draws, rng):
        mu = rng.normal(0.0, self.prior_sd, size=draws)
        theta = mu[:, None]
        return ({"mu": mu, "mu_x2": 2 * mu}, self.sample_observed(theta, rng))
