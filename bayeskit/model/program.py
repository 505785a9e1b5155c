"""Assemble the generated module of a model: data layout, parameter transforms, and the
functions built by :class:`codegen.Gen`.

The module holds:

* ``logp_grad``: the ``numba.cfunc`` with :data:`bayeskit.LOGP_SIGNATURE`;
* ``draws_batch(thetas, fdata, idata, want_values, want_loglik, *outs)``: for a batch of
  draws, the constrained parameters and deterministics, or the pointwise log-likelihood
  of each observed variable (one function for both: one compile for a new model);
* ``distpar_batch``: the parameters of every distribution (for forward sampling).

Data layout: ``idata`` starts with a header, per data slot ``[offset, size_0, ...,
size_{ndim-1}]``; float data live in ``fdata`` and integer data in ``idata`` after the
header. The generated code reads sizes from the header, so new data of other sizes is a new
buffer for the same code.
"""

from __future__ import annotations

import re

import numpy as np

from . import codegen
from .codegen import FAIL, Gen, Kernels, Lines, canonicalize, lit
from .graph import LEAVES
from .model import kernel_path


class Layout:
    """Where each data slot and each parameter lives in the buffers and in theta."""

    def __init__(self, model):
        self.model = model
        off = 0
        for p in model.params:
            p.offset = off
            off += p.usize
        self.dim = off
        self.params = model.params
        self.terms = []
        for p in model.params:
            self.terms.append(p.lpdf.sum() if p.lpdf.ndim else p.lpdf)
        for o in model.observed:
            self.terms.append(o.lpdf.sum() if o.lpdf.ndim else o.lpdf)
        self.terms += [n for _, n in model.potentials]
        self.det = [(name, node) for name, node, _ in model.deterministics]
        self.obs_lpdf = [o.lpdf for o in model.observed]
        # distribution parameters, for prior and predictive sampling
        self.dist_params = []
        from .model import dist_param_nodes
        for p in model.params:
            self.dist_params.append(list(p.lpdf.inputs[1:]) if p.lpdf.op == "lpdf"
                                    else dist_param_nodes(p.dist, p.name))
        for o in model.observed:
            self.dist_params.append(list(o.lpdf.inputs[1:]) if o.lpdf.op == "lpdf"
                                    else dist_param_nodes(o.dist, o.name))
        roots = (self.terms + [n for _, n in self.det] + self.obs_lpdf
                 + [n for ps in self.dist_params for n in ps]
                 + [p.node for p in model.params])
        self.order, self.rep = canonicalize(roots)
        self.slots = [n for n in self.order if n.op in ("data", "array")]

    def canon(self, n):
        return self.rep[n.id]

    def pack(self):
        """The ``(fdata, idata)`` buffers of the current data."""
        header = []
        fparts, iparts = [], []
        foff = 0
        hsize = sum(1 + n.ndim for n in self.slots)
        ioff = hsize
        for n in self.slots:
            arr = np.ascontiguousarray(n.value).ravel()
            if n.dtype == "i":
                header.append(ioff)
                iparts.append(arr.astype(np.int64))
                ioff += arr.size
            else:
                header.append(foff)
                fparts.append(arr.astype(np.float64))
                foff += arr.size
            header.extend(int(s) for s in n.value.shape)
        fdata = np.concatenate(fparts) if fparts else np.zeros(0)
        idata = np.concatenate([np.asarray(header, dtype=np.int64)] + iparts)
        return np.ascontiguousarray(fdata), np.ascontiguousarray(idata)


