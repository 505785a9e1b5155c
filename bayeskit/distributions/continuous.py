"""Continuous univariate families: kernels ``<fam>_lpdf`` / ``<fam>_lpdf_grad`` and classes.

Kernel contract (see ``bayeskit.distributions``): ``<fam>_lpdf(x, *params) -> float`` and
``<fam>_lpdf_grad(x, *params) -> (lp, d_x, d_p1, ...)`` on float64 scalars, returning
``-inf`` (and zero partials) outside the support or for invalid parameters, never raising.
"""

import math

import numpy as np
import scipy.special as sc
import scipy.stats
from scipy.special import gamma as gamma_fn
from numba import njit
from scipy.special import gammaln, i0e, i1e

from .. import transforms as tr

from ._special import (HALF_LOG_2PI, INF, LOG_2, LOG_2PI, LOG_PI, SQRT_2, bessel_ratio_i1_i0,
                       digamma, lbeta, log_bessel_i, log_diff_exp, log_ndtr, mills_inverse,
                       normal_logpdf_std, power_log_at_zero, log1p_sq,
                       sq_over_one_plus_sq, lgamma_half_ratio, digamma_half_excess)
from .base import (Distribution, check_finite, check_positive, check_real,
                   elementwise_logpdf)
from .cumulative import (BetaTails, Cumulative, GammaTails, log1mexp,
                         log_regularized_beta, regularized_beta)

_jit = njit(cache=True, nogil=True, error_model="numpy")
NINF = -INF


# ------------------------------------------------------------------------------ Normal
@_jit
def normal_lpdf(x, mu, sigma):
    if not (sigma > 0.0 and math.isfinite(sigma) and math.isfinite(mu)) or math.isnan(x):
        return NINF
    z = (x - mu) / sigma
    return -0.5 * z * z - math.log(sigma) - HALF_LOG_2PI


@_jit
def normal_lpdf_grad(x, mu, sigma):
    lp = normal_lpdf(x, mu, sigma)
    if not math.isfinite(lp):
        return lp, 0.0, 0.0, 0.0
    z = (x - mu) / sigma
    return lp, -z / sigma, z / sigma, (z * z - 1.0) / sigma


@_jit
def half_normal_lpdf(x, sigma):
    if x < 0.0:
        return NINF
    return LOG_2 + normal_lpdf(x, 0.0, sigma)


@_jit
def half_normal_lpdf_grad(x, sigma):
    lp = half_normal_lpdf(x, sigma)
    if not math.isfinite(lp):
        return lp, 0.0, 0.0
    z = x / sigma
    return lp, -z / sigma, (z * z - 1.0) / sigma


# ----------------------------------------------------------------------------- StudentT
@_jit
def student_t_lpdf(x, nu, mu, sigma):
    if not (nu > 0.0 and sigma > 0.0 and math.isfinite(sigma) and math.isfinite(mu)
            and not math.isnan(nu)) or math.isnan(x):
        return NINF
    if nu == INF:
        return normal_lpdf(x, mu, sigma)
    z = (x - mu) / sigma
    return (lgamma_half_ratio(0.5 * nu) - 0.5 * (math.log(nu) + LOG_PI) - math.log(sigma)
            - 0.5 * (nu + 1.0) * log1p_sq(z / math.sqrt(nu)))


@_jit
def student_t_lpdf_grad(x, nu, mu, sigma):
    lp = student_t_lpdf(x, nu, mu, sigma)
    if not math.isfinite(lp) or nu == INF:
        if math.isfinite(lp):
            _, dx, dmu, dsigma = normal_lpdf_grad(x, mu, sigma)
            return lp, dx, 0.0, dmu, dsigma
        return lp, 0.0, 0.0, 0.0, 0.0
    z = (x - mu) / sigma
    t = z / math.sqrt(nu)
    frac = sq_over_one_plus_sq(t)  # z^2 / (nu + z^2), in [0, 1]
    # (nu + 1) z / (nu + z^2) = (nu + 1)/sqrt(nu) * t / (1 + t^2), written overflow-free
    ratio = t / (1.0 + t * t) if abs(t) < 1e150 else 1.0 / t
    dx = -(nu + 1.0) / math.sqrt(nu) * ratio / sigma
    dsigma = (-1.0 + (nu + 1.0) * frac) / sigma
    dnu = 0.5 * (digamma_half_excess(0.5 * nu) - log1p_sq(t) + (nu + 1.0) * frac / nu)
    return lp, dx, dnu, -dx, dsigma


@_jit
def half_student_t_lpdf(x, nu, sigma):
    if x < 0.0:
        return NINF
    return LOG_2 + student_t_lpdf(x, nu, 0.0, sigma)


@_jit
def half_student_t_lpdf_grad(x, nu, sigma):
    if x < 0.0:
        return NINF, 0.0, 0.0, 0.0
    lp, dx, dnu, _, dsigma = student_t_lpdf_grad(x, nu, 0.0, sigma)
    return lp + LOG_2, dx, dnu, dsigma


# ------------------------------------------------------------------------------ Cauchy
@_jit
def cauchy_lpdf(x, alpha, beta):
    if not (beta > 0.0 and math.isfinite(beta) and math.isfinite(alpha)) or math.isnan(x):
        return NINF
    z = (x - alpha) / beta
    return -LOG_PI - math.log(beta) - log1p_sq(z)


@_jit
def cauchy_lpdf_grad(x, alpha, beta):
    lp = cauchy_lpdf(x, alpha, beta)
    if not math.isfinite(lp):
        return lp, 0.0, 0.0, 0.0
    z = (x - alpha) / beta
    ratio = z / (1.0 + z * z) if abs(z) < 1e150 else 1.0 / z
    dx = -2.0 * ratio / beta
    return lp, dx, -dx, (-1.0 + 2.0 * sq_over_one_plus_sq(z)) / beta


@_jit
def half_cauchy_lpdf(x, beta):
    if x < 0.0:
        return NINF
    return LOG_2 + cauchy_lpdf(x, 0.0, beta)


@_jit
def half_cauchy_lpdf_grad(x, beta):
    if x < 0.0:
        return NINF, 0.0, 0.0
    lp, dx, _, dbeta = cauchy_lpdf_grad(x, 0.0, beta)
    return lp + LOG_2, dx, dbeta


# ----------------------------------------------------------------------------- Laplace
@_jit
def laplace_lpdf(x, mu, b):
    if not (b > 0.0 and math.isfinite(b) and math.isfinite(mu)) or math.isnan(x):
        return NINF
    return -LOG_2 - math.log(b) - abs(x - mu) / b


@_jit
def laplace_lpdf_grad(x, mu, b):
    lp = laplace_lpdf(x, mu, b)
    if not math.isfinite(lp):
        return lp, 0.0, 0.0, 0.0
    s = 1.0 if x > mu else (-1.0 if x < mu else 0.0)
    return lp, -s / b, s / b, (-1.0 + abs(x - mu) / b) / b


