"""``bk.math``: functions on model expressions (and numbers), differentiable end to end.

Elementwise functions broadcast like numpy; reductions take ``axis`` like numpy. All build
expression nodes that ``Model.compile`` turns into fused Numba loops with their gradients.
"""

from __future__ import annotations

import numbers

import numpy as np

from .model import graph as _g
from .model.graph import Node, as_node, reduce

__all__ = [
    "exp", "log", "log1p", "expm1", "sqrt", "square", "abs", "tanh", "sin", "cos",
    "sigmoid", "expit", "logit", "softplus", "log_sigmoid", "log1mexp", "lgamma", "erf",
    "maximum", "minimum", "logaddexp", "sum", "mean", "dot", "matmul", "logsumexp",
    "concatenate", "stack", "where", "cumsum", "scan", "cholesky", "logpdf", "eq", "ne",
    "transpose",
]


def _unary(op):
    def f(x):
        return _g.apply(op, x)
    f.__name__ = op
    f.__doc__ = f"Elementwise ``{op}`` of a model expression."
    return f


exp = _unary("exp")
log = _unary("log")
log1p = _unary("log1p")
expm1 = _unary("expm1")
sqrt = _unary("sqrt")
square = _unary("square")
abs = _unary("abs")  # noqa: A001 (numpy's name)
tanh = _unary("tanh")
sin = _unary("sin")
cos = _unary("cos")
sigmoid = _unary("sigmoid")
expit = sigmoid
logit = _unary("logit")
softplus = _unary("softplus")
log_sigmoid = _unary("log_sigmoid")
log1mexp = _unary("log1mexp")
lgamma = _unary("lgamma")
erf = _unary("erf")


def maximum(a, b):
    """Elementwise maximum (subgradient: the larger operand)."""
    return _g.apply("maximum", a, b)


def minimum(a, b):
    """Elementwise minimum."""
    return _g.apply("minimum", a, b)


def logaddexp(a, b):
    """``log(exp(a) + exp(b))`` without overflow."""
    return _g.apply("logaddexp", a, b)


def eq(a, b):
    """Elementwise ``a == b`` (a condition for :func:`where`)."""
    return _g.apply("eq", a, b)


def ne(a, b):
    """Elementwise ``a != b``."""
    return _g.apply("ne", a, b)


def where(cond, a, b):
    """``a`` where ``cond`` holds, else ``b`` (the gradient flows to the chosen branch)."""
    return _g.apply("where", cond, a, b)


def sum(x, axis=None):  # noqa: A001
    """Sum over ``axis`` (all axes by default)."""
    return reduce("sum", x, axis)


def mean(x, axis=None):
    """Mean over ``axis`` (all axes by default)."""
    return reduce("mean", x, axis)


def logsumexp(x, axis=None):
    """``log(sum(exp(x), axis))`` computed stably."""
    return reduce("logsumexp", x, axis)


def matmul(a, b):
    """Matrix product ``a @ b`` (vectors and matrices; BLAS in the compiled code)."""
    return _g.matmul(a, b)


def dot(a, b):
    """``np.dot`` for vectors and matrices (the same as ``a @ b`` there)."""
    return _g.matmul(a, b)


def transpose(x):
    """Reverse the axes of ``x``."""
    return as_node(x).T


def _axis(axis, ndim, what):
    if not isinstance(axis, numbers.Integral):
        raise TypeError(f"{what}: axis must be an integer")
    if not -ndim <= axis < ndim:
        raise ValueError(f"{what}: axis {axis} out of range for {ndim} dimensions")
    return int(axis) % ndim


def concatenate(xs, axis=0):
    """Join arrays along an existing axis."""
    xs = [as_node(x, "concatenate") for x in xs]
    if not xs:
        raise ValueError("concatenate needs at least one array")
    if any(x.ndim == 0 for x in xs):
        raise ValueError("concatenate: zero-dimensional operands cannot be concatenated; "
                         "use stack")
    if len(xs) == 1:
        return xs[0]
    return Node("concatenate", xs, (_axis(axis, xs[0].ndim, "concatenate"),))


def stack(xs, axis=0):
    """Join arrays (or scalars) of equal shape along a new axis."""
    xs = [as_node(x, "stack") for x in xs]
    if not xs:
        raise ValueError("stack needs at least one array")
    return Node("stack", xs, (_axis(axis, xs[0].ndim + 1, "stack"),))


def cumsum(x):
    """Cumulative sum of a vector."""
    x = as_node(x, "cumsum")
    if x.ndim != 1:
        raise ValueError(f"cumsum takes a vector, got shape {x.shape}")
    return Node("cumsum", (x,))


def cholesky(a):
    """Lower Cholesky factor of a symmetric positive-definite matrix (the log density is
    -inf where it is not positive definite)."""
    return Node("cholesky", (as_node(a, "cholesky"),))


def logpdf(dist, value):
    """Elementwise log density of ``dist`` at ``value`` (for mixtures and potentials)."""
    from .model.model import lpdf_node
    return lpdf_node(dist, value, f"logpdf of {type(dist).__name__}")


def scan(step, init, xs=None, length=None):
    """Loop ``carry, y = step(carry, x)`` over the leading axis of ``xs``.

    ``init``: the initial carry (an expression or a tuple of them); ``xs``: an expression
    or tuple of expressions sliced along axis 0 (or None with ``length``). ``step`` is
    written with ``bk.math`` on the carry and may use any outer expression (parameters,
    data). Returns ``(final_carry, ys)`` with ``ys`` stacked along a new leading axis
    (None if ``step`` returns None for y). Like ``jax.lax.scan``.
    """
    from .model.scan import build_scan
    return build_scan(step, init, xs, length)

