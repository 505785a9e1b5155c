"""Multivariate families: MvNormal, Dirichlet, LKJCholesky, Multinomial.

Kernel contract: ``<fam>_lpdf(x, *params) -> float`` and
``<fam>_lpdf_grad(x, *params, g_x, *g_params) -> lp``, which ADDS the partials into the
preallocated float64 arrays ``g_x``, ``g_params`` (same shapes as x and the params; a
scalar parameter such as LKJ's ``eta`` or Multinomial's ``n`` gets a length-1 array).
Everything is float64 (Multinomial counts included); invalid input gives ``-inf``.
"""

import functools
import math

import numpy as np
from numba import njit, types
from scipy.special import betaln

from .. import transforms as tr
from ._special import HALF_LOG_2PI, INF, LOG_2, digamma, lbeta, power_log_at_zero, xlogy
from .base import (Distribution, _fail, check_finite_vector, check_nonnegative_integer,
                   check_positive, check_positive_vector, check_simplex)

_jit = njit(cache=True, nogil=True, error_model="numpy")
NINF = -INF


# ---------------------------------------------------------------------- linear algebra
@_jit
def cholesky_lower(S, L):
    """Lower Cholesky factor of the symmetric part of ``S`` into ``L``; False if not PD."""
    k = S.shape[0]
    for j in range(k):
        for i in range(j, k):
            acc = 0.5 * (S[i, j] + S[j, i])
            for m in range(j):
                acc -= L[i, m] * L[j, m]
            if i == j:
                if not acc > 0.0 or not math.isfinite(acc):
                    return False
                L[j, j] = math.sqrt(acc)
            else:
                L[i, j] = acc / L[j, j]
        for i in range(j):
            L[i, j] = 0.0
    return True


@_jit
def _forward_solve(L, r, z):
    """z = L^{-1} r for lower-triangular L (reads only the lower triangle)."""
    k = r.shape[0]
    for i in range(k):
        acc = r[i]
        for m in range(i):
            acc -= L[i, m] * z[m]
        z[i] = acc / L[i, i]


@_jit
def _back_solve(L, z, a):
    """a = L^{-T} z."""
    k = z.shape[0]
    for i in range(k - 1, -1, -1):
        acc = z[i]
        for m in range(i + 1, k):
            acc -= L[m, i] * a[m]
        a[i] = acc / L[i, i]


@_jit
def _chol_valid(L):
    for i in range(L.shape[0]):
        if not (L[i, i] > 0.0 and math.isfinite(L[i, i])):
            return False
        for j in range(i):
            if not math.isfinite(L[i, j]):
                return False
    return True


@_jit
def _mvn_chol_core(x, mu, L, z):
    """Log density given a valid Cholesky factor; fills z = L^{-1}(x - mu)."""
    k = x.shape[0]
    r = np.empty(k)
    for i in range(k):
        r[i] = x[i] - mu[i]
        if not (math.isfinite(x[i]) and math.isfinite(mu[i])):
            return NINF
    _forward_solve(L, r, z)
    lp = -k * HALF_LOG_2PI
    for i in range(k):
        lp -= math.log(L[i, i]) + 0.5 * z[i] * z[i]
    return lp


@_jit
def _location_grads(L, z, g_x, g_mu):
    """Add the x and mu partials, -/+ cov^{-1}(x - mu) = L^{-T} z; return that vector."""
    a = np.empty(z.shape[0])
    _back_solve(L, z, a)
    for i in range(z.shape[0]):
        g_x[i] -= a[i]
        g_mu[i] += a[i]
    return a


# ----------------------------------------------------------------------------- MvNormal
@_jit
def mv_normal_lpdf(x, mu, cov):
    k = x.shape[0]
    L = np.empty((k, k))
    if not cholesky_lower(cov, L):
        return NINF
    return _mvn_chol_core(x, mu, L, np.empty(k))


@_jit
def mv_normal_lpdf_grad(x, mu, cov, g_x, g_mu, g_cov):
    """Gradient w.r.t. ``cov`` is that of the density of the symmetric part of ``cov``,
    ``0.5 (a a^T - cov^{-1})`` with ``a = cov^{-1} (x - mu)``, hence symmetric."""
    k = x.shape[0]
    L = np.empty((k, k))
    if not cholesky_lower(cov, L):
        return NINF
    z = np.empty(k)
    lp = _mvn_chol_core(x, mu, L, z)
    if not math.isfinite(lp):
        return lp
    a = _location_grads(L, z, g_x, g_mu)
    # cov^{-1} column by column: solve L L^T c = e_j
    e = np.zeros(k)
    w = np.empty(k)
    col = np.empty(k)
    for j in range(k):
        e[:] = 0.0
        e[j] = 1.0
        _forward_solve(L, e, w)
        _back_solve(L, w, col)
        for i in range(k):
            g_cov[i, j] += 0.5 * (a[i] * a[j] - col[i])
    return lp


