"""Discrete families: kernels ``<fam>_lpdf`` / ``<fam>_lpdf_grad`` and classes.

Scalar kernels follow the univariate contract with ``d_x = 0.0``; counts arrive as
float64 and a non-integer or negative ``x`` gives ``-inf``. Integer-valued parameters
(Binomial ``n``) get a zero partial.

Categorical has a vector parameter, so its gradient kernel follows the multivariate
(accumulating) convention, x being a scalar with a length-1 ``g_x`` that stays untouched
(x is discrete): ``categorical_lpdf_grad(x, p, g_x, g_p) -> lp``.
"""

import math

import numpy as np
import scipy.special as sc
from numba import njit, types
from scipy.special import expit, logsumexp

from ._special import (INF, digamma_diff, lchoose, lgamma_diff, log_sigmoid,
                       sigmoid, xlog1py, xlogy)
from .base import (Distribution, check_finite, check_finite_vector, check_nonnegative,
                   check_nonnegative_integer, check_positive, check_probability,
                   check_simplex, elementwise_logpdf)
from .cumulative import BetaTails, Cumulative, GammaTails, log1mexp

_jit = njit(cache=True, nogil=True, error_model="numpy")
NINF = -INF


@_jit
def _is_count(x):
    return x >= 0.0 and x == math.floor(x) and x < INF


# --------------------------------------------------------------------------- Bernoulli
@_jit
def bernoulli_lpdf(x, p):
    if not (p >= 0.0 and p <= 1.0):
        return NINF
    if x == 1.0:
        return math.log(p) if p > 0.0 else NINF
    if x == 0.0:
        return math.log1p(-p) if p < 1.0 else NINF
    return NINF


@_jit
def bernoulli_lpdf_grad(x, p):
    lp = bernoulli_lpdf(x, p)
    if not math.isfinite(lp):
        return lp, 0.0, 0.0
    return lp, 0.0, (1.0 / p if x == 1.0 else -1.0 / (1.0 - p))


@_jit
def bernoulli_logit_lpdf(x, logit_p):
    if math.isnan(logit_p):
        return NINF
    if x == 1.0:
        return log_sigmoid(logit_p)
    if x == 0.0:
        return log_sigmoid(-logit_p)
    return NINF


@_jit
def bernoulli_logit_lpdf_grad(x, logit_p):
    lp = bernoulli_logit_lpdf(x, logit_p)
    if not math.isfinite(lp):
        return lp, 0.0, 0.0
    return lp, 0.0, x - sigmoid(logit_p)


# ---------------------------------------------------------------------------- Binomial
@_jit
def binomial_lpdf(x, n, p):
    if not (p >= 0.0 and p <= 1.0 and _is_count(n)):
        return NINF
    if not (_is_count(x) and x <= n):
        return NINF
    if (p == 0.0 and x > 0.0) or (p == 1.0 and x < n):
        return NINF
    return lchoose(n, x) + xlogy(x, p) + xlog1py(n - x, -p)


@_jit
def binomial_lpdf_grad(x, n, p):
    lp = binomial_lpdf(x, n, p)
    if not math.isfinite(lp) or p == 0.0 or p == 1.0:
        return lp, 0.0, 0.0, 0.0
    return lp, 0.0, 0.0, x / p - (n - x) / (1.0 - p)


@_jit
def binomial_logit_lpdf(x, n, logit_p):
    if math.isnan(logit_p) or not _is_count(n):
        return NINF
    if not (_is_count(x) and x <= n):
        return NINF
    lp = lchoose(n, x)
    if x > 0.0:
        lp += x * log_sigmoid(logit_p)
    if n - x > 0.0:
        lp += (n - x) * log_sigmoid(-logit_p)
    return lp


@_jit
def binomial_logit_lpdf_grad(x, n, logit_p):
    lp = binomial_logit_lpdf(x, n, logit_p)
    if not math.isfinite(lp):
        return lp, 0.0, 0.0, 0.0
    return lp, 0.0, 0.0, x - n * sigmoid(logit_p)


