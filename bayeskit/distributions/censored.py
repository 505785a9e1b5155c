"""Censored observations: ``bk.Censored(bk.Normal(mu, sigma), upper=c)``.

A censored value tells only that the true value lay at or beyond a bound: a house sold
for "500,001 or more", an instrument that reads "below the detection limit". Its
likelihood is the tail probability, not the density: ``log P(Y >= upper)`` at the upper
bound, ``log P(Y <= lower)`` at the lower one, and the base density in between (PyMC's
``pm.Censored`` and Stan's ``normal_lccdf`` idiom). Ignoring censoring biases the fit
toward the bound; dropping the censored rows biases it away from it.

The kernels follow the univariate contract of :mod:`bayeskit.distributions`: the base
family's parameters followed by ``lower`` and ``upper``, with analytic gradients
(the derivative of the Student-t tail in ``nu`` is a central difference of the
incomplete beta function, which has no convenient closed form).
"""

import functools
import math

import numpy as np
import scipy.stats
from numba import njit

from ._special import LOG_2, log_betainc, log_ndtr, normal_logpdf_std
from .base import Distribution, check_real, elementwise_logpdf
from .cumulative import Cumulative
from .continuous import Normal, StudentT, normal_lpdf_grad, student_t_lpdf_grad

_jit = njit(cache=True, nogil=True, error_model="numpy")
INF = math.inf


@_jit
def student_t_log_cdf_std(t, nu):
    """``log P(T <= t)`` for a standard Student-t with ``nu`` degrees of freedom."""
    if t == INF:
        return 0.0
    if t == -INF:
        return -INF
    t2 = t * t
    # P(T <= -|t|) = I_w(nu/2, 1/2) / 2 with w = nu / (nu + t^2)
    log_tail = log_betainc(0.5 * nu, 0.5, nu / (nu + t2), t2 / (nu + t2)) - LOG_2
    if t < 0.0:
        return log_tail
    return math.log1p(-math.exp(log_tail))


@_jit
def student_t_logpdf_std(t, nu):
    """``log f(t)`` of a standard Student-t."""
    return (math.lgamma(0.5 * (nu + 1.0)) - math.lgamma(0.5 * nu)
            - 0.5 * math.log(nu * math.pi) - 0.5 * (nu + 1.0) * math.log1p(t * t / nu))


# --------------------------------------------------------------------- the kernels
@_jit
def censored_normal_lpdf_grad(x, mu, sigma, lower, upper):
    """Censored normal: ``(lp, d_x, d_mu, d_sigma, d_lower, d_upper)``."""
    if not (sigma > 0.0) or not (lower < upper) or math.isnan(x) or x < lower or x > upper:
        return -INF, 0.0, 0.0, 0.0, 0.0, 0.0
    if x == lower:
        z = (lower - mu) / sigma
        lp = log_ndtr(z)
        hazard = math.exp(normal_logpdf_std(z) - lp)  # d lp / dz
        return lp, 0.0, -hazard / sigma, -hazard * z / sigma, hazard / sigma, 0.0
    if x == upper:
        z = (upper - mu) / sigma
        lp = log_ndtr(-z)
        hazard = math.exp(normal_logpdf_std(z) - lp)  # -d lp / dz
        return lp, 0.0, hazard / sigma, hazard * z / sigma, 0.0, -hazard / sigma
    lp, dx, dmu, dsigma = normal_lpdf_grad(x, mu, sigma)
    return lp, dx, dmu, dsigma, 0.0, 0.0


@_jit
def censored_normal_lpdf(x, mu, sigma, lower, upper):
    return censored_normal_lpdf_grad(x, mu, sigma, lower, upper)[0]


@_jit
def _student_t_tail_dnu(t, nu, upper_tail):
    """d/dnu of log P(T <= t) (or of log P(T >= t) if ``upper_tail``) by central difference."""
    h = 1e-5 * (1.0 + nu)
    s = -t if upper_tail else t
    return (student_t_log_cdf_std(s, nu + h) - student_t_log_cdf_std(s, nu - h)) / (2.0 * h)


@_jit
def censored_student_t_lpdf_grad(x, nu, mu, sigma, lower, upper):
    """Censored Student-t: ``(lp, d_x, d_nu, d_mu, d_sigma, d_lower, d_upper)``."""
    if (not (sigma > 0.0) or not (nu > 0.0) or not (lower < upper) or math.isnan(x)
            or x < lower or x > upper):
        return -INF, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0
    if x == lower:
        t = (lower - mu) / sigma
        lp = student_t_log_cdf_std(t, nu)
        hazard = math.exp(student_t_logpdf_std(t, nu) - lp)
        dnu = _student_t_tail_dnu(t, nu, False)
        return lp, 0.0, dnu, -hazard / sigma, -hazard * t / sigma, hazard / sigma, 0.0
    if x == upper:
        t = (upper - mu) / sigma
        lp = student_t_log_cdf_std(-t, nu)
        hazard = math.exp(student_t_logpdf_std(t, nu) - lp)
        dnu = _student_t_tail_dnu(t, nu, True)
        return lp, 0.0, dnu, hazard / sigma, hazard * t / sigma, 0.0, -hazard / sigma
    lp, dx, dnu, dmu, dsigma = student_t_lpdf_grad(x, nu, mu, sigma)
    return lp, dx, dnu, dmu, dsigma, 0.0, 0.0


