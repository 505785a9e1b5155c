"""bk.sample, predictive draws, find_map and diagnose on a bk.Model with an exact answer:
Bayesian linear regression with known noise, whose posterior is Gaussian in closed form.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.stats

import bayeskit as bk
from bayeskit import arviz_adapter as ad
from bayeskit.initialization import InitializationError

SIGMA, PRIOR_SD = 0.5, 5.0


@pytest.fixture(scope="module")
def regression():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 2))
    y = 0.5 + X @ np.array([1.0, -2.0]) + rng.normal(0, SIGMA, size=40)
    m = bk.Model(coords={"feature": ["a", "b"]})
    Xd = m.data("X", X)
    alpha = m.param("alpha", bk.Normal(0.0, PRIOR_SD))
    beta = m.param("beta", bk.Normal(0.0, PRIOR_SD), dims="feature")
    mu = m.deterministic("mu", alpha + Xd @ beta)
    m.observe("y", bk.Normal(mu, SIGMA), y)
    # Exact Gaussian posterior of (alpha, beta).
    Z = np.column_stack([np.ones(len(y)), X])
    cov = np.linalg.inv(Z.T @ Z / SIGMA**2 + np.eye(3) / PRIOR_SD**2)
    mean = cov @ Z.T @ y / SIGMA**2
    idata = bk.sample(m, draws=1000, tune=1000, chains=4, seed=1, progressbar=False)
    return m, X, y, mean, cov, idata


def _coefficients(idata):
    post = ad.get_group(idata, "posterior")
    return np.concatenate([post["alpha"].values[..., None], post["beta"].values], axis=-1)


def test_exact_posterior_means_within_4_mcse_and_sds_within_10_percent(regression):
    m, X, y, mean, cov, idata = regression
    draws = _coefficients(idata)
    for i in range(3):
        mcse = ad.mcse(draws[..., i])
        assert abs(draws[..., i].mean() - mean[i]) < 4 * mcse, (i, draws[..., i].mean(), mean[i])
        assert abs(draws[..., i].std(ddof=1) / np.sqrt(cov[i, i]) - 1) < 0.10
    post = ad.get_group(idata, "posterior")
    assert post["beta"].dims == ("chain", "draw", "feature")
    np.testing.assert_allclose(post["mu"].values,
                               post["alpha"].values[..., None] + post["beta"].values @ X.T,
                               rtol=1e-12, atol=1e-12)
    assert bk.diagnose(idata, warn=False).ok
    assert "mu" not in bk.diagnose(idata, warn=False).rhat  # deterministics not checked


def test_log_likelihood_group_matches_scipy(regression):
    m, X, y, mean, cov, idata = regression
    post = ad.get_group(idata, "posterior")
    ll = ad.get_group(idata, "log_likelihood")["y"].values
    expected = scipy.stats.norm.logpdf(y, post["mu"].values, SIGMA)
    np.testing.assert_allclose(ll, expected, rtol=1e-10)


def test_posterior_predictive_at_new_inputs_restores_the_data(regression):
    m, X, y, mean, cov, idata = regression
    X_new = np.random.default_rng(2).normal(size=(7, 2))
    out = bk.sample_posterior_predictive(m, idata, data={"X": X_new}, seed=3)
    pp = ad.get_group(out, "posterior_predictive")["y"].values
    assert pp.shape == (4, 1000, 7)
    coef = _coefficients(idata)
    noise = pp - (coef[..., :1] + coef[..., 1:] @ X_new.T)  # N(0, SIGMA^2) if correct
    assert abs(noise.mean()) < 4 * SIGMA / np.sqrt(noise.size)
    assert abs(noise.var() / SIGMA**2 - 1) < 4 * np.sqrt(2 / noise.size)
    # the fitted model is untouched: same data, same compiled density
    np.testing.assert_array_equal(m.data_nodes["X"].value, X)
    np.testing.assert_array_equal(m.compile().observed_data["y"], y)
    again = bk.sample_posterior_predictive(m, idata, data={"X": X_new}, seed=3)
    np.testing.assert_array_equal(ad.get_group(again, "posterior_predictive")["y"], pp)
    with pytest.raises(ValueError, match=r"\['Z'\]"):
        bk.sample_posterior_predictive(m, idata, data={"Z": X_new})


def test_in_sample_posterior_predictive_and_compute_log_likelihood(regression):
    m, X, y, mean, cov, idata = regression
    bk.sample_posterior_predictive(m, idata, seed=4)
    pp = ad.get_group(idata, "posterior_predictive")["y"]
    assert pp.shape == (4, 1000, len(y))
    stored = ad.get_group(idata, "log_likelihood")["y"].values.copy()
    bk.compute_log_likelihood(idata, m)
    np.testing.assert_allclose(ad.get_group(idata, "log_likelihood")["y"].values, stored,
                               rtol=1e-12)


def test_prior_predictive_matches_the_prior(regression):
    m, X, y, mean, cov, idata = regression
    n = 4000
    prior = bk.sample_prior_predictive(m, draws=n, seed=5)
    alpha = ad.get_group(prior, "prior")["alpha"].values.ravel()
    # Kolmogorov-Smirnov against the N(0, 5) prior at a fixed seed.
    assert scipy.stats.kstest(alpha, scipy.stats.norm(0, PRIOR_SD).cdf).pvalue > 1e-3
    ypp = ad.get_group(prior, "prior_predictive")["y"].values
    assert ypp.shape == (1, n, len(y))
    mu = ad.get_group(prior, "prior")["mu"].values
    noise = ypp - mu
    assert abs(noise.std() / SIGMA - 1) < 4 / np.sqrt(2 * noise.size)


def test_find_map_is_the_posterior_mean(regression):
    m, X, y, mean, cov, idata = regression
    res = bk.find_map(m, seed=0)
    np.testing.assert_allclose(np.concatenate([[res["alpha"]], res["beta"]]), mean,
                               rtol=1e-6, atol=1e-8)


def test_init_failure_names_the_observed_variable():
    m = bk.Model()
    upper = m.param("upper", bk.HalfNormal(0.1))
    m.observe("z", bk.Uniform(0.0, upper), np.array([0.01, 50.0]))
    with pytest.raises(InitializationError, match=r"observed 'z'.*1 of 2 entries") as err:
        bk.sample(m, draws=10, tune=10, chains=1, seed=0, progressbar=False)
    assert "'upper'" in str(err.value)


def test_a_model_samples_identically_in_a_process_pool(regression):
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    m = regression[0]
    kw = dict(draws=100, tune=100, chains=2, seed=6, progressbar=False)
    threads = bk.sample(m, **kw)
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("fork")) as pool:
        procs = bk.sample(m, executor=pool, **kw)
    for name in ("alpha", "beta", "mu"):
        np.testing.assert_array_equal(ad.get_group(procs, "posterior")[name].values,
                                      ad.get_group(threads, "posterior")[name].values)