# ------------------------------------------------------------------------ BetaBinomial
@_jit
def beta_binomial_lpdf(x, n, alpha, beta):
    if not (alpha > 0.0 and beta > 0.0 and math.isfinite(alpha) and math.isfinite(beta)
            and _is_count(n)):
        return NINF
    if not (_is_count(x) and x <= n):
        return NINF
    # B(x + alpha, n - x + beta) / B(alpha, beta) as gamma ratios: no cancellation of
    # huge lgamma values when alpha, beta are large (the binomial limit)
    return (lchoose(n, x) + lgamma_diff(alpha, x) + lgamma_diff(beta, n - x)
            - lgamma_diff(alpha + beta, n))


@_jit
def beta_binomial_lpdf_grad(x, n, alpha, beta):
    lp = beta_binomial_lpdf(x, n, alpha, beta)
    if not math.isfinite(lp):
        return lp, 0.0, 0.0, 0.0, 0.0
    common = digamma_diff(alpha + beta, n)
    return (lp, 0.0, 0.0, digamma_diff(alpha, x) - common,
            digamma_diff(beta, n - x) - common)


# ----------------------------------------------------------------------------- Poisson
@_jit
def poisson_lpdf(x, rate):
    if not (rate >= 0.0 and rate < INF) or not _is_count(x):
        return NINF
    if rate == 0.0:
        return 0.0 if x == 0.0 else NINF
    return x * math.log(rate) - rate - math.lgamma(x + 1.0)


@_jit
def poisson_lpdf_grad(x, rate):
    lp = poisson_lpdf(x, rate)
    if not math.isfinite(lp) or rate == 0.0:
        return lp, 0.0, 0.0
    return lp, 0.0, x / rate - 1.0


@_jit
def poisson_log_lpdf(x, log_rate):
    if math.isnan(log_rate) or log_rate == INF or not _is_count(x):
        return NINF
    if log_rate == NINF:
        return 0.0 if x == 0.0 else NINF
    rate = math.exp(log_rate)
    if rate == INF:
        return NINF
    return x * log_rate - rate - math.lgamma(x + 1.0)


@_jit
def poisson_log_lpdf_grad(x, log_rate):
    lp = poisson_log_lpdf(x, log_rate)
    if not math.isfinite(lp) or log_rate == NINF:
        return lp, 0.0, 0.0
    return lp, 0.0, x - math.exp(log_rate)


# -------------------------------------------------------------------- NegativeBinomial
@_jit
def negative_binomial_lpdf(x, n, p):
    """Failures before the n-th success with success probability p (scipy's nbinom)."""
    if not (n > 0.0 and n < INF and p > 0.0 and p <= 1.0) or not _is_count(x):
        return NINF
    if p == 1.0:
        return 0.0 if x == 0.0 else NINF
    return (lgamma_diff(n, x) - math.lgamma(x + 1.0) + n * math.log(p) + xlog1py(x, -p))


@_jit
def negative_binomial_lpdf_grad(x, n, p):
    lp = negative_binomial_lpdf(x, n, p)
    if not math.isfinite(lp) or p == 1.0:
        return lp, 0.0, 0.0, 0.0
    return (lp, 0.0, digamma_diff(n, x) + math.log(p), n / p - x / (1.0 - p))


@_jit
def negative_binomial_2_lpdf(x, mu, alpha):
    """Mean ``mu`` and overdispersion ``alpha`` (variance mu + mu^2/alpha)."""
    if not (mu > 0.0 and mu < INF and alpha > 0.0 and alpha < INF) or not _is_count(x):
        return NINF
    log_mu_alpha = math.log(mu + alpha)
    return (lgamma_diff(alpha, x) - math.lgamma(x + 1.0)
            - alpha * math.log1p(mu / alpha) + x * (math.log(mu) - log_mu_alpha))


@_jit
def negative_binomial_2_lpdf_grad(x, mu, alpha):
    lp = negative_binomial_2_lpdf(x, mu, alpha)
    if not math.isfinite(lp):
        return lp, 0.0, 0.0, 0.0
    s = mu + alpha
    return (lp, 0.0, alpha * (x - mu) / (mu * s),
            digamma_diff(alpha, x) - math.log1p(mu / alpha) + (mu - x) / s)


