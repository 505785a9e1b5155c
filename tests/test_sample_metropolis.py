"""bk.sample with sampler="metropolis" adapts toward its own acceptance target (0.234).

Regression test: bk.sample once passed NUTS's default target (0.8) to every sampler, which
shrank the random-walk proposals until ~85% were accepted and the chains barely moved.
"""

import numpy as np

import bayeskit as bk
import inference_densities as dens
from bayeskit import arviz_adapter

DIM = 10
SDS = np.linspace(0.5, 3.0, DIM)
MEANS = np.linspace(-2.0, 2.0, DIM)


def test_metropolis_targets_0234_and_recovers_a_gaussian():
    ld = dens.gaussian(MEANS, SDS)
    idata = bk.sample(ld, sampler="metropolis", draws=10000, tune=2000, chains=2, seed=3,
                      progressbar=False)
    accept = arviz_adapter.get_group(idata, "sample_stats")["acceptance_rate"].values
    assert 0.15 < accept.mean() < 0.35, accept.mean()
    draws = arviz_adapter.get_group(idata, "posterior")["theta"].values  # (chains, draws, DIM)
    ess = arviz_adapter.ess(draws)
    assert ess.min() > 100, ess  # at 0.8 acceptance this was about 2
    mcse = draws.reshape(-1, DIM).std(axis=0) / np.sqrt(ess)
    assert np.all(np.abs(draws.mean(axis=(0, 1)) - MEANS) < 4 * mcse)
    assert np.all(np.abs(draws.std(axis=(0, 1)) / SDS - 1) < 0.1)


def test_explicit_target_accept_is_honoured():
    ld = dens.gaussian(MEANS, SDS)
    idata = bk.sample(ld, sampler="metropolis", draws=500, tune=1000, chains=1, seed=1,
                      target_accept=0.5, progressbar=False)
    assert arviz_adapter.get_attrs(idata)["target_accept"] == 0.5
    accept = arviz_adapter.get_group(idata, "sample_stats")["acceptance_rate"].values
    assert 0.35 < accept.mean() < 0.65
