"""The warmup-and-sampling loop of the Hamiltonian samplers (static HMC and NUTS).

The two differ only in their transition (``hmc.step`` or ``nuts.step``, both returning a
``TrajectoryInfo``); step-size and metric adaptation, Stan's re-initialisation of the step
size after each metric window, and the per-draw statistics are the same.
"""

import numpy as np

from . import hmc, nuts
from .adaptation import dual_averaging_init, find_reasonable_step_size, warmup_update
from .jit import compiled
from .state import (STAT_DEPTH, STAT_DIVERGING, STAT_ENERGY, STAT_ENERGY_ERROR, STAT_MAXDEPTH,
                    STAT_NSTEPS, record_draw)


@compiled
def run_chunk(fn, fdata, idata, rng, start, stop, tune, in_window, window_end, target,
              state, step_size, da, welford, metric, min_dense_draws, use_nuts, max_treedepth,
              path_length, draws, stats):
    """Iterations ``start``..``stop - 1`` of a chain (warmup first), writing draws in place.

    ``use_nuts`` chooses NUTS (with ``max_treedepth``) or static HMC (with
    ``path_length``). Returns ``(state, step_size, da, welford, n_grad_evals,
    n_divergent)`` to continue with the next chunk; see ``runner.run_chain``.
    """
    rows = nuts.workspace_rows(max_treedepth) if use_nuts else hmc.WORKSPACE_ROWS
    ws = np.empty((rows, state.position.size))
    n_evals = 0
    n_div = 0
    for i in range(start, stop):
        used = step_size
        if use_nuts:
            state, info = nuts.step(rng, state, fn, fdata, idata, step_size, metric,
                                    max_treedepth, ws)
        else:
            state, info = hmc.step(rng, state, fn, fdata, idata, step_size, metric,
                                   path_length, ws)
        n_evals += info.n_steps
        n_div += info.diverging
        if i < tune:
            da, welford, step_size, closed = warmup_update(
                i, tune, in_window, window_end, info.acceptance_rate, target,
                state.position, da, welford, metric, min_dense_draws, ws[0])
            if closed:
                step_size = find_reasonable_step_size(rng, fn, fdata, idata, state, metric,
                                                      step_size, ws)
                da = dual_averaging_init(step_size, np.log(10.0 * step_size))
        else:
            k = i - tune
            record_draw(draws, stats, k, state, info.acceptance_rate, used)
            stats[k, STAT_DEPTH] = info.tree_depth
            stats[k, STAT_NSTEPS] = info.n_steps
            stats[k, STAT_MAXDEPTH] = info.reached_max_treedepth
            stats[k, STAT_DIVERGING] = info.diverging
            stats[k, STAT_ENERGY] = info.energy
            stats[k, STAT_ENERGY_ERROR] = info.energy_error
    return state, step_size, da, welford, n_evals, n_div