# ---------------------------------------------------------------------------- Logistic
@_jit
def logistic_lpdf(x, mu, s):
    if not (s > 0.0 and math.isfinite(s) and math.isfinite(mu)) or math.isnan(x):
        return NINF
    a = abs((x - mu) / s)
    return -a - 2.0 * math.log1p(math.exp(-a)) - math.log(s)


@_jit
def logistic_lpdf_grad(x, mu, s):
    lp = logistic_lpdf(x, mu, s)
    if not math.isfinite(lp):
        return lp, 0.0, 0.0, 0.0
    z = (x - mu) / s
    t = math.tanh(0.5 * z)
    return lp, -t / s, t / s, (-1.0 + z * t) / s


# --------------------------------------------------------------------------- LogNormal
@_jit
def lognormal_lpdf(x, mu, sigma):
    if not x > 0.0:
        return NINF
    lx = math.log(x)
    return normal_lpdf(lx, mu, sigma) - lx


@_jit
def lognormal_lpdf_grad(x, mu, sigma):
    lp = lognormal_lpdf(x, mu, sigma)
    if not math.isfinite(lp):
        return lp, 0.0, 0.0, 0.0
    z = (math.log(x) - mu) / sigma
    return lp, (-z / sigma - 1.0) / x, z / sigma, (z * z - 1.0) / sigma


# ------------------------------------------------------------------------- Exponential
@_jit
def exponential_lpdf(x, lam):
    if not (lam > 0.0 and math.isfinite(lam)) or not x >= 0.0:
        return NINF
    return math.log(lam) - lam * x


@_jit
def exponential_lpdf_grad(x, lam):
    lp = exponential_lpdf(x, lam)
    if not math.isfinite(lp):
        return lp, 0.0, 0.0
    return lp, -lam, 1.0 / lam - x


# ------------------------------------------------------------------------------- Gamma
@_jit
def gamma_lpdf(x, alpha, beta):
    if not (alpha > 0.0 and beta > 0.0 and math.isfinite(alpha) and math.isfinite(beta)):
        return NINF
    if not x >= 0.0 or x == INF:
        return NINF
    norm = alpha * math.log(beta) - math.lgamma(alpha)
    if x == 0.0:
        return norm + power_log_at_zero(alpha - 1.0)
    return norm + (alpha - 1.0) * math.log(x) - beta * x


@_jit
def gamma_lpdf_grad(x, alpha, beta):
    lp = gamma_lpdf(x, alpha, beta)
    if not math.isfinite(lp):
        return lp, 0.0, 0.0, 0.0
    if x == 0.0:  # finite only for alpha == 1: the limits at the boundary
        return lp, -beta, NINF, alpha / beta
    lx = math.log(x)
    return (lp, (alpha - 1.0) / x - beta, math.log(beta) - digamma(alpha) + lx,
            alpha / beta - x)


@_jit
def inverse_gamma_lpdf(x, alpha, beta):
    if not (alpha > 0.0 and beta > 0.0 and math.isfinite(alpha) and math.isfinite(beta)):
        return NINF
    if not x > 0.0 or x == INF:
        return NINF
    return (alpha * math.log(beta) - math.lgamma(alpha) - (alpha + 1.0) * math.log(x)
            - beta / x)


@_jit
def inverse_gamma_lpdf_grad(x, alpha, beta):
    lp = inverse_gamma_lpdf(x, alpha, beta)
    if not math.isfinite(lp):
        return lp, 0.0, 0.0, 0.0
    return (lp, -(alpha + 1.0) / x + beta / (x * x),
            math.log(beta) - digamma(alpha) - math.log(x), alpha / beta - 1.0 / x)


@_jit
def chi_squared_lpdf(x, nu):
    return gamma_lpdf(x, 0.5 * nu, 0.5)


@_jit
def chi_squared_lpdf_grad(x, nu):
    lp, dx, dalpha, _ = gamma_lpdf_grad(x, 0.5 * nu, 0.5)
    return lp, dx, 0.5 * dalpha


# -------------------------------------------------------------------------------- Beta
@_jit
def beta_lpdf(x, alpha, beta):
    if not (alpha > 0.0 and beta > 0.0 and math.isfinite(alpha) and math.isfinite(beta)):
        return NINF
    if not (x >= 0.0 and x <= 1.0):
        return NINF
    norm = -lbeta(alpha, beta)
    if x == 0.0:
        return norm + power_log_at_zero(alpha - 1.0)
    if x == 1.0:
        return norm + power_log_at_zero(beta - 1.0)
    return norm + (alpha - 1.0) * math.log(x) + (beta - 1.0) * math.log1p(-x)


@_jit
def beta_lpdf_grad(x, alpha, beta):
    lp = beta_lpdf(x, alpha, beta)
    if not math.isfinite(lp):
        return lp, 0.0, 0.0, 0.0
    psi_ab = digamma(alpha + beta)
    # finite at x = 0 only for alpha == 1 (x = 1: beta == 1): limits at the boundary
    if x == 0.0:
        return lp, -(beta - 1.0), NINF, -digamma(beta) + psi_ab
    if x == 1.0:
        return lp, alpha - 1.0, -digamma(alpha) + psi_ab, NINF
    return (lp, (alpha - 1.0) / x - (beta - 1.0) / (1.0 - x),
            math.log(x) - digamma(alpha) + psi_ab,
            math.log1p(-x) - digamma(beta) + psi_ab)


# ----------------------------------------------------------------------------- Uniform
@_jit
def uniform_lpdf(x, lower, upper):
    if not (lower < upper and math.isfinite(lower) and math.isfinite(upper)):
        return NINF
    if not (x >= lower and x <= upper):
        return NINF
    return -math.log(upper - lower)


@_jit
def uniform_lpdf_grad(x, lower, upper):
    lp = uniform_lpdf(x, lower, upper)
    if not math.isfinite(lp):
        return lp, 0.0, 0.0, 0.0
    w = upper - lower
    return lp, 0.0, 1.0 / w, -1.0 / w


# ----------------------------------------------------------------------------- Weibull
@_jit
def weibull_lpdf(x, alpha, beta):
    if not (alpha > 0.0 and beta > 0.0 and math.isfinite(alpha) and math.isfinite(beta)):
        return NINF
    if not x >= 0.0 or x == INF:
        return NINF
    norm = math.log(alpha) - math.log(beta)
    if x == 0.0:
        return norm + power_log_at_zero(alpha - 1.0)
    lt = math.log(x / beta)
    return norm + (alpha - 1.0) * lt - math.exp(alpha * lt)


