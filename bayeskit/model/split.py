"""Split kernels: a univariate log density factored into a loop-invariant part and a per-row part.

A likelihood over many rows whose shape and scale parameters are scalars shared by every
row (``StudentT(nu, X @ beta, sigma)`` on 20,000 houses) would otherwise recompute
``lgamma``/``digamma`` of ``nu`` and ``log(sigma)`` on every row. Splits exist for
Normal and LogNormal (sigma), StudentT (nu and sigma), Gamma (the shape alpha; the rate
may vary by row, as in a Gamma GLM) and Censored Normal/StudentT (the base family's). A :class:`Split`
registered for a family's gradient kernel gives the code generator two pieces instead:

* ``pre(*invariant_params) -> consts`` (a tuple of ``n_consts`` floats), evaluated once
  before the loop over rows;
* ``row(x, *params, *consts)``, evaluated per row, with exactly the result contract of
  the family's ``<fam>_lpdf_grad`` kernel (value-only code takes its first element).

The generator uses a split when the lpdf is a loop (its node is not a scalar) and every
parameter listed in ``invariant`` is a scalar computed outside the loop
(:meth:`bayeskit.model.codegen.Gen.split_of`); otherwise it calls the family's own
kernels. The row kernels compute only the common case (valid parameters, finite
values, standardized residuals below :data:`COMMON`); anything else (invalid or
infinite parameters, NaN or infinite ``x`` or ``mu``, huge residuals, a censored row at
its bound) is handed to the family's full kernel, so edge cases behave exactly as
without the split. The tests check every split against its family's kernels.

The kernels live here, not beside the families, because the split is a property of how
the model compiler evaluates a loop; :data:`SPLITS` is keyed by the path of the family's
gradient kernel (``"module:name"``, as stored on lpdf nodes). Another family joins by
adding its ``pre``/row kernels and one entry.
"""

from __future__ import annotations

import math
from typing import NamedTuple

from numba import njit

from ..distributions._special import (HALF_LOG_2PI, INF, LOG_PI, digamma,
                                      digamma_half_excess, lgamma_half_ratio)
from ..distributions.censored import censored_normal_lpdf_grad, censored_student_t_lpdf_grad
from ..distributions.continuous import (gamma_lpdf_grad, lognormal_lpdf_grad, normal_lpdf_grad,
                                        student_t_lpdf_grad)
from .model import kernel_path

_jit = njit(cache=True, nogil=True, error_model="numpy")
# Row kernels are inlined into the generated loop (Numba IR inlining): as separate
# functions they cost a call per row and keep the compiler from simplifying across it.
_jit_inline = njit(cache=True, nogil=True, error_model="numpy", inline="always")

COMMON = 1e100
"""Row kernels handle standardized residuals below this size (their squares stay finite);
larger ones, NaN and infinities go to the family's full kernel."""


class Split(NamedTuple):
    """How to evaluate one family's kernels with some parameters hoisted out of the loop."""

    invariant: tuple
    """Positions (among the family's parameters, not counting ``x``) that must be scalars
    shared by every row; they are the arguments of ``pre``, in this order."""
    n_consts: int
    """Length of the tuple ``pre`` returns."""
    pre: str
    row: str
    """``row(x, *params, *consts) -> (lp, d_x, *d_params)``; value-only code takes ``[0]``
    (inlined, so the compiler drops the unused partials)."""


# ------------------------------------------------------------------------------ Normal
@_jit
def normal_pre(sigma):
    """``(1 / sigma, -log(sigma) - log(2 pi) / 2, ok)``; ``ok`` is 0.0 for an invalid sigma."""
    if not (sigma > 0.0 and math.isfinite(sigma)):
        return 0.0, 0.0, 0.0
    return 1.0 / sigma, -math.log(sigma) - HALF_LOG_2PI, 1.0


@_jit_inline
def normal_row(x, mu, sigma, inv_sigma, const, ok):
    z = (x - mu) * inv_sigma
    if ok == 0.0 or not abs(z) < COMMON:
        return normal_lpdf_grad(x, mu, sigma)
    dmu = z * inv_sigma
    return -0.5 * z * z + const, -dmu, dmu, (z * z - 1.0) * inv_sigma


# --------------------------------------------------------------------------- LogNormal
@_jit_inline
def lognormal_row(x, mu, sigma, inv_sigma, const, ok):
    """The normal row at ``log x``, less ``log x`` (``pre`` is :func:`normal_pre`)."""
    if x > 0.0:
        lx = math.log(x)
        lp, dlx, dmu, dsigma = normal_row(lx, mu, sigma, inv_sigma, const, ok)
        if math.isfinite(lp):
            return lp - lx, (dlx - 1.0) / x, dmu, dsigma
    return lognormal_lpdf_grad(x, mu, sigma)