# --------------------------------------------------------------------------- Geometric
@_jit
def geometric_lpdf(x, p):
    """Trials up to and including the first success: x = 1, 2, ... (scipy's geom)."""
    if not (p > 0.0 and p <= 1.0) or not (_is_count(x) and x >= 1.0):
        return NINF
    if p == 1.0:
        return 0.0 if x == 1.0 else NINF
    return math.log(p) + (x - 1.0) * math.log1p(-p)


@_jit
def geometric_lpdf_grad(x, p):
    lp = geometric_lpdf(x, p)
    if not math.isfinite(lp) or p == 1.0:
        return lp, 0.0, 0.0
    return lp, 0.0, 1.0 / p - (x - 1.0) / (1.0 - p)


# ------------------------------------------------------------------------- Categorical
@_jit
def categorical_lpdf(x, p):
    """``log p[x]`` for x in {0, ..., K-1}."""
    if not (_is_count(x) and x < p.shape[0]):
        return NINF
    pk = p[int(x)]
    if not (pk > 0.0 and pk <= 1.0):
        return NINF
    return math.log(pk)


@_jit
def categorical_lpdf_grad(x, p, g_x, g_p):
    lp = categorical_lpdf(x, p)
    if math.isfinite(lp):
        k = int(x)
        g_p[k] += 1.0 / p[k]
    return lp


@_jit
def _logsumexp(v):
    m = NINF
    for i in range(v.shape[0]):
        if v[i] > m:
            m = v[i]
    if not math.isfinite(m):
        return m
    s = 0.0
    for i in range(v.shape[0]):
        s += math.exp(v[i] - m)
    return m + math.log(s)


@_jit
def categorical_logit_lpdf(x, logits):
    """``logits[x] - logsumexp(logits)`` (unnormalised log-probabilities)."""
    if not (_is_count(x) and x < logits.shape[0]):
        return NINF
    lse = _logsumexp(logits)
    if not math.isfinite(lse):
        return NINF
    lp = logits[int(x)] - lse
    if math.isnan(lp):
        return NINF
    return lp


@_jit
def categorical_logit_lpdf_grad(x, logits, g_x, g_logits):
    lp = categorical_logit_lpdf(x, logits)
    if math.isfinite(lp):
        lse = _logsumexp(logits)
        for i in range(logits.shape[0]):
            g_logits[i] -= math.exp(logits[i] - lse)
        g_logits[int(x)] += 1.0
    return lp


_CAT_KERNEL = types.FunctionType(types.float64(types.float64, types.float64[::1]))


@njit(types.void(_CAT_KERNEL, types.float64[::1], types.float64[:, ::1], types.float64[::1]),
      cache=True)
def _categorical_loop(kern, x, params, out):
    for i in range(x.size):
        out[i] = kern(x[i], params[i])


# ============================================================================== classes
class Discrete(Cumulative, Distribution):
    """Base of the discrete families (samples are int64); ``cdf(x)`` is P(X <= floor(x))."""

    is_discrete = True
    support = "nonnegative integers"
    _lower = 0.0

    def default_transform(self):
        raise TypeError(f"{type(self).__name__} is discrete: it cannot be a continuous "
                        "parameter of a gradient-based model (observe it, or marginalise)")


def _choose(cls, options):
    """Pick the one parameterization given; ``options`` is [(names, values), ...]."""
    given = [(names, values) for names, values in options
             if any(v is not None for v in values)]
    labels = " | ".join("(" + ", ".join(names) + ")" for names, _ in options)
    if len(given) != 1:
        raise TypeError(f"{cls.__name__} takes exactly one parameterization: {labels}")
    names, values = given[0]
    missing = [n for n, v in zip(names, values) if v is None]
    if missing:
        raise TypeError(f"{cls.__name__}: missing {', '.join(missing)} (one of {labels})")
    return names


