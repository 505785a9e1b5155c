"""Starting points for MCMC chains, the way Stan chooses them.

Each chain starts at a point drawn uniformly from (-radius, radius)^dim on the
unconstrained scale (radius 2 by default), redrawn up to ``max_tries`` times until the log
density and its gradient are finite. A user may give constrained values for some or all
variables (a dict, like Stan's ``init``); the rest are drawn as above. When no finite point
is found the error names the variables responsible where it can tell (non-finite
constrained values or gradient components, observations whose log-likelihood is not
finite) and shows the last values tried.
"""

from __future__ import annotations

import numpy as np

__all__ = ["InitializationError", "initial_point", "check_point", "variable_of_index"]


class InitializationError(ValueError):
    """No starting point with a finite log density and gradient was found."""


def _finite_point(ld, theta):
    grad = np.empty(ld.dim)
    lp = ld.logp_grad(theta, grad)
    return np.isfinite(lp) and bool(np.all(np.isfinite(grad))), lp, grad


def check_point(ld, theta):
    """True if the log density and its gradient are finite at ``theta``."""
    return _finite_point(ld, np.ascontiguousarray(theta, dtype=float))[0]


def variable_of_index(ld, theta):
    """Name of the constrained variable each unconstrained coordinate feeds (a list).

    Found by perturbing one coordinate at a time and seeing which named values move, so it
    works for any LogDensity; deterministics that depend on many coordinates are ignored
    when a free variable also moves. Coordinates that move nothing map to ``"?"``.
    """
    base = ld.constrain(theta)
    names = []
    for i in range(ld.dim):
        t = np.array(theta, dtype=float)
        t[i] += 0.5 if abs(t[i]) < 1e3 else -0.5 * t[i]
        moved = [k for k, v in ld.constrain(t).items()
                 if not np.array_equal(np.asarray(v), np.asarray(base[k]), equal_nan=True)]
        free = [k for k in moved if k not in getattr(ld, "deterministic_names", ())]
        names.append((free or moved or ["?"])[0])
    return names


def _user_point(ld, init, rng, radius):
    """Unconstrained point from a (possibly partial) dict of constrained values."""
    if not isinstance(init, dict):
        raise TypeError(f"init must be a dict of constrained values, got {type(init).__name__}")
    base = ld.constrain(rng.uniform(-radius, radius, size=ld.dim))
    deterministic = set(getattr(ld, "deterministic_names", ()))
    unknown = [k for k in init if k not in base or k in deterministic]
    if unknown:
        free = [k for k in base if k not in deterministic]
        raise ValueError(f"init gives unknown variables {unknown}; the model's parameters "
                         f"are {free}")
    values = {k: v for k, v in base.items() if k not in deterministic}
    for k, v in init.items():
        v = np.asarray(v, dtype=float)
        if v.shape != np.shape(base[k]):
            raise ValueError(f"init[{k!r}] has shape {v.shape}; the variable has shape "
                             f"{np.shape(base[k])}")
        values[k] = v
    try:
        with np.errstate(invalid="ignore", divide="ignore"):
            theta = np.asarray(ld.unconstrain(values), dtype=float)
    except (ValueError, FloatingPointError) as err:
        raise ValueError(f"init values are outside the variables' support: {err}") from None
    if theta.shape != (ld.dim,) or not np.all(np.isfinite(theta)):
        bad = sorted({n for n, t in zip(variable_of_index(ld, np.zeros(ld.dim)), theta)
                      if not np.isfinite(t)}) if theta.shape == (ld.dim,) else list(init)
        raise ValueError(f"init values of {bad} are outside the variables' support")
    return theta


def _explain(ld, theta, lp, grad):
    """A message naming what makes the log density or gradient non-finite at ``theta``."""
    values = ld.constrain(theta)
    owners = variable_of_index(ld, theta)
    reasons = []
    bad_values = [k for k, v in values.items() if not np.all(np.isfinite(v))]
    if bad_values:
        reasons.append(f"non-finite values of {bad_values}")
    bad_grad = sorted({owners[i] for i in np.flatnonzero(~np.isfinite(grad))})
    if bad_grad:
        reasons.append(f"non-finite gradient with respect to {bad_grad}")
    if hasattr(ld, "log_likelihood_draws"):
        try:
            loglik = ld.log_likelihood_draws(theta[None, :])
        except Exception as err:  # noqa: BLE001 - diagnosis must not hide the real error
            loglik = {}
            reasons.append(f"the log-likelihood could not be evaluated ({err})")
        for name, ll in loglik.items():
            ll = np.asarray(ll)[0]
            bad = ~np.isfinite(ll)
            if np.any(bad):
                first = np.argwhere(bad)[0] if ll.ndim else ()
                reasons.append(f"observed {name!r} has a non-finite log-likelihood at "
                               f"{int(bad.sum())} of {bad.size} entries (first at index "
                               f"{tuple(int(i) for i in first)}): check the data against "
                               f"the distribution's support")
    if not reasons:
        reasons.append("a non-finite log density at every point tried; its terms cannot be "
                       "told apart from outside, so check each variable's prior and support")
    shown = {k: np.round(np.asarray(v, dtype=float), 4).tolist() if np.size(v) <= 6
             else f"array of shape {np.shape(v)}" for k, v in values.items()}
    return "; ".join(reasons) + f". Last values tried: {shown} (log density {lp})"


def initial_point(ld, rng, init=None, *, radius=2.0, max_tries=100):
    """A starting point (unconstrained, shape (dim,)) with finite log density and gradient.

    ``init``: None (uniform(-radius, radius) on the unconstrained scale, retried up to
    ``max_tries`` times) or a dict of constrained values (missing variables drawn as
    above). Raises :class:`InitializationError` naming the offending variables.
    """
    if not radius > 0:
        raise ValueError(f"radius must be positive, got {radius}")
    if init is not None:
        theta = _user_point(ld, init, rng, radius)
        ok, lp, grad = _finite_point(ld, theta)
        if ok:
            return theta
        raise InitializationError("the log density or its gradient is not finite at the "
                                  "given init: " + _explain(ld, theta, lp, grad))
    for _ in range(max_tries):
        theta = rng.uniform(-radius, radius, size=ld.dim)
        ok, lp, grad = _finite_point(ld, theta)
        if ok:
            return theta
    raise InitializationError(
        f"no finite log density and gradient in {max_tries} random starts drawn from "
        f"uniform({-radius:g}, {radius:g}) on the unconstrained scale: "
        + _explain(ld, theta, lp, grad)
        + ". Try init={...} with plausible values, or check the model.")
