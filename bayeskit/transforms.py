"""Bijections from the unconstrained space R^d to each distribution's support.

Samplers and VI work on R^d; a parameter with a constrained support is reached through a
transform ``x = constrain(y)`` and its density picks up ``log |det dx/dy|``.

Two kinds, each with Numba kernels the model compiler calls from compiled code:

* ``kind == "elementwise"`` (Identity, Log, LowerBound, UpperBound, Interval):
  ``constrain_kernel(y, *args) -> (x, log_jac, dx_dy, dlogjac_dy)`` and
  ``unconstrain_kernel(x, *args) -> y`` on float64 scalars, ``args`` being ``self.args``.
* ``kind == "vector"`` (Simplex, Ordered, PositiveOrdered, CholeskyCorr), acting on the
  last axis (the last two for CholeskyCorr):
  ``constrain_kernel(y, x_out) -> log_jac`` (fills ``x_out``),
  ``vjp_kernel(y, x_adj, y_grad)`` which ADDS ``d/dy [sum(x_adj * x(y)) + log_jac(y)]``
  into ``y_grad``, and ``unconstrain_kernel(x, y_out)``.

The Python methods ``constrain``, ``unconstrain`` and ``log_det_jacobian`` run the same
kernels over arrays; ``log_det_jacobian`` returns one value per element (elementwise kind)
or per vector (vector kind), not a total.
"""

import math

import numpy as np
from numba import njit, types

from .distributions._special import LOG_2, log_sigmoid, sigmoid

_jit = njit(cache=True, nogil=True, error_model="numpy")

__all__ = [
    "Transform", "Identity", "Log", "LowerBound", "UpperBound", "Interval", "Simplex",
    "Ordered", "PositiveOrdered", "CholeskyCorr",
]


# --------------------------------------------------------------------------- elementwise
@_jit
def identity_constrain(y):
    return y, 0.0, 1.0, 0.0


@_jit
def identity_unconstrain(x):
    return x


@_jit
def log_constrain(y):
    x = math.exp(y)
    return x, y, x, 1.0


@_jit
def log_unconstrain(x):
    return math.log(x)


@_jit
def lower_bound_constrain(y, a):
    e = math.exp(y)
    return a + e, y, e, 1.0


@_jit
def lower_bound_unconstrain(x, a):
    return math.log(x - a)


@_jit
def upper_bound_constrain(y, b):
    e = math.exp(y)
    return b - e, y, -e, 1.0


@_jit
def upper_bound_unconstrain(x, b):
    return math.log(b - x)


@_jit
def interval_constrain(y, a, b):
    """``x = a + (b - a) sigmoid(y)``, computed from the nearer end for precision."""
    w = b - a
    if y > 0.0:
        x = b - w * sigmoid(-y)
    else:
        x = a + w * sigmoid(y)
    s = sigmoid(y)
    log_jac = math.log(w) + log_sigmoid(y) + log_sigmoid(-y)
    dx_dy = w * math.exp(log_sigmoid(y) + log_sigmoid(-y))
    return x, log_jac, dx_dy, 1.0 - 2.0 * s


@_jit
def interval_unconstrain(x, a, b):
    return math.log(x - a) - math.log(b - x)


# --------------------------------------------------------------- Python-side array maps
_F = types.float64
_A = types.float64[::1]
_TUP4 = types.UniTuple(_F, 4)


def _map_signatures(nargs):
    fwd = types.FunctionType(_TUP4(*([_F] * (nargs + 1))))
    inv = types.FunctionType(_F(*([_F] * (nargs + 1))))
    return (types.void(fwd, _A, *([_F] * nargs), _A, _A),
            types.void(inv, _A, *([_F] * nargs), _A))


@njit(_map_signatures(0)[0], cache=True)
def _fwd0(kern, y, x, lj):
    for i in range(y.size):
        x[i], lj[i], _, _ = kern(y[i])