@_jit
def censored_student_t_lpdf(x, nu, mu, sigma, lower, upper):
    return censored_student_t_lpdf_grad(x, nu, mu, sigma, lower, upper)[0]


# family -> (kernel, kernel_grad, scipy twin for mean/var)
_CENSORABLE = {
    Normal: (censored_normal_lpdf, censored_normal_lpdf_grad,
             lambda mu, sigma: scipy.stats.norm(mu, sigma)),
    StudentT: (censored_student_t_lpdf, censored_student_t_lpdf_grad,
               lambda nu, mu, sigma: scipy.stats.t(nu, mu, sigma)),
}


def _accept(name, value):
    """Base parameters were validated by the base distribution."""


class Censored(Cumulative, Distribution):
    """A distribution observed through censoring at ``lower`` and/or ``upper``.

    Observed values equal to a bound count as censored there (their log-likelihood is the
    log tail probability); values strictly between the bounds use the base density;
    values beyond a bound are impossible. ``dist`` is ``bk.Normal`` or ``bk.StudentT``
    (whose parameters may be model expressions); the bounds are numbers or arrays.
    Like ``pm.Censored``, it is meant for observed variables, not free parameters.
    """

    def __init__(self, dist, lower=None, upper=None):
        family = _CENSORABLE.get(type(dist))
        if family is None:
            supported = ", ".join(cls.__name__ for cls in _CENSORABLE)
            raise TypeError(f"Censored: cannot censor {type(dist).__name__}; "
                            f"supported families: {supported}")
        lower = -INF if lower is None else lower
        upper = INF if upper is None else upper
        self.base = dist
        kernel, kernel_grad, self._scipy_twin = family
        names = dist.param_names + ("lower", "upper")
        values = dist.params + (lower, upper)
        checks = (_accept,) * len(dist.param_names) + (check_real, check_real)
        self._setup(names, values, kernel, kernel_grad, checks)
        lo, hi = self._numeric.get("lower"), self._numeric.get("upper")
        if lo is None or hi is None:
            raise TypeError("Censored: lower and upper must be numbers or arrays")
        if not np.all(lo < hi):
            raise ValueError(f"Censored: lower must be below upper, got lower={lo}, upper={hi}")
        self.support = f"[{_bound(lo)}, {_bound(hi)}]"

    def logpdf(self, x):
        """Log density between the bounds, log tail probability at them."""
        return elementwise_logpdf(self.kernel, x, self._values())

    def _sample(self, rng, shape, values):
        lower, upper = values[-2:]
        draws = self.base._sample(rng, shape, values[:-2])
        return np.clip(draws, lower, upper)

    def _moments(self, values):
        """Mean and variance of the censored variable, by quadrature of the base density."""
        *base, lower, upper = np.broadcast_arrays(*values)
        means = np.empty(lower.shape)
        variances = np.empty(lower.shape)
        for idx in np.ndindex(lower.shape):
            twin = self._scipy_twin(*(b[idx] for b in base))
            lo, hi = lower[idx], upper[idx]
            mass_lo = twin.cdf(lo) if np.isfinite(lo) else 0.0
            mass_hi = twin.sf(hi) if np.isfinite(hi) else 0.0
            m1 = twin.expect(lambda y: y, lb=lo, ub=hi)
            m2 = twin.expect(lambda y: y * y, lb=lo, ub=hi)
            m1 += (lo * mass_lo if mass_lo > 0 else 0.0) + (hi * mass_hi if mass_hi > 0 else 0.0)
            m2 += (lo * lo * mass_lo if mass_lo > 0 else 0.0) + (hi * hi * mass_hi if mass_hi > 0 else 0.0)
            means[idx] = m1
            variances[idx] = m2 - m1 * m1
        return means, variances

    def _mean(self, *values):
        return self._moments(values)[0]

    def _var(self, *values):
        return self._moments(values)[1]

    # cdf methods: Y = clip(X, lower, upper) has the base cdf on [lower, upper), with
    # atoms P(X <= lower) at lower and P(X >= upper) at upper
    _mass_at_lower = True

    def _bounds(self, *values):
        return values[-2], values[-1]

    def _cdf(self, x, *values):
        return self.base._cdf(x, *values[:-2])

    def _sf(self, x, *values):
        return self.base._sf(x, *values[:-2])

    def _logcdf(self, x, *values):
        return self.base._logcdf(x, *values[:-2])

    def _logsf(self, x, *values):
        return self.base._logsf(x, *values[:-2])

    def _ppf(self, q, *values):
        return np.clip(self.base._ppf(q, *values[:-2]), values[-2], values[-1])

    def default_transform(self):
        raise ValueError("Censored distributions describe observed data; use them with "
                         "Model.observe, not as a free parameter")

    def rebuilder(self):
        """Rebuild the base distribution from the leading values, then censor it."""
        return functools.partial(_censored_from_params, self.base.rebuilder())


def _censored_from_params(base_rebuilder, values):
    return Censored(base_rebuilder(values[:-2]), lower=values[-2], upper=values[-1])


def _bound(value):
    arr = np.asarray(value)
    return f"{float(arr):g}" if arr.ndim == 0 else "array"
