"""Numba-callable special functions that ``math`` lacks, stable in the tails.

Everything here is ``@njit(cache=True, nogil=True)`` on float64 scalars so that the
distribution kernels (and, through them, compiled models and samplers) can call it.
Accuracy is checked against ``scipy.special`` in ``tests/test_distributions_special.py``.
"""

import math

from numba import njit

LOG_2 = math.log(2.0)
LOG_PI = math.log(math.pi)
LOG_2PI = math.log(2.0 * math.pi)
HALF_LOG_2PI = 0.5 * LOG_2PI
SQRT_2 = math.sqrt(2.0)
INF = math.inf

# error_model="numpy": a division by an underflowed zero gives inf/nan instead of raising
# ZeroDivisionError, since kernels must never raise inside a sampler.
_jit = njit(cache=True, nogil=True, error_model="numpy")


@_jit
def log1pexp(x):
    """softplus ``log(1 + exp(x))`` without overflow or underflow."""
    if x > 0.0:
        return x + math.log1p(math.exp(-x))
    return math.log1p(math.exp(x))


@_jit
def log_sigmoid(x):
    """``log(1 / (1 + exp(-x)))``."""
    return -log1pexp(-x)


@_jit
def sigmoid(x):
    """The logistic function, exact in both tails."""
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


@_jit
def log_diff_exp(a, b):
    """``log(exp(a) - exp(b))`` for ``a >= b`` (``-inf`` when equal)."""
    if b == -INF:
        return a
    if a <= b:
        return -INF
    return a + math.log(-math.expm1(b - a))


@_jit
def xlogy(x, y):
    """``x * log(y)`` with ``0 * log(0) = 0``."""
    if x == 0.0:
        return 0.0
    return x * math.log(y)


@_jit
def xlog1py(x, y):
    """``x * log1p(y)`` with ``0 * log1p(-1) = 0``."""
    if x == 0.0:
        return 0.0
    return x * math.log1p(y)


@_jit
def log1p_sq(z):
    """``log(1 + z^2)`` without overflow of ``z^2`` for huge |z|."""
    a = abs(z)
    if a > 1e8:
        return 2.0 * math.log(a) + math.log1p(1.0 / (a * a))
    return math.log1p(a * a)


@_jit
def sq_over_one_plus_sq(z):
    """``z^2 / (1 + z^2)`` in [0, 1], exact for huge |z|."""
    a = abs(z)
    if a > 1.0:
        return 1.0 / (1.0 + 1.0 / (a * a))
    return a * a / (1.0 + a * a)


@_jit
def power_log_at_zero(power):
    """The limit of ``power * log(x)`` as x -> 0+: 0, -inf or +inf (density at x = 0)."""
    if power == 0.0:
        return 0.0
    return -INF if power > 0.0 else INF


@_jit
def lbeta(a, b):
    """``log B(a, b)``."""
    return math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)


@_jit
def lgamma_half_ratio(a):
    """``log Gamma(a + 1/2) - log Gamma(a)`` for a > 0, without the cancellation of two
    huge lgamma values: asymptotic series for a > 100 (error below 1e-21 there)."""
    if a > 100.0:
        inv = 1.0 / a
        inv2 = inv * inv
        return 0.5 * math.log(a) - inv * (0.125 - inv2 * (1.0 / 192.0 - inv2 * (
            1.0 / 640.0 - inv2 * (17.0 / 14336.0))))
    return math.lgamma(a + 0.5) - math.lgamma(a)


@_jit
def digamma_half_excess(a):
    """``psi(a + 1/2) - psi(a) - 1/(2a)``: the derivative of :func:`lgamma_half_ratio`
    minus its leading term, which cancels in the Student-t ``nu`` partial."""
    if a > 100.0:
        inv2 = 1.0 / (a * a)
        return inv2 * (0.125 - inv2 * (1.0 / 64.0 - inv2 * (1.0 / 128.0 - inv2 * (
            17.0 / 2048.0))))
    return digamma(a + 0.5) - digamma(a) - 0.5 / a