class Bernoulli(Discrete):
    """Bernoulli(p= | logit_p=) on {0, 1}. scipy: ``bernoulli(p)``."""

    support = "{0, 1}"

    def __init__(self, p=None, logit_p=None):
        names = _choose(type(self), [(("p",), (p,)), (("logit_p",), (logit_p,))])
        if names == ("p",):
            self._setup(names, (p,), bernoulli_lpdf, bernoulli_lpdf_grad,
                        (check_probability,))
        else:
            self._setup(names, (logit_p,), bernoulli_logit_lpdf, bernoulli_logit_lpdf_grad,
                        (check_finite,))

    def _p(self, v):
        return v[0] if self.param_names == ("p",) else expit(v[0])

    def _sample(self, rng, shape, v):
        return rng.binomial(1, self._p(v), size=shape).astype(np.int64)

    def _mean(self, *v):
        return self._p(v)

    def _var(self, *v):
        p = self._p(v)
        return p * (1.0 - p)

    _upper = 1.0  # the hooks only see x = 0

    def _cdf(self, x, theta):
        return 1.0 - theta if self.param_names == ("p",) else sc.expit(-theta)

    def _sf(self, x, theta):
        return theta if self.param_names == ("p",) else sc.expit(theta)

    def _logcdf(self, x, theta):
        return np.log1p(-theta) if self.param_names == ("p",) else sc.log_expit(-theta)

    def _logsf(self, x, theta):
        return np.log(theta) if self.param_names == ("p",) else sc.log_expit(theta)


class Binomial(BetaTails, Discrete):
    """Binomial(n, p= | logit_p=): successes in ``n`` trials. scipy: ``binom(n, p)``."""

    def __init__(self, n, p=None, logit_p=None):
        names = _choose(type(self), [(("p",), (p,)), (("logit_p",), (logit_p,))])
        if names == ("p",):
            self._setup(("n", "p"), (n, p), binomial_lpdf, binomial_lpdf_grad,
                        (check_nonnegative_integer, check_probability))
        else:
            self._setup(("n", "logit_p"), (n, logit_p), binomial_logit_lpdf,
                        binomial_logit_lpdf_grad, (check_nonnegative_integer, check_finite))

    def _p(self, v):
        return v[1] if self.param_names[1] == "p" else expit(v[1])

    def _sample(self, rng, shape, v):
        return rng.binomial(v[0].astype(np.int64), self._p(v), size=shape).astype(np.int64)

    def _mean(self, *v):
        return v[0] * self._p(v)

    def _var(self, *v):
        p = self._p(v)
        return v[0] * p * (1.0 - p)

    def _p_pair(self, theta):
        """(p, 1 - p), each exact for either parameterization."""
        if self.param_names[1] == "p":
            return theta, 1.0 - theta
        return sc.expit(theta), sc.expit(-theta)

    def _bounds(self, n, theta):
        return 0.0, n

    # P(X <= k) = I_{1-p}(n - k, k + 1), 0 <= k < n
    def _beta_args(self, k, n, theta):
        p, q = self._p_pair(theta)
        return n - k, k + 1.0, q, p


class BetaBinomial(Discrete):
    """BetaBinomial(n, alpha, beta): Binomial(n, p) with p ~ Beta(alpha, beta).

    scipy: ``betabinom(n, a=alpha, b=beta)``.
    """

    def __init__(self, n, alpha, beta):
        self._setup(("n", "alpha", "beta"), (n, alpha, beta), beta_binomial_lpdf,
                    beta_binomial_lpdf_grad,
                    (check_nonnegative_integer, check_positive, check_positive))

    def _sample(self, rng, shape, v):
        p = rng.beta(v[1], v[2], size=shape)
        return rng.binomial(v[0].astype(np.int64), p).astype(np.int64)

    def _mean(self, n, alpha, beta):
        return n * alpha / (alpha + beta)

    def _var(self, n, alpha, beta):
        s = alpha + beta
        return n * alpha * beta * (s + n) / (s * s * (s + 1.0))

    def _bounds(self, n, alpha, beta):
        return 0.0, n

    # no special function: log-sum-exp of the probability masses of the tail
    def _logcdf(self, k, n, alpha, beta):
        return self._log_sum(k, n, alpha, beta, upper=False)

    def _logsf(self, k, n, alpha, beta):
        return self._log_sum(k, n, alpha, beta, upper=True)

    def _log_sum(self, k, n, alpha, beta, upper):
        out = np.empty(k.shape)
        for i in range(k.size):
            j = np.arange(k[i] + 1.0, n[i] + 1.0) if upper else np.arange(0.0, k[i] + 1.0)
            out[i] = logsumexp(elementwise_logpdf(self.kernel, j, (n[i], alpha[i], beta[i])))
        return out


