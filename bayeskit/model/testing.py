"""Checking helpers for compiled log densities (used by the test suite; handy for users
writing their own models or custom Numba densities)."""

from __future__ import annotations

import numpy as np


def finite_difference_grad(ld, theta, h=1e-6):
    """Central finite-difference gradient of ``ld.logp`` at ``theta`` (step h * max(1, |x|))."""
    theta = np.asarray(theta, dtype=np.float64)
    out = np.empty_like(theta)
    for k in range(theta.size):
        step = h * max(1.0, abs(theta[k]))
        up, dn = theta.copy(), theta.copy()
        up[k] += step
        dn[k] -= step
        out[k] = (ld.logp(up) - ld.logp(dn)) / (2.0 * step)
    return out


def check_grad(ld, theta, rtol=1e-5, atol=1e-6, h=1e-6):
    """Assert that ``ld.logp_grad`` agrees with central finite differences at ``theta``;
    returns ``(lp, grad)``."""
    theta = np.ascontiguousarray(theta, dtype=np.float64)
    grad = np.empty_like(theta)
    lp = ld.logp_grad(theta, grad)
    if not np.isfinite(lp):
        raise AssertionError(f"log density is {lp} at theta={theta}")
    fd = finite_difference_grad(ld, theta, h)
    scale = max(1.0, float(np.max(np.abs(fd))))
    bad = np.abs(grad - fd) > atol * scale + rtol * np.abs(fd)
    if bad.any():
        k = np.flatnonzero(bad)
        raise AssertionError(f"gradient mismatch at coordinates {k.tolist()}: autodiff "
                             f"{grad[k]} vs finite differences {fd[k]}")
    return lp, grad