@_jit
def weibull_lpdf_grad(x, alpha, beta):
    lp = weibull_lpdf(x, alpha, beta)
    if not math.isfinite(lp):
        return lp, 0.0, 0.0, 0.0
    if x == 0.0:  # finite only for alpha == 1: the limits at the boundary
        return lp, -1.0 / beta, NINF, -1.0 / beta
    lt = math.log(x / beta)
    ta = math.exp(alpha * lt)
    return (lp, (alpha - 1.0 - alpha * ta) / x, 1.0 / alpha + lt - ta * lt,
            alpha * (ta - 1.0) / beta)


# --------------------------------------------------------------------- TruncatedNormal
@_jit
def _log_normal_mass(a, b):
    """``log(Phi(b) - Phi(a))`` for a <= b: a difference of log tails when both are
    beyond 1/2 on one side (upper tail if positive), else of erf, which stays exact
    for a narrow interval near 0 where Phi(b) and Phi(a) are two close values of 1/2."""
    if a >= 0.5:
        return log_diff_exp(log_ndtr(-a), log_ndtr(-b))
    if b <= -0.5:
        return log_diff_exp(log_ndtr(b), log_ndtr(a))
    mass = 0.5 * (math.erf(b / SQRT_2) - math.erf(a / SQRT_2))
    return math.log(mass) if mass > 0.0 else NINF


@_jit
def truncated_normal_lpdf(x, mu, sigma, lower, upper):
    if not (sigma > 0.0 and math.isfinite(sigma) and math.isfinite(mu) and lower < upper):
        return NINF
    if not (x >= lower and x <= upper) or math.isinf(x):
        return NINF
    a = (lower - mu) / sigma
    b = (upper - mu) / sigma
    return normal_lpdf(x, mu, sigma) - _log_normal_mass(a, b)


@_jit
def truncated_normal_lpdf_grad(x, mu, sigma, lower, upper):
    lp = truncated_normal_lpdf(x, mu, sigma, lower, upper)
    if not math.isfinite(lp):
        return lp, 0.0, 0.0, 0.0, 0.0, 0.0
    a = (lower - mu) / sigma
    b = (upper - mu) / sigma
    log_mass = _log_normal_mass(a, b)
    # phi(a)/Z and phi(b)/Z, and a*phi(a)/Z, b*phi(b)/Z (zero at infinite bounds)
    ra = 0.0 if math.isinf(a) else math.exp(normal_logpdf_std(a) - log_mass)
    rb = 0.0 if math.isinf(b) else math.exp(normal_logpdf_std(b) - log_mass)
    ara = 0.0 if ra == 0.0 else a * ra
    brb = 0.0 if rb == 0.0 else b * rb
    z = (x - mu) / sigma
    return (lp, -z / sigma, (z - ra + rb) / sigma, (z * z - 1.0 - ara + brb) / sigma,
            ra / sigma, -rb / sigma)


# -------------------------------------------------------------------------- SkewNormal
@_jit
def skew_normal_lpdf(x, mu, sigma, alpha):
    if not math.isfinite(alpha):
        return NINF
    lp = normal_lpdf(x, mu, sigma)
    if not math.isfinite(lp):
        return lp
    return LOG_2 + lp + log_ndtr(alpha * (x - mu) / sigma)


@_jit
def skew_normal_lpdf_grad(x, mu, sigma, alpha):
    lp = skew_normal_lpdf(x, mu, sigma, alpha)
    if not math.isfinite(lp):
        return lp, 0.0, 0.0, 0.0, 0.0
    z = (x - mu) / sigma
    r = mills_inverse(alpha * z)
    dx = (-z + alpha * r) / sigma
    return lp, dx, -dx, (-1.0 + z * z - alpha * z * r) / sigma, z * r


# ---------------------------------------------------------------------------- VonMises
@_jit
def von_mises_lpdf(x, mu, kappa):
    if not (kappa > 0.0 and math.isfinite(kappa) and math.isfinite(mu)):
        return NINF
    if not (x >= -math.pi and x <= math.pi):
        return NINF
    return kappa * math.cos(x - mu) - LOG_2PI - log_bessel_i(0, kappa)


@_jit
def von_mises_lpdf_grad(x, mu, kappa):
    lp = von_mises_lpdf(x, mu, kappa)
    if not math.isfinite(lp):
        return lp, 0.0, 0.0, 0.0
    s = math.sin(x - mu)
    return lp, -kappa * s, kappa * s, math.cos(x - mu) - bessel_ratio_i1_i0(kappa)


# -------------------------------------------------------------------------------- Flat
@_jit
def flat_lpdf(x):
    if math.isnan(x):
        return NINF
    return 0.0


@_jit
def flat_lpdf_grad(x):
    return flat_lpdf(x), 0.0


@_jit
def half_flat_lpdf(x):
    if not x >= 0.0:
        return NINF
    return 0.0


@_jit
def half_flat_lpdf_grad(x):
    return half_flat_lpdf(x), 0.0


# ================================================================ numpy cdf helpers
# probability below which SkewNormal's Owen's-T form loses digits (Phi(z) - 2T cancels)
_SKEW_NORMAL_DIRECT = 1e-5


def _t_split(t, nu):
    """``(nu / (nu + t^2), t^2 / (nu + t^2))`` without overflow or cancellation."""
    s = np.abs(t) / np.sqrt(nu)
    small = s < 1.0
    r = np.where(small, s, 1.0 / np.maximum(s, 1.0))
    r2 = r * r
    one, other = 1.0 / (1.0 + r2), r2 / (1.0 + r2)
    return np.where(small, one, other), np.where(small, other, one)


def _log_beta_leading(log_x, a, b):
    """``log I_x(a, b)`` for x so small that it underflows: the leading term of
    I_x(a, b) = x^a / (a B(a, b)) (1 + O(x))."""
    return a * log_x - np.log(a) - sc.betaln(a, b)


def _log_beta_leading_inverse(log_p, a, b):
    """``log x`` with ``I_x(a, b) = p`` for such small x (the inverse of the above)."""
    return (log_p + np.log(a) + sc.betaln(a, b)) / a


def _abs_t_prob(t, nu, outside):
    """``P(|T| > |t|)`` (``outside``) or ``P(|T| <= |t|)`` for a standard Student-t, and
    its log, finite even where nu / (nu + t^2) or t^2 / (nu + t^2) underflows."""
    a = 0.5 * nu
    u, v = _t_split(t, nu)
    shapes = (a, 0.5) if outside else (0.5, a)
    x, y = (u, v) if outside else (v, u)
    prob, log_prob = regularized_beta(*shapes, x, y), log_regularized_beta(*shapes, x, y)
    with np.errstate(divide="ignore"):
        log_x = (1.0 if outside else -1.0) * (np.log(nu) - 2.0 * np.log(np.abs(t)))
    tiny = log_x < -700.0
    if np.any(tiny):
        log_lead = _log_beta_leading(log_x, *shapes)
        prob = np.where(tiny, np.exp(log_lead), prob)
        log_prob = np.where(tiny, log_lead, log_prob)
    return prob, log_prob


