"""The :class:`Model`: named parameters, data, observations, deterministics and potentials.

A model is an explicit object (no hidden global context). Each call checks its input at
once and raises a ``ValueError``/``TypeError`` naming the variable, so mistakes surface
while the model is written, never as a Numba error at compile or sampling time.
"""

from __future__ import annotations

import numbers

import numpy as np

from . import graph
from .graph import Node, ShapeError, as_node, describe


class ParamInfo:
    """A free parameter: its node, prior, transform and place in the unconstrained vector."""

    def __init__(self, name, node, dist, transform, shape, dims):
        self.name, self.node, self.dist, self.transform = name, node, dist, transform
        self.shape, self.dims = tuple(shape), dims
        self.ushape = tuple(transform.unconstrained_shape(self.shape)) if self.shape else ()
        self.usize = int(np.prod(self.ushape, dtype=np.int64))
        self.offset = 0


class ObsInfo:
    """An observed variable: its data node, distribution and pointwise log-density node."""

    def __init__(self, name, node, dist, lpdf, dims):
        self.name, self.node, self.dist, self.lpdf, self.dims = name, node, dist, lpdf, dims


_NAME_OK = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.[]-")


def _check_name(name):
    if not isinstance(name, str) or not name:
        raise TypeError(f"variable names must be non-empty strings, got {name!r}")


def _numeric_array(name, values):
    """Validate user data: numeric, finite; returns a float64 or int64 array."""
    if isinstance(values, Node):
        raise TypeError(f"data {name!r}: expected numbers, got a model expression")
    try:
        arr = np.asarray(values)
    except Exception as err:  # ragged lists and the like
        raise TypeError(f"data {name!r}: cannot convert to an array ({err})") from None
    if arr.dtype == np.bool_:
        arr = arr.astype(np.int64)
    if not (np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)):
        raise TypeError(f"data {name!r} must be numeric, got dtype {arr.dtype}")
    if np.issubdtype(arr.dtype, np.floating):
        bad = ~np.isfinite(arr)
        if bad.any():
            where = np.argwhere(bad)[0]
            raise ValueError(f"data {name!r} contains NaN or inf (first at index "
                             f"{tuple(int(i) for i in where)}); drop or impute missing values")
        return np.ascontiguousarray(arr, dtype=np.float64)
    return np.ascontiguousarray(arr, dtype=np.int64)


_SUPPORT_CHECKS = {
    "positive": (lambda v: v > 0, "positive"),
    "nonnegative": (lambda v: v >= 0, "non-negative"),
    "[0, 1]": (lambda v: (v >= 0) & (v <= 1), "in [0, 1]"),
    "(0, 1)": (lambda v: (v > 0) & (v < 1), "in (0, 1)"),
    "{0, 1}": (lambda v: (v == 0) | (v == 1), "0 or 1"),
    "nonnegative integers": (lambda v: (v >= 0) & (v == np.floor(v)), "non-negative integers"),
    "positive integers": (lambda v: (v >= 1) & (v == np.floor(v)), "positive integers"),
}


def check_support(name, dist, values):
    """Reject observed values outside the support of ``dist`` (by its ``support`` text)."""
    support = getattr(dist, "support", "real")
    check = _SUPPORT_CHECKS.get(support)
    if check is None and "integer" in support:
        check = _SUPPORT_CHECKS["nonnegative integers"]
    if check is None and dist.is_discrete:
        check = (lambda v: v == np.floor(v), "integers")
    if check is None:
        return
    ok = check[0](np.asarray(values, dtype=np.float64))
    if not np.all(ok):
        first = np.argwhere(~np.asarray(ok))[0] if np.ndim(ok) else ()
        bad = np.asarray(values)[tuple(first)]
        raise ValueError(f"observed {name!r} has values outside the support of "
                         f"{type(dist).__name__} ({support}): must be {check[1]}, got {bad} "
                         f"at index {tuple(int(i) for i in first)}")


def kernel_path(fn, what):
    """``module:name`` of a module-level numba kernel (generated code imports it)."""
    py = getattr(fn, "py_func", fn)
    mod, name = getattr(py, "__module__", None), getattr(py, "__name__", None)
    if not mod or not name:
        raise TypeError(f"{what}: kernel {fn!r} is not a module-level numba function")
    return f"{mod}:{name}"


def dist_param_nodes(dist, what):
    """The distribution's parameters as nodes."""
    return [as_node(v, f"{what}: parameter {p}") for p, v in zip(dist.param_names, dist.params)]


def lpdf_node(dist, value, what):
    """Elementwise log-density node of a univariate ``dist`` at ``value``."""
    if getattr(dist, "event_ndim", 0) != 0:
        from .multivariate import mv_lpdf_node
        return mv_lpdf_node(dist, value, what)
    if not hasattr(dist, "kernel_grad"):
        raise TypeError(f"{what}: expected a bayeskit distribution, got {type(dist).__name__}")
    params = dist_param_nodes(dist, what)
    fam = type(dist).__name__
    attrs = (fam, kernel_path(dist.kernel_grad, what), kernel_path(dist.kernel, what))
    value = as_node(value, what)
    try:
        return Node("lpdf", (value, *params), attrs)
    except ShapeError:
        shapes = ", ".join(f"{p}{q.shape}" for p, q in zip(dist.param_names, params))
        raise ShapeError(f"{what}: value of shape {value.shape} and {fam} "
                         f"parameters {shapes} do not broadcast") from None