@_jit
def lgamma_diff(a, x):
    """``log Gamma(a + x) - log Gamma(a)`` for a > 0, x >= 0. For a > 1e3 the Stirling
    series is differenced analytically, so the two huge lgamma values never cancel
    (e.g. the negative binomial's Poisson limit, alpha -> infinity)."""
    if x == 0.0:
        return 0.0
    if a > 1e3:
        z1 = a + x
        return ((a - 0.5) * math.log1p(x / a) + x * math.log(z1) - x
                - x / (12.0 * a * z1) - (1.0 / z1 ** 3 - 1.0 / a ** 3) / 360.0
                + (1.0 / z1 ** 5 - 1.0 / a ** 5) / 1260.0)
    return math.lgamma(a + x) - math.lgamma(a)


@_jit
def digamma_diff(a, x):
    """``psi(a + x) - psi(a)`` for a > 0, x >= 0, cancellation-free for a > 1e3."""
    if x == 0.0:
        return 0.0
    if a > 1e3:
        z1 = a + x
        return (math.log1p(x / a) + x / (2.0 * a * z1)
                - (1.0 / z1 ** 2 - 1.0 / a ** 2) / 12.0 + (1.0 / z1 ** 4 - 1.0 / a ** 4) / 120.0
                - (1.0 / z1 ** 6 - 1.0 / a ** 6) / 252.0)
    return digamma(a + x) - digamma(a)


@_jit
def lchoose(n, k):
    """``log C(n, k)`` for real ``0 <= k <= n``."""
    return math.lgamma(n + 1.0) - math.lgamma(k + 1.0) - math.lgamma(n - k + 1.0)


@_jit
def normal_logpdf_std(z):
    """``log phi(z)``, the standard normal log density."""
    return -0.5 * z * z - HALF_LOG_2PI


@_jit
def log_ndtr(x):
    """``log Phi(x)``, the log standard normal CDF, accurate for every finite x.

    ``erfc`` keeps full relative accuracy until it underflows near x = -37, so it is
    used down to x = -30; below that the asymptotic (Mills ratio) series takes over.
    Positive x go through the lower tail: ``log1p(-Phi(-x))``.
    """
    if x > 0.0:
        # log(1 - Phi(-x)) from the accurate lower tail
        return math.log1p(-math.exp(log_ndtr(-x)))
    if x > -30.0:
        return math.log(0.5 * math.erfc(-x / SQRT_2))
    if x == -INF:
        return -INF
    # Phi(x) = phi(x)/(-x) * sum_k (-1)^k (2k-1)!! / x^(2k)
    x2 = x * x
    term = 1.0
    total = 1.0
    k = 1
    while k < 40:
        term *= -(2.0 * k - 1.0) / x2
        total += term
        if abs(term) < 1e-17 * total:
            break
        k += 1
    return normal_logpdf_std(x) - math.log(-x) + math.log(total)


@_jit
def mills_inverse(x):
    """``phi(x) / Phi(x)``, the inverse Mills ratio, without 0/0 in the lower tail."""
    return math.exp(normal_logpdf_std(x) - log_ndtr(x))


@_jit
def digamma(x):
    """The digamma function psi(x) = d/dx log Gamma(x).

    Recurrence psi(x) = psi(x + 1) - 1/x up to x >= 10, then the asymptotic series
    with Bernoulli numbers; reflection for negative non-integers.
    """
    if math.isnan(x) or x == -INF:
        return math.nan
    if x == INF:
        return INF
    if x <= 0.0:
        if x == math.floor(x):
            return math.nan
        # psi(1 - x) - psi(x) = pi cot(pi x)
        return digamma(1.0 - x) - math.pi / math.tan(math.pi * x)
    shift = 0.0
    while x < 10.0:
        shift -= 1.0 / x
        x += 1.0
    inv2 = 1.0 / (x * x)
    series = inv2 * (
        1.0 / 12.0
        - inv2 * (1.0 / 120.0
        - inv2 * (1.0 / 252.0
        - inv2 * (1.0 / 240.0
        - inv2 * (1.0 / 132.0
        - inv2 * (691.0 / 32760.0
        - inv2 * (1.0 / 12.0)))))))
    return shift + math.log(x) - 0.5 / x - series