def _abs_t_tail(t, nu):
    """``P(|T| > |t|)`` for a standard Student-t and its log (finite far out)."""
    return _abs_t_prob(t, nu, outside=True)


def _abs_t_quantile(nu, p_in, p_out):
    """``t >= 0`` with ``P(|T| <= t) = p_in`` and ``P(|T| > t) = p_out``.

    With w = t^2 / (nu + t^2) ~ Beta(1/2, nu/2), both w and 1 - w are inverted
    directly (no rounded difference) from the smaller of the two probabilities, which
    the caller gives exactly.
    """
    a = 0.5 * nu
    inner = p_in <= p_out
    p = np.where(inner, p_in, p_out)
    w = np.where(inner, sc.betaincinv(0.5, a, p), sc.betainccinv(0.5, a, p))
    w_c = np.where(inner, sc.betainccinv(a, 0.5, p), sc.betaincinv(a, 0.5, p))
    # far out (small nu) 1 - w underflows while t is representable, and near 0 (tiny
    # p_in) w does: there the leading terms invert in log space
    log_w_c = _log_beta_leading_inverse(np.log(p_out), a, 0.5)
    log_w = _log_beta_leading_inverse(np.log(p_in), 0.5, a)
    t = np.sqrt(nu * w / w_c)
    t = np.where(log_w < -600.0, np.exp(0.5 * (np.log(nu) + log_w)), t)
    return np.where(log_w_c < -600.0, np.exp(0.5 * (np.log(nu) - log_w_c)), t)


def _gamma_quantile(alpha, p, p_c):
    """The standard (rate 1) gamma quantile with lower-tail probability ``p`` (= 1 - p_c),
    inverted in whichever tail is smaller."""
    return np.where(p <= 0.5, sc.gammaincinv(alpha, p), sc.gammainccinv(alpha, p_c))


def _wrap_angle(a):
    return np.mod(a + math.pi, 2.0 * math.pi) - math.pi


# ============================================================================== classes
class Continuous(Cumulative, Distribution):
    """Base of the continuous univariate families."""

    is_discrete = False


class Normal(Continuous):
    """Normal(mu=0, sigma=1): mean ``mu``, standard deviation ``sigma``.

    scipy: ``norm(loc=mu, scale=sigma)``.
    """

    support = "real"

    def __init__(self, mu=0.0, sigma=1.0):
        self._setup(("mu", "sigma"), (mu, sigma), normal_lpdf, normal_lpdf_grad,
                    (check_finite, check_positive))

    def _sample(self, rng, shape, v):
        return rng.normal(v[0], v[1], size=shape)

    def _mean(self, mu, sigma):
        return mu + 0 * sigma

    def _var(self, mu, sigma):
        return sigma ** 2 + 0 * mu

    def _cdf(self, x, mu, sigma):
        return sc.ndtr((x - mu) / sigma)

    def _sf(self, x, mu, sigma):
        return sc.ndtr((mu - x) / sigma)

    def _logcdf(self, x, mu, sigma):
        return sc.log_ndtr((x - mu) / sigma)

    def _logsf(self, x, mu, sigma):
        return sc.log_ndtr((mu - x) / sigma)

    def _ppf(self, q, mu, sigma):
        return mu + sigma * sc.ndtri(q)

    def default_transform(self):
        return tr.Identity()


class HalfNormal(Continuous):
    """HalfNormal(sigma=1): ``|X|`` for X ~ Normal(0, sigma). scipy: ``halfnorm(scale=sigma)``."""

    support = "positive"

    def __init__(self, sigma=1.0):
        self._setup(("sigma",), (sigma,), half_normal_lpdf, half_normal_lpdf_grad,
                    (check_positive,))

    def _sample(self, rng, shape, v):
        return np.abs(rng.normal(0.0, v[0], size=shape))

    def _mean(self, sigma):
        return sigma * math.sqrt(2.0 / math.pi)

    def _var(self, sigma):
        return sigma ** 2 * (1.0 - 2.0 / math.pi)

    _lower = 0.0

    def _cdf(self, x, sigma):
        return sc.erf(x / (SQRT_2 * sigma))

    def _sf(self, x, sigma):
        return sc.erfc(x / (SQRT_2 * sigma))

    def _logsf(self, x, sigma):
        return LOG_2 + sc.log_ndtr(-x / sigma)

    def _ppf(self, q, sigma):
        return SQRT_2 * sigma * np.where(q <= 0.5, sc.erfinv(q), sc.erfcinv(1.0 - q))

    def default_transform(self):
        return tr.Log()


class StudentT(Continuous):
    """StudentT(nu, mu=0, sigma=1): degrees of freedom ``nu``, location, scale.

    scipy: ``t(df=nu, loc=mu, scale=sigma)``.
    """

    support = "real"

    def __init__(self, nu, mu=0.0, sigma=1.0):
        self._setup(("nu", "mu", "sigma"), (nu, mu, sigma), student_t_lpdf,
                    student_t_lpdf_grad, (check_positive, check_finite, check_positive))

    def _sample(self, rng, shape, v):
        return v[1] + v[2] * rng.standard_t(v[0], size=shape)

    def _mean(self, nu, mu, sigma):
        return np.where(nu > 1, mu + 0 * sigma, np.nan)

    def _var(self, nu, mu, sigma):
        with np.errstate(divide="ignore", invalid="ignore"):
            v = sigma ** 2 * nu / (nu - 2.0) + 0 * mu
        return np.where(nu > 2, v, np.where(nu > 1, np.inf, np.nan))

    def _tails(self, x, nu, mu, sigma):
        """(t, P(T <= -|t|), its log) for the standardised t."""
        t = (x - mu) / sigma
        tail, log_tail = _abs_t_tail(t, nu)
        return t, 0.5 * tail, log_tail - LOG_2

    def _cdf(self, x, *v):
        t, tail, _ = self._tails(x, *v)
        return np.where(t < 0, tail, 1.0 - tail)

    def _sf(self, x, *v):
        t, tail, _ = self._tails(x, *v)
        return np.where(t < 0, 1.0 - tail, tail)

    def _logcdf(self, x, *v):
        t, tail, log_tail = self._tails(x, *v)
        return np.where(t < 0, log_tail, np.log1p(-tail))

    def _logsf(self, x, *v):
        t, tail, log_tail = self._tails(x, *v)
        return np.where(t < 0, np.log1p(-tail), log_tail)

    def _ppf(self, q, nu, mu, sigma):
        lower = q < 0.5
        p_out = np.where(lower, 2.0 * q, 2.0 * (1.0 - q))  # P(|T| > |t|), exact
        p_in = np.where(lower, 1.0 - 2.0 * q, 2.0 * q - 1.0)
        return mu + sigma * np.where(lower, -1.0, 1.0) * _abs_t_quantile(nu, p_in, p_out)

    def default_transform(self):
        return tr.Identity()


