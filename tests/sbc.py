"""Simulation-based calibration (Talts et al. 2018) of a sampler on a model compiled once.

SBC draws ``n_sims`` parameter values from the model's prior, simulates a data set from each,
samples the posterior given that data set, and records the rank of the prior draw among
``n_posterior`` (thinned, nearly independent) posterior draws. If the sampler draws from the
exact posterior, the prior draw and the posterior draws are exchangeable, so every rank in
``0..n_posterior`` is equally likely; any systematic error of the sampler (a biased or too
narrow/wide posterior) shows as a non-uniform rank histogram.

The model is compiled once: each replication only swaps the observed values with
``Model.set_data`` (the compiled function is reused, only its data buffers change).
Replications are independent (one random stream each, from ``SeedSequence.spawn``), so the
ranks are the same whatever the number of threads.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple

import numpy as np
from scipy import stats

from bayeskit.samplers import run_chain


class SBCResult(NamedTuple):
    """Ranks of the prior draws among the posterior draws, one row per replication."""

    ranks: dict
    """quantity name -> (n_sims,) int ranks in 0..n_posterior."""
    n_posterior: int
    """posterior draws per replication after thinning (L)."""
    divergences: np.ndarray
    """(n_sims,) divergent transitions after warmup (zeros for Metropolis)."""
    draws: dict
    """quantity name -> (n_sims, n_posterior) thinned posterior draws (for diagnostics)."""


def ranks_of(truth, draws):
    """Rank of ``truth`` (n,) among ``draws`` (n, L): the number of draws below it, 0..L."""
    truth = np.asarray(truth, dtype=float)
    draws = np.asarray(draws, dtype=float)
    return np.sum(draws < truth[:, None], axis=1)


def rank_histogram(ranks, n_posterior, bins):
    """Counts of ``ranks`` (in 0..n_posterior) in ``bins`` bins of equally many rank values."""
    if (n_posterior + 1) % bins:
        raise ValueError(f"bins={bins} must divide the n_posterior + 1 = {n_posterior + 1} "
                         "possible ranks, so that every bin has the same probability")
    ranks = np.asarray(ranks)
    if ranks.min() < 0 or ranks.max() > n_posterior:
        raise ValueError(f"ranks must lie in 0..{n_posterior}")
    return np.bincount(ranks // ((n_posterior + 1) // bins), minlength=bins)


def uniformity_pvalue(ranks, n_posterior, bins):
    """Pearson chi-square p-value of the hypothesis that ``ranks`` are uniform on
    0..n_posterior, from their histogram in ``bins`` equiprobable bins."""
    counts = rank_histogram(ranks, n_posterior, bins)
    return float(stats.chisquare(counts).pvalue)


def simulate_datasets(model, ld, n_sims, rng, observed, data=None):
    """Prior draws and one compiled log density per simulated data set.

    ``ld.sample_prior`` draws the parameters and the observed values ``observed`` from the
    model itself (so the simulation and the model cannot disagree). ``data`` optionally
    replaces other data of the model for the fit (a deliberately misspecified posterior
    for power checks). The model's data are restored afterwards.

    Returns ``(prior values dict name -> (n_sims, *shape), [ModelLogDensity] * n_sims)``.
    """
    values, obs = ld.sample_prior(n_sims, rng)
    keep = {name: model.data_nodes[name].value for name in [observed, *(data or {})]}
    lds = []
    try:
        for r in range(n_sims):
            model.set_data({observed: obs[observed][r], **(data or {})})
            fit = model.compile()
            if fit.fn is not ld.fn:
                raise AssertionError("set_data recompiled the model; SBC relies on reusing it")
            lds.append(fit)
    finally:
        model.set_data(keep)
    return values, lds


def run_sbc(model, ld, quantities, *, sampler, n_sims, n_posterior, thin, tune, seed,
            observed="y", data=None, threads=2, **sampler_kw):
    """SBC ranks of ``quantities`` for one sampler.

    ``quantities(values)`` maps a dict of constrained values (arrays with any leading
    shape, as from ``sample_prior`` or ``constrain_draws``) to a dict name -> the scalar
    quantities to rank, with the same leading shape. Each replication runs one chain of
    ``tune`` warmup and ``n_posterior * thin`` draws from a uniform(-2, 2) start and keeps
    every ``thin``-th draw.
    """
    prior_ss, *rep_ss = np.random.SeedSequence(seed).spawn(n_sims + 1)
    values, lds = simulate_datasets(model, ld, n_sims, np.random.default_rng(prior_ss),
                                    observed, data)
    truth = quantities(values)

    def replicate(r):
        rng = np.random.default_rng(rep_ss[r])
        fit = lds[r]
        res = run_chain(fit.fn, fit.fdata, fit.idata, rng.uniform(-2, 2, fit.dim),
                        sampler=sampler, draws=n_posterior * thin, tune=tune, rng=rng,
                        **sampler_kw)
        kept = res.draws[thin - 1::thin]
        div = int(res.stats["diverging"].sum()) if "diverging" in res.stats else 0
        return quantities(fit.constrain_draws(kept)), div

    with ThreadPoolExecutor(max_workers=threads) as pool:
        out = list(pool.map(replicate, range(n_sims)))
    draws = {k: np.stack([q[k] for q, _ in out]) for k in truth}
    ranks = {k: ranks_of(truth[k], draws[k]) for k in truth}
    return SBCResult(ranks, n_posterior, np.array([d for _, d in out]), draws)