class Poisson(GammaTails, Discrete):
    """Poisson(rate= | log_rate=): counts with mean ``rate``. scipy: ``poisson(mu=rate)``."""

    def __init__(self, rate=None, log_rate=None):
        names = _choose(type(self), [(("rate",), (rate,)), (("log_rate",), (log_rate,))])
        if names == ("rate",):
            self._setup(names, (rate,), poisson_lpdf, poisson_lpdf_grad,
                        (check_nonnegative,))
        else:
            self._setup(names, (log_rate,), poisson_log_lpdf, poisson_log_lpdf_grad,
                        (check_finite,))

    def _rate(self, v):
        return v[0] if self.param_names == ("rate",) else np.exp(v[0])

    def _sample(self, rng, shape, v):
        return rng.poisson(self._rate(v), size=shape).astype(np.int64)

    def _mean(self, *v):
        return self._rate(v)

    def _var(self, *v):
        return self._rate(v)

    # P(X <= k) = Q(k + 1, rate)
    def _gamma_args(self, k, theta):
        return k + 1.0, self._rate((theta,)), True


def _check_open_probability(name, v):
    check_probability(name, v)
    if np.any(v == 0):
        raise ValueError(f"{name} must be in (0, 1], got {name}={v if v.ndim else float(v)}")


class NegativeBinomial(BetaTails, Discrete):
    """NegativeBinomial(n, p) or NegativeBinomial(mu=, alpha=).

    (n, p): failures before the ``n``-th success (n > 0 real), scipy ``nbinom(n, p)``.
    (mu, alpha): mean ``mu``, variance ``mu + mu^2/alpha``, i.e. ``nbinom(alpha,
    alpha/(mu + alpha))`` (PyMC's and Stan's ``neg_binomial_2``).
    """

    def __init__(self, n=None, p=None, *, mu=None, alpha=None):
        names = _choose(type(self), [(("n", "p"), (n, p)), (("mu", "alpha"), (mu, alpha))])
        if names == ("n", "p"):
            self._setup(names, (n, p), negative_binomial_lpdf, negative_binomial_lpdf_grad,
                        (check_positive, _check_open_probability))
        else:
            self._setup(names, (mu, alpha), negative_binomial_2_lpdf,
                        negative_binomial_2_lpdf_grad, (check_positive, check_positive))

    def _np(self, v):
        if self.param_names == ("n", "p"):
            return v[0], v[1]
        return v[1], v[1] / (v[0] + v[1])

    def _sample(self, rng, shape, v):
        n, p = self._np(v)
        return rng.negative_binomial(n, p, size=shape).astype(np.int64)

    def _mean(self, *v):
        n, p = self._np(v)
        return n * (1.0 - p) / p

    def _var(self, *v):
        n, p = self._np(v)
        return n * (1.0 - p) / p ** 2

    def _p_pair(self, a, b):
        """(n, p, 1 - p) for either parameterization, 1 - p without cancellation."""
        if self.param_names == ("n", "p"):
            return a, b, 1.0 - b
        return b, b / (a + b), a / (a + b)

    # P(X <= k) = I_p(n, k + 1)
    def _beta_args(self, k, a, b):
        n, p, q = self._p_pair(a, b)
        return n, k + 1.0, p, q