@_jit
def _bessel_i_parts(v, x):
    """``log I_v(x) = prefactor + log1p(rest)`` for v in {0, 1}, x > 0.

    Power series (all terms positive, no cancellation) for x <= 30; the Hankel
    asymptotic expansion beyond, where its smallest term is far below 1e-16.
    """
    if x <= 30.0:
        half = 0.5 * x
        q = half * half
        term = 1.0
        rest = 0.0
        m = 0
        while m < 500:
            term *= q / ((m + 1.0) * (m + 1.0 + v))
            rest += term
            if term < 1e-17 * (1.0 + rest):
                break
            m += 1
        return (0.0 if v == 0 else math.log(half)), rest
    mu = 4.0 * v * v
    term = 1.0
    rest = 0.0
    m = 1
    while m < 60:
        new = -term * (mu - (2.0 * m - 1.0) ** 2) / (m * 8.0 * x)
        if abs(new) > abs(term):
            break
        term = new
        rest += term
        if abs(term) < 1e-17:
            break
        m += 1
    return x - 0.5 * math.log(2.0 * math.pi * x), rest


@_jit
def log_bessel_i(v, x):
    """``log I_v(x)`` of the modified Bessel function of the first kind, v in {0, 1}."""
    if x < 0.0 or math.isnan(x):
        return math.nan
    if x == 0.0:
        return 0.0 if v == 0 else -INF
    if x == INF:
        return INF
    pref, rest = _bessel_i_parts(v, x)
    return pref + math.log1p(rest)


@_jit
def bessel_ratio_i1_i0(x):
    """``I_1(x) / I_0(x)`` (the derivative of log I_0), in [0, 1)."""
    if x == 0.0:
        return 0.0
    if x == INF:
        return 1.0
    p0, r0 = _bessel_i_parts(0, x)
    p1, r1 = _bessel_i_parts(1, x)
    return math.exp(p1 - p0) * (1.0 + r1) / (1.0 + r0)


# ------------------------------------------------------ the regularized incomplete beta
@_jit
def _lentz_step(aa, c, d):
    """One modified-Lentz update for the partial numerator ``aa``: ``(c, d, c * d)``."""
    tiny = 1e-300
    d = 1.0 + aa * d
    if abs(d) < tiny:
        d = tiny
    c = 1.0 + aa / c
    if abs(c) < tiny:
        c = tiny
    d = 1.0 / d
    return c, d, c * d


@_jit
def _beta_continued_fraction(a, b, x):
    """The continued fraction of I_x(a, b) (modified Lentz), converging for x < (a+1)/(a+b+2)."""
    tiny = 1e-300
    qab = a + b
    qap = a + 1.0
    qam = a - 1.0
    c = 1.0
    d = 1.0 - qab * x / qap
    if abs(d) < tiny:
        d = tiny
    d = 1.0 / d
    h = d
    for m in range(1, 500):
        m2 = 2.0 * m
        c, d, delta = _lentz_step(m * (b - m) * x / ((qam + m2) * (a + m2)), c, d)
        h *= delta
        c, d, delta = _lentz_step(-(a + m) * (qab + m) * x / ((a + m2) * (qap + m2)), c, d)
        h *= delta
        if abs(delta - 1.0) < 1e-16:
            break
    return h


@_jit
def log_betainc(a, b, x, y):
    """``log I_x(a, b)``, the log regularized incomplete beta function, with ``y = 1 - x``.

    Taking ``y`` separately keeps full accuracy when x is close to 1. Small values of
    I stay accurate in log space (no ``log(1 - ...)`` of a rounded number).
    """
    if x <= 0.0:
        return -INF
    if y <= 0.0:
        return 0.0
    log_front = a * math.log(x) + b * math.log(y) - lbeta(a, b)
    if x < (a + 1.0) / (a + b + 2.0):
        return log_front + math.log(_beta_continued_fraction(a, b, x)) - math.log(a)
    rest = math.exp(log_front + math.log(_beta_continued_fraction(b, a, y)) - math.log(b))
    return math.log1p(-rest)
