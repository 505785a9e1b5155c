"""Generate Numba source for the forward pass and the reverse sweep of an expression graph.

Every node becomes either a *materialized* value (a local ``v<id>``: a float for a scalar,
an array otherwise, with its adjoint ``g<id>``) or is *inlined*: an elementwise node whose
only consumer is another elementwise node of the same shape, or a reduction, is evaluated
as scalar code (``t<id>``) inside its consumer's loop. So an elementwise chain such as
``logpdf(y | alpha + a[idx] + X @ beta, sigma)`` is one loop that reads ``X @ beta`` (a
BLAS product), gathers ``a[idx[i]]`` and calls the distribution kernel per row, with no
temporary arrays, and its reverse sweep is in the same loop (each element's adjoint is
local). Loops run over the runtime shapes of the arrays, so the source depends on ranks
and broadcasting patterns only, never on data sizes. Where a family has a split kernel
(:mod:`bayeskit.model.split`) and its shape/scale parameters are scalars shared by the
whole loop, their constants (``log sigma``, ``lgamma`` of ``nu``, ...) are computed once
before the loop and the loop calls the per-row half.

The adjoint of every operand is accumulated (``+=``), so common subexpressions (merged by
:func:`canonicalize`) are computed once and receive the sum of their consumers' adjoints.
"""

from __future__ import annotations

import copy
import math

from . import autodiff
from .graph import ACCESS, ELEMENTWISE, LEAVES
from .split import SPLITS

FUSABLE = ELEMENTWISE | ACCESS
REDUCE = {"sum", "mean"}


def lit(x):
    """A float literal that also covers inf and nan."""
    x = float(x)
    if math.isnan(x):
        return "np.nan"
    if math.isinf(x):
        return "np.inf" if x > 0 else "(-np.inf)"
    return repr(x)


def canonicalize(roots, rep0=None):
    """Merge structurally identical nodes (common subexpressions).

    Returns ``(order, rep)``: canonical nodes in topological order, and a dict mapping the
    id of every reachable node to its canonical representative.
    """
    from .graph import toposort

    rep0 = rep0 or {}
    rep, by_key, order = {}, {}, []
    for n in toposort(roots, stop=set(rep0)):
        if n.id in rep0:
            c = rep0[n.id]
            rep[n.id] = c
            if ("ext", c.id) not in by_key:
                by_key[("ext", c.id)] = c
                order.append(c)
            continue
        if n.op in ("param", "data"):
            key = (n.op, n.attrs[0])
        elif n.op == "const":
            key = ("const", n.attrs, n.dtype)
        elif n.op in ("array", "placeholder", "scan"):
            key = (n.op, n.id)
        else:
            key = (n.op, n.attrs, tuple(rep[i.id].id for i in n.inputs))
        c = by_key.get(key)
        if c is None:
            ins = tuple(rep[i.id] for i in n.inputs)
            if any(a is not b for a, b in zip(ins, n.inputs)):
                n = copy.copy(n)  # same id, canonical inputs; the user's node is untouched
                n.inputs = ins
            by_key[key] = n
            rep[n.id] = n
            order.append(n)
        else:
            rep[n.id] = c
    return order, rep


class Lines:
    """Indented source lines."""

    def __init__(self):
        self.lines = []
        self.level = 0

    def __call__(self, text):
        self.lines.append("    " * self.level + text)

    def extend(self, other_lines):
        for ln in other_lines:
            self.lines.append("    " * self.level + ln)

    def indent(self):
        self.level += 1

    def dedent(self):
        self.level -= 1


class Kernels:
    """Distribution kernels referred to by generated code, imported under short aliases."""

    def __init__(self):
        self.aliases = {}

    def alias(self, path):
        if path not in self.aliases:
            self.aliases[path] = f"_K{len(self.aliases)}"
        return self.aliases[path]

    def imports(self):
        out = []
        for path, al in self.aliases.items():
            mod, name = path.split(":")
            out.append(f"from {mod} import {name} as {al}")
        return out


