"""The result of ``bk.fit``: an approximate posterior on the unconstrained space.

Two kinds, one interface (``sample``, ``mean``, ``cov``, ``elbo``, ``pareto_k``,
``method``, ``timings``):

* :class:`GaussianApproximation`: one normal N(mean, L L^T) (ADVI, single-path
  Pathfinder). ``sample`` draws from it directly.
* :class:`ResampledApproximation`: an equal-weight mixture of normals (multi-path
  Pathfinder) corrected by Pareto-smoothed importance resampling against the true density;
  ``mean``/``cov`` are the PSIS-weighted moments of the pooled draws.

``pareto_k`` is the PSIS shape estimate of the importance weights p/q over fresh draws
from q (Yao et al. 2018): below 0.5 the approximation is good, above 0.7 its draws
and moments are unreliable (a ``UserWarning`` says so at fit time).
"""

from __future__ import annotations

import math
import time
import warnings

import numpy as np
from scipy.linalg import solve_triangular

from .. import arviz_adapter
from .density import logp_rows

PARETO_K_THRESHOLD = 0.7
LOG_2PI = math.log(2.0 * math.pi)
LOG_LIKELIHOOD_BUDGET = 50_000_000  # float64 values (400 MB) stored by sample()


class Gaussian:
    """N(mu, chol chol^T) in R^dim, with draws and log densities."""

    def __init__(self, mu, chol):
        self.mu = np.asarray(mu, dtype=np.float64)
        self.chol = np.asarray(chol, dtype=np.float64)
        self._log_det_half = float(np.sum(np.log(np.diag(self.chol))))

    def draw(self, n, rng):
        """``n`` draws (n, dim) and their log densities."""
        z = rng.standard_normal((n, self.mu.shape[0]))
        x = self.mu + z @ self.chol.T
        return np.ascontiguousarray(x), self._logq_of_z(z)

    def logq(self, x):
        z = solve_triangular(self.chol, (np.atleast_2d(x) - self.mu).T, lower=True).T
        return self._logq_of_z(z)

    def _logq_of_z(self, z):
        d = self.mu.shape[0]
        return -0.5 * np.sum(z * z, axis=1) - 0.5 * d * LOG_2PI - self._log_det_half

    @property
    def cov(self):
        return self.chol @ self.chol.T


def psis_diagnostic(log_weights):
    """(smoothed normalized log weights, k-hat), with -inf weights allowed."""
    return arviz_adapter.psis(log_weights)


def warn_if_unreliable(pareto_k, method):
    if pareto_k > PARETO_K_THRESHOLD:
        warnings.warn(
            f"{method}: Pareto k-hat = {pareto_k:.2f} > {PARETO_K_THRESHOLD}: the importance "
            "weights p/q have a heavy tail, so the approximation is unreliable (its means, "
            "variances and draws may be far from the posterior); use MCMC (bk.sample) or "
            "check the model's parameterization", UserWarning, stacklevel=5)


class Approximation:
    """Common interface and the conversion of draws into an ArviZ object."""

    method: str
    ld = None

    def __init__(self, ld, *, method, elbo, elbo_iterations, converged, info):
        self.ld = ld
        self.method = method
        self.elbo = np.asarray(elbo, dtype=np.float64)
        """ELBO estimates during the fit (one per evaluation)."""
        self.elbo_iterations = np.asarray(elbo_iterations)
        """The iteration at which each ``elbo`` value was estimated."""
        self.converged = converged
        self.info = info
        self.pareto_k = math.nan
        self.timings = {"fit_seconds": info.get("fit_seconds", math.nan)}

    # subclasses: sample_unconstrained(draws, rng) -> (draws, dim)
    def sample_unconstrained(self, draws=1000, seed=None):
        raise NotImplementedError

    def sample(self, draws=1000, seed=None):
        """``draws`` approximate posterior draws as an ArviZ object (one chain).

        The posterior group is constrained and named like ``bk.sample``'s output
        (``ld.constrain_draws``); ``sample_stats`` holds ``lp``, the log density of each
        unconstrained draw. Model log-densities also get ``observed_data`` and the pointwise
        ``log_likelihood`` (when under a 400 MB budget, else skipped with a warning).
        """
        if not (isinstance(draws, (int, np.integer)) and draws >= 1):
            raise ValueError(f"draws must be a positive integer, got {draws!r}")
        start = time.perf_counter()
        thetas = self.sample_unconstrained(draws, seed)
        ld = self.ld
        posterior = ld.constrain_draws(thetas[None])
        stats = {"lp": logp_rows(ld, thetas)[None]}
        groups = {}
        if hasattr(ld, "observed_data"):
            groups["observed_data"] = ld.observed_data
        if hasattr(ld, "log_likelihood_draws"):
            n_obs = sum(int(np.size(v)) for v in ld.observed_data.values())
            if n_obs * draws <= LOG_LIKELIHOOD_BUDGET:
                groups["log_likelihood"] = ld.log_likelihood_draws(thetas[None])
            else:
                warnings.warn(f"{n_obs} observations x {draws} draws exceed the "
                              "log-likelihood storage budget; not stored", UserWarning,
                              stacklevel=2)
        attrs = {"inference_library": "bayeskit", "method": self.method,
                 "pareto_k": float(self.pareto_k), "converged": int(bool(self.converged)),
                 "fit_seconds": float(self.timings["fit_seconds"]),
                 "sample_seconds": time.perf_counter() - start}
        return arviz_adapter.make_inference_data(posterior, sample_stats=stats,
                                                 coords=ld.coords, dims=ld.dims,
                                                 attrs=attrs, **groups)

    def __repr__(self):
        return (f"<{type(self).__name__} method={self.method!r} dim={self.ld.dim} "
                f"elbo={self.elbo[-1]:.4g} pareto_k={self.pareto_k:.2f} "
                f"converged={self.converged}>")