class HalfStudentT(Continuous):
    """HalfStudentT(nu, sigma=1): ``|X|`` for X ~ StudentT(nu, 0, sigma).

    scipy has no twin; the density is ``2 * t(df=nu, scale=sigma).pdf(x)`` for x >= 0.
    """

    support = "positive"

    def __init__(self, nu, sigma=1.0):
        self._setup(("nu", "sigma"), (nu, sigma), half_student_t_lpdf,
                    half_student_t_lpdf_grad, (check_positive, check_positive))

    def _sample(self, rng, shape, v):
        return np.abs(v[1] * rng.standard_t(v[0], size=shape))

    def _mean(self, nu, sigma):
        with np.errstate(divide="ignore", invalid="ignore"):
            m = (2.0 * sigma * np.sqrt(nu / np.pi) / (nu - 1.0)
                 * np.exp(gammaln((nu + 1.0) / 2.0) - gammaln(nu / 2.0)))
        return np.where(nu > 1, m, np.inf)

    def _var(self, nu, sigma):
        with np.errstate(divide="ignore", invalid="ignore"):
            v = sigma ** 2 * nu / (nu - 2.0) - self._mean(nu, sigma) ** 2
        return np.where(nu > 2, v, np.where(nu > 1, np.inf, np.nan))

    _lower = 0.0

    def _cdf(self, x, nu, sigma):
        return _abs_t_prob(x / sigma, nu, outside=False)[0]

    def _sf(self, x, nu, sigma):
        return _abs_t_prob(x / sigma, nu, outside=True)[0]

    def _logcdf(self, x, nu, sigma):
        return _abs_t_prob(x / sigma, nu, outside=False)[1]

    def _logsf(self, x, nu, sigma):
        return _abs_t_prob(x / sigma, nu, outside=True)[1]

    def _ppf(self, q, nu, sigma):
        return sigma * _abs_t_quantile(nu, q, 1.0 - q)

    def default_transform(self):
        return tr.Log()


class Cauchy(Continuous):
    """Cauchy(alpha=0, beta=1): location ``alpha``, scale ``beta`` (PyMC's names).

    scipy: ``cauchy(loc=alpha, scale=beta)``. Mean and variance are undefined (NaN).
    """

    support = "real"

    def __init__(self, alpha=0.0, beta=1.0):
        self._setup(("alpha", "beta"), (alpha, beta), cauchy_lpdf, cauchy_lpdf_grad,
                    (check_finite, check_positive))

    def _sample(self, rng, shape, v):
        return v[0] + v[1] * rng.standard_cauchy(size=shape)

    def _mean(self, alpha, beta):
        return np.nan

    def _var(self, alpha, beta):
        return np.nan

    def _cdf(self, x, alpha, beta):
        return np.arctan2(1.0, (alpha - x) / beta) / math.pi

    def _sf(self, x, alpha, beta):
        return np.arctan2(1.0, (x - alpha) / beta) / math.pi

    def _ppf(self, q, alpha, beta):
        # -cot(pi q) below the median, cot(pi (1 - q)) above: exact in both tails
        return alpha + beta * np.where(q < 0.5, -1.0 / np.tan(math.pi * q),
                                       1.0 / np.tan(math.pi * (1.0 - q)))

    def default_transform(self):
        return tr.Identity()


class HalfCauchy(Continuous):
    """HalfCauchy(beta=1): ``|X|`` for X ~ Cauchy(0, beta). scipy: ``halfcauchy(scale=beta)``.

    Mean and variance are infinite.
    """

    support = "positive"

    def __init__(self, beta=1.0):
        self._setup(("beta",), (beta,), half_cauchy_lpdf, half_cauchy_lpdf_grad,
                    (check_positive,))

    def _sample(self, rng, shape, v):
        return np.abs(v[0] * rng.standard_cauchy(size=shape))

    def _mean(self, beta):
        return np.inf

    def _var(self, beta):
        return np.inf

    _lower = 0.0

    def _cdf(self, x, beta):
        return np.arctan(x / beta) / (0.5 * math.pi)

    def _sf(self, x, beta):
        return np.arctan2(beta, x) / (0.5 * math.pi)

    def _ppf(self, q, beta):
        return beta * np.where(q <= 0.5, np.tan(0.5 * math.pi * q),
                               1.0 / np.tan(0.5 * math.pi * (1.0 - q)))

    def default_transform(self):
        return tr.Log()


class Laplace(Continuous):
    """Laplace(mu=0, b=1): location ``mu``, scale ``b``. scipy: ``laplace(loc=mu, scale=b)``."""

    support = "real"

    def __init__(self, mu=0.0, b=1.0):
        self._setup(("mu", "b"), (mu, b), laplace_lpdf, laplace_lpdf_grad,
                    (check_finite, check_positive))

    def _sample(self, rng, shape, v):
        return rng.laplace(v[0], v[1], size=shape)

    def _mean(self, mu, b):
        return mu + 0 * b

    def _var(self, mu, b):
        return 2.0 * b ** 2 + 0 * mu

    def _logcdf(self, x, mu, b):
        z = (x - mu) / b
        return np.where(z < 0, z - LOG_2, np.log1p(-0.5 * np.exp(-np.abs(z))))

    def _logsf(self, x, mu, b):
        return self._logcdf(2.0 * mu - x, mu, b)

    def _ppf(self, q, mu, b):
        return mu + b * np.where(q < 0.5, np.log(2.0 * q), -np.log(2.0 * (1.0 - q)))

    def default_transform(self):
        return tr.Identity()


class Logistic(Continuous):
    """Logistic(mu=0, s=1): location ``mu``, scale ``s``. scipy: ``logistic(loc=mu, scale=s)``."""

    support = "real"

    def __init__(self, mu=0.0, s=1.0):
        self._setup(("mu", "s"), (mu, s), logistic_lpdf, logistic_lpdf_grad,
                    (check_finite, check_positive))

    def _sample(self, rng, shape, v):
        return rng.logistic(v[0], v[1], size=shape)

    def _mean(self, mu, s):
        return mu + 0 * s

    def _var(self, mu, s):
        return s ** 2 * math.pi ** 2 / 3.0 + 0 * mu

    def _cdf(self, x, mu, s):
        return sc.expit((x - mu) / s)

    def _sf(self, x, mu, s):
        return sc.expit((mu - x) / s)

    def _logcdf(self, x, mu, s):
        return sc.log_expit((x - mu) / s)

    def _logsf(self, x, mu, s):
        return sc.log_expit((mu - x) / s)

    def _ppf(self, q, mu, s):
        return mu + s * sc.logit(q)

    def default_transform(self):
        return tr.Identity()