def _data_views(layout, L, used):
    """Bind ``v<id>`` to the data slots among the node ids ``used`` (views of the buffers).
    Unused slots get no code: every reshape is compile time spent for nothing."""
    pos = 0
    for n in layout.slots:
        if n.id not in used:
            pos += 1 + n.ndim
            continue
        buf = "idata" if n.dtype == "i" else "fdata"
        sizes = [f"idata[{pos + 1 + k}]" for k in range(n.ndim)]
        if n.ndim == 0:
            L(f"v{n.id} = {buf}[idata[{pos}]]")
        elif n.ndim == 1:
            L(f"v{n.id} = {buf}[idata[{pos}]:idata[{pos}] + {sizes[0]}]")
        else:
            L(f"v{n.id} = {buf}[idata[{pos}]:idata[{pos}] + {' * '.join(sizes)}]"
              f".reshape(({', '.join(sizes)},))")
        pos += 1 + n.ndim


def _param_forward(p, node, kernels, L, grad, lp):
    """Constrain parameter ``p`` from theta into ``v<id>`` (+ log-Jacobian, derivatives)."""
    t = p.transform
    nid, off, size = node.id, p.offset, p.usize
    shape = ", ".join(str(s) for s in p.shape)
    identity = type(t).__name__ == "Identity"
    if t.kind == "elementwise":
        args = "".join(f", {lit(a)}" for a in t.args)
        if identity:
            if not p.shape:
                L(f"v{nid} = theta[{off}]")
            elif len(p.shape) == 1:
                L(f"v{nid} = theta[{off}:{off + size}]")
            else:
                L(f"v{nid} = theta[{off}:{off + size}].reshape(({shape},))")
        else:
            k = kernels.alias(kernel_path(t.constrain_kernel, p.name))
            if not p.shape:
                L(f"v{nid}, lj{nid}, dx{nid}, dl{nid} = {k}(theta[{off}]{args})")
                if lp:
                    L(f"{lp} += lj{nid}")
            else:
                L(f"vf{nid} = np.empty({size})")
                if grad:
                    L(f"dx{nid} = np.empty({size})")
                    L(f"dl{nid} = np.empty({size})")
                L(f"for j in range({size}):")
                if grad:
                    L(f"    vf{nid}[j], lj, dx{nid}[j], dl{nid}[j] = {k}(theta[{off} + j]{args})")
                else:
                    L(f"    vf{nid}[j], lj, _dx, _dl = {k}(theta[{off} + j]{args})")
                if lp:
                    L(f"    {lp} += lj")
                L(f"v{nid} = vf{nid}.reshape(({shape},))")
    else:
        k = kernels.alias(kernel_path(t.constrain_kernel, p.name))
        ev = getattr(t, "event_ndim", 1)
        batch = p.shape[:len(p.shape) - ev]
        event = p.shape[len(p.shape) - ev:]
        uevent = p.ushape[len(p.ushape) - 1:]
        nb = int(np.prod(batch, dtype=np.int64))
        L(f"v{nid} = np.empty(({shape},))")
        L(f"y{nid} = theta[{off}:{off + size}]")
        if not batch:
            L(f"lj{nid} = {k}(y{nid}, v{nid})")
            if lp:
                L(f"{lp} += lj{nid}")
        else:
            L(f"yb{nid} = y{nid}.reshape(({nb}, {uevent[0]}))")
            L(f"vb{nid} = v{nid}.reshape(({nb}, {', '.join(map(str, event))}))")
            L(f"for j in range({nb}):")
            L(f"    lj = {k}(yb{nid}[j], vb{nid}[j])")
            if lp:
                L(f"    {lp} += lj")
    if grad:
        if not p.shape:
            L(f"g{nid} = 0.0")
        elif t.kind == "elementwise":
            # the adjoint accumulates in place in grad (zeroed on entry): no allocation,
            # and no np.zeros for numba to compile with every new model
            L(f"g{nid} = grad[{off}:{off + size}]" if len(p.shape) == 1
              else f"g{nid} = grad[{off}:{off + size}].reshape(({shape},))")
        else:
            L(f"g{nid} = np.zeros(({shape},))")


