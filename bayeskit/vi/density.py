"""What every VI method needs from a log-density: a batch evaluator and a starting point.

``logp_batch`` evaluates the compiled log-density at many points in one compiled loop
(so importance weights, ELBO estimates and PSIS diagnostics cost no per-draw Python), and
``as_logdensity`` turns a user's input into a LogDensity or a clear error. Starting
points come from :func:`bayeskit.initialization.initial_point`, as for MCMC.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ..logdensity import LogDensity, call_logp_grad


@njit(cache=True, nogil=True)
def logp_batch(fn, thetas, fdata, idata, out):
    """Write the log density of each row of ``thetas`` (n, dim) into ``out`` (n,)."""
    grad = np.empty(thetas.shape[1])
    for i in range(thetas.shape[0]):
        out[i] = call_logp_grad(fn, thetas[i], grad, fdata, idata)


def logp_rows(ld, thetas):
    """Log density of each row of an (n, dim) array of unconstrained points."""
    thetas = np.ascontiguousarray(thetas, dtype=np.float64)
    out = np.empty(thetas.shape[0])
    logp_batch(ld.fn, thetas, ld.fdata, ld.idata, out)
    return out


def as_logdensity(model_or_logdensity):
    """A LogDensity from a LogDensity or from anything with ``compile()`` (a ``bk.Model``)."""
    if isinstance(model_or_logdensity, LogDensity):
        return model_or_logdensity
    compile_ = getattr(model_or_logdensity, "compile", None)
    if callable(compile_):
        ld = compile_()
        if isinstance(ld, LogDensity):
            return ld
    raise TypeError("fit needs a bayeskit Model or a LogDensity (bk.LogDensity.from_numba), "
                    f"got {type(model_or_logdensity).__name__}")
