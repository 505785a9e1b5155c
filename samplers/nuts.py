"""The No-U-Turn Sampler as Stan runs it (Betancourt 2017, "A conceptual introduction to HMC").

- The trajectory doubles, forwards or backwards at random, until a U-turn, a divergence
  or ``max_treedepth`` doublings.
- Multinomial sampling: within a new subtree states are drawn in proportion to
  exp(-H); at the top level the new subtree's proposal replaces the current sample with
  probability min(1, w_subtree / w_old) (biased progressive sampling, favouring states far
  from the start).
- The generalized U-turn criterion (p_sharp_minus . rho > 0 and p_sharp_plus . rho > 0 with
  rho the summed momenta) is checked on every subtree and, as in Stan since 2.21, also
  across the two halves of each merge (each half extended by the neighbouring state of
  the other), which catches U-turns that fall between sub-trajectories.
- A leapfrog step whose energy error exceeds 1000 (or whose density is not finite) is a
  divergence: the subtree is abandoned and the transition keeps what it had.

The recursion of Stan's ``build_tree`` is unrolled into a loop over the new subtree's
leaves with one pending left subtree per level (leaf n completes the subtrees whose
sizes divide n + 1), so all memory is one preallocated workspace. The warmup loop is
``hamiltonian.run_chunk``.
"""

import numpy as np

from .integrators import (DIVERGENCE_THRESHOLD, kinetic_energy, leapfrog, sample_momentum,
                          velocity)
from .integrators import init_state as init  # noqa: F401  (the kernel's init)
from .jit import compiled
from .state import PositionState, TrajectoryInfo

DEFAULT_MAX_TREEDEPTH = 10
DEFAULT_TARGET_ACCEPT = 0.8
MIN_DENSE_DRAWS_PER_DIM = 0
"""A dense metric is estimated from every window, however short, as in Stan: NUTS's
trajectories lengthen until they cross a direction the metric underestimates."""

# Workspace rows. Rows 0-3 / 4-7: position, momentum, gradient, sharp momentum at the
# backward / forward end of the trajectory.
_END = 4
_Q, _P, _G, _PS = 0, 1, 2, 3
_RHO = 8          # summed momenta of the whole trajectory
_QS, _GS = 9, 10  # the current sample's position and gradient
_TMP = 11
_OLD_P, _OLD_PS = 12, 13  # momentum / sharp momentum at the old end being extended
# A subtree block: momentum and sharp momentum at its first (beg) and last (end) state
# in integration order, its summed momenta, and its proposal's position and gradient.
_B_PB, _B_PSB, _B_PE, _B_PSE, _B_RHO, _B_Q, _B_G = range(7)
_BLOCK = 7
_TREE = 14        # the subtree being built; pending left subtrees follow, one per level


@compiled
def workspace_rows(max_treedepth):
    """Rows of the (rows, dim) NUTS workspace for a given maximum tree depth."""
    return _TREE + _BLOCK * (max_treedepth + 1)


@compiled
def _dot(a, b):
    s = 0.0
    for i in range(a.size):
        s += a[i] * b[i]
    return s


@compiled
def _no_uturn(ps_minus, ps_plus, rho):
    """Generalized no-U-turn criterion of a trajectory with summed momenta ``rho``."""
    return _dot(ps_plus, rho) > 0.0 and _dot(ps_minus, rho) > 0.0


@compiled
def _merge_ok(ps_outer_l, ps_inner_l, p_inner_l, rho_l, ps_inner_r, p_inner_r, ps_outer_r,
              rho_r, tmp):
    """No U-turn across two adjacent sub-trajectories L and R (order-symmetric).

    Checks L+R as a whole, L extended by R's first state, and R extended by L's last.
    """
    tmp[:] = rho_l + rho_r
    if not _no_uturn(ps_outer_l, ps_outer_r, tmp):
        return False
    tmp[:] = rho_l + p_inner_r
    if not _no_uturn(ps_outer_l, ps_inner_r, tmp):
        return False
    tmp[:] = rho_r + p_inner_l
    return _no_uturn(ps_inner_l, ps_outer_r, tmp)


@compiled
def _log_add_exp(a, b):
    if a == -np.inf:
        return b
    if b == -np.inf:
        return a
    m = max(a, b)
    return m + np.log(np.exp(a - m) + np.exp(b - m))