@njit(_map_signatures(1)[0], cache=True)
def _fwd1(kern, y, a, x, lj):
    for i in range(y.size):
        x[i], lj[i], _, _ = kern(y[i], a)


@njit(_map_signatures(2)[0], cache=True)
def _fwd2(kern, y, a, b, x, lj):
    for i in range(y.size):
        x[i], lj[i], _, _ = kern(y[i], a, b)


@njit(_map_signatures(0)[1], cache=True)
def _inv0(kern, x, y):
    for i in range(x.size):
        y[i] = kern(x[i])


@njit(_map_signatures(1)[1], cache=True)
def _inv1(kern, x, a, y):
    for i in range(x.size):
        y[i] = kern(x[i], a)


@njit(_map_signatures(2)[1], cache=True)
def _inv2(kern, x, a, b, y):
    for i in range(x.size):
        y[i] = kern(x[i], a, b)


_FWD = (_fwd0, _fwd1, _fwd2)
_INV = (_inv0, _inv1, _inv2)


def _flat(values):
    arr = np.asarray(values, dtype=np.float64)
    return np.ascontiguousarray(arr).ravel(), arr.shape


class Transform:
    """Base class: see the module docstring for the kernel contract."""

    kind = "elementwise"
    args = ()

    def __repr__(self):
        inner = ", ".join(repr(a) for a in self.args)
        return f"{type(self).__name__}({inner})"

    def __eq__(self, other):
        return type(self) is type(other) and self.args == other.args

    def __hash__(self):
        return hash((type(self).__name__, self.args))

    # elementwise defaults; vector transforms override
    def _forward(self, y):
        flat, shape = _flat(y)
        x = np.empty_like(flat)
        lj = np.empty_like(flat)
        _FWD[len(self.args)](self.constrain_kernel, flat, *self.args, x, lj)
        return x.reshape(shape), lj.reshape(shape)

    def constrain(self, y):
        """Map unconstrained ``y`` to the support."""
        return self._forward(y)[0]

    def log_det_jacobian(self, y):
        """``log |dx/dy|`` per element (elementwise) or per vector (vector kind)."""
        return self._forward(y)[1]

    def unconstrain(self, x):
        """Map a point of the support back to R^d (inverse of ``constrain``)."""
        flat, shape = _flat(x)
        y = np.empty_like(flat)
        _INV[len(self.args)](self.unconstrain_kernel, flat, *self.args, y)
        return y.reshape(shape)

    def unconstrained_shape(self, shape):
        """The shape of ``y`` for a constrained value of shape ``shape``."""
        return tuple(shape)


class Identity(Transform):
    """``x = y`` (real support)."""

    constrain_kernel = staticmethod(identity_constrain)
    unconstrain_kernel = staticmethod(identity_unconstrain)


class Log(Transform):
    """``x = exp(y)`` (positive support)."""

    constrain_kernel = staticmethod(log_constrain)
    unconstrain_kernel = staticmethod(log_unconstrain)


def _bound(value, name):
    value = float(value)
    if math.isnan(value):
        raise ValueError(f"{name} must be a number, got {value}")
    return value


class LowerBound(Transform):
    """``x = a + exp(y)`` (support ``(a, inf)``)."""

    constrain_kernel = staticmethod(lower_bound_constrain)
    unconstrain_kernel = staticmethod(lower_bound_unconstrain)

    def __init__(self, a):
        self.args = (_bound(a, "a"),)
        if not math.isfinite(self.args[0]):
            raise ValueError(f"LowerBound needs a finite bound a, got {a}")


class UpperBound(Transform):
    """``x = b - exp(y)`` (support ``(-inf, b)``)."""

    constrain_kernel = staticmethod(upper_bound_constrain)
    unconstrain_kernel = staticmethod(upper_bound_unconstrain)

    def __init__(self, b):
        self.args = (_bound(b, "b"),)
        if not math.isfinite(self.args[0]):
            raise ValueError(f"UpperBound needs a finite bound b, got {b}")


