"""Simulation-based calibration (SBC; Talts et al. 2018) of NUTS, HMC and Metropolis.

What SBC checks: draw parameters from the prior, simulate data from them, sample the
posterior given the data, and rank the prior draw among the posterior draws. Averaged over
the prior, the posterior is the prior, so if the sampler is exact the rank is uniform on
0..L. A sampler that is biased, too narrow or too wide (a wrong acceptance rule, a leaky
adaptation, a wrong momentum refresh, ...) skews the ranks. The test is of the whole
pipeline a user runs: compiled model, warmup, sampling, constraining transforms.

Model: a non-centered normal hierarchy, five groups of four observations with known noise,
    mu ~ Normal(0, 2), tau ~ HalfNormal(1), z_j ~ Normal(0, 1),
    theta_j = mu + tau z_j,  y_ij ~ Normal(theta_j, sigma = 1).
It is compiled once; each replication swaps the observed ``y`` (and, for the power check,
the data ``sigma``) with ``Model.set_data``. Prior draws and data come from the model's own
``sample_prior``. Ranked quantities: mu, tau, z_0 and the derived theta_0.

Replications and thinning: ``N_SIMS`` = 1000 replications per sampler, each one chain from
a uniform(-2, 2) start keeping L = 49 draws (ranks 0..49). Following Talts et al., the
thinning makes the kept draws nearly independent: it is ceil(1 / q), q the 5% quantile over
replications of the ESS per draw of the least efficient quantity, measured with these
warmups on 40 replications of 2000 draws (20000 for Metropolis): NUTS q = 0.19 -> every 6th
draw; HMC 0.20 -> every 5th; Metropolis 0.0091 with a dense proposal covariance -> every
110th (the diagonal one mixes 3-10x slower here: z_j and mu are correlated in the
posterior). The kept draws then have a mean lag-1 autocorrelation under 0.05. Too little
thinning would make the test fail (autocorrelated draws over-disperse the ranks), never
pass wrongly.

Test: Pearson chi-square of the rank histogram in 10 equiprobable bins (``scipy.stats.
chisquare``, 100 expected per bin), each p-value against a Bonferroni level: family alpha
0.01 over the 3 samplers x 4 quantities. Seeds are fixed, so the outcome is deterministic.
Power: on exact conjugate posterior draws the test holds its size and rejects posteriors
20% too narrow or wide or shifted by a quarter sd; and on real sampler output it rejects HMC
run on the model with the noise misstated (sigma = 0.8 in the fit, 1 in the simulation).
"""

import numpy as np
import pytest

import bayeskit as bk
from sbc import ranks_of, run_sbc, uniformity_pvalue

N_GROUPS, N_PER_GROUP = 5, 4
N_SIMS = 1000
N_POSTERIOR = 49
BINS = 10
QUANTITIES = ("mu", "tau", "z[0]", "theta[0]")
SAMPLERS = ("nuts", "hmc", "metropolis")
FAMILY_ALPHA = 0.01
ALPHA = FAMILY_ALPHA / (len(SAMPLERS) * len(QUANTITIES))
# warmup, thinning (see the module docstring) and sampler options per sampler
SETTINGS = {
    "nuts": dict(tune=500, thin=6),
    "hmc": dict(tune=500, thin=5),
    "metropolis": dict(tune=5000, thin=110, dense_mass=True),
}


def build_model():
    """The non-centered hierarchy of the module docstring (``y`` a placeholder)."""
    m = bk.Model()
    group = m.data("group", np.repeat(np.arange(N_GROUPS), N_PER_GROUP))
    sigma = m.data("sigma", 1.0)
    mu = m.param("mu", bk.Normal(0, 2))
    tau = m.param("tau", bk.HalfNormal(1))
    z = m.param("z", bk.Normal(0, 1), shape=N_GROUPS)
    theta = m.deterministic("theta", mu + tau * z)
    m.observe("y", bk.Normal(theta[group], sigma), np.zeros(N_GROUPS * N_PER_GROUP))
    return m