def _param_backward(p, node, kernels, L):
    t = p.transform
    nid, off, size = node.id, p.offset, p.usize
    if t.kind == "elementwise":
        identity = type(t).__name__ == "Identity"
        if not p.shape:
            L(f"grad[{off}] += g{nid}" if identity
              else f"grad[{off}] += g{nid} * dx{nid} + dl{nid}")
        elif not identity:  # g<id> is grad[off:off + size]: the chain rule in place
            L(f"for j in range({size}):")
            L(f"    grad[{off} + j] = grad[{off} + j] * dx{nid}[j] + dl{nid}[j]")
    else:
        k = kernels.alias(kernel_path(t.vjp_kernel, p.name))
        ev = getattr(t, "event_ndim", 1)
        batch = p.shape[:len(p.shape) - ev]
        event = p.shape[len(p.shape) - ev:]
        uevent = p.ushape[len(p.ushape) - 1:]
        if not batch:
            L(f"{k}(y{nid}, g{nid}, grad[{off}:{off + size}])")
        else:
            nb = int(np.prod(batch, dtype=np.int64))
            L(f"gb{nid} = g{nid}.reshape(({nb}, {', '.join(map(str, event))}))")
            L(f"gy{nid} = grad[{off}:{off + size}].reshape(({nb}, {uevent[0]}))")
            L(f"for j in range({nb}):")
            L(f"    {k}(yb{nid}[j], gb{nid}[j], gy{nid}[j])")


def _sub_order(layout, roots):
    keep, stack = set(), [layout.canon(r) for r in roots]
    while stack:
        n = stack.pop()
        if n.id in keep:
            continue
        keep.add(n.id)
        stack.extend(n.inputs)
    return [n for n in layout.order if n.id in keep]


def _logp_function(layout, kernels):
    L = Lines()
    L("@cfunc(LOGP_SIGNATURE, cache=True, nogil=True, error_model=\"numpy\")")
    L("def logp_grad(theta, grad, fdata, idata):")
    L.indent()
    L("lp = 0.0")
    L("grad[:] = 0.0")
    pnodes = [layout.canon(p.node) for p in layout.params]
    terms = [layout.canon(t) for t in layout.terms]
    order = _sub_order(layout, terms + pnodes)
    _data_views(layout, L, {n.id for n in order})
    for p, node in zip(layout.params, pnodes):
        _param_forward(p, node, kernels, L, True, "lp")
    gen = Gen(order, kernels, grad=True, needs={n.id for n in pnodes}, terms=terms)
    gen.forward()
    L.extend(gen.fwd.lines)
    L("if not np.isfinite(lp):")
    L(f"    {FAIL}")
    gen.backward()
    L.extend(gen.bwd.lines)
    for p, node in zip(layout.params, pnodes):
        _param_backward(p, node, kernels, L)
    L("return lp")
    # parameters' adjoints accumulate in grad: a rejected point leaves it zero, as before
    return "\n".join(L.lines).replace(FAIL, "grad[:] = 0.0; return -np.inf")


def _batch_function(layout, kernels, name, groups):
    """A jitted loop over draws writing the values of the output nodes into ``o<k>[dd]``
    (``k`` counts the outputs of all groups in order). Returns 0, or ``k + 1`` if output
    ``k`` is not shaped ``(draws, *value.shape)`` (the caller raises).

    ``groups``: lists of output nodes. With several groups the function takes one flag
    ``want<g>`` per group after ``idata``, and each group is a self-contained section run
    only when its flag is set: one compiled function serves several kinds of batch (a
    numba compile has a fixed cost of a fraction of a second per function). Call it with
    one flag set: a failed draw (``continue``) skips the sections after its own.
    """
    groups = [[layout.canon(o) for o in outputs] for outputs in groups]
    flagged = len(groups) > 1
    L = Lines()
    L("@njit(cache=True, nogil=True, error_model=\"numpy\", no_cfunc_wrapper=True)")
    flags = "".join(f", want{g}" for g in range(len(groups))) if flagged else ""
    args = "".join(f", o{k}" for k in range(sum(len(outs) for outs in groups)))
    L(f"def {name}(thetas, fdata, idata{flags}{args}):")
    L.indent()
    _data_views(layout, L, {n.id for n in _sub_order(layout, [o for outs in groups
                                                                for o in outs])})
    L("for dd in range(thetas.shape[0]):")
    L.indent()
    L("theta = thetas[dd]")
    first = 0
    for g, outs in enumerate(groups):
        if flagged:
            L(f"if want{g}:")
            L.indent()
        _batch_section(layout, kernels, L, outs, first)
        if flagged:
            L("pass")
            L.dedent()
        first += len(outs)
    L.dedent()
    L("return 0")
    return "\n".join(L.lines).replace(FAIL, "continue")