class Model:
    """A Bayesian model: ``m.param``, ``m.data``, ``m.observe``, ``m.deterministic``,
    ``m.potential``, then ``m.compile()`` for the log density.

    ``coords`` maps dimension names to coordinate values; ``dims=`` on a variable names its
    axes (the sizes come from the coordinates), as in PyMC and ArviZ.
    """

    def __init__(self, coords=None):
        self.coords = {}
        for k, v in (coords or {}).items():
            vals = list(np.asarray(v).tolist()) if not isinstance(v, range) else list(v)
            self.coords[str(k)] = vals
        self._names = {}
        self.data_nodes = {}
        self.params = []
        self.observed = []
        self.deterministics = []   # (name, node, dims)
        self.potentials = []       # (name, node)
        self._compiled = None

    # -- bookkeeping ---------------------------------------------------------------------
    def _claim(self, name, kind):
        _check_name(name)
        if name in self._names:
            raise ValueError(f"duplicate name {name!r}: already used for a "
                             f"{self._names[name]} of this model")
        self._names[name] = kind

    def _dims_shape(self, name, dims):
        if dims is None:
            return None
        dims = (dims,) if isinstance(dims, str) else tuple(dims)
        shape = []
        for d in dims:
            if d not in self.coords:
                known = ", ".join(self.coords) or "none"
                raise ValueError(f"{name!r}: unknown dim {d!r} (coords known: {known}); "
                                 "pass it in Model(coords=...)")
            shape.append(len(self.coords[d]))
        return dims, tuple(shape)

    @property
    def dims(self):
        """Variable name -> tuple of dimension names (for those declared with dims=)."""
        out = {}
        for p in self.params:
            if p.dims:
                out[p.name] = p.dims
        for o in self.observed:
            if o.dims:
                out[o.name] = o.dims
        for name, _, dims in self.deterministics:
            if dims:
                out[name] = dims
        return out

    def _invalidate(self):
        self._compiled = None

    # -- declarations ----------------------------------------------------------------------
    def data(self, name, value, dims=None):
        """Register data under ``name`` (swappable later with :meth:`set_data`)."""
        self._claim(name, "data")
        arr = _numeric_array(name, value)
        if dims is not None:
            dims_, shape = self._dims_shape(name, dims)
            if arr.shape != shape:
                raise ShapeError(f"data {name!r} has shape {arr.shape} but dims {dims_} "
                                 f"give {shape}")
        node = Node("data", (), (name,), value=arr, shape=arr.shape,
                    dtype="i" if arr.dtype == np.int64 else "f")
        self.data_nodes[name] = node
        self._invalidate()
        return node

    def set_data(self, name, value=None):
        """Replace data (same rank and dtype kind; any length): no recompilation.

        ``set_data(name, array)`` or ``set_data({name: array, ...})``.
        """
        updates = name if isinstance(name, dict) else {name: value}
        old = {}
        for k, v in updates.items():
            if k not in self.data_nodes:
                raise KeyError(f"no data named {k!r} in this model (data: "
                               f"{', '.join(self.data_nodes) or 'none'})")
            node = self.data_nodes[k]
            arr = _numeric_array(k, v)
            if arr.ndim != node.ndim:
                raise ShapeError(f"set_data {k!r}: new value has {arr.ndim} dimensions, "
                                 f"the model was built with {node.ndim} ({node.shape})")
            if (arr.dtype == np.int64) != (node.dtype == "i"):
                kind = "integers" if node.dtype == "i" else "floats"
                raise TypeError(f"set_data {k!r}: the model was built with {kind}")
            for o in self.observed:
                if o.node is node:
                    check_support(k, o.dist, arr)
            old[k] = (node.value, node.shape)
            node.value, node.shape = arr, arr.shape
        try:
            graph.reinfer(graph.toposort(self._roots()))
        except (ShapeError, IndexError) as err:
            for k, (val, shape) in old.items():
                self.data_nodes[k].value, self.data_nodes[k].shape = val, shape
            graph.reinfer(graph.toposort(self._roots()))
            raise ShapeError(f"set_data: {err}") from None
        self._invalidate()

    def param(self, name, dist, dims=None, shape=None, transform=None):
        """A free parameter with prior ``dist``; returns its (constrained) value.

        The shape comes from ``dims``, ``shape`` or the distribution's parameters.
        ``transform`` overrides the distribution's default transform to R^d.
        """
        self._claim(name, "parameter")
        what = f"param {name!r}"
        if not hasattr(dist, "default_transform"):
            raise TypeError(f"{what}: expected a bayeskit distribution, got "
                            f"{type(dist).__name__}")
        if getattr(dist, "is_discrete", False):
            raise TypeError(f"{what}: discrete parameters cannot be sampled by gradient "
                            f"methods ({type(dist).__name__}); marginalize them out")
        dims_ = None
        if dims is not None:
            dims_, dshape = self._dims_shape(name, dims)
            if shape is not None and tuple(np.atleast_1d(shape)) != dshape:
                raise ShapeError(f"{what}: shape={shape} disagrees with dims {dims_} "
                                 f"({dshape})")
            shape = dshape
        event_ndim = getattr(dist, "event_ndim", 0)
        pnodes = dist_param_nodes(dist, what)
        if event_ndim == 0:
            try:
                batch = np.broadcast_shapes(*[p.shape for p in pnodes])
            except ValueError:
                shapes = ", ".join(f"{p}{q.shape}" for p, q in zip(dist.param_names, pnodes))
                raise ShapeError(f"{what}: prior parameters {shapes} do not broadcast") from None
        else:
            from .multivariate import mv_value_shape
            batch = mv_value_shape(dist, pnodes, what)
        if shape is None:
            shape = batch
        shape = (int(shape),) if isinstance(shape, numbers.Integral) else tuple(
            int(s) for s in shape)
        if event_ndim == 0:
            try:
                fits = np.broadcast_shapes(shape, batch) == shape
            except ValueError:
                fits = False
            if not fits:
                raise ShapeError(f"{what}: shape {shape} does not fit the prior's "
                                 f"parameter shape {batch}")
        if transform is None:
            transform = dist.default_transform()
        node = Node("param", (), (name,), shape=shape, dtype="f")
        info = ParamInfo(name, node, dist, transform, shape, dims_)
        if info.usize == 0:
            raise ShapeError(f"{what}: shape {shape} has no elements")
        info.lpdf = lpdf_node(dist, node, what)
        self.params.append(info)
        self._invalidate()
        return node

    def observe(self, name, dist, values, dims=None):
        """Condition on ``values`` observed from ``dist``; returns the data node."""
        self._claim(name, "observed variable")
        what = f"observed {name!r}"
        if not hasattr(dist, "kernel_grad"):
            raise TypeError(f"{what}: expected a bayeskit distribution, got "
                            f"{type(dist).__name__}")
        arr = _numeric_array(name, values)
        check_support(name, dist, arr)
        dims_ = None
        if dims is not None:
            dims_, dshape = self._dims_shape(name, dims)
            if dshape != arr.shape:
                raise ShapeError(f"{what}: values of shape {arr.shape} but dims {dims_} "
                                 f"give {dshape}")
        node = Node("data", (), (name,), value=arr, shape=arr.shape,
                    dtype="i" if arr.dtype == np.int64 else "f")
        lp = lpdf_node(dist, node, what)
        if getattr(dist, "event_ndim", 0) == 0 and lp.shape != arr.shape:
            raise ShapeError(f"{what}: the distribution's parameters have shape {lp.shape}, "
                             f"the observed values {arr.shape}; they must match (or "
                             "broadcast to the values' shape)")
        self.data_nodes[name] = node
        self.observed.append(ObsInfo(name, node, dist, lp, dims_))
        self._invalidate()
        return node

    def deterministic(self, name, expr, dims=None):
        """Record ``expr`` under ``name`` in the output (computed from each draw)."""
        self._claim(name, "deterministic")
        node = as_node(expr, f"deterministic {name!r}")
        if dims is not None:
            dims_, dshape = self._dims_shape(name, dims)
            if dshape != node.shape:
                raise ShapeError(f"deterministic {name!r} has shape {node.shape} but dims "
                                 f"{dims_} give {dshape}")
        else:
            dims_ = None
        if node.label is None and node.op not in graph.LEAVES:
            node.label = name
        self.deterministics.append((name, node, dims_))
        self._invalidate()
        return node

    def potential(self, name, expr):
        """Add ``sum(expr)`` to the log density (like ``pm.Potential``)."""
        self._claim(name, "potential")
        node = as_node(expr, f"potential {name!r}")
        if node.ndim:
            node = node.sum()
        self.potentials.append((name, node))
        self._invalidate()
        return node

    # -- graph -------------------------------------------------------------------------------
    def _roots(self):
        roots = [p.lpdf for p in self.params] + [o.lpdf for o in self.observed]
        roots += [n for _, n, _ in self.deterministics] + [n for _, n in self.potentials]
        return roots

    @property
    def free_param_names(self):
        return [p.name for p in self.params]

    def compile(self):
        """The model's log density on R^dim (a :class:`ModelLogDensity`), cached."""
        if self._compiled is None:
            from .compiled import compile_model
            self._compiled = compile_model(self)
        return self._compiled

    def __repr__(self):
        return (f"<bayeskit.Model params={self.free_param_names} observed="
                f"{[o.name for o in self.observed]}>")
