"""Helpers for the sampler tests: run several chains, compare with an exact posterior.

Tolerances come from Monte Carlo standard errors: a posterior mean must lie within 4 MCSE
(ArviZ's ESS-based ``mcse``) of the exact value and a posterior sd within 10% of it.
"""

import arviz as az
import numpy as np

from bayeskit.samplers import run_chain


def run_chains(ld, sampler, *, chains=4, draws=1000, tune=1000, seed=0, init=None, **kw):
    """Run ``chains`` chains (sequentially) from Stan-like uniform(-2, 2) starting points.

    Returns ``(draws (chains, n, dim), [ChainResult, ...])``.
    """
    seeds = np.random.SeedSequence(seed).spawn(chains + 1)
    init_rng = np.random.default_rng(seeds[-1])
    results = []
    for c in range(chains):
        theta0 = init_rng.uniform(-2, 2, ld.dim) if init is None else np.asarray(init, float)
        res = run_chain(ld.fn, ld.fdata, ld.idata, theta0, sampler=sampler, draws=draws,
                        tune=tune, rng=np.random.default_rng(seeds[c]), **kw)
        assert res.completed
        results.append(res)
    return np.stack([r.draws for r in results]), results


def assert_posterior(samples, exact_mean, exact_sd, what="", n_mcse=4.0, sd_rtol=0.1):
    """samples (chains, draws, k) against exact means and sds of the k quantities."""
    samples = np.asarray(samples, dtype=float)
    exact_mean = np.broadcast_to(np.asarray(exact_mean, float), samples.shape[-1:])
    exact_sd = np.broadcast_to(np.asarray(exact_sd, float), samples.shape[-1:])
    for j in range(samples.shape[-1]):
        x = samples[..., j]
        mcse = float(np.squeeze(az.mcse(x, method="mean")))
        ess = float(np.squeeze(az.ess(x)))
        mean, sd = x.mean(), x.std(ddof=1)
        assert ess > 100, f"{what}[{j}]: ESS {ess:.0f} too low for a reliable MCSE"
        assert abs(mean - exact_mean[j]) < n_mcse * mcse, (
            f"{what}[{j}]: mean {mean:.5g} vs exact {exact_mean[j]:.5g}, "
            f"|diff| = {abs(mean - exact_mean[j]) / mcse:.2f} MCSE (ESS {ess:.0f})")
        assert abs(sd / exact_sd[j] - 1) < sd_rtol, (
            f"{what}[{j}]: sd {sd:.5g} vs exact {exact_sd[j]:.5g} (ESS {ess:.0f})")