class LogNormal(Continuous):
    """LogNormal(mu=0, sigma=1): ``exp(X)`` for X ~ Normal(mu, sigma).

    scipy: ``lognorm(s=sigma, scale=exp(mu))``.
    """

    support = "positive"

    def __init__(self, mu=0.0, sigma=1.0):
        self._setup(("mu", "sigma"), (mu, sigma), lognormal_lpdf, lognormal_lpdf_grad,
                    (check_finite, check_positive))

    def _sample(self, rng, shape, v):
        return rng.lognormal(v[0], v[1], size=shape)

    def _mean(self, mu, sigma):
        return np.exp(mu + 0.5 * sigma ** 2)

    def _var(self, mu, sigma):
        return np.expm1(sigma ** 2) * np.exp(2.0 * mu + sigma ** 2)

    _lower = 0.0

    # the normal distribution of log(x)
    def _cdf(self, x, mu, sigma):
        return Normal._cdf(self, np.log(x), mu, sigma)

    def _sf(self, x, mu, sigma):
        return Normal._sf(self, np.log(x), mu, sigma)

    def _logcdf(self, x, mu, sigma):
        return Normal._logcdf(self, np.log(x), mu, sigma)

    def _logsf(self, x, mu, sigma):
        return Normal._logsf(self, np.log(x), mu, sigma)

    def _ppf(self, q, mu, sigma):
        return np.exp(Normal._ppf(self, q, mu, sigma))

    def default_transform(self):
        return tr.Log()


class Exponential(Continuous):
    """Exponential(lam=1): rate ``lam``. scipy: ``expon(scale=1/lam)``."""

    support = "positive"

    def __init__(self, lam=1.0):
        self._setup(("lam",), (lam,), exponential_lpdf, exponential_lpdf_grad,
                    (check_positive,))

    def _sample(self, rng, shape, v):
        return rng.exponential(1.0 / v[0], size=shape)

    def _mean(self, lam):
        return 1.0 / lam

    def _var(self, lam):
        return 1.0 / lam ** 2

    _lower = 0.0

    def _cdf(self, x, lam):
        return -np.expm1(-lam * x)

    def _sf(self, x, lam):
        return np.exp(-lam * x)

    def _logcdf(self, x, lam):
        return log1mexp(-lam * x)

    def _logsf(self, x, lam):
        return -lam * x

    def _ppf(self, q, lam):
        return -np.log1p(-q) / lam

    def default_transform(self):
        return tr.Log()


class Gamma(GammaTails, Continuous):
    """Gamma(alpha, beta): shape ``alpha``, RATE ``beta`` (mean alpha/beta).

    scipy: ``gamma(a=alpha, scale=1/beta)``.
    """

    support = "positive"

    def __init__(self, alpha, beta):
        self._setup(("alpha", "beta"), (alpha, beta), gamma_lpdf, gamma_lpdf_grad,
                    (check_positive, check_positive))

    def _sample(self, rng, shape, v):
        return rng.gamma(v[0], 1.0 / v[1], size=shape)

    def _mean(self, alpha, beta):
        return alpha / beta

    def _var(self, alpha, beta):
        return alpha / beta ** 2

    _lower = 0.0

    def _gamma_args(self, x, alpha, beta):
        return alpha, beta * x, False

    def _ppf(self, q, alpha, beta):
        return _gamma_quantile(alpha, q, 1.0 - q) / beta

    def default_transform(self):
        return tr.Log()


class InverseGamma(GammaTails, Continuous):
    """InverseGamma(alpha, beta): ``1/X`` for X ~ Gamma(alpha, rate=beta); ``beta`` is the
    scale of the inverse. scipy: ``invgamma(a=alpha, scale=beta)``."""

    support = "positive"

    def __init__(self, alpha, beta):
        self._setup(("alpha", "beta"), (alpha, beta), inverse_gamma_lpdf,
                    inverse_gamma_lpdf_grad, (check_positive, check_positive))

    def _sample(self, rng, shape, v):
        return v[1] / rng.gamma(v[0], 1.0, size=shape)

    def _mean(self, alpha, beta):
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(alpha > 1, beta / (alpha - 1.0), np.inf)

    def _var(self, alpha, beta):
        with np.errstate(divide="ignore", invalid="ignore"):
            v = beta ** 2 / ((alpha - 1.0) ** 2 * (alpha - 2.0))
        return np.where(alpha > 2, v, np.inf)

    _lower = 0.0

    # X <= x exactly when the Gamma(alpha, rate beta) variable 1/X is >= 1/x
    def _gamma_args(self, x, alpha, beta):
        return alpha, beta / x, True

    def _ppf(self, q, alpha, beta):
        return beta / _gamma_quantile(alpha, 1.0 - q, q)

    def default_transform(self):
        return tr.Log()


class ChiSquared(GammaTails, Continuous):
    """ChiSquared(nu): ``nu`` degrees of freedom (Gamma(nu/2, rate 1/2)). scipy: ``chi2(df=nu)``."""

    support = "positive"

    def __init__(self, nu):
        self._setup(("nu",), (nu,), chi_squared_lpdf, chi_squared_lpdf_grad,
                    (check_positive,))

    def _sample(self, rng, shape, v):
        return rng.chisquare(v[0], size=shape)

    def _mean(self, nu):
        return nu

    def _var(self, nu):
        return 2.0 * nu

    _lower = 0.0

    # Gamma(nu/2, rate 1/2)
    def _gamma_args(self, x, nu):
        return 0.5 * nu, 0.5 * x, False

    def _ppf(self, q, nu):
        return Gamma._ppf(self, q, 0.5 * nu, 0.5)

    def default_transform(self):
        return tr.Log()


class Beta(BetaTails, Continuous):
    """Beta(alpha, beta): shapes ``alpha``, ``beta`` on [0, 1]. scipy: ``beta(a=alpha, b=beta)``."""

    support = "[0, 1]"

    def __init__(self, alpha, beta):
        self._setup(("alpha", "beta"), (alpha, beta), beta_lpdf, beta_lpdf_grad,
                    (check_positive, check_positive))

    def _sample(self, rng, shape, v):
        return rng.beta(v[0], v[1], size=shape)

    def _mean(self, alpha, beta):
        return alpha / (alpha + beta)

    def _var(self, alpha, beta):
        s = alpha + beta
        return alpha * beta / (s * s * (s + 1.0))

    _lower = 0.0
    _upper = 1.0

    def _beta_args(self, x, alpha, beta):
        return alpha, beta, x, 1.0 - x

    def _ppf(self, q, alpha, beta):
        return np.where(q <= 0.5, sc.betaincinv(alpha, beta, q),
                        sc.betainccinv(alpha, beta, 1.0 - q))

    def default_transform(self):
        return tr.Interval(0.0, 1.0)


def _scalar_bound(dist, name):
    """A numeric bound as one float (transforms take scalar bounds), else an error."""
    value = dist._numeric.get(name)
    if value is None:
        raise TypeError(f"{type(dist).__name__}: the default transform needs a numeric "
                        f"{name}, got a model expression")
    flat = np.unique(value)
    if flat.size != 1:
        raise ValueError(f"{type(dist).__name__}: the default transform needs one {name} "
                         f"for the whole batch, got {name}={value}")
    return float(flat[0])