class Gen:
    """Code for one graph: forward values, adjoint allocation and the reverse sweep.

    ``order``: canonical nodes in topological order. Leaves other than scalar constants
    must already be bound to ``v<id>`` (and, when differentiable, ``g<id>``) by the caller.
    ``grad``: emit derivatives. ``outputs``: nodes to keep as arrays (never inlined).
    ``terms``: scalar nodes added to ``lp`` with adjoint seed 1.
    ``needs``: ids of leaves that carry a gradient (parameters, scan carries).
    """

    def __init__(self, order, kernels, *, grad, needs, outputs=(), terms=(), lp="lp",
                 external=()):
        self.order = order
        self.external = set(external)
        self.kernels = kernels
        self.grad = grad
        self.lp = lp
        self.terms = [t.id for t in terms]
        self.term_set = set(self.terms)
        self.outputs = {o.id for o in outputs}
        self.byid = {n.id: n for n in order}
        self.consumers = {n.id: 0 for n in order}
        self.users = {n.id: [] for n in order}
        for n in order:
            if n.id in self.external:
                continue
            for i in n.inputs:
                self.consumers[i.id] += 1
                self.users[i.id].append(n)
        self.need = set()
        if grad:
            for n in order:
                if n.id in needs or (n.id not in self.external
                                     and any(i.id in self.need for i in n.inputs)):
                    if n.dtype == "f" or n.op in LEAVES:
                        self.need.add(n.id)
        self.inlined = {n.id for n in order if self._inlinable(n)}
        self.prelude_done = set()
        self.pending = []
        self._shape = {}
        self.fwd = Lines()
        self.bwd = Lines()
        self.immediate = set()

    # -- classification -----------------------------------------------------------------
    def _inlinable(self, n):
        if n.id in self.external:
            return False
        if n.op not in FUSABLE or n.id in self.outputs or n.id in self.term_set:
            return False
        if self.consumers[n.id] != 1:
            return False
        (c,) = self.users[n.id]
        if c.op in REDUCE:
            return True
        return c.op in ELEMENTWISE and c.shape == n.shape

    def materialized(self, n):
        return n.op != "const" and n.id not in self.inlined

    # -- shapes -----------------------------------------------------------------------
    def shape_code(self, n, from_inputs=False):
        """Runtime expressions of the sizes of ``n``."""
        if n.ndim == 0:
            return []
        if n.op == "const":
            return []
        if self.materialized(n) and not from_inputs:
            return [f"v{n.id}.shape[{k}]" for k in range(n.ndim)]
        key = n.id
        if key in self._shape:
            return self._shape[key]
        if n.op in ELEMENTWISE:
            out = []
            for k, size in enumerate(n.shape):
                code = "1"
                for i in n.inputs:
                    j = k - (n.ndim - i.ndim)
                    if j >= 0 and i.shape[j] == size and size != 1:
                        code = self.shape_code(i)[j]
                        break
                out.append(code)
        elif n.op == "transpose":
            xs = self.shape_code(n.inputs[0])
            out = [xs[a] for a in n.attrs]
        elif n.op == "index":
            out = self._index_shape(n)
        elif n.op in REDUCE:
            xs = self.shape_code(n.inputs[0])
            out = [s for k, s in enumerate(xs) if k not in n.attrs]
        else:
            raise AssertionError(n.op)
        self._shape[key] = out
        return out

    def _index_shape(self, n):
        x, arrays = n.inputs[0], n.inputs[1:]
        self._slice_prelude(n)
        out, axis, placed = [], 0, False
        ash = n.shape  # used to find which array supplies each broadcast dim
        for s in n.attrs:
            if s[0] == "n":
                out.append("1")
                continue
            if s[0] == "s":
                out.append(f"sl{n.id}_{axis}")
            elif s[0] == "a" and not placed:
                placed = True
                nd = max(a.ndim for a in arrays)
                start = len(out)
                for k in range(nd):
                    size = ash[start + k]
                    code = "1"
                    for a in arrays:
                        j = k - (nd - a.ndim)
                        if j >= 0 and a.shape[j] == size and size != 1:
                            code = self.shape_code(a)[j]
                            break
                    out.append(code)
            axis += 1
        return out

    def _slice_prelude(self, n):
        if n.id in self.prelude_done:
            return
        self.prelude_done.add(n.id)
        xs = self.shape_code(n.inputs[0])
        axis = 0
        for s in n.attrs:
            if s[0] == "n":
                continue
            if s[0] == "s":
                start, stop, step = s[1:]
                self.pending.append(
                    f"so{n.id}_{axis}, sl{n.id}_{axis} = _rt.slice_norm({xs[axis]}, "
                    f"{start or 0}, {stop or 0}, {1 if step is None else step}, "
                    f"{start is not None}, {stop is not None})")
            axis += 1

    # -- element access ----------------------------------------------------------------
    def access(self, n, idx):
        """Value of a materialized node (or constant) at index ``idx``."""
        if n.op == "const":
            return lit(n.attrs[0])
        if n.ndim == 0:
            return f"v{n.id}"
        return f"v{n.id}[{', '.join(idx)}]"

    def adj_target(self, n, idx):
        if n.ndim == 0:
            return f"g{n.id}"
        return f"g{n.id}[{', '.join(idx)}]"

    @staticmethod
    def bidx(operand, node, idx):
        """Index of ``operand`` broadcast against ``node`` evaluated at ``idx``."""
        off = node.ndim - operand.ndim
        out = []
        for j in range(operand.ndim):
            if operand.shape[j] == 1 and node.shape[j + off] != 1:
                out.append("0")
            else:
                out.append(idx[j + off])
        return out

    def source_index(self, n, idx):
        """For an access node at output index ``idx``: the index into its source (array
        indices are adjacent and share output positions ``p .. p + nd``)."""
        x = n.inputs[0]
        if n.op == "transpose":
            src = [None] * x.ndim
            for k, a in enumerate(n.attrs):
                src[a] = idx[k]
            return src
        xs = self.shape_code(x)
        src, p, axis = [], 0, 0
        arrays = n.inputs[1:]
        nd = max((a.ndim for a in arrays), default=0)
        for s in n.attrs:
            if s[0] == "n":
                p += 1
                continue
            if s[0] == "s":
                step = 1 if s[3] is None else s[3]
                src.append(f"(so{n.id}_{axis} + {step} * {idx[p]})" if step != 1
                           else f"(so{n.id}_{axis} + {idx[p]})")
                p += 1
            elif s[0] == "i":
                k = s[1]
                src.append(str(k) if k >= 0 else f"({xs[axis]} - {-k})")
            else:
                a = arrays[s[1]]
                sub = idx[p:p + nd]
                aidx = sub[nd - a.ndim:]
                aidx = [("0" if a.shape[j] == 1 and n.shape[p + nd - a.ndim + j] != 1
                         else aidx[j]) for j in range(a.ndim)]
                src.append(self.access(a, aidx))
            axis += 1
            if s[0] == "a" and s[1] == len(arrays) - 1:
                p += nd
        return src

    # -- one region: the scalar code of an inlined tree ----------------------------------
    def tree(self, top, idx, grad):
        """Scalar code evaluating ``top`` at ``idx`` (inlining its inlined inputs).

        Returns ``(lines, value_code, steps)``; ``steps`` lists what the reverse code needs.
        """
        lines, steps, memo = [], [], {}

        def ev(n, nidx):
            if n.op == "const":
                return lit(n.attrs[0])
            if n is not top and n.id not in self.inlined:
                return self.access(n, nidx)
            if n.id in memo:
                return memo[n.id]
            t = f"t{n.id}"
            if n.op == "index" or n.op == "transpose":
                if n.op == "index":
                    self._slice_prelude(n)
                src = self.source_index(n, nidx)
                lines.append(f"{t} = {self.access(n.inputs[0], src)}")
                steps.append((n, ("access", src)))
            elif n.op == "lpdf":
                ops = [ev(i, self.bidx(i, n, nidx)) for i in n.inputs]
                ops = [f"float({o})" if i.dtype != "f" else o for o, i in zip(ops, n.inputs)]
                gpath, fpath = n.attrs[1:3]
                split = self.split_of(n)
                if split is not None:  # the row kernel has the gradient kernel's contract
                    kernel, args = split.row, ops + self._split_prelude(n, split, ops)
                else:
                    kernel, args = (gpath if grad else fpath), ops
                call = f"{self.kernels.alias(kernel)}({', '.join(args)})"
                ds = None
                if grad:
                    ds = [f"d{n.id}_{j}" for j in range(len(ops))]
                    lines.append(f"{t}, {', '.join(ds)} = {call}")
                else:
                    lines.append(f"{t} = {call}[0]" if split is not None else f"{t} = {call}")
                steps.append((n, ("lpdf", [self.bidx(i, n, nidx) for i in n.inputs], ds)))
            else:
                ops = [ev(i, self.bidx(i, n, nidx)) for i in n.inputs]
                lines.append(f"{t} = {autodiff.forward_expr(n.op, ops)}")
                parts = autodiff.partial_exprs(n.op, ops, t) if n.op in autodiff.PARTIALS else None
                steps.append((n, ("elem", [self.bidx(i, n, nidx) for i in n.inputs], parts)))
            memo[n.id] = t
            return t

        value = ev(top, idx)
        return lines, value, steps

    def split_of(self, n):
        """The :class:`~bayeskit.model.split.Split` of lpdf node ``n`` if its loop can hoist
        the split's invariant parameters (scalars computed before the loop), else None."""
        split = SPLITS.get(n.attrs[1])
        if split is None or n.ndim == 0:
            return None
        params = n.inputs[1:]
        for j in split.invariant:
            p = params[j]
            if p.ndim != 0 or (p.op != "const" and p.id in self.inlined):
                return None
        return split

    def _split_prelude(self, n, split, ops):
        """Emit (once, before the loop) ``hc<id>_0, ... = pre(invariant params)``; returns
        the names of the constants."""
        consts = [f"hc{n.id}_{j}" for j in range(split.n_consts)]
        if n.id not in self.prelude_done:
            self.prelude_done.add(n.id)
            pre = self.kernels.alias(split.pre)
            args = ", ".join(ops[1 + j] for j in split.invariant)
            self.pending.append(f"{', '.join(consts)}, = {pre}({args})")
        return consts

    def tree_reverse(self, steps, seed):
        """Reverse code for a tree given the seed adjoint code of its top node."""
        out = []
        if not steps:
            return out
        top = steps[-1][0]
        out.append(f"b{top.id} = {seed}")
        for n, info in reversed(steps):
            if n.id not in self.need:
                continue
            b = f"b{n.id}"
            if info[0] == "access":
                x = n.inputs[0]
                if x.id in self.need:
                    out.extend(self._contrib(x, info[1], b))
                continue
            if info[0] == "lpdf":
                idxs, ds = info[1], info[2]
                partials = ds
            else:
                idxs, partials = info[1], info[2]
            for j, i in enumerate(n.inputs):
                if i.id not in self.need or partials is None or partials[j] is None:
                    continue
                out.extend(self._contrib(i, idxs[j], f"{b} * {partials[j]}"))
        return out

    def _contrib(self, operand, idx, code):
        if operand.id in self.inlined:
            return [f"b{operand.id} = {code}"]
        return [f"{self.adj_target(operand, idx)} += {code}"]

    # -- loops ---------------------------------------------------------------------------
    @staticmethod
    def loop_open(L, shape):
        idx = []
        for k, s in enumerate(shape):
            L(f"for i{k} in range({s}):")
            L.indent()
            idx.append(f"i{k}")
        return idx

    @staticmethod
    def loop_close(L, shape):
        for _ in shape:
            L.dedent()

    def _flush(self, L):
        for p in self.pending:
            L(p)
        self.pending = []

    # -- regions ----------------------------------------------------------------------------
    def region(self, root, L, mode):
        """Emit the loop of a region. ``mode``: "fwd" (values), "bwd" (reverse sweep,
        recomputing the values) or "imm" (a term: values, ``lp`` and reverse at once)."""
        grad = mode != "fwd"
        if root.op in REDUCE:
            x = root.inputs[0]
            loop_shape = self.shape_code(x)
            idx = [f"i{k}" for k in range(x.ndim)]
            body, value, steps = (self.tree(x, idx, grad) if x.id in self.inlined
                                  else ([], self.access(x, idx), []))
            oidx = [i for k, i in enumerate(idx) if k not in root.attrs]
            scale = "1.0"
            if root.op == "mean":
                dims = [loop_shape[k] for k in root.attrs]
                scale = f"(1.0 / ({' * '.join(dims)}))"
            self._flush(L)
            if mode == "fwd" or mode == "imm":
                if root.ndim == 0:
                    L(f"acc{root.id} = 0.0")
                else:
                    L(f"v{root.id} = np.zeros(({', '.join(self.shape_code(root, True))},))")
            if mode == "bwd" and root.ndim:
                pass
            self.loop_open(L, loop_shape)
            L.extend(body)
            if mode in ("fwd", "imm"):
                L(f"acc{root.id} += {value}" if root.ndim == 0
                  else f"v{root.id}[{', '.join(oidx)}] += {value}")
            if grad and x.id in self.need:
                seed = scale if mode == "imm" else (
                    f"g{root.id} * {scale}" if root.ndim == 0
                    else f"g{root.id}[{', '.join(oidx)}] * {scale}")
                if x.id in self.inlined:
                    L.extend(self.tree_reverse(steps, seed))
                else:
                    L(f"{self.adj_target(x, idx)} += {seed}")
            self.loop_close(L, loop_shape)
            if mode in ("fwd", "imm"):
                if root.ndim == 0:
                    L(f"v{root.id} = acc{root.id} * {scale}" if scale != "1.0"
                      else f"v{root.id} = acc{root.id}")
                elif scale != "1.0":
                    L(f"v{root.id} *= {scale}")
            return
        # elementwise map root
        shape = self.shape_code(root, True)
        idx = [f"i{k}" for k in range(root.ndim)]
        body, value, steps = self.tree(root, idx, grad)
        self._flush(L)
        if mode in ("fwd", "imm") and root.ndim:
            dt = {"f": "np.float64", "b": "np.bool_", "i": "np.int64"}[root.dtype]
            L(f"v{root.id} = np.empty(({', '.join(shape)},), dtype={dt})")
        self.loop_open(L, shape)
        L.extend(body)
        if mode in ("fwd", "imm"):
            L(f"{self.access(root, idx) if root.ndim else f'v{root.id}'} = {value}")
        if grad:
            seed = "1.0" if mode == "imm" else self.adj_target(root, idx)
            L.extend(self.tree_reverse(steps, seed))
        self.loop_close(L, shape)

    # -- the whole graph -------------------------------------------------------------------------
    def alloc_adjoint(self, n, L):
        if n.id not in self.need or n.op == "scan":
            return
        seed = "1.0" if n.id in self.term_set else "0.0"
        if n.ndim == 0:
            L(f"g{n.id} = {seed}")
        else:
            L(f"g{n.id} = np.zeros_like(v{n.id})")

    def forward(self):
        """Emit the forward pass (and the immediate reverse code of terms)."""
        L = self.fwd
        for n in self.order:
            if n.op in LEAVES or n.id in self.inlined or n.id in self.external:
                continue
            imm = (self.grad and n.id in self.term_set and self.consumers[n.id] == 0
                   and (n.op in FUSABLE or n.op in REDUCE) and n.ndim == 0)
            if n.op in FUSABLE or n.op in REDUCE:
                if imm:
                    self.immediate.add(n.id)
                    self.region(n, L, "imm")
                else:
                    self.region(n, L, "fwd")
            else:
                getattr(self, f"fwd_{n.op}")(n, L)
            if not imm:
                self.alloc_adjoint(n, L)
        for t in self.terms:
            L(f"{self.lp} += v{t}")

    def backward(self):
        """Emit the reverse sweep over materialized nodes (after ``forward``)."""
        L = self.bwd
        for n in reversed(self.order):
            if (n.op in LEAVES or n.id in self.inlined or n.id in self.immediate
                    or n.id not in self.need or n.id in self.external):
                continue
            if not any(i.id in self.need for i in n.inputs):
                continue
            if n.op in FUSABLE or n.op in REDUCE:
                self.region(n, L, "bwd")
            else:
                getattr(self, f"bwd_{n.op}")(n, L)

    # -- non-elementwise operations ---------------------------------------------------------
    def _f64(self, n):
        v = f"v{n.id}"
        return f"{v}.astype(np.float64)" if n.dtype != "f" else v

    def fwd_matmul(self, n, L):
        a, b = n.inputs
        L(f"v{n.id} = np.dot({self._f64(a)}, {self._f64(b)})")

    def bwd_matmul(self, n, L):
        a, b = n.inputs
        g, va, vb = f"g{n.id}", self._f64(a), self._f64(b)
        if a.id in self.need:
            if a.ndim == 1 and b.ndim == 1:
                L(f"g{a.id} += {g} * {vb}")
            elif a.ndim == 1:            # (k) @ (k, m)
                L(f"g{a.id} += np.dot({vb}, {g})")
            elif b.ndim == 1:            # (n, k) @ (k)
                L(f"g{a.id} += np.outer({g}, {vb})")
            else:                        # (n, k) @ (k, m)
                L(f"g{a.id} += np.dot({g}, np.ascontiguousarray({vb}.T))")
        if b.id in self.need:
            if a.ndim == 1 and b.ndim == 1:
                L(f"g{b.id} += {g} * {va}")
            elif a.ndim == 1:
                L(f"g{b.id} += np.outer({va}, {g})")
            elif b.ndim == 1:
                L(f"g{b.id} += np.dot({g}, {va})")
            else:
                L(f"g{b.id} += np.dot(np.ascontiguousarray({va}.T), {g})")

    def _axis_slice(self, ndim, axis, part):
        return ", ".join([":"] * axis + [part] + [":"] * (ndim - axis - 1))

    def fwd_concatenate(self, n, L):
        parts = ", ".join(self._f64(i) for i in n.inputs)
        L(f"v{n.id} = np.concatenate(({parts},), axis={n.attrs[0]})")

    def bwd_concatenate(self, n, L):
        axis = n.attrs[0]
        L(f"off{n.id} = 0")
        for i in n.inputs:
            size = f"v{i.id}.shape[{axis}]"
            if i.id in self.need:
                sl = self._axis_slice(n.ndim, axis, f"off{n.id}:off{n.id} + {size}")
                L(f"g{i.id} += g{n.id}[{sl}]")
            L(f"off{n.id} += {size}")

    def fwd_stack(self, n, L):
        axis = n.attrs[0]
        inner = self.shape_code(n.inputs[0])
        shape = inner[:axis] + [str(len(n.inputs))] + inner[axis:]
        L(f"v{n.id} = np.empty(({', '.join(shape)},))")
        for k, i in enumerate(n.inputs):
            value = self.access(i, []) if i.ndim == 0 else f"v{i.id}"
            L(f"v{n.id}[{self._axis_slice(n.ndim, axis, str(k))}] = {value}")

    def bwd_stack(self, n, L):
        axis = n.attrs[0]
        for k, i in enumerate(n.inputs):
            if i.id in self.need:
                L(f"g{i.id} += g{n.id}[{self._axis_slice(n.ndim, axis, str(k))}]")

    def fwd_cumsum(self, n, L):
        L(f"v{n.id} = np.cumsum({self._f64(n.inputs[0])})")

    def bwd_cumsum(self, n, L):
        x = n.inputs[0]
        L(f"g{x.id} += np.cumsum(g{n.id}[::-1])[::-1]")

    def fwd_logsumexp(self, n, L):
        x = n.inputs[0]
        xs = [f"v{x.id}.shape[{k}]" for k in range(x.ndim)]
        idx = [f"i{k}" for k in range(x.ndim)]
        oidx = [i for k, i in enumerate(idx) if k not in n.attrs]
        oshape = [s for k, s in enumerate(xs) if k not in n.attrs]
        tgt = lambda v: f"{v}[{', '.join(oidx)}]" if oidx else v  # noqa: E731
        if oshape:
            L(f"m{n.id} = np.full(({', '.join(oshape)},), -np.inf)")
            L(f"v{n.id} = np.zeros(({', '.join(oshape)},))")
        else:
            L(f"m{n.id} = -np.inf")
            L(f"s{n.id} = 0.0")
        acc = tgt(f"v{n.id}") if oshape else f"s{n.id}"
        self.loop_open(L, xs)
        L(f"{tgt(f'm{n.id}')} = max({tgt(f'm{n.id}')}, v{x.id}[{', '.join(idx)}])")
        self.loop_close(L, xs)
        self.loop_open(L, xs)
        L(f"if {tgt(f'm{n.id}')} > -np.inf:")
        L(f"    {acc} += math.exp(v{x.id}[{', '.join(idx)}] - {tgt(f'm{n.id}')})")
        self.loop_close(L, xs)
        if oshape:
            L(f"v{n.id} = np.log(v{n.id}) + m{n.id}")
            L(f"for q{n.id} in range(v{n.id}.size):")
            L(f"    if not m{n.id}.flat[q{n.id}] > -np.inf:")
            L(f"        v{n.id}.flat[q{n.id}] = -np.inf")
        else:
            L(f"v{n.id} = math.log(s{n.id}) + m{n.id} if m{n.id} > -np.inf else -np.inf")

    def bwd_logsumexp(self, n, L):
        x = n.inputs[0]
        xs = [f"v{x.id}.shape[{k}]" for k in range(x.ndim)]
        idx = [f"i{k}" for k in range(x.ndim)]
        oidx = [i for k, i in enumerate(idx) if k not in n.attrs]
        tgt = lambda v: f"{v}[{', '.join(oidx)}]" if oidx else v  # noqa: E731
        self.loop_open(L, xs)
        L(f"if {tgt(f'v{n.id}')} > -np.inf:")
        L(f"    g{x.id}[{', '.join(idx)}] += {tgt(f'g{n.id}')} * "
          f"math.exp(v{x.id}[{', '.join(idx)}] - {tgt(f'v{n.id}')})")
        self.loop_close(L, xs)

    def fwd_cholesky(self, n, L):
        a = n.inputs[0]
        L(f"v{n.id} = np.zeros_like(v{a.id})")
        L(f"if not _rt.cholesky(v{a.id}, v{n.id}):")
        L(f"    {FAIL}")

    def bwd_cholesky(self, n, L):
        a = n.inputs[0]
        L(f"_rt.cholesky_vjp(v{n.id}, g{n.id}, g{a.id})")

    # -- multivariate log densities --------------------------------------------------------
    def _mv_args(self, n, b):
        """Kernel arguments of event ``b`` (None: unbatched) of an mvlpdf node."""
        args = []
        for i, ev in zip(n.inputs, n.attrs[3]):
            v = self._f64(i) if i.op != "const" else lit(i.attrs[0])
            if i.op == "const":
                args.append(v)
            elif b is not None and i.ndim > ev:
                args.append(f"{v}[{b}]")
            else:
                args.append(v)
        return args

    def fwd_mvlpdf(self, n, L):
        k = self.kernels.alias(n.attrs[2])
        if n.ndim == 0:
            L(f"v{n.id} = {k}({', '.join(self._mv_args(n, None))})")
            return
        L(f"v{n.id} = np.empty(({self._mv_batch(n)},))")
        L(f"for e{n.id} in range(v{n.id}.shape[0]):")
        L(f"    v{n.id}[e{n.id}] = {k}({', '.join(self._mv_args(n, f'e{n.id}'))})")

    def _mv_batch(self, n):
        for i, ev in zip(n.inputs, n.attrs[3]):
            if i.ndim > ev:
                return f"v{i.id}.shape[0]"
        raise AssertionError

    def bwd_mvlpdf(self, n, L):
        k = self.kernels.alias(n.attrs[1])
        scratch = []
        for j, (i, ev) in enumerate(zip(n.inputs, n.attrs[3])):
            name = f"w{n.id}_{j}"
            if i.op == "const" or i.ndim == 0:
                L(f"{name} = np.zeros(1)")
            else:
                L(f"{name} = np.zeros({self._event_shape_code(i, ev)})")
            scratch.append(name)
        batched = n.ndim > 0
        if batched:
            L(f"for e{n.id} in range(v{n.id}.shape[0]):")
            L.indent()
        b = f"e{n.id}" if batched else None
        seed = f"g{n.id}[e{n.id}]" if batched else f"g{n.id}"
        for w in scratch:
            L(f"{w}[:] = 0.0")
        L(f"{k}({', '.join(self._mv_args(n, b) + scratch)})")
        for (i, ev), w in zip(zip(n.inputs, n.attrs[3]), scratch):
            if i.id not in self.need:
                continue
            if i.ndim == 0:
                L(f"g{i.id} += {seed} * {w}[0]")
            elif batched and i.ndim > ev:
                L(f"g{i.id}[e{n.id}] += {seed} * {w}")
            else:
                L(f"g{i.id} += {seed} * {w}")
        if batched:
            L.dedent()

    def _event_shape_code(self, i, ev):
        dims = [f"v{i.id}.shape[{k}]" for k in range(i.ndim - ev, i.ndim)]
        return f"({', '.join(dims)},)" if dims else "1"

    def fwd_scan(self, n, L):
        from .scan import emit_forward
        emit_forward(self, n, L)

    def bwd_scan(self, n, L):
        from .scan import emit_backward
        emit_backward(self, n, L)

    def fwd_scan_out(self, n, L):
        scan = n.inputs[0]
        k = n.attrs[0]
        body = scan.attrs[0]
        if k < body.ncarry:
            idx = f"T{scan.id}"
            L(f"v{n.id} = h{scan.id}_{k}[{idx}]" + (".copy()" if n.ndim else ""))
        else:
            L(f"v{n.id} = ys{scan.id}_{k - body.ncarry}")

    def bwd_scan_out(self, n, L):
        pass  # the scan's reverse sweep reads this node's adjoint


FAIL = "__FAIL__"
"""Placeholder the module generator replaces by the early-exit value of each function."""
