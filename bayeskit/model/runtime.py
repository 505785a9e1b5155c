"""Small Numba helpers that generated model code calls (scalar functions, slices, linear
algebra with reverse-mode derivatives). All ``@njit(cache=True, nogil=True)``; none raises."""

import math

import numpy as np
from numba import njit

from ..distributions._special import digamma, log1pexp, sigmoid  # noqa: F401 (re-exported)

_jit = njit(cache=True, nogil=True, error_model="numpy")


@_jit
def logaddexp(a, b):
    """``log(exp(a) + exp(b))`` without overflow."""
    if a == -math.inf:
        return b
    if b == -math.inf:
        return a
    if a > b:
        return a + math.log1p(math.exp(b - a))
    return b + math.log1p(math.exp(a - b))


@_jit
def log1mexp(a):
    """``log(1 - exp(a))`` for ``a <= 0``, accurate near 0 and far below it."""
    if a > -0.6931471805599453:
        return math.log(-math.expm1(a))
    return math.log1p(-math.exp(a))


@_jit
def logit(p):
    return math.log(p) - math.log1p(-p)


@_jit
def slice_norm(n, start, stop, step, has_start, has_stop):
    """Python's ``slice(start, stop, step).indices(n)``: return (first index, length)."""
    if step > 0:
        lo = 0 if not has_start else (start + n if start < 0 else start)
        lo = min(max(lo, 0), n)
        hi = n if not has_stop else (stop + n if stop < 0 else stop)
        hi = min(max(hi, 0), n)
        length = (hi - lo + step - 1) // step if hi > lo else 0
        return lo, length
    lo = n - 1 if not has_start else (start + n if start < 0 else start)
    lo = min(max(lo, -1), n - 1)
    hi = -1 if not has_stop else (stop + n if stop < 0 else stop)
    hi = min(max(hi, -1), n - 1)
    length = (lo - hi + (-step) - 1) // (-step) if lo > hi else 0
    return lo, length


@_jit
def cholesky(a, out):
    """Lower Cholesky factor of the symmetric matrix ``a`` (its lower triangle) into
    ``out``; returns False (out undefined) when ``a`` is not positive definite."""
    n = a.shape[0]
    for j in range(n):
        s = a[j, j]
        for k in range(j):
            s -= out[j, k] * out[j, k]
        if not s > 0.0:
            return False
        d = math.sqrt(s)
        out[j, j] = d
        for i in range(j + 1, n):
            t = a[i, j]
            for k in range(j):
                t -= out[i, k] * out[j, k]
            out[i, j] = t / d
        for i in range(j):
            out[i, j] = 0.0
    return True


@_jit
def cholesky_vjp(L, L_adj, a_adj):
    """Add to ``a_adj`` the adjoint of the input of ``L = cholesky(a)`` given ``L_adj``.

    The forward pass reads only the lower triangle of ``a``, so the adjoint lands there.
    With P = Phi(L^T L_adj) (lower triangle, diagonal halved) and S = L^-T P L^-1, the
    symmetric adjoint is (S + S^T) / 2; the lower-triangle inputs get S_ij + S_ji off the
    diagonal and S_ii on it (Murray 2016, "Differentiation of the Cholesky decomposition").
    """
    n = L.shape[0]
    P = np.zeros((n, n))
    for i in range(n):
        for j in range(i + 1):
            s = 0.0
            for k in range(i, n):  # L^T[i, k] = L[k, i], nonzero for k >= i
                s += L[k, i] * L_adj[k, j]
            P[i, j] = 0.5 * s if i == j else s
    # S = L^-T P L^-1: first X = L^-T P (solve L^T X = P), then S = X L^-1 (S L = X).
    X = np.empty((n, n))
    for c in range(n):
        for i in range(n - 1, -1, -1):
            s = P[i, c]
            for k in range(i + 1, n):
                s -= L[k, i] * X[k, c]
            X[i, c] = s / L[i, i]
    S = np.empty((n, n))
    for r in range(n):
        for j in range(n - 1, -1, -1):
            s = X[r, j]
            for k in range(j + 1, n):
                s -= S[r, k] * L[k, j]
            S[r, j] = s / L[j, j]
    for i in range(n):
        for j in range(i):
            a_adj[i, j] += S[i, j] + S[j, i]
        a_adj[i, i] += S[i, i]