def _bounded_transform(lower, upper):
    if math.isinf(lower) and math.isinf(upper):
        return tr.Identity()
    if math.isinf(upper):
        return tr.Log() if lower == 0.0 else tr.LowerBound(lower)
    if math.isinf(lower):
        return tr.UpperBound(upper)
    return tr.Interval(lower, upper)


def _check_ordered(dist, lower_name, upper_name):
    lo, hi = dist._numeric.get(lower_name), dist._numeric.get(upper_name)
    if lo is not None and hi is not None and not np.all(lo < hi):
        raise ValueError(f"{type(dist).__name__} needs {lower_name} < {upper_name}, got "
                         f"{lower_name}={lo if lo.ndim else float(lo)}, "
                         f"{upper_name}={hi if hi.ndim else float(hi)}")


class Uniform(Continuous):
    """Uniform(lower=0, upper=1) on [lower, upper]. scipy: ``uniform(loc=lower, scale=upper-lower)``."""

    support = "[lower, upper]"

    def __init__(self, lower=0.0, upper=1.0):
        self._setup(("lower", "upper"), (lower, upper), uniform_lpdf, uniform_lpdf_grad,
                    (check_finite, check_finite))
        _check_ordered(self, "lower", "upper")

    def _sample(self, rng, shape, v):
        return rng.uniform(v[0], v[1], size=shape)

    def _mean(self, lower, upper):
        return 0.5 * (lower + upper)

    def _var(self, lower, upper):
        return (upper - lower) ** 2 / 12.0

    def _bounds(self, lower, upper):
        return lower, upper

    def _cdf(self, x, lower, upper):
        return (x - lower) / (upper - lower)

    def _sf(self, x, lower, upper):
        return (upper - x) / (upper - lower)

    def _ppf(self, q, lower, upper):
        return lower + q * (upper - lower)

    def default_transform(self):
        return tr.Interval(_scalar_bound(self, "lower"), _scalar_bound(self, "upper"))


class Weibull(Continuous):
    """Weibull(alpha, beta): shape ``alpha``, scale ``beta``.

    scipy: ``weibull_min(c=alpha, scale=beta)``.
    """

    support = "positive"

    def __init__(self, alpha, beta):
        self._setup(("alpha", "beta"), (alpha, beta), weibull_lpdf, weibull_lpdf_grad,
                    (check_positive, check_positive))

    def _sample(self, rng, shape, v):
        return v[1] * rng.weibull(v[0], size=shape)

    def _mean(self, alpha, beta):
        return beta * gamma_fn(1.0 + 1.0 / alpha)

    def _var(self, alpha, beta):
        return beta ** 2 * (gamma_fn(1.0 + 2.0 / alpha) - gamma_fn(1.0 + 1.0 / alpha) ** 2)

    _lower = 0.0

    # (X / beta)^alpha is a standard exponential
    def _cdf(self, x, alpha, beta):
        return Exponential._cdf(self, (x / beta) ** alpha, 1.0)

    def _sf(self, x, alpha, beta):
        return Exponential._sf(self, (x / beta) ** alpha, 1.0)

    def _logcdf(self, x, alpha, beta):
        return Exponential._logcdf(self, (x / beta) ** alpha, 1.0)

    def _logsf(self, x, alpha, beta):
        return Exponential._logsf(self, (x / beta) ** alpha, 1.0)

    def _ppf(self, q, alpha, beta):
        return beta * Exponential._ppf(self, q, 1.0) ** (1.0 / alpha)

    def default_transform(self):
        return tr.Log()


class TruncatedNormal(Continuous):
    """TruncatedNormal(mu=0, sigma=1, lower=-inf, upper=inf): Normal(mu, sigma) restricted
    to [lower, upper]; the normalising mass uses ``log_ndtr`` so it stays exact far in
    the tails. scipy: ``truncnorm(a=(lower-mu)/sigma, b=(upper-mu)/sigma, loc=mu,
    scale=sigma)``."""

    support = "[lower, upper]"

    def __init__(self, mu=0.0, sigma=1.0, lower=-np.inf, upper=np.inf):
        self._setup(("mu", "sigma", "lower", "upper"), (mu, sigma, lower, upper),
                    truncated_normal_lpdf, truncated_normal_lpdf_grad,
                    (check_finite, check_positive, check_real, check_real))
        _check_ordered(self, "lower", "upper")

    def _scipy(self, mu, sigma, lower, upper):
        return scipy.stats.truncnorm((lower - mu) / sigma, (upper - mu) / sigma,
                                     loc=mu, scale=sigma)

    def _sample(self, rng, shape, v):
        return self._scipy(*v).rvs(size=shape, random_state=rng)

    def _mean(self, *v):
        return self._scipy(*v).mean()

    def _var(self, *v):
        return self._scipy(*v).var()

    def _bounds(self, mu, sigma, lower, upper):
        return lower, upper

    def _log_normal_masses(self, x, mu, sigma, lower, upper):
        """log of the normal mass below x, above x and in total (all within the bounds)."""
        a, z, b = ((v - mu) / sigma for v in (lower, x, upper))
        return tuple(np.asarray(elementwise_logpdf(_log_normal_mass, lo, (hi,)))
                     for lo, hi in ((a, z), (z, b), (a, b)))

    def _logcdf(self, x, *v):
        below, _, total = self._log_normal_masses(x, *v)
        return below - total

    def _logsf(self, x, *v):
        _, above, total = self._log_normal_masses(x, *v)
        return above - total

    def _ppf(self, q, mu, sigma, lower, upper):
        # Phi(z) = Phi(a) + q M (M the mass), counted from the nearer bound (q <= 1/2:
        # from a with q, else from b with 1 - q) and written for whichever of Phi and
        # 1 - Phi is small on that side, all in log space (log_ndtr, ndtri_exp)
        a, b = (lower - mu) / sigma, (upper - mu) / sigma
        log_mass = np.asarray(elementwise_logpdf(_log_normal_mass, a, (b,)))
        from_a = q <= 0.5
        bound = np.where(from_a, a, b)
        log_part = np.log(np.where(from_a, q, 1.0 - q)) + log_mass
        # from a: Phi(z) = Phi(a) + part, or 1 - Phi(z) = (1 - Phi(a)) - part if a > 0
        # from b: 1 - Phi(z) = (1 - Phi(b)) + part, or Phi(z) = Phi(b) - part if b < 0
        upper_side = np.where(from_a, a > 0, b >= 0)
        grows = from_a != upper_side
        log_bound = sc.log_ndtr(np.where(upper_side, -bound, bound))
        with np.errstate(invalid="ignore"):
            log_tail = np.where(grows, np.logaddexp(log_bound, log_part),
                                log_bound + log1mexp(np.minimum(log_part - log_bound, 0.0)))
        z = np.where(upper_side, -1.0, 1.0) * sc.ndtri_exp(log_tail)
        # near 0 Phi(z) is close to 1/2 and loses z's digits: invert erf there instead,
        # erf(z / sqrt 2) = erf(a / sqrt 2) + 2 q M (or from b with 1 - q)
        sign = np.where(from_a, 1.0, -1.0)
        target = sc.erf(bound / SQRT_2) + sign * 2.0 * np.exp(log_part)
        z_near = SQRT_2 * sc.erfinv(np.clip(target, -1.0, 1.0))
        return mu + sigma * np.where(np.abs(z) < 1.0, z_near, z)

    def default_transform(self):
        return _bounded_transform(_scalar_bound(self, "lower"), _scalar_bound(self, "upper"))


