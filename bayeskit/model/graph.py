"""Expression nodes of the model language and their shape inference.

A model is a directed acyclic graph of :class:`Node` objects. Leaves are parameters
(``op="param"``, the constrained value), data (``"data"``, named and swappable), scalar
constants (``"const"``) and array constants (``"array"``, packed into the data buffers
like anonymous data). Inner nodes are operations; their shapes follow numpy's
broadcasting and indexing rules and are inferred when the node is built, so a mismatch is
reported at once, naming both shapes and the expression.

Shapes depend on the current data: :func:`reinfer` recomputes them after ``set_data``.
The code generator only relies on each node's number of dimensions and on which of its
axes broadcast, never on data sizes, so new data of another length compiles to the same
source (and hits the same cache entry).
"""

from __future__ import annotations

import itertools
import numbers

import numpy as np

_ids = itertools.count()

UNARY = {
    "neg", "exp", "log", "log1p", "expm1", "sqrt", "square", "abs", "tanh", "sigmoid",
    "logit", "softplus", "log_sigmoid", "lgamma", "digamma", "erf", "sin", "cos",
    "log1mexp", "floor_int",
}
BINARY = {"add", "sub", "mul", "div", "pow", "maximum", "minimum", "logaddexp"}
COMPARE = {"lt", "le", "gt", "ge", "eq", "ne"}
# Operations evaluated element by element (possibly through an index map): the code
# generator fuses chains of them into one loop.
ELEMENTWISE = UNARY | BINARY | COMPARE | {"where", "lpdf"}
ACCESS = {"index", "transpose"}
LEAVES = {"param", "data", "const", "array", "placeholder"}


class ShapeError(ValueError):
    """An expression whose operand shapes do not fit together."""


class Node:
    """One expression of the model language (immutable once built).

    Supports the numpy operators (``+ - * / ** @``, unary minus, comparisons other than
    ``==``), indexing and slicing, ``.T``, ``.sum()``, ``.mean()`` and ``.shape``.
    """

    __array_ufunc__ = None  # numpy arrays defer to our reflected operators
    __array_priority__ = 1000

    def __init__(self, op, inputs=(), attrs=(), *, value=None, dtype="f", shape=None):
        self.op = op
        self.inputs = tuple(inputs)
        self.attrs = attrs
        self.value = value
        self.id = next(_ids)
        self.label = None  # a name given by deterministic()
        if shape is None:
            shape, dtype = infer(self)
        self.shape = tuple(shape)
        self.dtype = dtype

    # -- introspection -----------------------------------------------------------------
    @property
    def ndim(self):
        return len(self.shape)

    @property
    def size(self):
        return int(np.prod(self.shape, dtype=np.int64))

    def __len__(self):
        if not self.shape:
            raise TypeError("len() of a scalar expression")
        return self.shape[0]

    def __repr__(self):
        return f"<bayeskit expression {describe(self)} shape={self.shape}>"

    def __bool__(self):
        raise TypeError("a model expression has no truth value; use bk.math.where")

    def __iter__(self):
        raise TypeError("model expressions are not iterable; index them or use bk.math.scan")

    # -- operators ---------------------------------------------------------------------
    def __add__(self, o): return apply("add", self, o)
    def __radd__(self, o): return apply("add", o, self)
    def __sub__(self, o): return apply("sub", self, o)
    def __rsub__(self, o): return apply("sub", o, self)
    def __mul__(self, o): return apply("mul", self, o)
    def __rmul__(self, o): return apply("mul", o, self)
    def __truediv__(self, o): return apply("div", self, o)
    def __rtruediv__(self, o): return apply("div", o, self)
    def __pow__(self, o):
        if isinstance(o, numbers.Real) and float(o) == 2.0:
            return apply("square", self)
        if isinstance(o, numbers.Real) and float(o) == 0.5:
            return apply("sqrt", self)
        return apply("pow", self, o)
    def __rpow__(self, o): return apply("pow", o, self)
    def __neg__(self): return apply("neg", self)
    def __pos__(self): return self
    def __abs__(self): return apply("abs", self)
    def __lt__(self, o): return apply("lt", self, o)
    def __le__(self, o): return apply("le", self, o)
    def __gt__(self, o): return apply("gt", self, o)
    def __ge__(self, o): return apply("ge", self, o)
    def __matmul__(self, o): return matmul(self, o)
    def __rmatmul__(self, o): return matmul(o, self)
    __hash__ = object.__hash__

    def __getitem__(self, key):
        return index(self, key)

    @property
    def T(self):
        if self.ndim < 2:
            return self
        return Node("transpose", (self,), tuple(reversed(range(self.ndim))))

    def sum(self, axis=None):
        return reduce("sum", self, axis)

    def mean(self, axis=None):
        return reduce("mean", self, axis)