def quantities(values):
    """The ranked scalars from constrained values (any leading shape)."""
    return {"mu": values["mu"], "tau": values["tau"], "z[0]": values["z"][..., 0],
            "theta[0]": values["theta"][..., 0]}


@pytest.fixture(scope="module")
def model():
    m = build_model()
    return m, m.compile()


def pvalues(result):
    return {k: uniformity_pvalue(result.ranks[k], result.n_posterior, BINS)
            for k in QUANTITIES}


@pytest.mark.slow
@pytest.mark.parametrize("sampler", SAMPLERS)
def test_sbc_ranks_uniform(model, sampler):
    """Each sampler, at its default target acceptance, gives uniform ranks."""
    m, ld = model
    result = run_sbc(m, ld, quantities, sampler=sampler, n_sims=N_SIMS,
                     n_posterior=N_POSTERIOR, seed=20181023, **SETTINGS[sampler])
    p = pvalues(result)
    failed = {k: v for k, v in p.items() if v < ALPHA}
    assert not failed, (f"{sampler}: SBC ranks not uniform (chi-square p < {ALPHA:.2g}): "
                        f"{failed}; all p-values {p}")


@pytest.mark.slow
def test_sbc_detects_misspecified_posterior(model):
    """Power on real sampler output: HMC on the model with the noise sd stated as 0.8
    (the data simulated with 1) gives a too-narrow posterior, and the same test fails."""
    m, ld = model
    result = run_sbc(m, ld, quantities, sampler="hmc", n_sims=N_SIMS,
                     n_posterior=N_POSTERIOR, seed=20181023, data={"sigma": 0.8},
                     **SETTINGS["hmc"])
    p = pvalues(result)
    assert min(p.values()) < ALPHA, f"SBC did not detect a misstated sigma: p-values {p}"


def _exact_sbc_pvalues(rng, n_experiments, scale=1.0, shift=0.0):
    """Rank-test p-values of ``n_experiments`` SBC runs on exact conjugate posteriors, the
    posterior draws optionally scaled (``scale`` x the sd) or shifted (``shift`` sds).

    A normal mean with prior N(0, 1) and ten observations of sd 1 has the posterior
    N(sum y / 11, 1 / 11).
    """
    n_obs = 10
    post_sd = (n_obs + 1) ** -0.5
    out = []
    for _ in range(n_experiments):
        truth = rng.normal(0.0, 1.0, N_SIMS)
        post_mean = rng.normal(n_obs * truth, np.sqrt(n_obs)) / (n_obs + 1)
        draws = post_mean[:, None] + post_sd * (
            shift + scale * rng.standard_normal((N_SIMS, N_POSTERIOR)))
        out.append(uniformity_pvalue(ranks_of(truth, draws), N_POSTERIOR, BINS))
    return np.array(out)


def test_sbc_statistic_size_and_power():
    """The rank test itself at the sizes used above, without a sampler: on exact posterior
    draws it rejects at its nominal rate; it detects a posterior 20% too narrow, 20% too
    wide, or shifted by a quarter of its sd, at the Bonferroni level, nearly always.
    (Measured on 200 experiments each: power 1.0, 0.95 and 0.995; against 10% too narrow
    or wide only 0.31 and 0.14, the resolution limit of 1000 replications.)"""
    rng = np.random.default_rng(7)
    n = 100
    size = np.mean(_exact_sbc_pvalues(rng, n) < 0.05)
    assert abs(size - 0.05) < 3 * np.sqrt(0.05 * 0.95 / n), f"size at 0.05: {size}"
    for scale, shift in [(0.8, 0.0), (1.2, 0.0), (1.0, 0.25)]:
        power = np.mean(_exact_sbc_pvalues(rng, n, scale, shift) < ALPHA)
        assert power >= 0.85, f"power {power} against scale {scale}, shift {shift}"