@_jit
def mv_normal_chol_lpdf(x, mu, chol):
    """``chol`` is the lower Cholesky factor of the covariance (upper triangle ignored)."""
    if not _chol_valid(chol):
        return NINF
    return _mvn_chol_core(x, mu, chol, np.empty(x.shape[0]))


@_jit
def mv_normal_chol_lpdf_grad(x, mu, chol, g_x, g_mu, g_chol):
    k = x.shape[0]
    if not _chol_valid(chol):
        return NINF
    z = np.empty(k)
    lp = _mvn_chol_core(x, mu, chol, z)
    if not math.isfinite(lp):
        return lp
    a = _location_grads(chol, z, g_x, g_mu)
    for i in range(k):
        for j in range(i + 1):
            g_chol[i, j] += a[i] * z[j]
        g_chol[i, i] -= 1.0 / chol[i, i]
    return lp


# ---------------------------------------------------------------------------- Dirichlet
SIMPLEX_TOL = 1e-8


@_jit
def dirichlet_lpdf(x, alpha):
    k = x.shape[0]
    total_alpha = 0.0
    total_x = 0.0
    lp = 0.0
    for i in range(k):
        if not (alpha[i] > 0.0 and alpha[i] < INF and x[i] >= 0.0 and x[i] <= 1.0):
            return NINF
        total_alpha += alpha[i]
        total_x += x[i]
        lp -= math.lgamma(alpha[i])
        if x[i] == 0.0:
            lp += power_log_at_zero(alpha[i] - 1.0)
        else:
            lp += (alpha[i] - 1.0) * math.log(x[i])
    if abs(total_x - 1.0) > SIMPLEX_TOL:
        return NINF
    return lp + math.lgamma(total_alpha)


@_jit
def dirichlet_lpdf_grad(x, alpha, g_x, g_alpha):
    lp = dirichlet_lpdf(x, alpha)
    if not math.isfinite(lp):
        return lp
    psi_total = digamma(np.sum(alpha))
    for i in range(x.shape[0]):
        g_x[i] += (alpha[i] - 1.0) / x[i]
        g_alpha[i] += psi_total - digamma(alpha[i]) + math.log(x[i])
    return lp


# -------------------------------------------------------------------------- LKJCholesky
@_jit
def _lkj_beta_param(n, j, eta):
    """Beta(b, b) parameter of the partial correlation with ``j`` conditioning variables."""
    return eta + 0.5 * (n - 2 - j)


@_jit
def lkj_log_normalizer(n, eta):
    """``-log c_n(eta)`` of Lewandowski, Kurowicka & Joe (2009), eq. 16."""
    total = 0.0
    for j in range(n - 1):
        b = _lkj_beta_param(n, j, eta)
        m = n - 1 - j  # number of partial correlations at this level
        total += m * ((2.0 * b - 1.0) * LOG_2 + lbeta(b, b))
    return -total


@_jit
def lkj_cholesky_lpdf(L, eta):
    """LKJ(eta) density of a correlation matrix, expressed for its Cholesky factor ``L``
    (w.r.t. the strictly lower entries, as Stan's ``lkj_corr_cholesky``)."""
    n = L.shape[0]
    if not (eta > 0.0 and eta < INF) or L.shape[1] != n:
        return NINF
    lp = lkj_log_normalizer(n, eta)
    for i in range(n):
        if not L[i, i] > 0.0:
            return NINF
        row = 0.0
        for j in range(i + 1):
            row += L[i, j] * L[i, j]
        if abs(row - 1.0) > 1e-8:
            return NINF
        if i > 0:
            lp += (n - i - 3.0 + 2.0 * eta) * math.log(L[i, i])
    return lp


@_jit
def lkj_cholesky_lpdf_grad(L, eta, g_L, g_eta):
    lp = lkj_cholesky_lpdf(L, eta)
    if not math.isfinite(lp):
        return lp
    n = L.shape[0]
    d_eta = 0.0
    for j in range(n - 1):
        b = _lkj_beta_param(n, j, eta)
        m = n - 1 - j
        d_eta -= m * (2.0 * LOG_2 + 2.0 * (digamma(b) - digamma(2.0 * b)))
    for i in range(1, n):
        g_L[i, i] += (n - i - 3.0 + 2.0 * eta) / L[i, i]
        d_eta += 2.0 * math.log(L[i, i])
    g_eta[0] += d_eta
    return lp