@compiled
def _build_subtree(rng, fn, fdata, idata, metric, ws, end, eps, depth, h0, lp_end, scal):
    """Extend the trajectory by 2**depth leapfrog steps of size ``eps`` from end ``end``.

    The end's rows of ``ws`` are advanced in place. The subtree's boundary momenta, summed
    momenta and proposal land in the ``_TREE`` block. Returns ``(valid, lp_end, log_weight,
    lp_proposal, h_proposal, n_leapfrog, sum_accept, diverging)``; ``valid`` is False on a
    divergence or an internal U-turn (the subtree is then discarded).
    """
    q, p, g, ps = ws[end + _Q], ws[end + _P], ws[end + _G], ws[end + _PS]
    t = _TREE
    tmp = ws[_TMP]
    n_leapfrog = 0
    sum_accept = 0.0
    lsw = -np.inf
    lp_prop = -np.inf
    h_prop = np.inf
    for leaf in range(2 ** depth):
        lp_end = leapfrog(fn, fdata, idata, metric, q, p, g, eps, ps)
        n_leapfrog += 1
        h = -lp_end + kinetic_energy(p, ps)
        if np.isnan(h):
            h = np.inf
        sum_accept += 1.0 if h0 - h > 0.0 else np.exp(h0 - h)
        if h - h0 > DIVERGENCE_THRESHOLD:
            return False, lp_end, lsw, lp_prop, h_prop, n_leapfrog, sum_accept, True
        # the leaf is a subtree of one state
        lsw = h0 - h
        lp_prop = lp_end
        h_prop = h
        ws[t + _B_Q, :] = q
        ws[t + _B_G, :] = g
        ws[t + _B_PB, :] = p
        ws[t + _B_PE, :] = p
        ws[t + _B_PSB, :] = ps
        ws[t + _B_PSE, :] = ps
        ws[t + _B_RHO, :] = p
        # merge with the pending left subtrees that this leaf completes
        level = 0
        n = leaf
        while n & 1:
            left = _TREE + _BLOCK * (level + 1)
            lsw_left = scal[level, 0]
            lsw_sub = _log_add_exp(lsw_left, lsw)
            take_right = lsw > lsw_sub or rng.random() < np.exp(lsw - lsw_sub)
            if not take_right:
                ws[t + _B_Q, :] = ws[left + _B_Q]
                ws[t + _B_G, :] = ws[left + _B_G]
                lp_prop = scal[level, 1]
                h_prop = scal[level, 2]
            lsw = lsw_sub
            ok = _merge_ok(ws[left + _B_PSB], ws[left + _B_PSE], ws[left + _B_PE],
                           ws[left + _B_RHO], ws[t + _B_PSB], ws[t + _B_PB],
                           ws[t + _B_PSE], ws[t + _B_RHO], tmp)
            ws[t + _B_RHO, :] += ws[left + _B_RHO]
            ws[t + _B_PB, :] = ws[left + _B_PB]
            ws[t + _B_PSB, :] = ws[left + _B_PSB]
            if not ok:
                return False, lp_end, lsw, lp_prop, h_prop, n_leapfrog, sum_accept, False
            level += 1
            n >>= 1
        if leaf < 2 ** depth - 1:  # park the finished subtree as the left half of a level
            slot = _TREE + _BLOCK * (level + 1)
            for r in range(_BLOCK):
                ws[slot + r, :] = ws[t + r]
            scal[level, 0] = lsw
            scal[level, 1] = lp_prop
            scal[level, 2] = h_prop
    return True, lp_end, lsw, lp_prop, h_prop, n_leapfrog, sum_accept, False


@compiled
def step(rng, state, fn, fdata, idata, step_size, metric, max_treedepth, ws):
    """One NUTS transition: ``(state, TrajectoryInfo)``; ``ws`` from ``workspace_rows``."""
    scal = np.empty((max_treedepth + 1, 3))
    for e in (0, _END):
        ws[e + _Q, :] = state.position
        ws[e + _G, :] = state.grad
    p0 = ws[_P]
    sample_momentum(rng, metric, p0)
    velocity(metric, p0, ws[_PS])
    ws[_END + _P, :] = p0
    ws[_END + _PS, :] = ws[_PS]
    ws[_RHO, :] = p0
    ws[_QS, :] = state.position
    ws[_GS, :] = state.grad
    h0 = -state.logdensity + kinetic_energy(p0, ws[_PS])
    lp_ends = np.array([state.logdensity, state.logdensity])
    lp_sample = state.logdensity
    h_sample = h0
    log_weight = 0.0
    depth = 0
    n_leapfrog = 0
    sum_accept = 0.0
    diverging = False
    moved = False
    while depth < max_treedepth:
        forward = rng.random() > 0.5
        end = _END if forward else 0
        other = 0 if forward else _END
        ws[_OLD_P, :] = ws[end + _P]
        ws[_OLD_PS, :] = ws[end + _PS]
        eps = step_size if forward else -step_size
        valid, lp_end, lsw, lp_prop, h_prop, n, acc, div = _build_subtree(
            rng, fn, fdata, idata, metric, ws, end, eps, depth, h0, lp_ends[end // _END],
            scal)
        lp_ends[end // _END] = lp_end
        n_leapfrog += n
        sum_accept += acc
        if div:
            diverging = True
        if not valid:
            break
        depth += 1
        if lsw > log_weight or rng.random() < np.exp(lsw - log_weight):
            ws[_QS, :] = ws[_TREE + _B_Q]
            ws[_GS, :] = ws[_TREE + _B_G]
            lp_sample = lp_prop
            h_sample = h_prop
            moved = True
        log_weight = _log_add_exp(log_weight, lsw)
        t = _TREE
        ok = _merge_ok(ws[other + _PS], ws[_OLD_PS], ws[_OLD_P], ws[_RHO],
                       ws[t + _B_PSB], ws[t + _B_PB], ws[t + _B_PSE], ws[t + _B_RHO],
                       ws[_TMP])
        ws[_RHO, :] += ws[t + _B_RHO]
        if not ok:
            break
    info = TrajectoryInfo(sum_accept / max(n_leapfrog, 1), depth, n_leapfrog,
                          depth >= max_treedepth, diverging, h_sample, h_sample - h0)
    if not moved:
        return state, info
    return PositionState(ws[_QS].copy(), lp_sample, ws[_GS].copy()), info
