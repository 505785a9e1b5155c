"""Cumulative distribution methods of the univariate families (like scipy.stats).

``cdf``, ``logcdf``, ``sf``, ``logsf``, ``ppf`` and ``interval`` broadcast ``x`` (or
``q``) against the parameters exactly like ``logpdf``. They are plain numpy/scipy code,
not compiled: users call them, samplers do not.

The :class:`Cumulative` mixin does the work common to every family: validation,
broadcasting, the support edges (values outside the support never reach a family's
formula), flooring for discrete families, taking each probability from the smaller of
its two sides (so cdf + sf = 1 and a log near 0 keeps its digits), and the quantile
search for discrete families (and continuous ones without an inverse). A family
supplies the formulas on the interior of its support, as hooks taking 1-D arrays
``(x, *params)``: ``_cdf``/``_sf`` and/or ``_logcdf``/``_logsf`` (each pair defaults to
one made from the other), ``_ppf(q, *params)`` and ``_bounds(*params) -> (low, high)``
when the support depends on the parameters. :class:`BetaTails` and :class:`GammaTails`
supply the four tail hooks of the families whose cdf is an incomplete beta or gamma
function from a single map of the arguments.

Tails: a probability below ~1e-300 underflows, but its logarithm is an ordinary number.
The log helpers below keep it: scipy's value where it is representable, a log-space form
of the same special function where it is not.
"""

import math

import numpy as np
import scipy.special as sc
from scipy.integrate import tanhsinh
from scipy.optimize import elementwise

from ._special import log_betainc
from .base import check_probability, check_real, elementwise_logpdf

LOG_2 = math.log(2.0)
# scipy's regularized incomplete functions keep full relative accuracy down to here;
# below, values go subnormal (or to 0) and the log-space forms take over
TINY = 1e-290


# ----------------------------------------------------------------- log-space helpers
def log1mexp(a):
    """``log(1 - exp(a))`` for ``a <= 0``, accurate near 0 and far below it."""
    a = np.asarray(a, dtype=np.float64)
    with np.errstate(divide="ignore"):
        return np.where(a > -LOG_2, np.log(-np.expm1(a)), np.log1p(-np.exp(a)))


def _log_where_tiny(value, fallback, *args):
    """``log(value)``, with ``fallback(*args)`` (already a log) where value < TINY."""
    value = np.asarray(value, dtype=np.float64)
    small = ~(value >= TINY)
    with np.errstate(divide="ignore"):
        out = np.log(value)
    if np.any(small):
        args = np.broadcast_arrays(*args)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            out[small] = fallback(*(a[small] for a in args))
    return out


def _log_beta_tail(a, b, x, y):
    # the Numba continued fraction shared with the censored Student-t likelihood
    return np.asarray(elementwise_logpdf(log_betainc, a, (b, x, y)))


def regularized_beta(a, b, x, y):
    """``I_x(a, b)``, the regularized incomplete beta function, with ``y = 1 - x`` given
    separately: computed from the smaller of x and y (I_x(a, b) = 1 - I_y(b, a)), so
    an x within rounding of 1 keeps its information, and a value above 1/2 always as
    1 - (its small complement), so that cdf and sf (the same call with arguments
    swapped) add up to 1. (The complement via ``1 - betainc`` where it is near 1:
    scipy 1.17's ``betaincc(0.5, 0.5, 2.5e-20)`` returns exactly 1, not 1 - 1e-10.)"""
    with np.errstate(invalid="ignore"):
        direct = sc.betainc(a, b, x)
        from_x = np.where(direct > 0.5, 1.0 - sc.betaincc(a, b, x), direct)
        other = sc.betainc(b, a, y)
        from_y = np.where(other < 0.5, 1.0 - other, sc.betaincc(b, a, y))
        return np.where(x <= y, from_x, from_y)


def log_regularized_beta(a, b, x, y):
    """``log I_x(a, b)``, the log regularized incomplete beta function (``y = 1 - x``)."""
    a, b, x, y = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (a, b, x, y)))
    return _log_where_tiny(regularized_beta(a, b, x, y), _log_beta_tail, a, b, x, y)


def _log_gamma_lower_tail(a, y):
    # P(a, y) = y^a e^-y / Gamma(a + 1) * 1F1(1; a + 1; y); 1F1 is moderate where P is tiny
    return (a * np.log(y) - y - sc.gammaln(a + 1.0)) + np.log(sc.hyp1f1(1.0, a + 1.0, y))


def _log_gamma_upper_tail(a, y):
    # Q(a, y) = y^a e^-y / Gamma(a) * U(1, a + 1, y) (DLMF 8.5.3), U ~ 1/y where Q is tiny
    return (a * np.log(y) - y - sc.gammaln(a)) + np.log(sc.hyperu(1.0, a + 1.0, y))


