"""The Distribution base class, parameter validation and the array loops over kernels.

A distribution object is a frozen family member (like ``scipy.stats.norm(0, 1)``) and
also the description the model compiler reads: ``param_names``, ``params``, ``kernel``,
``kernel_grad``, ``is_discrete``, ``event_ndim``, ``support`` and ``default_transform()``.

Parameters may be numbers/arrays (validated here, ``ValueError`` naming the parameter) or
model expressions (stored untouched; ``logpdf``/``sample``/``mean``/``var`` then refuse).
``logpdf`` runs the very kernels the compiler uses, through one compiled loop per arity
that takes the kernel as a first-class function (so the loops compile once and cache).
"""

import functools

import numpy as np
from numba import njit, types

_F = types.float64
_A = types.float64[::1]


def _loop_signature(nparams):
    kern = types.FunctionType(_F(*([_F] * (nparams + 1))))
    return types.void(kern, *([_A] * (nparams + 1)), _A)


@njit(_loop_signature(0), cache=True)
def _loop0(kern, x, out):
    for i in range(x.size):
        out[i] = kern(x[i])


@njit(_loop_signature(1), cache=True)
def _loop1(kern, x, a, out):
    for i in range(x.size):
        out[i] = kern(x[i], a[i])


@njit(_loop_signature(2), cache=True)
def _loop2(kern, x, a, b, out):
    for i in range(x.size):
        out[i] = kern(x[i], a[i], b[i])


@njit(_loop_signature(3), cache=True)
def _loop3(kern, x, a, b, c, out):
    for i in range(x.size):
        out[i] = kern(x[i], a[i], b[i], c[i])


@njit(_loop_signature(4), cache=True)
def _loop4(kern, x, a, b, c, d, out):
    for i in range(x.size):
        out[i] = kern(x[i], a[i], b[i], c[i], d[i])


@njit(_loop_signature(5), cache=True)
def _loop5(kern, x, a, b, c, d, e, out):
    for i in range(x.size):
        out[i] = kern(x[i], a[i], b[i], c[i], d[i], e[i])


_LOOPS = (_loop0, _loop1, _loop2, _loop3, _loop4, _loop5)


def elementwise_logpdf(kernel, x, params):
    """Broadcast ``x`` against ``params`` and evaluate the scalar ``kernel`` everywhere."""
    arrays = np.broadcast_arrays(np.asarray(x, dtype=np.float64),
                                 *(np.asarray(p, dtype=np.float64) for p in params))
    shape = arrays[0].shape
    flat = [np.array(a, order="C").ravel() for a in arrays]
    out = np.empty(flat[0].size)
    _LOOPS[len(params)](kernel, *flat, out)
    if shape == ():
        return float(out[0])
    return out.reshape(shape)


# ----------------------------------------------------------------------- validation
def as_numeric(value):
    """``value`` as a float64 array, or None if it is not numeric (a model expression)."""
    if isinstance(value, (bool, np.bool_)):
        return np.asarray(float(value))
    if isinstance(value, (int, float, np.number)):
        return np.asarray(value, dtype=np.float64)
    if isinstance(value, (np.ndarray, list, tuple)):
        try:
            arr = np.asarray(value)
        except (ValueError, TypeError):
            return None
        if arr.dtype.kind in "biuf":
            return arr.astype(np.float64)
    return None


def _describe(value):
    arr = np.asarray(value)
    if arr.ndim == 0:
        return repr(float(arr))
    return np.array2string(arr, threshold=8)


def _fail(name, value, what):
    raise ValueError(f"{name} must be {what}, got {name}={_describe(value)}")


def check_real(name, v):
    if np.any(np.isnan(v)):
        _fail(name, v, "a number (not NaN)")


def check_finite(name, v):
    if not np.all(np.isfinite(v)):
        _fail(name, v, "finite")


def check_positive(name, v):
    if not np.all(v > 0) or not np.all(np.isfinite(v)):
        _fail(name, v, "positive and finite")


def check_nonnegative(name, v):
    if not np.all(v >= 0) or not np.all(np.isfinite(v)):
        _fail(name, v, "non-negative and finite")


def check_probability(name, v):
    if not np.all((v >= 0) & (v <= 1)):
        _fail(name, v, "a probability in [0, 1]")


def check_nonnegative_integer(name, v):
    if not np.all((v >= 0) & np.isfinite(v)) or not np.all(v == np.floor(v)):
        _fail(name, v, "a non-negative integer")