# -------------------------------------------------------------------------- Multinomial
@_jit
def multinomial_lpdf(x, n, p):
    if not (n >= 0.0 and n == math.floor(n) and n < INF):
        return NINF
    total = 0.0
    lp = math.lgamma(n + 1.0)
    for i in range(x.shape[0]):
        if not (x[i] >= 0.0 and x[i] == math.floor(x[i]) and p[i] >= 0.0 and p[i] <= 1.0):
            return NINF
        if p[i] == 0.0 and x[i] > 0.0:
            return NINF
        total += x[i]
        lp += xlogy(x[i], p[i]) - math.lgamma(x[i] + 1.0)
    if total != n:
        return NINF
    return lp


@_jit
def multinomial_lpdf_grad(x, n, p, g_x, g_n, g_p):
    lp = multinomial_lpdf(x, n, p)
    if not math.isfinite(lp):
        return lp
    for i in range(x.shape[0]):
        if x[i] > 0.0:
            g_p[i] += x[i] / p[i]
    return lp


# ---------------------------------------------------------------- batched evaluation
_V = types.float64[::1]
_M = types.float64[:, ::1]


@njit(types.void(types.FunctionType(types.float64(_V, _V, _M)), _M, _M,
                 types.float64[:, :, ::1], _V), cache=True)
def _loop_vec_vec_mat(kern, x, a, b, out):
    for i in range(x.shape[0]):
        out[i] = kern(x[i], a[i], b[i])


@njit(types.void(types.FunctionType(types.float64(_V, _V)), _M, _M, _V), cache=True)
def _loop_vec_vec(kern, x, a, out):
    for i in range(x.shape[0]):
        out[i] = kern(x[i], a[i])


@njit(types.void(types.FunctionType(types.float64(_V, types.float64, _V)), _M, _V, _M, _V),
      cache=True)
def _loop_vec_scalar_vec(kern, x, a, b, out):
    for i in range(x.shape[0]):
        out[i] = kern(x[i], a[i], b[i])


@njit(types.void(types.FunctionType(types.float64(_M, types.float64)),
                 types.float64[:, :, ::1], _V, _V), cache=True)
def _loop_mat_scalar(kern, x, a, out):
    for i in range(x.shape[0]):
        out[i] = kern(x[i], a[i])


def _rows(value, batch, event):
    """``value`` broadcast to ``batch + event`` and flattened to (rows, *event)."""
    arr = np.broadcast_to(np.asarray(value, dtype=np.float64), batch + event)
    return np.array(arr, order="C").reshape((-1,) + event)


def _finish(out, batch):
    return float(out[0]) if batch == () else out.reshape(batch)


def _check_vector_event(dist, x, event):
    x = np.asarray(x, dtype=np.float64)
    if x.shape[x.ndim - len(event):] != event or x.ndim < len(event):
        raise ValueError(f"{type(dist).__name__}.logpdf: x must end with shape {event}, "
                         f"got {x.shape}")
    return x


# ============================================================================== classes
class MvNormal(Distribution):
    """MvNormal(mu, cov= | chol=): mean vector ``mu`` (last axis), covariance ``cov`` or
    its lower Cholesky factor ``chol``. scipy: ``multivariate_normal(mean=mu, cov=cov)``."""

    event_ndim = 1
    support = "real vector"

    def __init__(self, mu, cov=None, chol=None):
        if (cov is None) == (chol is None):
            raise TypeError("MvNormal takes exactly one of cov= or chol=")
        if cov is not None:
            self._setup(("mu", "cov"), (mu, cov), mv_normal_lpdf, mv_normal_lpdf_grad,
                        (check_finite_vector, _check_covariance))
        else:
            self._setup(("mu", "chol"), (mu, chol), mv_normal_chol_lpdf,
                        mv_normal_chol_lpdf_grad, (check_finite_vector, _check_cholesky))
        if self.is_numeric:
            mu_v, s = self._values()
            if s.shape[-1] != mu_v.shape[-1]:
                raise ValueError(f"MvNormal: mu has length {mu_v.shape[-1]} but "
                                 f"{self.param_names[1]} is {s.shape[-2:]}")

    @property
    def batch_shape(self):
        mu, s = self._values()
        return np.broadcast_shapes(mu.shape[:-1], s.shape[:-2])

    @property
    def event_shape(self):
        return self._values()[0].shape[-1:]

    def _chol(self):
        s = self._values()[1]
        return np.linalg.cholesky(s) if self.param_names[1] == "cov" else np.tril(s)

    def logpdf(self, x):
        mu, s = self._values()
        ev = self.event_shape
        x = _check_vector_event(self, x, ev)
        batch = np.broadcast_shapes(x.shape[:-1], self.batch_shape)
        out = np.empty(int(np.prod(batch, dtype=np.int64)))
        _loop_vec_vec_mat(self.kernel, _rows(x, batch, ev), _rows(mu, batch, ev),
                          _rows(s, batch, ev + ev), out)
        return _finish(out, batch)

    def _sample(self, rng, shape, v):
        k = self.event_shape[0]
        z = rng.standard_normal(shape + (k,))
        return v[0] + np.einsum("...ij,...j->...i", self._chol(), z)

    def _mean(self, mu, s):
        return mu

    def _var(self, mu, s):
        L = self._chol()
        return np.einsum("...ij,...ij->...i", L, L)

    def default_transform(self):
        return tr.Identity()