class Geometric(Discrete):
    """Geometric(p): trials up to the first success, support 1, 2, ... scipy: ``geom(p)``."""

    support = "positive integers"

    def __init__(self, p):
        self._setup(("p",), (p,), geometric_lpdf, geometric_lpdf_grad,
                    (_check_open_probability,))

    def _sample(self, rng, shape, v):
        return rng.geometric(v[0], size=shape).astype(np.int64)

    def _mean(self, p):
        return 1.0 / p

    def _var(self, p):
        return (1.0 - p) / p ** 2

    _lower = 1.0

    # P(X > k) = (1 - p)^k
    def _logsf(self, k, p):
        return k * np.log1p(-p)

    def _logcdf(self, k, p):
        return log1mexp(self._logsf(k, p))

    def _cdf(self, k, p):
        return -np.expm1(self._logsf(k, p))


class Categorical(Discrete):
    """Categorical(p= | logits=) on {0, ..., K-1}; the last axis of ``p``/``logits`` holds
    the K categories (``event_ndim`` 0, vector parameter). scipy: ``multinomial(1, p)``
    of the one-hot vector. Gradient kernels accumulate like the multivariate ones:
    ``categorical_lpdf_grad(x, p, g_x, g_p)`` (``g_x`` has length 1 and is untouched)."""

    support = "{0, ..., K-1}"

    def __init__(self, p=None, logits=None):
        names = _choose(type(self), [(("p",), (p,)), (("logits",), (logits,))])
        if names == ("p",):
            self._setup(names, (p,), categorical_lpdf, categorical_lpdf_grad,
                        (check_simplex,))
        else:
            self._setup(names, (logits,), categorical_logit_lpdf,
                        categorical_logit_lpdf_grad, (check_finite_vector,))

    @property
    def batch_shape(self):
        return np.shape(self._values()[0])[:-1]

    def _probs(self, v):
        if self.param_names == ("p",):
            return v[0]
        z = v[0] - v[0].max(axis=-1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=-1, keepdims=True)

    def logpdf(self, x):
        x, (param,) = self._broadcast(np.asarray(x, dtype=np.float64))
        shape = x.shape
        params = np.array(param, order="C").reshape(-1, param.shape[-1])
        xs = np.array(x, order="C").ravel()
        out = np.empty(xs.size)
        _categorical_loop(self.kernel, xs, params, out)
        return float(out[0]) if shape == () else out.reshape(shape)

    def _sample(self, rng, shape, v):
        p = self._probs(v)
        cdf = np.cumsum(p, axis=-1)
        u = rng.random(shape + (1,)) * cdf[..., -1:]
        return np.minimum((u >= cdf).sum(axis=-1), p.shape[-1] - 1).astype(np.int64)

    def _mean(self, *v):
        p = self._probs(v)
        return (p * np.arange(p.shape[-1])).sum(axis=-1)

    def _var(self, *v):
        p = self._probs(v)
        k = np.arange(p.shape[-1])
        m = (p * k).sum(axis=-1)
        return (p * k ** 2).sum(axis=-1) - m ** 2

    def _broadcast(self, x):
        (param,) = self._values()
        shape = np.broadcast_shapes(np.shape(x), self.batch_shape)
        k = param.shape[-1]
        return np.broadcast_to(x, shape), (np.broadcast_to(param, shape + (k,)),)

    def _bounds(self, param):
        return 0.0, param.shape[-1] - 1.0

    def _log_probs(self, param):
        if self.param_names == ("p",):
            with np.errstate(divide="ignore"):
                return np.log(param)
        return param - logsumexp(param, axis=-1, keepdims=True)

    def _logcdf(self, k, param):
        table = np.logaddexp.accumulate(self._log_probs(param), axis=-1)
        return np.take_along_axis(table, k.astype(np.int64)[:, None], axis=-1)[:, 0]

    def _logsf(self, k, param):
        # log P(X >= j) for every j, read at j = k + 1
        table = np.logaddexp.accumulate(self._log_probs(param)[:, ::-1], axis=-1)[:, ::-1]
        return np.take_along_axis(table, k.astype(np.int64)[:, None] + 1, axis=-1)[:, 0]


__all__ = ["Bernoulli", "Binomial", "BetaBinomial", "Poisson", "NegativeBinomial",
           "Geometric", "Categorical"]
