"""The seam between models and inference: a compiled log-density on R^d.

Every inference method (MCMC, VI, MAP) consumes a :class:`LogDensity`. Its heart is one
compiled function with a fixed signature, :data:`LOGP_SIGNATURE`::

    lp = fn(theta, grad, fdata, idata)

``theta`` is a point of the unconstrained space R^dim, ``grad`` receives the gradient,
``fdata``/``idata`` are the model's data packed into one float64 and one int64 buffer,
and ``lp`` is the log density (``-inf`` outside the support, never NaN). Because the
signature never changes, samplers compiled once (and cached on disk) take any model's
function as a first-class argument: a new model compiles only its own log-density, and new
data is a new buffer, not a recompilation.
"""

from __future__ import annotations

import numpy as np
from numba import cfunc, njit, types
from numba.core.ccallback import CFunc
from numba.core.errors import NumbaError

LOGP_SIGNATURE = types.float64(
    types.float64[::1], types.float64[::1], types.float64[::1], types.int64[::1]
)
"""``float64(float64[::1] theta, float64[::1] grad, float64[::1] fdata, int64[::1] idata)``"""


@njit(cache=True, nogil=True)
def call_logp_grad(fn, theta, grad, fdata, idata):
    """Evaluate ``fn`` and map NaN to -inf, so that callers never see a NaN density."""
    lp = fn(theta, grad, fdata, idata)
    if np.isnan(lp):
        return -np.inf
    return lp


def _as_buffer(values, dtype, what):
    if values is None:
        return np.zeros(0, dtype=dtype)
    buf = np.ascontiguousarray(values, dtype=dtype)
    if buf.ndim != 1:
        raise ValueError(f"{what} must be a one-dimensional buffer, got shape {buf.shape}")
    return buf


class LogDensity:
    """A log-density on R^dim with its gradient, and the map back to the user's space.

    The default ``constrain`` returns the whole vector under the name ``theta``; model
    log-densities (``bk.Model.compile``) override it with named, shaped, constrained
    values, and add deterministics, pointwise log-likelihoods and predictive sampling.
    """

    def __init__(self, fn, dim, fdata=None, idata=None, *, name="theta"):
        if not isinstance(fn, CFunc):
            raise TypeError(
                "LogDensity needs a numba.cfunc with bayeskit.LOGP_SIGNATURE; "
                "use LogDensity.from_numba to wrap a jitted function"
            )
        dim = int(dim)
        if dim < 1:
            raise ValueError(f"dim must be a positive integer, got {dim}")
        self.fn = fn
        self.dim = dim
        self.fdata = _as_buffer(fdata, np.float64, "fdata")
        self.idata = _as_buffer(idata, np.int64, "idata")
        self.name = name

    # -- evaluation -----------------------------------------------------------------
    def _check_theta(self, theta):
        theta = np.ascontiguousarray(theta, dtype=np.float64)
        if theta.shape != (self.dim,):
            raise ValueError(f"theta must have shape ({self.dim},), got {theta.shape}")
        return theta

    def logp_grad(self, theta, grad):
        """Return the log density at ``theta`` and write its gradient into ``grad``."""
        theta = self._check_theta(theta)
        if not (isinstance(grad, np.ndarray) and grad.dtype == np.float64
                and grad.shape == (self.dim,) and grad.flags.c_contiguous):
            raise ValueError(f"grad must be a contiguous float64 array of shape ({self.dim},)")
        return float(call_logp_grad(self.fn, theta, grad, self.fdata, self.idata))

    def logp(self, theta):
        """Return the log density at ``theta``."""
        return self.logp_grad(theta, np.empty(self.dim))

    # -- the user's space -----------------------------------------------------------
    def constrain(self, theta):
        """Named values in the user's space for one unconstrained vector."""
        return {self.name: self._check_theta(theta).copy()}

    def unconstrain(self, values):
        """Inverse of :meth:`constrain`: a dict of named values to one vector."""
        return self._check_theta(values[self.name] if isinstance(values, dict) else values)

    def constrain_draws(self, thetas):
        """Constrain an array of draws of shape (..., dim): dict of name -> (..., *shape).

        Subclasses override this with a vectorized version; it is what the samplers'
        output goes through, and it includes deterministics for models.
        """
        thetas = np.asarray(thetas, dtype=np.float64)
        lead = thetas.shape[:-1]
        flat = thetas.reshape(-1, self.dim)
        rows = [self.constrain(t) for t in flat]
        return {k: np.stack([r[k] for r in rows]).reshape(lead + np.shape(rows[0][k]))
                for k in rows[0]}

    # What ArviZ needs beyond the draws; models fill these in.
    @property
    def dims(self):
        """Variable name -> list of dimension names (ArviZ ``dims``)."""
        return {}

    @property
    def coords(self):
        """Dimension name -> coordinate values (ArviZ ``coords``)."""
        return {}

    # -- user-supplied densities ------------------------------------------------------
    @classmethod
    def from_numba(cls, fn, dim, fdata=None, idata=None, *, name="theta"):
        """Wrap a user's Numba log-density with gradient: the escape hatch.

        ``fn`` is either a ``numba.cfunc`` compiled with :data:`LOGP_SIGNATURE`, or an
        ``@njit`` function ``fn(theta, grad) -> lp`` or ``fn(theta, grad, fdata, idata)
        -> lp`` that writes the gradient into ``grad`` and returns the log density.
        """
        if isinstance(fn, CFunc):
            return cls(fn, dim, fdata, idata, name=name)
        py = getattr(fn, "py_func", None)
        if py is None:
            raise TypeError("from_numba needs a numba @njit function or a numba.cfunc, "
                            f"got {type(fn).__name__}")
        arity = py.__code__.co_argcount
        if arity == 2:
            def wrapper(theta, grad, fdata, idata):
                return fn(theta, grad)
        elif arity == 4:
            def wrapper(theta, grad, fdata, idata):
                return fn(theta, grad, fdata, idata)
        else:
            raise TypeError(f"from_numba: {py.__name__} takes {arity} arguments; expected "
                            "(theta, grad) or (theta, grad, fdata, idata)")
        try:
            compiled = cfunc(LOGP_SIGNATURE)(wrapper)
        except NumbaError as err:
            first = str(err).strip().splitlines()[0]
            raise TypeError(f"from_numba: could not compile {py.__name__} as "
                            f"float64(theta, grad[, fdata, idata]): {first}") from None
        return cls(compiled, dim, fdata, idata, name=name)