def _check_covariance(name, v):
    if v.ndim < 2 or v.shape[-1] != v.shape[-2]:
        _fail(name, v, "a square matrix")
    if not np.all(np.isfinite(v)) or not np.allclose(v, np.swapaxes(v, -1, -2), rtol=1e-10,
                                                     atol=1e-12):
        _fail(name, v, "a finite symmetric matrix")
    try:
        np.linalg.cholesky(v)
    except np.linalg.LinAlgError:
        _fail(name, v, "positive definite")


def _check_cholesky(name, v):
    if v.ndim < 2 or v.shape[-1] != v.shape[-2]:
        _fail(name, v, "a square lower-triangular matrix")
    diag = np.diagonal(v, axis1=-2, axis2=-1)
    if not np.all(np.isfinite(np.tril(v))) or not np.all(diag > 0):
        _fail(name, v, "lower triangular with a positive diagonal")
    if np.any(np.triu(v, 1) != 0):
        _fail(name, v, "lower triangular (nonzero entries above the diagonal)")


class Dirichlet(Distribution):
    """Dirichlet(alpha): concentrations ``alpha`` (last axis) on the simplex.

    scipy: ``dirichlet(alpha)``.
    """

    event_ndim = 1
    support = "simplex"

    def __init__(self, alpha):
        self._setup(("alpha",), (alpha,), dirichlet_lpdf, dirichlet_lpdf_grad,
                    (check_positive_vector,))

    @property
    def batch_shape(self):
        return self._values()[0].shape[:-1]

    @property
    def event_shape(self):
        return self._values()[0].shape[-1:]

    def logpdf(self, x):
        (alpha,) = self._values()
        ev = self.event_shape
        x = _check_vector_event(self, x, ev)
        batch = np.broadcast_shapes(x.shape[:-1], self.batch_shape)
        out = np.empty(int(np.prod(batch, dtype=np.int64)))
        _loop_vec_vec(self.kernel, _rows(x, batch, ev), _rows(alpha, batch, ev), out)
        return _finish(out, batch)

    def _sample(self, rng, shape, v):
        (alpha,) = v
        size = shape[: len(shape) - len(self.batch_shape)]
        rows = alpha.reshape(-1, alpha.shape[-1])
        draws = np.stack([rng.dirichlet(a, size=size) for a in rows], axis=len(size))
        return draws.reshape(shape + alpha.shape[-1:])

    def _mean(self, alpha):
        return alpha / alpha.sum(axis=-1, keepdims=True)

    def _var(self, alpha):
        a0 = alpha.sum(axis=-1, keepdims=True)
        return alpha * (a0 - alpha) / (a0 ** 2 * (a0 + 1.0))

    def default_transform(self):
        return tr.Simplex()