def log_regularized_gamma(a, y, upper=False):
    """``log P(a, y)`` (or ``log Q(a, y)`` if ``upper``), the log regularized incomplete
    gamma function, finite wherever the true value is."""
    a, y = np.broadcast_arrays(np.asarray(a, dtype=np.float64), np.asarray(y, dtype=np.float64))
    if upper:
        return _log_where_tiny(sc.gammaincc(a, y), _log_gamma_upper_tail, a, y)
    return _log_where_tiny(sc.gammainc(a, y), _log_gamma_lower_tail, a, y)


def log_integral(logf, low, high, args=()):
    """``log`` of the integral of ``exp(logf(x, *args))`` over [low, high], by tanh-sinh
    quadrature in log space (scipy.integrate.tanhsinh), for families without a special
    function for their cdf. The mass should sit near an end of the interval (split it
    at the mode otherwise)."""
    low, high, *args = np.broadcast_arrays(low, high, *args)
    out = np.empty(low.shape)
    width = high - low
    # an interval a few ulp wide (tanh-sinh gives NaN there): the midpoint rule is exact
    # to far below rounding; an empty one has no mass
    with np.errstate(invalid="ignore"):
        narrow = np.isfinite(width) & (
            width <= 1e-8 * np.maximum(np.maximum(np.abs(low), np.abs(high)), 1.0))
    if np.any(narrow):
        mid = 0.5 * (low[narrow] + high[narrow])
        with np.errstate(divide="ignore"):
            out[narrow] = (np.asarray(logf(mid, *(a[narrow] for a in args)))
                           + np.log(width[narrow]))
    wide = ~narrow
    if np.any(wide):
        res = tanhsinh(logf, low[wide], high[wide], args=tuple(a[wide] for a in args),
                       log=True, rtol=math.log(1e-13))
        out[wide] = res.integral
    return out


def discrete_ppf(cdf, sf, q, low, high, params):
    """The smallest integer k in [low, high] with P(X <= k) >= q, for q in (0, 1).

    A bracket grows by doubling from ``low``, then bisection narrows it, evaluating
    ``cdf``/``sf`` hooks only inside the support. For q > 1/2 the test is
    ``sf(k) <= 1 - q`` (1 - q is exact, where the cdf would round to 1) or
    ``cdf(k) >= q``, so that a q computed as cdf(k) maps back to k although the two
    functions are computed separately and agree only to a few ulp.
    """
    upper = q > 0.5

    def reached(k, sel):
        k, qs, up = k[sel], q[sel], upper[sel]
        sub = [p[sel] for p in params]
        with np.errstate(all="ignore"):
            out = cdf(k, *sub) >= qs
            if np.any(up):
                out[up] |= sf(k[up], *(p[up] for p in sub)) <= 1.0 - qs[up]
        return out

    low = np.broadcast_to(low, q.shape).astype(np.float64)
    high = np.broadcast_to(high, q.shape).astype(np.float64)
    lo = low - 1.0  # P(X <= lo) = 0 < q
    hi = low.copy()
    grow = hi < high
    grow[grow] = ~reached(hi, grow)
    while np.any(grow):
        lo[grow] = hi[grow]
        hi[grow] = np.minimum(low[grow] + 2.0 * (hi[grow] - low[grow]) + 1.0, high[grow])
        grow &= hi < high  # cdf(high) = 1 >= q
        grow[grow] = ~reached(hi, grow)
    while True:
        gap = hi - lo > 1.0
        if not np.any(gap):
            return hi
        mid = np.floor(0.5 * (lo + hi))
        r = reached(mid, gap)
        hi[gap] = np.where(r, mid[gap], hi[gap])
        lo[gap] = np.where(r, lo[gap], mid[gap])


def root_ppf(logcdf, logsf, q, low, high, params):
    """Continuous quantile by bracketed root finding (scipy.optimize.elementwise) on
    [low, high], for families whose cdf has no inverse. The equation is written in log
    space in the tail where q is smaller (log cdf(x) = log q, or log sf(x) = log(1 - q)),
    so extreme quantiles keep their precision, and only that tail is evaluated."""
    upper = q > 0.5
    log_target = np.log(np.where(upper, 1.0 - q, q))

    def excess(x, log_target, upper, *p):
        out = np.empty(x.shape)
        with np.errstate(all="ignore"):
            if np.any(upper):
                out[upper] = log_target[upper] - logsf(x[upper], *(v[upper] for v in p))
            if np.any(~upper):
                out[~upper] = logcdf(x[~upper], *(v[~upper] for v in p)) - log_target[~upper]
        return out

    res = elementwise.find_root(excess, (low, high), args=(log_target, upper, *params),
                                tolerances={"xatol": 0.0, "xrtol": 4 * np.finfo(float).eps,
                                            "fatol": 0.0, "frtol": 0.0})
    return np.asarray(res.x, dtype=np.float64)