EXTRA_RULES = {}
"""Shape rules of operations defined in other modules (scan, linear algebra, mvlpdf)."""


# -- building -------------------------------------------------------------------------

def as_node(x, what="operand"):
    """Wrap a number or array as a constant node; pass nodes through."""
    if isinstance(x, Node):
        return x
    if isinstance(x, (bool, np.bool_)):
        return Node("const", (), (float(x),), shape=(), dtype="f")
    if isinstance(x, numbers.Integral):
        return Node("const", (), (float(x),), shape=(), dtype="i")
    if isinstance(x, numbers.Real):
        return Node("const", (), (float(x),), shape=(), dtype="f")
    arr = np.asarray(x)
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number)
                                   or arr.dtype == np.bool_):
        raise TypeError(f"{what}: cannot use a value of type {type(x).__name__} "
                        f"(dtype {arr.dtype}) in a model expression; give numbers")
    if arr.ndim == 0:
        return as_node(arr.item(), what)
    if np.issubdtype(arr.dtype, np.integer) or arr.dtype == np.bool_:
        arr = arr.astype(np.int64)
        dtype = "i"
    else:
        arr = arr.astype(np.float64)
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{what}: constant array contains NaN or inf")
        dtype = "f"
    return Node("array", (), (), value=np.ascontiguousarray(arr), shape=arr.shape,
                dtype=dtype)


def apply(op, *args):
    """Build an elementwise node after wrapping its operands."""
    return Node(op, tuple(as_node(a) for a in args))


def describe(node, depth=3):
    """A short human-readable form of an expression, for error messages."""
    if node.label is not None and node.op not in LEAVES:
        return node.label
    if node.op in ("param", "data"):
        return node.attrs[0]
    if node.op == "placeholder":
        return node.attrs[0]
    if node.op == "const":
        v = node.attrs[0]
        return repr(int(v)) if v == int(v) and abs(v) < 1e15 else repr(v)
    if node.op == "array":
        return f"array{node.shape}"
    if depth == 0:
        return "..."
    args = ", ".join(describe(i, depth - 1) for i in node.inputs)
    sym = {"add": "+", "sub": "-", "mul": "*", "div": "/", "pow": "**", "matmul": "@"}
    if node.op in sym and len(node.inputs) == 2:
        a, b = (describe(i, depth - 1) for i in node.inputs)
        return f"({a} {sym[node.op]} {b})"
    if node.op == "index":
        return f"{describe(node.inputs[0], depth - 1)}[...]"
    if node.op == "lpdf":
        return f"logpdf[{node.attrs[1]}]({args})"
    return f"{node.op}({args})"


def broadcast_shapes(shapes, node):
    """numpy's broadcasting of several shapes, or a ShapeError naming them and ``node``."""
    nd = max((len(s) for s in shapes), default=0)
    out = []
    for k in range(nd):
        size = 1
        for s in shapes:
            j = k - (nd - len(s))
            if j < 0:
                continue
            if s[j] != 1:
                if size != 1 and size != s[j]:
                    raise ShapeError(_mismatch(shapes, node))
                size = s[j]
        out.append(size)
    return tuple(out)


def _mismatch(shapes, node):
    shown = " and ".join(str(tuple(s)) for s in shapes)
    return (f"shape mismatch: operands of shapes {shown} do not broadcast in "
            f"{node.op} expression {describe(node)}")


