"""Multivariate distributions in the model language (``mvlpdf`` nodes).

A node ``mvlpdf(x, *params)`` is the log density of each event of ``x`` (its last
``event_ndim`` axes); its shape is the batch shape. The compiled code calls the family's
array kernels ``<fam>_lpdf(x, *params)`` and ``<fam>_lpdf_grad(x, *params, g_x,
*g_params)`` (which add into the gradient arrays; a scalar parameter's has length 1) once
per event. Batches: at most one batch axis, each input either batched alike or shared.
"""

from __future__ import annotations

import numpy as np

from .graph import EXTRA_RULES, Node, ShapeError, as_node, describe

# event rank of each parameter, by parameter name (the families' conventions)
PARAM_EVENT_NDIM = {"mu": 1, "cov": 2, "chol": 2, "alpha": 1, "eta": 0, "n": 0, "p": 1}


def _event_ndims(dist):
    return [PARAM_EVENT_NDIM.get(name, 0) for name in dist.param_names]


def _split(node, ev, what):
    if node.ndim < ev:
        raise ShapeError(f"{what}: {describe(node)} has shape {node.shape}, needs at least "
                         f"{ev} dimensions")
    return node.shape[:node.ndim - ev], node.shape[node.ndim - ev:]


def mv_value_shape(dist, pnodes, what):
    """Shape of one draw of a multivariate ``dist`` whose parameters are ``pnodes``."""
    if hasattr(dist, "n") and "n" not in dist.param_names:  # LKJCholesky(n, eta)
        batch = pnodes[0].shape if pnodes else ()
        return tuple(batch) + (dist.n, dist.n)
    evs = _event_ndims(dist)
    batches, events = [], []
    for p, ev in zip(pnodes, evs):
        b, e = _split(p, ev, what)
        batches.append(b)
        if ev:
            events.append(e[:1] if ev >= 1 else ())
    try:
        batch = np.broadcast_shapes(*batches)
    except ValueError:
        raise ShapeError(f"{what}: parameter batch shapes {batches} do not broadcast") from None
    sizes = {e[0] for e in events if e}
    if len(sizes) > 1:
        raise ShapeError(f"{what}: parameters disagree on the event size {sorted(sizes)}")
    return tuple(batch) + ((sizes.pop(),) if sizes else ())


def mv_lpdf_node(dist, value, what):
    from .model import dist_param_nodes, kernel_path
    value = as_node(value, what)
    params = dist_param_nodes(dist, what)
    evs = [dist.event_ndim] + _event_ndims(dist)
    fam = type(dist).__name__
    attrs = (fam, kernel_path(dist.kernel_grad, what), kernel_path(dist.kernel, what),
             tuple(evs))
    return Node("mvlpdf", (value, *params), attrs)


def _infer(node):
    evs = node.attrs[3]
    batches = []
    for i, ev in zip(node.inputs, evs):
        b, _ = _split(i, ev, f"{node.attrs[0]} log density")
        batches.append(b)
    full = max(batches, key=len)
    if len(full) > 1:
        raise ShapeError(f"{node.attrs[0]}: at most one batch axis is supported, got "
                         f"batch shape {full}")
    for b in batches:
        if b and b != full:
            raise ShapeError(f"{node.attrs[0]}: batch shapes {batches} differ; each input "
                             "must have the same batch axis or none")
    return full, "f"


EXTRA_RULES["mvlpdf"] = _infer