def _log_side(log_hook, hook, complement_hook, x, params):
    """``log P`` from ``log_hook`` where P is the smaller side (hooks are accurate far
    into their own tail), else as ``log1p(-(1 - P))``: a log near 0 keeps its relative
    accuracy, and both sides agree on which of them is the small one."""
    p, other = hook(x, *params), complement_hook(x, *params)
    with np.errstate(invalid="ignore"):
        out = np.log1p(-np.minimum(other, 1.0))
    direct = ~(other < p)
    if np.any(direct):
        out[direct] = log_hook(x[direct], *(q[direct] for q in params))
    return out


# ------------------------------------------------------------------------------ mixin
_NINF = -np.inf


class Cumulative:
    """cdf/logcdf/sf/logsf/ppf/interval for univariate families (mixed into
    ``Continuous`` and ``Discrete``; multivariate families do not have them)."""

    _lower = -np.inf
    _upper = np.inf
    # True if the lower end of the support carries probability (discrete families,
    # censoring): then P(X <= low) > 0 and the hooks are asked there
    _mass_at_lower = False

    # -- hooks (1-D arrays in, 1-D arrays out; x strictly inside the support) ---------
    def _bounds(self, *params):
        """The support as (low, high); a discrete family's low is its smallest value."""
        return self._lower, self._upper

    # defaults from the log hooks: each side from the smaller one, so cdf + sf = 1
    def _cdf(self, x, *params):
        log_cdf, log_sf = self._logcdf(x, *params), self._logsf(x, *params)
        return np.where(log_cdf <= log_sf, np.exp(log_cdf), -np.expm1(log_sf))

    def _sf(self, x, *params):
        log_cdf, log_sf = self._logcdf(x, *params), self._logsf(x, *params)
        return np.where(log_cdf <= log_sf, -np.expm1(log_cdf), np.exp(log_sf))

    def _logcdf(self, x, *params):
        return np.log(self._cdf(x, *params))

    def _logsf(self, x, *params):
        return np.log(self._sf(x, *params))

    def _ppf(self, q, *params):
        # discrete: integer search; continuous families without an inverse: root finding
        low, high = self._bounds(*params)
        if self.is_discrete:
            return discrete_ppf(self._cdf, self._sf, q, low, high, params)
        return root_ppf(self._logcdf, self._logsf, q, low, high, params)

    def _newton_polish(self, x, q, params, steps=2):
        """Newton steps on log cdf (q <= 1/2) or log sf toward q: brings a quantile from
        a solver with an absolute tolerance to the relative accuracy of our tails."""
        lower = q <= 0.5
        log_target = np.log(np.where(lower, q, 1.0 - q))
        for _ in range(steps):
            with np.errstate(all="ignore"):
                log_p = np.where(lower, self._logcdf_accurate(x, *params),
                                 self._logsf_accurate(x, *params))
                log_f = np.asarray(elementwise_logpdf(self.kernel, x, params))
                step = (log_p - log_target) * np.exp(log_p - log_f)  # (log F)' = f / F
            x = np.where(np.isfinite(step), x - np.where(lower, step, -step), x)
        return x

    def _log_mass(self, low, high, params):
        """log P(low <= X <= high) by quadrature of this family's own log density."""
        return log_integral(lambda x, *p: elementwise_logpdf(self.kernel, x, p),
                            low, high, params)

    def _logcdf_accurate(self, x, *params):
        if self._cdf_from_logs():
            log_cdf, log_sf = self._logcdf(x, *params), self._logsf(x, *params)
            return np.where(log_sf < log_cdf, log1mexp(log_sf), log_cdf)
        return _log_side(self._logcdf, self._cdf, self._sf, x, params)

    def _logsf_accurate(self, x, *params):
        if self._cdf_from_logs():
            log_cdf, log_sf = self._logcdf(x, *params), self._logsf(x, *params)
            return np.where(log_cdf <= log_sf, log1mexp(log_cdf), log_sf)
        return _log_side(self._logsf, self._sf, self._cdf, x, params)

    def _cdf_from_logs(self):
        """True if the family gives log hooks only (its cdf and sf are the defaults
        below): then both sides come from the two logs, without evaluating them again."""
        return type(self)._cdf is Cumulative._cdf and type(self)._sf is Cumulative._sf

    def _broadcast(self, x):
        """``x`` and the parameter arrays broadcast together (all of x's shape)."""
        arrays = np.broadcast_arrays(x, *self._values())
        return arrays[0], arrays[1:]

    # -- the common machinery ---------------------------------------------------------
    def _evaluate(self, hook, x, below, above, cap=1.0):
        x = np.asarray(x, dtype=np.float64)
        check_real("x", x)
        x, params = self._broadcast(x)
        if self.is_discrete:
            x = np.floor(x)
        low, high = self._bounds(*params)
        # a continuous law has no atom at its lower end: P(X <= low) = 0
        is_below = (x < low) if (self.is_discrete or self._mass_at_lower) else (x <= low)
        is_below |= x == _NINF
        is_above = (x >= high) & ~is_below
        inside = ~(is_below | is_above)
        out = np.where(is_below, below, above).astype(np.float64)
        if np.any(inside):
            # log(0) = -inf and overflow to inf are the right limits in these formulas
            with np.errstate(divide="ignore", under="ignore", over="ignore"):
                value = hook(x[inside], *(p[inside] for p in params))
            # quadrature or a complement may overshoot a probability of 1 by an ulp
            out[inside] = np.minimum(value, cap) if cap == 0.0 else np.clip(value, 0.0, cap)
        return float(out) if out.shape == () else out

    def cdf(self, x):
        """P(X <= x), broadcasting ``x`` against the parameters (discrete: floor(x))."""
        return self._evaluate(self._cdf, x, 0.0, 1.0)

    def logcdf(self, x):
        """log P(X <= x); finite wherever the true value is, far into the lower tail, and
        relatively accurate near 0 (from the survival function) in the upper one."""
        return self._evaluate(self._logcdf_accurate, x, _NINF, 0.0, cap=0.0)

    def sf(self, x):
        """The survival function P(X > x) = 1 - cdf(x), accurate in the upper tail."""
        return self._evaluate(self._sf, x, 1.0, 0.0)

    def logsf(self, x):
        """log P(X > x); finite wherever the true value is, far into the upper tail, and
        relatively accurate near 0 (from the cdf) in the lower one."""
        return self._evaluate(self._logsf_accurate, x, 0.0, _NINF, cap=0.0)

    def ppf(self, q):
        """The quantile function: the smallest x with cdf(x) >= q, for q in [0, 1].

        ``ppf(0)`` and ``ppf(1)`` are the ends of the support (for a discrete family
        ``ppf(0)`` is its smallest value; scipy returns one less).
        """
        q = np.asarray(q, dtype=np.float64)
        check_probability("q", q)
        q, params = self._broadcast(q)
        low, high = self._bounds(*params)
        out = np.where(q == 0.0, low, high).astype(np.float64)
        inside = (q > 0.0) & (q < 1.0)
        if np.any(inside):
            # a quantile beyond the float range is +-inf
            with np.errstate(divide="ignore", under="ignore", over="ignore"):
                out[inside] = self._ppf(q[inside], *(p[inside] for p in params))
        return float(out) if out.shape == () else out

    def interval(self, confidence):
        """The equal-tailed interval ``(ppf((1 - c)/2), ppf((1 + c)/2))`` holding
        probability ``confidence`` (scipy's ``interval``)."""
        c = np.asarray(confidence, dtype=np.float64)
        check_probability("confidence", c)
        return self.ppf(0.5 * (1.0 - c)), self.ppf(0.5 * (1.0 + c))