class SkewNormal(Continuous):
    """SkewNormal(mu=0, sigma=1, alpha=0): location, scale and shape ``alpha``
    (density ``2/sigma phi(z) Phi(alpha z)``). scipy: ``skewnorm(a=alpha, loc=mu, scale=sigma)``."""

    support = "real"

    def __init__(self, mu=0.0, sigma=1.0, alpha=0.0):
        self._setup(("mu", "sigma", "alpha"), (mu, sigma, alpha), skew_normal_lpdf,
                    skew_normal_lpdf_grad, (check_finite, check_positive, check_finite))

    def _sample(self, rng, shape, v):
        return scipy.stats.skewnorm(v[2], loc=v[0], scale=v[1]).rvs(size=shape,
                                                                     random_state=rng)

    def _mean(self, mu, sigma, alpha):
        delta = alpha / np.sqrt(1.0 + alpha ** 2)
        return mu + sigma * delta * math.sqrt(2.0 / math.pi)

    def _var(self, mu, sigma, alpha):
        delta = alpha / np.sqrt(1.0 + alpha ** 2)
        return sigma ** 2 * (1.0 - 2.0 * delta ** 2 / math.pi) + 0 * mu

    def _owen(self, x, mu, sigma, alpha):
        """(cdf, sf) from Owen's T: Phi(z) - 2 T(z, alpha) and Phi(-z) + 2 T(z, alpha)."""
        z = (x - mu) / sigma
        t = 2.0 * sc.owens_t(z, alpha)
        return sc.ndtr(z) - t, sc.ndtr(-z) + t

    def _logcdf(self, x, *v):
        # Owen's T form cancels in the tails: there, quadrature of the log density
        cdf = self._owen(x, *v)[0]
        return self._log_tail(cdf, x, v, -np.inf, x)

    def _logsf(self, x, *v):
        sf = self._owen(x, *v)[1]
        return self._log_tail(sf, x, v, x, np.inf)

    def _log_tail(self, value, x, v, low, high):
        out = np.log(np.maximum(value, 0.0))
        tail = ~(value >= _SKEW_NORMAL_DIRECT)
        if np.any(tail):
            low, high = (np.broadcast_to(b, x.shape)[tail] for b in (low, high))
            out[tail] = self._log_mass(low, high, tuple(p[tail] for p in v))
        return out

    def _ppf(self, q, mu, sigma, alpha):
        # no closed form: scipy.stats.skewnorm's quantile, always asked for a lower tail
        # (it inverts to an absolute tolerance): ppf(q; alpha) = -ppf(1 - q; -alpha)
        upper = q > 0.5
        sign = np.where(upper, -1.0, 1.0)
        z = sign * scipy.stats.skewnorm(sign * alpha).ppf(np.where(upper, 1.0 - q, q))
        return self._newton_polish(mu + sigma * z, q, (mu, sigma, alpha))

    def default_transform(self):
        return tr.Identity()


class VonMises(Continuous):
    """VonMises(mu=0, kappa=1): circular location ``mu`` and concentration ``kappa`` on
    [-pi, pi]. scipy: ``vonmises(kappa, loc=mu)`` (wrapped to [-pi, pi]).

    ``mean`` is ``mu``; ``var`` is the circular variance ``1 - I1(kappa)/I0(kappa)``.
    """

    support = "[-pi, pi]"

    def __init__(self, mu=0.0, kappa=1.0):
        self._setup(("mu", "kappa"), (mu, kappa), von_mises_lpdf, von_mises_lpdf_grad,
                    (check_finite, check_positive))

    def _sample(self, rng, shape, v):
        return rng.vonmises(v[0], v[1], size=shape)

    def _mean(self, mu, kappa):
        return mu + 0 * kappa

    def _var(self, mu, kappa):
        return 1.0 - i1e(kappa) / i0e(kappa) + 0 * mu

    _lower = -math.pi
    _upper = math.pi

    # no special function: quadrature of the log density, split at the mode so that
    # every piece has its peak at an end, where tanh-sinh puts its nodes
    def _logcdf(self, x, mu, kappa):
        mode = np.minimum(_wrap_angle(mu), x)
        return np.logaddexp(self._log_mass(np.full_like(x, -math.pi), mode, (mu, kappa)),
                            self._log_mass(mode, x, (mu, kappa)))

    def _logsf(self, x, mu, kappa):
        mode = np.maximum(_wrap_angle(mu), x)
        return np.logaddexp(self._log_mass(x, mode, (mu, kappa)),
                            self._log_mass(mode, np.full_like(x, math.pi), (mu, kappa)))

    def default_transform(self):
        return tr.Interval(-math.pi, math.pi)


class Flat(Continuous):
    """Flat(): the improper uniform density on the real line (log density 0).

    It has no scipy twin, no mean or variance, no cdf or quantiles, and cannot be
    sampled.
    """

    support = "real"

    def __init__(self):
        self._setup((), (), flat_lpdf, flat_lpdf_grad, ())

    def _improper(self, what):
        raise ValueError(f"{type(self).__name__} is improper (it does not integrate to 1): "
                         f"it {what}; give the parameter a proper prior")

    def _sample(self, rng, shape, v):
        self._improper("cannot be sampled")

    def _bounds(self):
        # every cumulative method asks for the support first
        self._improper("has no cdf, sf or quantiles")

    def _mean(self):
        return np.nan

    def _var(self):
        return np.nan

    def default_transform(self):
        return tr.Identity()


class HalfFlat(Flat):
    """HalfFlat(): the improper uniform density on [0, inf) (log density 0)."""

    support = "positive"

    def __init__(self):
        self._setup((), (), half_flat_lpdf, half_flat_lpdf_grad, ())

    def default_transform(self):
        return tr.Log()


__all__ = [
    "Normal", "HalfNormal", "StudentT", "HalfStudentT", "Cauchy", "HalfCauchy", "Laplace",
    "Logistic", "LogNormal", "Exponential", "Gamma", "InverseGamma", "Beta", "Uniform",
    "Weibull", "ChiSquared", "TruncatedNormal", "SkewNormal", "VonMises", "Flat", "HalfFlat",
]
