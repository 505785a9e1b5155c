"""``bk.math.scan``: a differentiable loop for recursions (AR/ARMA errors, GARCH
variances, HMM forward passes).

``step(carry, x) -> (new_carry, y)`` is traced once with placeholder nodes: its body is a
small graph whose inputs are the carry, the slice ``x`` of the sequences at step t, and any
outer expressions it uses (parameters, data: *captured* inputs of the scan node). The
generated code runs the body in a loop, keeping the carry history; the reverse sweep runs
the loop backwards, recomputing each step's values from the stored carry and propagating
the carry's adjoint, while captured inputs accumulate their adjoints directly.
"""

from __future__ import annotations

import numbers

from .graph import EXTRA_RULES, LEAVES, Node, ShapeError, as_node, describe, reinfer, toposort


class ScanBody:
    """The traced step function (not part of the structural key of anything but itself)."""

    def __init__(self, carry_ph, x_ph, outputs, captured, ncarry, single_carry, y_kind):
        self.carry_ph, self.x_ph = carry_ph, x_ph
        self.outputs, self.captured = outputs, captured
        self.ncarry, self.single_carry, self.y_kind = ncarry, single_carry, y_kind
        self.order = []

    def __repr__(self):
        return "scan"


def _tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def build_scan(step, init, xs, length):
    single_carry = not isinstance(init, (tuple, list))
    inits = [as_node(c, "scan init") for c in _tuple(init)]
    single_x = xs is not None and not isinstance(xs, (tuple, list))
    seqs = [] if xs is None else [as_node(x, "scan xs") for x in _tuple(xs)]
    for s in seqs:
        if s.ndim == 0:
            raise ShapeError(f"scan: sequence {describe(s)} is a scalar; sequences are "
                             "sliced along their first axis")
    if seqs:
        lens = {s.shape[0] for s in seqs}
        if len(lens) > 1:
            raise ShapeError(f"scan: sequences have different lengths {sorted(lens)}")
        if length is not None and int(length) != seqs[0].shape[0]:
            raise ShapeError(f"scan: length={length} but the sequences have length "
                             f"{seqs[0].shape[0]}")
    elif length is None or not isinstance(length, numbers.Integral) or length < 0:
        raise ValueError("scan: give xs or a non-negative integer length")
    carry_ph = [Node("placeholder", (), (f"carry{k}",), shape=c.shape, dtype="f")
                for k, c in enumerate(inits)]
    x_ph = [Node("placeholder", (), (f"x{k}",), shape=s.shape[1:], dtype=s.dtype)
            for k, s in enumerate(seqs)]
    carry_arg = carry_ph[0] if single_carry else tuple(carry_ph)
    x_arg = None if not seqs else (x_ph[0] if single_x else tuple(x_ph))
    out = step(carry_arg, x_arg)
    if not (isinstance(out, tuple) and len(out) == 2):
        raise TypeError("scan: step must return a pair (new_carry, y); y may be None")
    new_carry, y = out
    new_carry = [as_node(c, "scan carry") for c in _tuple(new_carry)]
    if len(new_carry) != len(inits):
        raise ShapeError(f"scan: step returned {len(new_carry)} carries, init has "
                         f"{len(inits)}")
    for k, (a, b) in enumerate(zip(new_carry, inits)):
        if a.shape != b.shape:
            raise ShapeError(f"scan: carry {k} changes shape from {b.shape} to {a.shape} "
                             f"({describe(a)})")
    y_kind = "none" if y is None else ("single" if not isinstance(y, (tuple, list))
                                       else "tuple")
    ys = [] if y is None else [as_node(v, "scan y") for v in _tuple(y)]
    outputs = new_carry + ys
    ph_ids = {p.id for p in carry_ph + x_ph}
    # body nodes depend on a placeholder; the others are captured from outside
    dep = set(ph_ids)
    everything = toposort(outputs)
    for n in everything:
        if any(i.id in dep for i in n.inputs):
            dep.add(n.id)
    captured, seen = [], set()
    for n in everything:
        if n.id in dep:
            for i in n.inputs:
                if i.id not in dep and i.op != "const" and i.id not in seen:
                    seen.add(i.id)
                    captured.append(i)
    for o in outputs:  # an output that is an outer expression itself
        if o.id not in dep and o.op != "const" and o.id not in seen:
            seen.add(o.id)
            captured.append(o)
    body = ScanBody(carry_ph, x_ph, outputs, captured, len(inits), single_carry, y_kind)
    body.length = None if seqs else int(length)
    scan = Node("scan", (*inits, *seqs, *captured), (body,), shape=(), dtype="f")
    body.nseq = len(seqs)
    finals = [Node("scan_out", (scan,), (k,)) for k in range(len(inits))]
    outs = [Node("scan_out", (scan,), (len(inits) + j,)) for j in range(len(ys))]
    final = finals[0] if single_carry else tuple(finals)
    if y_kind == "none":
        return final, None
    return final, (outs[0] if y_kind == "single" else tuple(outs))


def _infer_scan(node):
    body = node.attrs[0]
    seqs = node.inputs[body.ncarry:body.ncarry + body.nseq]
    for ph, s in zip(body.x_ph, seqs):
        ph.shape = s.shape[1:]
    reinfer(toposort(body.outputs, stop={c.id for c in body.captured}))
    if seqs:
        lens = {s.shape[0] for s in seqs}
        if len(lens) > 1:
            raise ShapeError(f"scan: sequences have different lengths {sorted(lens)}")
    return (), "f"


def _infer_scan_out(node):
    scan = node.inputs[0]
    body = scan.attrs[0]
    k = node.attrs[0]
    if k < body.ncarry:
        return body.carry_ph[k].shape, "f"
    y = body.outputs[k]
    n = body.length if body.nseq == 0 else scan.inputs[body.ncarry].shape[0]
    return (n,) + y.shape, "f"


