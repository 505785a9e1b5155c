"""The ADVI update: a natural-gradient step in whitened local coordinates (compiled).

Plain or Adam-scaled gradient steps are measured in unconstrained units, so a learning
rate that moves a coefficient with posterior sd 1 sensibly jitters one with sd 0.01 by
many sds (and Adam's per-coordinate normalization cannot know the scale of a mean from its
noisy gradient). Natural gradients are invariant to the scale of each parameter: with
q = N(mu, L L^T), write mu = mu + L u and L = L (I + M) (M lower triangular) and take
steps in (u, M), where the Fisher information of q is the identity (2 on M's diagonal).
With w = L^T grad log p(theta) at theta = mu + L z, the ELBO gradients there are

    d/du = E[w],   d/dM = tril(E[w z^T]) + I,

so a step of size ``lr`` is

    mu    += lr * L E[w]                              (= lr * Cov_q * E[grad log p])
    L     <- L (I + lr * strict_tril(E[w z^T])) diag(exp(lr * (diag E[w z^T] + 1) / 2)).

For a Gaussian target the mean error then shrinks by the factor (1 - lr) per step whatever
the scales, and the stationary jitter of mu is about sqrt(lr / 2) posterior sds; the caller
reduces ``lr`` once the ELBO stops improving and averages the iterates. Each component of
a step is clipped to ``max_step`` unconstrained units (a trust region for the first
iterations, where q can be far wider than the posterior); for full rank the whole M step
is shrunk to Frobenius norm ``max_step`` instead. Mean-field is the same with L
diagonal (``strict`` of shape (0, 0)).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def _clip(x, bound):
    return min(max(x, -bound), bound)


@njit(cache=True, nogil=True)
def natural_gradient_step(mu, log_diag, strict, w_mean, wz_diag, wz_lower, lr, max_step):
    """One natural-gradient ascent step on the ELBO, in place.

    ``w_mean`` = E[L^T grad], ``wz_diag`` = diag E[w z^T], and for full rank
    ``wz_lower`` = E[w z^T] (d, d; lower triangle used). Mean-field: ``strict`` and
    ``wz_lower`` have shape (0, 0).
    """
    dim = mu.shape[0]
    fullrank = strict.shape[0] > 0
    # mu += lr * L w
    for i in range(dim):
        acc = math.exp(log_diag[i]) * w_mean[i]
        if fullrank:
            for j in range(i):
                acc += strict[i, j] * w_mean[j]
        mu[i] += _clip(lr * acc, max_step)
    if not fullrank:
        for i in range(dim):
            log_diag[i] += _clip(0.5 * lr * (wz_diag[i] + 1.0), max_step)
        return
    # the M step changes L by a relative amount: shrink it as a whole (diagonal and
    # strict lower part) to Frobenius norm <= max_step, so that no step can distort L
    norm2 = 0.0
    for i in range(dim):
        norm2 += (0.5 * lr * (wz_diag[i] + 1.0)) ** 2
        for j in range(i):
            norm2 += (lr * wz_lower[i, j]) ** 2
    shrink = lr if norm2 <= max_step * max_step else lr * max_step / math.sqrt(norm2)
    dm = np.empty(dim)
    for i in range(dim):
        dm[i] = 0.5 * shrink * (wz_diag[i] + 1.0)
    # strict part of L (I + dM_strict): B_ij = L_ij + sum_{j<k<=i} L_ik dM_kj
    new = np.zeros((dim, dim))
    for i in range(dim):
        for j in range(i):
            acc = strict[i, j] + math.exp(log_diag[i]) * shrink * wz_lower[i, j]
            for k in range(j + 1, i):
                acc += strict[i, k] * shrink * wz_lower[k, j]
            new[i, j] = acc * math.exp(dm[j])
    for i in range(dim):
        log_diag[i] += dm[i]
        for j in range(i):
            strict[i, j] = new[i, j]