# ----------------------------------------------------------------------------- StudentT
@_jit
def student_t_pre(nu, sigma):
    """Constants of ``student_t_lpdf_grad`` that depend on ``nu`` and ``sigma`` only:
    ``(1/sigma, 1/sqrt(nu), log-density constant, (nu+1)/2, (nu+1)/(sqrt(nu) sigma),
    the constant part of d/dnu, (nu+1)/(2 nu), ok)``. ``ok`` is 0.0 where the full
    kernel must decide (invalid parameters, or ``nu = inf``: the normal limit)."""
    if not (nu > 0.0 and nu < INF and sigma > 0.0 and math.isfinite(sigma)):
        return 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0
    inv_sigma = 1.0 / sigma
    inv_sqrt_nu = 1.0 / math.sqrt(nu)
    const = lgamma_half_ratio(0.5 * nu) - 0.5 * (math.log(nu) + LOG_PI) - math.log(sigma)
    return (inv_sigma, inv_sqrt_nu, const, 0.5 * (nu + 1.0),
            (nu + 1.0) * inv_sqrt_nu * inv_sigma, 0.5 * digamma_half_excess(0.5 * nu),
            0.5 * (nu + 1.0) / nu, 1.0)


@_jit_inline
def student_t_row(x, nu, mu, sigma, inv_sigma, inv_sqrt_nu, const, half_nu1, k_dx,
                  dnu_const, k_dnu, ok):
    t = (x - mu) * inv_sigma * inv_sqrt_nu
    if ok == 0.0 or not abs(t) < COMMON:
        return student_t_lpdf_grad(x, nu, mu, sigma)
    t2 = t * t
    log1p_t2 = math.log1p(t2)
    inv_1p_t2 = 1.0 / (1.0 + t2)
    frac = t2 * inv_1p_t2  # z^2 / (nu + z^2)
    dx = -k_dx * t * inv_1p_t2
    dsigma = (2.0 * half_nu1 * frac - 1.0) * inv_sigma
    dnu = dnu_const - 0.5 * log1p_t2 + k_dnu * frac
    return const - half_nu1 * log1p_t2, dx, dnu, -dx, dsigma


# ------------------------------------------------------------------------------- Gamma
@_jit
def gamma_pre(alpha):
    """``(lgamma(alpha), digamma(alpha), ok)``: the shape's terms (the rate may vary by row)."""
    if not (alpha > 0.0 and math.isfinite(alpha)):
        return 0.0, 0.0, 0.0
    return math.lgamma(alpha), digamma(alpha), 1.0


@_jit_inline
def gamma_row(x, alpha, beta, lgamma_alpha, digamma_alpha, ok):
    if ok != 0.0 and x > 0.0 and beta > 0.0 and math.isfinite(beta):
        lx = math.log(x)
        lb = math.log(beta)
        lp = alpha * lb - lgamma_alpha + (alpha - 1.0) * lx - beta * x
        if math.isfinite(lp):
            return lp, (alpha - 1.0) / x - beta, lb - digamma_alpha + lx, alpha / beta - x
    return gamma_lpdf_grad(x, alpha, beta)


# -------------------------------------------------------------------------- Censored
# The base family's constants; rows strictly inside the bounds use the base family's row
# kernel, rows at a bound (the tail probabilities) and impossible rows go to the censored
# family's full kernel.
@_jit_inline
def censored_normal_row(x, mu, sigma, lower, upper, inv_sigma, const, ok):
    if lower < x < upper:
        lp, dx, dmu, dsigma = normal_row(x, mu, sigma, inv_sigma, const, ok)
        return lp, dx, dmu, dsigma, 0.0, 0.0
    return censored_normal_lpdf_grad(x, mu, sigma, lower, upper)


@_jit_inline
def censored_student_t_row(x, nu, mu, sigma, lower, upper, inv_sigma, inv_sqrt_nu, const,
                           half_nu1, k_dx, dnu_const, k_dnu, ok):
    if lower < x < upper:
        lp, dx, dnu, dmu, dsigma = student_t_row(
            x, nu, mu, sigma, inv_sigma, inv_sqrt_nu, const, half_nu1, k_dx, dnu_const,
            k_dnu, ok)
        return lp, dx, dnu, dmu, dsigma, 0.0, 0.0
    return censored_student_t_lpdf_grad(x, nu, mu, sigma, lower, upper)


# ---------------------------------------------------------------------------- registry
def _split(invariant, n_consts, pre, row):
    return Split(invariant, n_consts, kernel_path(pre, "split"), kernel_path(row, "split"))


_NORMAL = ((1,), 3, normal_pre)           # sigma
_STUDENT_T = ((0, 2), 8, student_t_pre)   # nu, sigma

SPLITS = {
    kernel_path(normal_lpdf_grad, "split"): _split(*_NORMAL, normal_row),
    kernel_path(lognormal_lpdf_grad, "split"): _split(*_NORMAL, lognormal_row),
    kernel_path(gamma_lpdf_grad, "split"): _split((0,), 3, gamma_pre, gamma_row),  # alpha
    kernel_path(student_t_lpdf_grad, "split"): _split(*_STUDENT_T, student_t_row),
    kernel_path(censored_normal_lpdf_grad, "split"): _split(*_NORMAL, censored_normal_row),
    kernel_path(censored_student_t_lpdf_grad, "split"):
        _split(*_STUDENT_T, censored_student_t_row),
}
"""Gradient-kernel path of a family (as stored on lpdf nodes) -> its :class:`Split`.
A censored family hoists its base family's parameters; its bounds may vary by row."""