class BetaTails:
    """Hooks for families whose cdf is a regularized incomplete beta function:
    ``_beta_args(x, *params) -> (a, b, x, y)`` with cdf = I_x(a, b) (y = 1 - x given
    exactly); the survival function is then I_y(b, a). Mixed in before the family base."""

    def _cdf(self, x, *params):
        return regularized_beta(*self._beta_args(x, *params))

    def _sf(self, x, *params):
        a, b, u, v = self._beta_args(x, *params)
        return regularized_beta(b, a, v, u)

    def _logcdf(self, x, *params):
        return log_regularized_beta(*self._beta_args(x, *params))

    def _logsf(self, x, *params):
        a, b, u, v = self._beta_args(x, *params)
        return log_regularized_beta(b, a, v, u)


class GammaTails:
    """Hooks for families whose cdf is a regularized incomplete gamma function:
    ``_gamma_args(x, *params) -> (a, y, decreasing)``, cdf = P(a, y), or Q(a, y) when
    y decreases as x grows (the inverse gamma, Poisson counts)."""

    def _gamma_side(self, x, params, upper_tail):
        a, y, decreasing = self._gamma_args(x, *params)
        return a, y, upper_tail != decreasing

    def _cdf(self, x, *params):
        a, y, upper = self._gamma_side(x, params, False)
        return sc.gammaincc(a, y) if upper else sc.gammainc(a, y)

    def _sf(self, x, *params):
        a, y, upper = self._gamma_side(x, params, True)
        return sc.gammaincc(a, y) if upper else sc.gammainc(a, y)

    def _logcdf(self, x, *params):
        a, y, upper = self._gamma_side(x, params, False)
        return log_regularized_gamma(a, y, upper=upper)

    def _logsf(self, x, *params):
        a, y, upper = self._gamma_side(x, params, True)
        return log_regularized_gamma(a, y, upper=upper)
