"""``bk.find_map``: the posterior mode by L-BFGS on the compiled log density.

SciPy's L-BFGS-B minimizes the negative log density over the unconstrained space using
the compiled gradient. The density optimized is the one the samplers see: it includes the
log-Jacobian of the constraining transforms, so for constrained parameters the result is
the mode on the unconstrained scale (as Stan's ``optimize(jacobian=True)``). When the model
can compile its density without the Jacobian (``m.compile(jacobian=False)``) and
``jacobian=False`` is asked for, the classical MAP in the user's space is returned.
"""

from __future__ import annotations

import inspect

import numpy as np
import scipy.optimize

from .inference import as_log_density, chain_generators
from .initialization import initial_point

__all__ = ["find_map", "MAPResult"]


class MAPResult(dict):
    """The mode as a dict of constrained values, with the optimizer's record as attributes:
    ``theta`` (unconstrained point), ``lp`` (log density there), ``n_iter``, ``n_eval``,
    ``message``."""

    def __init__(self, values, *, theta, lp, n_iter, n_eval, message):
        super().__init__(values)
        self.theta, self.lp, self.n_iter, self.n_eval, self.message = (
            theta, lp, n_iter, n_eval, message)


def _density(model_or_ld, jacobian):
    if jacobian:
        return as_log_density(model_or_ld)
    compile_ = getattr(model_or_ld, "compile", None)
    if compile_ is None or "jacobian" not in inspect.signature(compile_).parameters:
        raise ValueError("jacobian=False needs a bk.Model whose compile() accepts "
                         "jacobian=False; this object gives only the density with the "
                         "Jacobian")
    return compile_(jacobian=False)


def find_map(model_or_ld, *, init=None, seed=None, jacobian=True, maxiter=10_000,
             gtol=1e-8):
    """Maximize the log density; return a :class:`MAPResult` (dict of constrained values).

    ``init``: a dict of constrained starting values (default: a Stan-like random start
    from ``seed``). Raises ``RuntimeError`` with the optimizer's message if it fails, or
    if the density is unbounded (e.g. an improper posterior).
    """
    ld = _density(model_or_ld, jacobian)
    rng = chain_generators(seed, 1)[0]
    theta0 = initial_point(ld, rng, init)
    grad = np.empty(ld.dim)
    evals = 0

    def negative(theta):
        nonlocal evals
        evals += 1
        lp = ld.logp_grad(np.ascontiguousarray(theta), grad)
        if not np.isfinite(lp):
            # L-BFGS backtracks from an infinite value; the gradient is then irrelevant.
            return np.inf, np.zeros(ld.dim)
        return -lp, -grad

    res = scipy.optimize.minimize(negative, theta0, jac=True, method="L-BFGS-B",
                                  options={"maxiter": maxiter, "gtol": gtol,
                                           "maxfun": 10 * maxiter})
    lp = -float(res.fun)
    if not np.all(np.isfinite(res.x)) or not np.isfinite(lp):
        raise RuntimeError(f"find_map failed: the optimizer reached a non-finite point "
                           f"({res.message}); the density may be unbounded or improper")
    grad_norm = float(np.max(np.abs(res.jac))) if res.jac is not None else np.inf
    if not res.success and grad_norm > 1e-3 * max(1.0, abs(lp)):
        raise RuntimeError(f"find_map did not converge after {res.nit} iterations: "
                           f"{res.message} (largest gradient component {grad_norm:.3g}). "
                           "Try another init=, or check that the posterior has a mode")
    if np.max(np.abs(res.x)) > 1e6:
        raise RuntimeError("find_map ran off to infinity (an unconstrained coordinate "
                           f"reached {np.max(np.abs(res.x)):.3g}): the density has no mode; "
                           "check for an improper prior or separable data")
    return MAPResult(ld.constrain(res.x), theta=res.x, lp=lp, n_iter=int(res.nit),
                     n_eval=evals, message=str(res.message))