def _batch_section(layout, kernels, L, outs, first):
    """Straight-line code of one draw computing ``outs`` into ``o<first + k>[dd]``."""
    needed = _sub_order(layout, outs)
    needed_ids = {n.id for n in needed}
    pnodes = [layout.canon(p.node) for p in layout.params]
    for p, node in zip(layout.params, pnodes):
        if node.id in needed_ids:
            _param_forward(p, node, kernels, L, False, None)
    gen = Gen(needed, kernels, grad=False, needs=set(), outputs=[o for o in outs
                                                                 if o.op not in LEAVES])
    gen.forward()
    L.extend(gen.fwd.lines)
    for k, o in enumerate(outs, first):
        if o.op == "const":
            L(f"o{k}[dd] = {lit(o.attrs[0])}")
        else:
            _copy_out(L, k, f"v{o.id}", o.ndim)


def _copy_out(L, k, value, ndim):
    """``o<k>[dd] = value`` element by element. An array assignment would make numba compile
    its shape-mismatch error message (string formatting) for every new model: seconds."""
    out = f"o{k}"
    if ndim == 0:
        L(f"{out}[dd] = {value}")
        return
    sizes = [f"{value}.shape[{j}]" for j in range(ndim)]
    mismatch = " or ".join(f"{s} != {out}.shape[{j + 1}]" for j, s in enumerate(sizes))
    L(f"if {out}.ndim != {ndim + 1} or {mismatch}:")
    L(f"    return {k + 1}")  # the caller raises (cheaper to compile than a raise)
    idx = [f"jj{j}" for j in range(ndim)]
    for j in range(ndim):
        L("    " * j + f"for {idx[j]} in range({sizes[j]}):")
    L("    " * ndim + f"{out}[dd, {', '.join(idx)}] = {value}[{', '.join(idx)}]")


_ID = re.compile(r"\b(v|vf|vb|g|gf|gb|gy|gc|t|b|d|e|w|h|ys|T|tt|acc|so|sl|m|s|off|q|lj|dx|dl|y|yb|hc)"
                 r"(\d+)(?=\b|_)")


def _renumber(src):
    """Replace node ids (global counters) by their order of appearance, so that the same
    model structure always produces the same source text (and cache key)."""
    mapping = {}

    def sub(mt):
        i = mt.group(2)
        if i not in mapping:
            mapping[i] = str(len(mapping))
        return mt.group(1) + mapping[i]

    return _ID.sub(sub, src)


HEADER = '''"""Generated by bayeskit for one model structure; do not edit."""
import math
import numpy as np
from numba import cfunc, njit
from bayeskit.logdensity import LOGP_SIGNATURE
from bayeskit.model import runtime as _rt
'''


def generate(layout):
    """The module source for ``layout``."""
    kernels = Kernels()
    parts = [_logp_function(layout, kernels)]
    values = [p.node for p in layout.params] + [n for _, n in layout.det]
    parts.append(_batch_function(layout, kernels, "draws_batch", [values, layout.obs_lpdf]))
    parts.append(_batch_function(layout, kernels, "distpar_batch",
                                 [[n for ps in layout.dist_params for n in ps]]))
    body = "\n\n\n".join(parts)
    src = HEADER + "\n".join(kernels.imports()) + "\n\n\n" + body + "\n"
    return _renumber(src)


__all__ = ["Layout", "generate", "codegen"]
