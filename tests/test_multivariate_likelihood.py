"""bk.sample on models with a multivariate observation (MvNormal, Dirichlet).

The pointwise log-likelihood has one term per independent observation: an MvNormal
observation of shape (n, k) gives n terms, its event dimension summed out, which is what
LOO needs. Checked against scipy, the exact conjugate posterior and ArviZ's LOO.
"""

import numpy as np
import scipy.stats

import bayeskit as bk
from bayeskit import arviz_adapter as ad

COV = np.array([[1.0, 0.3, 0.0], [0.3, 1.0, 0.2], [0.0, 0.2, 1.0]])
PRIOR_SD = 5.0


def _data():
    return np.random.default_rng(0).multivariate_normal([1.0, -1.0, 0.5], COV, size=40)


def test_mvnormal_observation_log_likelihood_posterior_and_loo():
    y = _data()
    m = bk.Model(coords={"house": np.arange(40), "k": ["a", "b", "c"]})
    mu = m.param("mu", bk.Normal(0, PRIOR_SD), dims="k")
    m.observe("y", bk.MvNormal(mu, cov=COV), y, dims=("house", "k"))
    idata = bk.sample(m, draws=1000, tune=500, chains=2, seed=4, progressbar=False)

    loglik = ad.get_group(idata, "log_likelihood")["y"]
    assert loglik.dims == ("chain", "draw", "house") and loglik.shape == (2, 1000, 40)
    mus = ad.get_group(idata, "posterior")["mu"].values
    for c, d in [(0, 0), (1, 500), (1, 999)]:
        want = scipy.stats.multivariate_normal(mus[c, d], COV).logpdf(y)
        np.testing.assert_allclose(loglik.values[c, d], want, rtol=1e-12)

    # exact posterior of mu: precision = I / PRIOR_SD^2 + n COV^-1
    precision = np.eye(3) / PRIOR_SD**2 + len(y) * np.linalg.inv(COV)
    post_cov = np.linalg.inv(precision)
    post_mean = post_cov @ (np.linalg.inv(COV) @ y.sum(axis=0))
    draws = mus.reshape(-1, 3)
    ess = ad.ess(mus)
    mcse = draws.std(axis=0) / np.sqrt(ess)
    assert np.all(np.abs(draws.mean(axis=0) - post_mean) < 4 * mcse)
    assert np.all(np.abs(draws.std(axis=0) / np.sqrt(np.diag(post_cov)) - 1) < 0.1)

    loo = ad.elpd(idata)
    assert loo["pareto_k"].shape == (40,) and np.all(loo["pareto_k"] < 0.7)
    # one term per row: the effective number of parameters is about dim(mu) = 3
    assert np.isfinite(loo["elpd"]) and 2.0 < loo["p"] < 4.5


def test_dirichlet_observation_has_one_log_likelihood_term_per_row():
    rng = np.random.default_rng(1)
    p = rng.dirichlet([2.0, 3.0, 5.0], size=25)
    m = bk.Model()
    conc = m.param("conc", bk.HalfNormal(10), shape=3)
    m.observe("p", bk.Dirichlet(conc), p)
    idata = bk.sample(m, draws=200, tune=200, chains=1, seed=0, progressbar=False)
    loglik = ad.get_group(idata, "log_likelihood")["p"].values
    assert loglik.shape == (1, 200, 25)
    conc_draw = ad.get_group(idata, "posterior")["conc"].values[0, 7]
    want = [scipy.stats.dirichlet(conc_draw).logpdf(row) for row in p]
    np.testing.assert_allclose(loglik[0, 7], want, rtol=1e-10)