class Interval(Transform):
    """``x = a + (b - a) * sigmoid(y)`` (support ``(a, b)``, the logit transform)."""

    constrain_kernel = staticmethod(interval_constrain)
    unconstrain_kernel = staticmethod(interval_unconstrain)

    def __init__(self, a, b):
        a, b = _bound(a, "a"), _bound(b, "b")
        if not (math.isfinite(a) and math.isfinite(b)):
            raise ValueError(f"Interval needs finite bounds, got a={a}, b={b}")
        if not a < b:
            raise ValueError(f"Interval needs a < b, got a={a}, b={b}")
        self.args = (a, b)


# --------------------------------------------------------------------------- vector
@_jit
def simplex_constrain(y, x_out):
    """Stan's stick-breaking: ``z_k = sigmoid(y_k - log(K - 1 - k))``, K = len(y) + 1."""
    km1 = y.shape[0]
    log_rest = 0.0
    log_jac = 0.0
    for k in range(km1):
        u = y[k] - math.log(km1 - k)
        lz = log_sigmoid(u)
        l1mz = log_sigmoid(-u)
        x_out[k] = math.exp(log_rest + lz)
        log_jac += lz + l1mz + log_rest
        log_rest += l1mz
    x_out[km1] = math.exp(log_rest)
    return log_jac


@_jit
def simplex_vjp(y, x_adj, y_grad):
    km1 = y.shape[0]
    # forward pass, keeping log of the remaining stick before each break
    log_rest = np.empty(km1 + 1)
    log_rest[0] = 0.0
    for k in range(km1):
        log_rest[k + 1] = log_rest[k] + log_sigmoid(-(y[k] - math.log(km1 - k)))
    g_rest = x_adj[km1] * math.exp(log_rest[km1])
    for k in range(km1 - 1, -1, -1):
        u = y[k] - math.log(km1 - k)
        z = sigmoid(u)
        xk = math.exp(log_rest[k] + log_sigmoid(u))
        y_grad[k] += x_adj[k] * xk * (1.0 - z) + (1.0 - 2.0 * z) - g_rest * z
        g_rest += x_adj[k] * xk + 1.0


@_jit
def simplex_unconstrain(x, y_out):
    km1 = x.shape[0] - 1
    # tail[k] = sum_{j >= k} x_j, summed (not 1 - partial sums) to keep precision
    tail = np.empty(km1 + 1)
    acc = 0.0
    for k in range(km1, -1, -1):
        acc += x[k]
        tail[k] = acc
    for k in range(km1):
        y_out[k] = math.log(x[k]) - math.log(tail[k + 1]) + math.log(km1 - k)


@_jit
def ordered_constrain(y, x_out):
    x_out[0] = y[0]
    log_jac = 0.0
    for k in range(1, y.shape[0]):
        x_out[k] = x_out[k - 1] + math.exp(y[k])
        log_jac += y[k]
    return log_jac


@_jit
def ordered_vjp(y, x_adj, y_grad):
    suffix = 0.0
    for k in range(y.shape[0] - 1, 0, -1):
        suffix += x_adj[k]
        y_grad[k] += math.exp(y[k]) * suffix + 1.0
    y_grad[0] += suffix + x_adj[0]


@_jit
def ordered_unconstrain(x, y_out):
    y_out[0] = x[0]
    for k in range(1, x.shape[0]):
        y_out[k] = math.log(x[k] - x[k - 1])


@_jit
def positive_ordered_constrain(y, x_out):
    total = 0.0
    log_jac = 0.0
    for k in range(y.shape[0]):
        total += math.exp(y[k])
        x_out[k] = total
        log_jac += y[k]
    return log_jac


@_jit
def positive_ordered_vjp(y, x_adj, y_grad):
    suffix = 0.0
    for k in range(y.shape[0] - 1, -1, -1):
        suffix += x_adj[k]
        y_grad[k] += math.exp(y[k]) * suffix + 1.0