class LKJCholesky(Distribution):
    """LKJCholesky(n, eta=1): the Cholesky factor ``L`` of an n x n correlation matrix
    ``R = L L^T`` with LKJ density ``p(R) proportional to det(R)^(eta - 1)`` (Stan's
    ``lkj_corr_cholesky``). ``n`` fixes the shape; ``eta`` is the only parameter.
    No scipy twin: for n = 2, ``R[1, 0] = 2 B - 1`` with ``B ~ Beta(eta, eta)``.

    ``mean``/``var`` are the elementwise moments of ``L`` (closed form from the
    independent Beta partial correlations).
    """

    event_ndim = 2
    support = "Cholesky factors of correlation matrices"

    def __init__(self, n, eta=1.0):
        n_arr = np.asarray(n)
        if n_arr.ndim != 0 or not float(n_arr) == int(n_arr) or int(n_arr) < 2:
            raise ValueError(f"n must be an integer >= 2, got n={n!r}")
        self.n = int(n_arr)
        self._setup(("eta",), (eta,), lkj_cholesky_lpdf, lkj_cholesky_lpdf_grad,
                    (check_positive,))

    def rebuilder(self):
        """``n`` is structure, not a parameter: keep it when rebuilding from ``eta``."""
        return functools.partial(_lkj_from_params, self.n)

    @property
    def event_shape(self):
        return (self.n, self.n)

    def logpdf(self, x):
        (eta,) = self._values()
        ev = self.event_shape
        x = np.asarray(x, dtype=np.float64)
        if x.ndim < 2 or x.shape[-2:] != ev:
            raise ValueError(f"LKJCholesky.logpdf: x must end with shape {ev}, got {x.shape}")
        batch = np.broadcast_shapes(x.shape[:-2], self.batch_shape)
        out = np.empty(int(np.prod(batch, dtype=np.int64)))
        _loop_mat_scalar(self.kernel, _rows(x, batch, ev), _rows(eta, batch, ()), out)
        return _finish(out, batch)

    def _partial_beta_params(self, eta):
        return np.stack([np.broadcast_to(eta + 0.5 * (self.n - 2 - j), np.shape(eta))
                         for i in range(1, self.n) for j in range(i)], axis=-1)

    def _sample(self, rng, shape, v):
        # canonical partial correlations are independent 2 Beta(b_j, b_j) - 1
        b = self._partial_beta_params(v[0])
        z = 2.0 * rng.beta(b, b, size=shape + b.shape[-1:]) - 1.0
        return tr.CholeskyCorr().constrain(np.arctanh(np.clip(z, -1 + 1e-16, 1 - 1e-16)))

    def _moments(self, eta):
        n = self.n
        mean = np.zeros(np.shape(eta) + (n, n))
        second = np.zeros(np.shape(eta) + (n, n))
        mean[..., 0, 0] = second[..., 0, 0] = 1.0
        for i in range(1, n):
            keep_sq = 1.0  # E prod_{m<j} (1 - z_m^2)
            keep_sqrt = 1.0  # E prod_{m<j} sqrt(1 - z_m^2)
            for j in range(i):
                b = eta + 0.5 * (n - 2 - j)
                second[..., i, j] = keep_sq / (2.0 * b + 1.0)
                keep_sq = keep_sq * 2.0 * b / (2.0 * b + 1.0)
                keep_sqrt = keep_sqrt * 2.0 * np.exp(betaln(b + 0.5, b + 0.5) - betaln(b, b))
            mean[..., i, i] = keep_sqrt
            second[..., i, i] = keep_sq
        return mean, second

    def _mean(self, eta):
        return self._moments(eta)[0]

    def _var(self, eta):
        mean, second = self._moments(eta)
        return second - mean ** 2

    def default_transform(self):
        return tr.CholeskyCorr()


class Multinomial(Distribution):
    """Multinomial(n, p): counts of ``n`` draws over the categories of ``p`` (last axis).

    scipy: ``multinomial(n, p)``.
    """

    event_ndim = 1
    is_discrete = True
    support = "nonnegative integer vectors summing to n"

    def __init__(self, n, p):
        self._setup(("n", "p"), (n, p), multinomial_lpdf, multinomial_lpdf_grad,
                    (check_nonnegative_integer, check_simplex))

    @property
    def batch_shape(self):
        n, p = self._values()
        return np.broadcast_shapes(n.shape, p.shape[:-1])

    @property
    def event_shape(self):
        return self._values()[1].shape[-1:]

    def logpdf(self, x):
        n, p = self._values()
        ev = self.event_shape
        x = _check_vector_event(self, x, ev)
        batch = np.broadcast_shapes(x.shape[:-1], self.batch_shape)
        out = np.empty(int(np.prod(batch, dtype=np.int64)))
        _loop_vec_scalar_vec(self.kernel, _rows(x, batch, ev), _rows(n, batch, ()),
                             _rows(p, batch, ev), out)
        return _finish(out, batch)

    def _sample(self, rng, shape, v):
        n, p = v
        return rng.multinomial(n.astype(np.int64), p, size=shape).astype(np.int64)

    def _mean(self, n, p):
        return n[..., None] * p

    def _var(self, n, p):
        return n[..., None] * p * (1.0 - p)

    def default_transform(self):
        raise TypeError("Multinomial is discrete: it cannot be a continuous parameter")


__all__ = ["MvNormal", "Dirichlet", "LKJCholesky", "Multinomial"]


def _lkj_from_params(n, values):
    (eta,) = values
    return LKJCholesky(n, eta)