# -- shape inference --------------------------------------------------------------------

def infer(node):
    """Return ``(shape, dtype)`` of ``node`` from its inputs, raising ShapeError."""
    op, ins = node.op, node.inputs
    if op in UNARY:
        (x,) = ins
        return x.shape, ("i" if op == "floor_int" else "f")
    if op in BINARY or op in COMPARE or op == "where" or op == "lpdf":
        shape = broadcast_shapes([i.shape for i in ins], node)
        return shape, ("b" if op in COMPARE else "f")
    if op == "index":
        return _infer_index(node)
    if op == "transpose":
        (x,) = ins
        return tuple(x.shape[a] for a in node.attrs), x.dtype
    if op in ("sum", "mean", "max", "logsumexp"):
        (x,) = ins
        axes = node.attrs
        return tuple(s for k, s in enumerate(x.shape) if k not in axes), "f"
    if op == "matmul":
        return _infer_matmul(node)
    if op == "concatenate":
        axis = node.attrs[0]
        first = ins[0].shape
        for i in ins[1:]:
            s = i.shape
            if len(s) != len(first) or any(a != b for k, (a, b) in
                                           enumerate(zip(s, first)) if k != axis):
                raise ShapeError(f"concatenate: shapes {first} and {s} differ outside "
                                 f"axis {axis} in {describe(node)}")
        total = sum(i.shape[axis] for i in ins)
        return first[:axis] + (total,) + first[axis + 1:], "f"
    if op == "stack":
        axis = node.attrs[0]
        first = ins[0].shape
        for i in ins[1:]:
            if i.shape != first:
                raise ShapeError(f"stack: shapes {first} and {i.shape} differ in "
                                 f"{describe(node)}")
        return first[:axis] + (len(ins),) + first[axis:], "f"
    if op == "cumsum":
        return ins[0].shape, "f"
    if op == "cholesky":
        s = ins[0].shape
        if len(s) != 2 or s[0] != s[1]:
            raise ShapeError(f"cholesky needs a square matrix, got shape {s}")
        return s, "f"
    if op in ("tri_solve",):
        return ins[1].shape, "f"
    if op in EXTRA_RULES:
        return EXTRA_RULES[op](node)
    raise AssertionError(f"no shape rule for {op}")


def _infer_matmul(node):
    a, b = node.inputs
    sa, sb = a.shape, b.shape
    if len(sa) == 0 or len(sb) == 0 or len(sa) > 2 or len(sb) > 2:
        raise ShapeError(f"@ needs vectors or matrices, got shapes {sa} and {sb} in "
                         f"{describe(node)}")
    ka = sa[-1]
    kb = sb[0]
    if ka != kb:
        raise ShapeError(f"shape mismatch in matrix product {describe(node)}: {sa} @ {sb} "
                         f"(inner dimensions {ka} and {kb} differ)")
    return sa[:-1] + sb[1:], "f"


def matmul(a, b):
    a, b = as_node(a), as_node(b)
    return Node("matmul", (a, b))


def _norm_axes(axis, ndim, what):
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, numbers.Integral) else tuple(axis)
    out = []
    for a in axes:
        a = int(a)
        if not -ndim <= a < ndim:
            raise ValueError(f"{what}: axis {a} out of range for {ndim} dimensions")
        out.append(a % ndim)
    return tuple(sorted(set(out)))


def reduce(op, x, axis=None):
    """``sum``/``mean``/``max``/``logsumexp`` of ``x`` over ``axis`` (all axes if None)."""
    x = as_node(x)
    axes = _norm_axes(axis, x.ndim, op)
    if not axes:
        return x
    return Node(op, (x,), axes)


# -- indexing -----------------------------------------------------------------------------