EXTRA_RULES["scan"] = _infer_scan
EXTRA_RULES["scan_out"] = _infer_scan_out


# -- code generation --------------------------------------------------------------------------

def _body_gen(gen, scan):
    """A Gen for the body, with captured inputs bound to the outer (canonical) nodes."""
    from .codegen import Gen, canonicalize
    body = scan.attrs[0]
    nc, ns = body.ncarry, body.nseq
    outer_captured = scan.inputs[nc + ns:]
    rep0 = {c.id: oc for c, oc in zip(body.captured, outer_captured)}
    order, rep = canonicalize(body.outputs, rep0)
    outs = [rep[o.id] for o in body.outputs]
    ext = {oc.id for oc in outer_captured}
    needs = set()
    if gen.grad and scan.id in gen.need:
        needs = {p.id for p in body.carry_ph}
        for p, s in zip(body.x_ph, scan.inputs[nc:nc + ns]):
            if s.id in gen.need:
                needs.add(p.id)
        needs |= {oc.id for oc in outer_captured if oc.id in gen.need}
    bg = Gen(order, gen.kernels, grad=gen.grad and scan.id in gen.need, needs=needs,
             outputs=[o for o in outs if o.op not in LEAVES], external=ext)
    return bg, outs


def _literal_shape(shape):
    return "".join(f", {s}" for s in shape)


def _bind(scan, L, t):
    body = scan.attrs[0]
    nc, ns = body.ncarry, body.nseq
    for k, p in enumerate(body.carry_ph):
        L(f"v{p.id} = h{scan.id}_{k}[{t}]")
    for j, (p, s) in enumerate(zip(body.x_ph, scan.inputs[nc:nc + ns])):
        L(f"v{p.id} = v{s.id}[{t}]")


def _value(gen, n):
    if n.op == "const":
        from .codegen import lit
        return lit(n.attrs[0])
    return f"v{n.id}"


def emit_forward(gen, scan, L):
    body = scan.attrs[0]
    nc, ns = body.ncarry, body.nseq
    sid = scan.id
    T = f"T{sid}"
    if ns:
        L(f"{T} = v{scan.inputs[nc].id}.shape[0]")
    else:
        L(f"{T} = {body.length}")
    for k, (p, init) in enumerate(zip(body.carry_ph, scan.inputs[:nc])):
        L(f"h{sid}_{k} = np.empty(({T} + 1{_literal_shape(p.shape)}))")
        L(f"h{sid}_{k}[0] = {_value(gen, init)}")
    ys = body.outputs[nc:]
    for j, y in enumerate(ys):
        L(f"ys{sid}_{j} = np.empty(({T}{_literal_shape(y.shape)}))")
    bg, outs = _body_gen(gen, scan)
    fwd_gen = bg
    if bg.grad:  # the forward loop needs values only
        from .codegen import Gen
        fwd_gen = Gen(bg.order, bg.kernels, grad=False, needs=set(),
                      outputs=[bg.byid[o.id] for o in outs if o.op not in LEAVES and o.id in bg.byid],
                      external=bg.external)
    fwd_gen.forward()
    L(f"for tt{sid} in range({T}):")
    L.indent()
    _bind(scan, L, f"tt{sid}")
    L.extend(fwd_gen.fwd.lines)
    for k in range(nc):
        L(f"h{sid}_{k}[tt{sid} + 1] = {_value(gen, outs[k])}")
    for j in range(len(ys)):
        L(f"ys{sid}_{j}[tt{sid}] = {_value(gen, outs[nc + j])}")
    L.dedent()


def emit_backward(gen, scan, L):
    body = scan.attrs[0]
    nc, ns = body.ncarry, body.nseq
    sid = scan.id
    bg, outs = _body_gen(gen, scan)
    bg.forward()
    bg.backward()
    users = {u.attrs[0]: u for u in gen.users[scan.id] if u.op == "scan_out"}
    for k, p in enumerate(body.carry_ph):
        u = users.get(k)
        if u is not None and u.id in gen.need:
            L(f"gc{sid}_{k} = g{u.id}" + (".copy()" if p.ndim else ""))
        else:
            L(f"gc{sid}_{k} = " + ("0.0" if not p.ndim else
                                   f"np.zeros(({', '.join(map(str, p.shape))},))"))
    L(f"for tt{sid} in range(T{sid} - 1, -1, -1):")
    L.indent()
    _bind(scan, L, f"tt{sid}")
    for p in body.carry_ph + body.x_ph:
        if p.id in bg.need:
            L(f"g{p.id} = " + ("0.0" if not p.ndim else f"np.zeros_like(v{p.id})"))
    L.extend(bg.fwd.lines)
    for k in range(nc):
        o = outs[k]
        if o.id in bg.need:
            L(f"g{o.id} += gc{sid}_{k}")
    for j in range(len(outs) - nc):
        o = outs[nc + j]
        u = users.get(nc + j)
        if o.id in bg.need and u is not None and u.id in gen.need:
            L(f"g{o.id} += g{u.id}[tt{sid}]")
    L.extend(bg.bwd.lines)
    for k, p in enumerate(body.carry_ph):
        if p.id in bg.need:
            L(f"gc{sid}_{k} = g{p.id}")
    for p, s in zip(body.x_ph, scan.inputs[nc:nc + ns]):
        if s.id in gen.need and p.id in bg.need:
            L(f"g{s.id}[tt{sid}] += g{p.id}")
    L.dedent()
    for k, init in enumerate(scan.inputs[:nc]):
        if init.id in gen.need:
            L(f"g{init.id} += gc{sid}_{k}")