class GaussianApproximation(Approximation):
    """A single normal on the unconstrained space (ADVI, single-path Pathfinder)."""

    def __init__(self, ld, mu, chol, *, rng, psis_draws=1000, **kw):
        super().__init__(ld, **kw)
        self.normal = Gaussian(mu, chol)
        start = time.perf_counter()
        x, logq = self.normal.draw(psis_draws, rng)
        _, self.pareto_k = psis_diagnostic(logp_rows(ld, x) - logq)
        self.timings["psis_seconds"] = time.perf_counter() - start
        warn_if_unreliable(self.pareto_k, self.method)

    @property
    def mean(self):
        """Mean of the normal (unconstrained space)."""
        return self.normal.mu.copy()

    @property
    def cov(self):
        """Covariance of the normal (unconstrained space)."""
        return self.normal.cov

    @property
    def chol(self):
        """Lower Cholesky factor of ``cov``."""
        return self.normal.chol.copy()

    def sample_unconstrained(self, draws=1000, seed=None):
        """``draws`` draws (draws, dim) from the normal."""
        return self.normal.draw(draws, np.random.default_rng(seed))[0]


class ResampledApproximation(Approximation):
    """Equal-weight mixture of normals, importance-resampled against the density.

    Each ``sample`` call draws ``draws`` proposals from every component, weighs them by
    p(x) / q_mix(x) (the mixture density, so overlapping components are not counted
    twice), smooths the weights with PSIS and resamples ``draws`` of them with
    replacement (as Stan's multi-path Pathfinder does).
    """

    def __init__(self, ld, components, *, rng, psis_draws=1000, **kw):
        super().__init__(ld, **kw)
        self.components = list(components)
        start = time.perf_counter()
        x, log_w = self._weighted_pool(psis_draws, rng)
        smoothed, self.pareto_k = psis_diagnostic(log_w)
        w = np.exp(smoothed)
        self._mean = w @ x
        centred = x - self._mean
        self._cov = (centred * w[:, None]).T @ centred
        self.timings["psis_seconds"] = time.perf_counter() - start
        warn_if_unreliable(self.pareto_k, self.method)

    def _weighted_pool(self, per_component, rng):
        xs = [c.draw(per_component, rng)[0] for c in self.components]
        x = np.ascontiguousarray(np.concatenate(xs))
        logqs = np.stack([c.logq(x) for c in self.components])
        top = np.max(logqs, axis=0)
        log_qmix = top + np.log(np.mean(np.exp(logqs - top), axis=0))
        log_w = logp_rows(self.ld, x) - log_qmix
        log_w[~np.isfinite(log_w)] = -np.inf
        return x, log_w

    @property
    def mean(self):
        """PSIS-weighted mean of the pooled proposals (unconstrained space)."""
        return self._mean.copy()

    @property
    def cov(self):
        """PSIS-weighted covariance of the pooled proposals (unconstrained space)."""
        return self._cov.copy()

    def resample(self, draws, rng, *, proposals_per_component=None, replace=True):
        """Importance-resampled draws (draws, dim) from a fresh pool of proposals."""
        per = proposals_per_component or draws
        x, log_w = self._weighted_pool(per, rng)
        smoothed, _ = psis_diagnostic(log_w)
        p = np.exp(smoothed)
        p /= p.sum()
        if not replace and np.count_nonzero(p) < draws:
            replace = True
        idx = rng.choice(x.shape[0], size=draws, replace=replace, p=p)
        return x[idx]

    def sample_unconstrained(self, draws=1000, seed=None):
        return self.resample(draws, np.random.default_rng(seed))