def check_positive_integer(name, v):
    if not np.all((v >= 1) & np.isfinite(v)) or not np.all(v == np.floor(v)):
        _fail(name, v, "a positive integer")


def check_simplex(name, v):
    if v.ndim < 1:
        _fail(name, v, "a vector of probabilities")
    if not np.all(v >= 0) or not np.allclose(v.sum(axis=-1), 1.0, rtol=0, atol=1e-8):
        _fail(name, v, "non-negative and sum to 1 along the last axis")


def check_finite_vector(name, v):
    if v.ndim < 1:
        _fail(name, v, "a vector")
    check_finite(name, v)


def check_positive_vector(name, v):
    if v.ndim < 1:
        _fail(name, v, "a vector")
    check_positive(name, v)


# ------------------------------------------------------------------------ base class
class Distribution:
    """A probability distribution with numba log-density kernels.

    Subclasses call :meth:`_setup` from ``__init__`` and implement ``_sample(rng,
    shape)``, ``_mean()``, ``_var()`` and ``default_transform()``.
    """

    is_discrete = False
    event_ndim = 0
    support = "real"

    def _setup(self, names, values, kernel, kernel_grad, checks):
        """Store the parameterization; validate each numeric parameter with its check."""
        self.param_names = tuple(names)
        self.params = tuple(values)
        self.kernel = kernel
        self.kernel_grad = kernel_grad
        self._numeric = {}
        for name, value, check in zip(names, values, checks):
            arr = as_numeric(value)
            if arr is None:
                if value is None:
                    raise TypeError(f"{type(self).__name__}: parameter {name} is missing")
                continue
            check(name, arr)
            self._numeric[name] = arr

    # -- helpers -----------------------------------------------------------------------
    @property
    def is_numeric(self):
        """True if every parameter is a number or array (not a model expression)."""
        return len(self._numeric) == len(self.param_names)

    def _values(self):
        if not self.is_numeric:
            missing = [n for n in self.param_names if n not in self._numeric]
            raise TypeError(
                f"{type(self).__name__}: parameters {missing} are model expressions; "
                "logpdf, sample, mean, var and the cdf methods need numeric parameters"
            )
        return tuple(self._numeric[n] for n in self.param_names)

    @property
    def batch_shape(self):
        """Shape of the batch of independent distributions the parameters describe."""
        return np.broadcast_shapes(*(np.shape(v) for v in self._values()))

    @property
    def event_shape(self):
        return ()

    def __repr__(self):
        inner = ", ".join(f"{n}={_short(v)}" for n, v in zip(self.param_names, self.params))
        return f"{type(self).__name__}({inner})"

    # -- public API --------------------------------------------------------------------
    def logpdf(self, x):
        """Log density (or log mass) at ``x``, broadcasting against the parameters."""
        return elementwise_logpdf(self.kernel, x, self._values())

    def sample(self, size=None, rng=None):
        """Draws of shape ``size + batch_shape + event_shape``.

        ``rng`` is a ``numpy.random.Generator`` (or a seed); a fresh one if None.
        """
        values = self._values()
        if rng is None or isinstance(rng, (int, np.integer)):
            rng = np.random.default_rng(rng)
        if size is None:
            size = ()
        elif isinstance(size, (int, np.integer)):
            size = (int(size),)
        else:
            size = tuple(int(s) for s in size)
        shape = size + self.batch_shape
        out = self._sample(rng, shape, values)
        return out

    @property
    def mean(self):
        """The mean (broadcast to the batch shape)."""
        return _squeeze(self._mean(*self._values()), self)

    @property
    def var(self):
        """The variance (the diagonal of the covariance for vector distributions)."""
        return _squeeze(self._var(*self._values()), self)

    def default_transform(self):
        raise NotImplementedError

    def rebuilder(self):
        """A picklable ``values -> distribution`` that makes a numeric twin of this one.

        ``values`` are parameter values in ``param_names`` order (for instance one per
        posterior draw); compiled models use it to simulate observed variables.
        """
        return functools.partial(_from_params, type(self), self.param_names)


def _from_params(cls, names, values):
    return cls(**dict(zip(names, values)))


def _squeeze(value, dist):
    value = np.broadcast_to(np.asarray(value, dtype=np.float64),
                            dist.batch_shape + dist.event_shape)
    if value.shape == ():
        return float(value)
    return np.array(value)


def _short(value):
    arr = as_numeric(value)
    if arr is None:
        return type(value).__name__
    return _describe(arr)