@_jit
def positive_ordered_unconstrain(x, y_out):
    y_out[0] = math.log(x[0])
    for k in range(1, x.shape[0]):
        y_out[k] = math.log(x[k] - x[k - 1])


@_jit
def _log1m_tanh_sq(y):
    """``log(1 - tanh(y)^2) = 2 log sech(y)``, exact for large |y|."""
    a = abs(y)
    return 2.0 * (LOG_2 - a - math.log1p(math.exp(-2.0 * a)))


@_jit
def cholesky_corr_constrain(y, x_out):
    """Stan's construction: ``z = tanh(y)`` are canonical partial correlations filling
    the strict lower triangle row by row; ``L[i, j] = z_ij * sqrt(1 - sum_{m<j} L[i,m]^2)``
    and ``L[i, i]`` closes the row to unit length.  ``x_out`` is (n, n)."""
    n = x_out.shape[0]
    x_out[:, :] = 0.0
    x_out[0, 0] = 1.0
    log_jac = 0.0
    k = 0
    for i in range(1, n):
        w = 0.0  # log(1 - sum of squares so far) = sum of log(1 - z^2)
        for j in range(i):
            z = math.tanh(y[k])
            lw = _log1m_tanh_sq(y[k])
            x_out[i, j] = z * math.exp(0.5 * w)
            log_jac += lw
            if j >= 1:
                log_jac += 0.5 * w
            w += lw
            k += 1
        x_out[i, i] = math.exp(0.5 * w)
    return log_jac


@_jit
def cholesky_corr_vjp(y, x_adj, y_grad):
    n = x_adj.shape[0]
    start = 0
    for i in range(1, n):
        # row i uses y[start : start + i]
        scale = np.empty(i + 1)  # exp(W_j / 2), W_j = sum_{m<j} log(1 - z_m^2)
        w = 0.0
        for j in range(i + 1):
            scale[j] = math.exp(0.5 * w)
            if j < i:
                w += _log1m_tanh_sq(y[start + j])
        # suffix[j] = sum_{m=j..i} x_adj[i, m] * L[i, m]
        suffix = x_adj[i, i] * scale[i]
        for j in range(i - 1, -1, -1):
            z = math.tanh(y[start + j])
            dz = 1.0 - z * z
            y_grad[start + j] += (x_adj[i, j] * scale[j] * dz
                                  - 2.0 * z * (1.0 + 0.5 * suffix + 0.5 * (i - 1 - j)))
            suffix += x_adj[i, j] * z * scale[j]
        start += i


@_jit
def cholesky_corr_unconstrain(x, y_out):
    """Invert row by row. ``1 - sum_{m<j} L[i,m]^2`` is taken as the sum of the row's
    remaining squares (rows have unit norm), so no cancellation near |z| = 1, and
    ``atanh(z) = sign(z) (log1p|z| - log(1 - z^2) / 2)`` with ``1 - z^2`` the ratio of
    consecutive remainders."""
    n = x.shape[0]
    tail = np.empty(n + 1)
    k = 0
    for i in range(1, n):
        tail[i] = x[i, i] * x[i, i]
        for j in range(i - 1, -1, -1):
            tail[j] = tail[j + 1] + x[i, j] * x[i, j]
        for j in range(i):
            z = x[i, j] / math.sqrt(tail[j])
            half_log_1mz2 = 0.5 * (math.log(tail[j + 1]) - math.log(tail[j]))
            y_out[k] = math.copysign(math.log1p(abs(z)) - half_log_1mz2, z)
            k += 1