def index(x, key):
    """``x[key]`` with integers, slices, None, ``...`` and integer arrays (numpy rules,
    except that several array indices must be adjacent)."""
    if not isinstance(key, tuple):
        key = (key,)
    n_ell = sum(k is Ellipsis for k in key)
    if n_ell > 1:
        raise IndexError("only one ... allowed in an index")
    n_used = sum(k is not None and k is not Ellipsis for k in key)
    if n_used > x.ndim:
        raise IndexError(f"too many indices for expression {describe(x)} of shape {x.shape}")
    if n_ell:
        pos = key.index(Ellipsis)
        key = key[:pos] + (slice(None),) * (x.ndim - n_used) + key[pos + 1:]
    else:
        key = key + (slice(None),) * (x.ndim - n_used)
    spec, arrays = [], []
    for k in key:
        if k is None:
            spec.append(("n",))
        elif isinstance(k, slice):
            parts = []
            for v in (k.start, k.stop, k.step):
                if v is not None and not isinstance(v, numbers.Integral):
                    raise TypeError("slice bounds must be Python integers")
                parts.append(None if v is None else int(v))
            if parts[2] == 0:
                raise ValueError("slice step cannot be zero")
            spec.append(("s", *parts))
        elif isinstance(k, numbers.Integral) and not isinstance(k, bool):
            spec.append(("i", int(k)))
        else:
            node = as_node(k, "index")
            if node.dtype not in ("i",):
                raise TypeError(f"array index of {describe(x)} must hold integers, got "
                                f"{describe(node)} of dtype {node.dtype}")
            if node.op not in ("data", "array", "const"):
                raise TypeError(f"index arrays must be data or integer constants, not "
                                f"computed expressions ({describe(node)})")
            if node.op == "const":
                spec.append(("i", int(node.attrs[0])))
                continue
            spec.append(("a", len(arrays)))
            arrays.append(node)
    if all(s[0] == "s" and s[1:] == (None, None, None) for s in spec):
        return x
    return Node("index", (x, *arrays), tuple(spec))


def _infer_index(node):
    x, arrays = node.inputs[0], node.inputs[1:]
    spec = node.attrs
    apos = [k for k, s in enumerate(spec) if s[0] == "a"]
    if apos and apos != list(range(apos[0], apos[0] + len(apos))):
        raise IndexError("integer-array indices must be adjacent in bayeskit expressions")
    ashape = broadcast_shapes([a.shape for a in arrays], node) if arrays else ()
    out, axis = [], 0
    placed = False
    for s in spec:
        if s[0] == "n":
            out.append(1)
            continue
        n = x.shape[axis]
        if s[0] == "s":
            out.append(len(range(*slice(*s[1:]).indices(n))))
        elif s[0] == "i":
            if not -n <= s[1] < n:
                raise IndexError(f"index {s[1]} out of bounds for axis {axis} of size {n} "
                                 f"in {describe(x)}")
        else:
            a = arrays[s[1]]
            if a.op == "array" or a.op == "data":
                vals = a.value
                if vals is not None and vals.size and (vals.min() < 0 or vals.max() >= n):
                    raise IndexError(f"index array {describe(a)} has values outside "
                                     f"[0, {n}) for axis {axis} of {describe(x)} (shape "
                                     f"{x.shape}); bayeskit indices are 0-based and "
                                     "non-negative")
            if not placed:
                out.extend(ashape)
                placed = True
        axis += 1
    return tuple(out), x.dtype


# -- graph traversal ----------------------------------------------------------------------

def toposort(roots, stop=frozenset()):
    """All nodes reachable from ``roots``, inputs before consumers (iterative DFS); nodes
    whose id is in ``stop`` are included but not expanded."""
    order, seen = [], set()
    for r in roots:
        stack = [(r, False)]
        while stack:
            n, done = stack.pop()
            if done:
                order.append(n)
                continue
            if n.id in seen:
                continue
            seen.add(n.id)
            stack.append((n, True))
            if n.id in stop:
                continue
            for i in reversed(n.inputs):
                if i.id not in seen:
                    stack.append((i, False))
    return order


def reinfer(nodes):
    """Recompute the shapes of ``nodes`` (topologically sorted) after new data."""
    for n in nodes:
        if n.op in LEAVES:
            continue
        n.shape, n.dtype = infer(n)