class _VectorTransform(Transform):
    kind = "vector"
    event_ndim = 1

    def _event_shape_out(self, y_event_shape):
        raise NotImplementedError

    def _forward(self, y):
        y = np.asarray(y, dtype=np.float64)
        if y.ndim < 1:
            raise ValueError(f"{type(self).__name__} needs at least a vector, got shape {y.shape}")
        batch = y.shape[:-1]
        rows = np.ascontiguousarray(y.reshape(-1, y.shape[-1]))
        out_event = self._event_shape_out(y.shape[-1:])
        x = np.empty((rows.shape[0],) + out_event)
        lj = np.empty(rows.shape[0])
        for r in range(rows.shape[0]):
            lj[r] = self.constrain_kernel(rows[r], x[r])
        return x.reshape(batch + out_event), lj.reshape(batch)

    def unconstrain(self, x):
        x = np.asarray(x, dtype=np.float64)
        nd = self.event_ndim
        if x.ndim < nd:
            raise ValueError(f"{type(self).__name__} needs ndim >= {nd}, got shape {x.shape}")
        batch = x.shape[: x.ndim - nd]
        event = x.shape[x.ndim - nd:]
        rows = np.ascontiguousarray(x.reshape((-1,) + event))
        out_shape = self.unconstrained_shape(event)
        y = np.empty((rows.shape[0],) + out_shape)
        for r in range(rows.shape[0]):
            self.unconstrain_kernel(rows[r], y[r])
        return y.reshape(batch + out_shape)


class Simplex(_VectorTransform):
    """Stick-breaking map R^(K-1) -> the K-simplex (Stan's construction, with the
    ``log(K - k)`` offsets so that y = 0 maps to the uniform vector)."""

    constrain_kernel = staticmethod(simplex_constrain)
    vjp_kernel = staticmethod(simplex_vjp)
    unconstrain_kernel = staticmethod(simplex_unconstrain)

    def _event_shape_out(self, y_event_shape):
        return (y_event_shape[0] + 1,)

    def unconstrained_shape(self, shape):
        shape = tuple(shape)
        if len(shape) < 1 or shape[-1] < 2:
            raise ValueError(f"Simplex needs a last axis of length >= 2, got shape {shape}")
        return shape[:-1] + (shape[-1] - 1,)


class Ordered(_VectorTransform):
    """``x_0 = y_0``, ``x_k = x_{k-1} + exp(y_k)``: strictly increasing vectors."""

    constrain_kernel = staticmethod(ordered_constrain)
    vjp_kernel = staticmethod(ordered_vjp)
    unconstrain_kernel = staticmethod(ordered_unconstrain)

    def _event_shape_out(self, y_event_shape):
        return tuple(y_event_shape)


class PositiveOrdered(_VectorTransform):
    """``x_k = sum_{j<=k} exp(y_j)``: strictly increasing positive vectors."""

    constrain_kernel = staticmethod(positive_ordered_constrain)
    vjp_kernel = staticmethod(positive_ordered_vjp)
    unconstrain_kernel = staticmethod(positive_ordered_unconstrain)

    def _event_shape_out(self, y_event_shape):
        return tuple(y_event_shape)


def _tri_size(m):
    n = int(round((1.0 + math.sqrt(1.0 + 8.0 * m)) / 2.0))
    if n * (n - 1) // 2 != m:
        raise ValueError(f"CholeskyCorr: {m} is not n(n-1)/2 for an integer n")
    return n


class CholeskyCorr(_VectorTransform):
    """R^(n(n-1)/2) -> lower Cholesky factors of n x n correlation matrices, through
    ``tanh`` partial correlations (Stan's ``cholesky_factor_corr``).  ``y`` fills the
    strict lower triangle row by row: (1,0), (2,0), (2,1), (3,0), ..."""

    event_ndim = 2
    constrain_kernel = staticmethod(cholesky_corr_constrain)
    vjp_kernel = staticmethod(cholesky_corr_vjp)
    unconstrain_kernel = staticmethod(cholesky_corr_unconstrain)

    def _event_shape_out(self, y_event_shape):
        n = _tri_size(y_event_shape[0])
        return (n, n)

    def unconstrained_shape(self, shape):
        shape = tuple(shape)
        if len(shape) < 2 or shape[-1] != shape[-2]:
            raise ValueError(f"CholeskyCorr needs square (n, n) matrices, got shape {shape}")
        n = shape[-1]
        return shape[:-2] + (n * (n - 1) // 2,)

