"""bk.sample end to end on hand-written log densities: exact posteriors, the ArviZ output,
reproducibility across executors, Ctrl-C, the log-likelihood budget, predictive draws."""

from __future__ import annotations

import multiprocessing
import signal
import threading
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import numpy as np
import pytest
import scipy.stats

import bayeskit as bk
from bayeskit import arviz_adapter as ad
from bayeskit import inference

import inference_densities as dens

NUTS_STATS = {"lp", "acceptance_rate", "step_size", "tree_depth", "n_steps",
              "reached_max_treedepth", "diverging", "energy", "energy_error"}


@pytest.fixture(scope="module")
def y():
    return np.random.default_rng(1).normal(1.5, 1.0, size=20)


@pytest.fixture(scope="module")
def conjugate_run(y):
    ld = dens.NormalMean(y)
    return ld, bk.sample(ld, draws=1000, tune=500, chains=4, seed=3, progressbar=False)


def _within_mcse(draws, mean, sd, n_mcse=4.0):
    """Posterior mean within n MCSE of the exact mean, sd within 10%."""
    got_mean = draws.mean()
    mcse = ad.mcse(draws)
    assert abs(got_mean - mean) < n_mcse * mcse, (got_mean, mean, mcse)
    assert abs(draws.std(ddof=1) / sd - 1) < 0.10, (draws.std(ddof=1), sd)


def test_conjugate_normal_mean_nuts(conjugate_run):
    ld, idata = conjugate_run
    mean, sd = ld.exact_posterior
    post = ad.get_group(idata, "posterior")
    _within_mcse(post["mu"].values, mean, sd)
    np.testing.assert_array_equal(post["mu_x2"].values, 2 * post["mu"].values)


def test_output_groups_stats_and_attrs(conjugate_run, y):
    ld, idata = conjugate_run
    assert set(ad.groups(idata)) == {"posterior", "sample_stats", "observed_data",
                                     "log_likelihood"}
    post = ad.get_group(idata, "posterior")
    assert post["mu"].shape == (4, 1000)
    stats = ad.get_group(idata, "sample_stats")
    assert NUTS_STATS <= set(stats.data_vars)
    assert stats["diverging"].dtype == bool and stats["tree_depth"].dtype == np.int64
    assert np.all(stats["tree_depth"].values >= 1)
    ll = ad.get_group(idata, "log_likelihood")["y"]
    assert ll.dims == ("chain", "draw", "obs") and ll.shape == (4, 1000, y.size)
    expected = ld.log_likelihood_draws(post["mu"].values[..., None])["y"]
    np.testing.assert_allclose(ll.values, expected)
    np.testing.assert_array_equal(ad.get_group(idata, "observed_data")["y"].values, y)
    attrs = ad.get_attrs(idata)
    assert attrs["sampler"] == "nuts" and attrs["partial"] == 0 and attrs["seed"] == 3
    assert attrs["draws"] == 1000 and attrs["tune"] == 500 and attrs["chains"] == 4
    assert attrs["n_grad_evals"] >= 1500 * 4 and attrs["bayeskit_version"] == bk.__version__
    assert len(attrs["sampling_seconds"]) == 4 and attrs["log_likelihood"] == "stored"
    # The log-likelihood makes PSIS-LOO work: compare with the exact leave-one-out
    # predictive densities N(y_i | m_-i, 1 + v_-i) of this conjugate model.
    res = ad.elpd(idata)
    assert np.all(res["pareto_k"] < 0.7)
    exact = 0.0
    for i in range(y.size):
        rest = np.delete(y, i)
        m, s = dens.NormalMean(rest, ld.prior_sd).exact_posterior
        exact += scipy.stats.norm.logpdf(y[i], m, np.sqrt(1 + s**2))
    # Monte Carlo error of each importance-sampling estimate 1 / mean(1 / p(y_i | mu)).
    ratios = np.exp(-ll.values)
    ess = ad.ess(ratios)
    rel_se = ratios.std(axis=(0, 1)) / ratios.mean(axis=(0, 1)) / np.sqrt(ess)
    assert abs(res["elpd"] - exact) < 4 * np.sqrt(np.sum(rel_se**2)), (res["elpd"], exact)


@pytest.mark.parametrize("sampler, stats", [
    ("hmc", {"lp", "acceptance_rate", "step_size", "diverging", "energy"}),
    ("metropolis", {"lp", "acceptance_rate"}),
])
def test_other_samplers_recover_the_posterior(y, sampler, stats):
    ld = dens.NormalMean(y)
    idata = bk.sample(ld, draws=2000, tune=1000, chains=2, seed=4, sampler=sampler,
                      progressbar=False)
    mean, sd = ld.exact_posterior
    _within_mcse(ad.get_group(idata, "posterior")["mu"].values, mean, sd)
    assert stats <= set(ad.get_group(idata, "sample_stats").data_vars)
    assert ad.get_attrs(idata)["sampler"] == sampler


def test_independent_gaussians():
    mu, sd = np.array([1.0, -3.0, 20.0]), np.array([0.1, 2.0, 5.0])
    idata = bk.sample(dens.gaussian(mu, sd), draws=1000, tune=500, chains=2, seed=5,
                      progressbar=False)
    theta = ad.get_group(idata, "posterior")["theta"].values
    for i in range(3):
        _within_mcse(theta[..., i], mu[i], sd[i])


def test_same_seed_same_draws_whatever_the_executor():
    ld = dens.gaussian([0.0, 1.0], [1.0, 2.0])
    kw = dict(draws=200, tune=200, chains=3, seed=11, progressbar=False)
    one = bk.sample(ld, cores=1, **kw)
    two = bk.sample(ld, cores=2, **kw)
    with ThreadPoolExecutor(3) as pool:
        user_threads = bk.sample(ld, executor=pool, **kw)
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("fork")) as pool:
        procs = bk.sample(ld, executor=pool, **kw)
    ref = ad.get_group(one, "posterior")["theta"].values
    for other in (two, user_threads, procs):
        np.testing.assert_array_equal(ad.get_group(other, "posterior")["theta"].values, ref)
        np.testing.assert_array_equal(ad.get_group(other, "sample_stats")["lp"].values,
                                      ad.get_group(one, "sample_stats")["lp"].values)
    assert not np.array_equal(ref[0], ref[1])  # chains differ from each other
    other_seed = bk.sample(ld, cores=1, **{**kw, "seed": 12})
    assert not np.array_equal(ad.get_group(other_seed, "posterior")["theta"].values, ref)


def test_ctrl_c_returns_partial_draws(monkeypatch):
    """SIGINT to the main thread mid-run stops every chain and keeps what was drawn."""
    ld = dens.gaussian([0.0, 0.0], [1.0, 1.0])
    tune, draws = 100, 200_000
    original = inference._Progress.callback
    sent = threading.Event()
    seen = {0: 0, 1: 0}

    def callback(self, chain):
        inner = original(self, chain)

        def progress(done, total, info):
            inner(done, total, info)
            seen[chain] = done
            if min(seen.values()) > tune + 100 and not sent.is_set():  # both have draws
                sent.set()
                signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)
        return progress

    monkeypatch.setattr(inference._Progress, "callback", callback)
    with pytest.warns(UserWarning, match="interrupted"):
        idata = bk.sample(ld, draws=draws, tune=tune, chains=2, cores=2, seed=0,
                          progressbar=True)
    assert sent.is_set()
    attrs = ad.get_attrs(idata)
    assert attrs["partial"] == 1 and attrs["draws_requested"] == draws
    assert attrs["chains"] == 2
    theta = ad.get_group(idata, "posterior")["theta"].values
    assert 0 < theta.shape[1] < draws and np.all(np.isfinite(theta))
    assert ad.get_group(idata, "sample_stats")["lp"].shape == theta.shape[:2]
    diagnosis = bk.diagnose(idata, warn=False)
    assert any(p.check == "partial" for p in diagnosis.problems)


def test_log_likelihood_over_budget_is_skipped_then_computed_on_request(y):
    ld = dens.NormalMean(y)
    with pytest.warns(UserWarning, match="compute_log_likelihood"):
        idata = bk.sample(ld, draws=100, tune=100, chains=2, seed=6, progressbar=False,
                          memory_budget_mb=1e-4)
    assert ad.get_group(idata, "log_likelihood") is None
    assert ad.get_attrs(idata)["log_likelihood"].startswith("skipped")
    bk.compute_log_likelihood(idata, ld)
    ll = ad.get_group(idata, "log_likelihood")["y"].values
    mu = ad.get_group(idata, "posterior")["mu"].values
    np.testing.assert_allclose(ll, ld.log_likelihood_draws(mu[..., None])["y"])
    forced = bk.sample(ld, draws=50, tune=50, chains=1, seed=6, progressbar=False,
                       memory_budget_mb=1e-4, log_likelihood=True)
    assert ad.get_group(forced, "log_likelihood") is not None
    off = bk.sample(ld, draws=50, tune=50, chains=1, seed=6, progressbar=False,
                    log_likelihood=False)
    assert ad.get_group(off, "log_likelihood") is None


def test_posterior_and_prior_predictive(conjugate_run, y):
    ld, idata = conjugate_run
    out = bk.sample_posterior_predictive(ld, idata, seed=7)
    pp = ad.get_group(out, "posterior_predictive")["y"]
    assert pp.dims == ("chain", "draw", "obs") and pp.shape == (4, 1000, y.size)
    # y_rep ~ N(mu, 1) with mu from the posterior: mean and variance of the mixture.
    mean, sd = ld.exact_posterior
    mu = ad.get_group(idata, "posterior")["mu"].values
    noise = pp.values - mu[..., None]  # the N(0, 1) part, independent across entries
    assert abs(noise.mean()) < 4 / np.sqrt(noise.size)
    assert abs(noise.var() - 1) < 4 * np.sqrt(2 / noise.size)
    again = bk.sample_posterior_predictive(ld, idata, seed=7)
    np.testing.assert_array_equal(ad.get_group(again, "posterior_predictive")["y"], pp)
    prior = bk.sample_prior_predictive(ld, draws=4000, seed=8)
    mu = ad.get_group(prior, "prior")["mu"].values
    assert mu.shape == (1, 4000) and abs(mu.std() / 10 - 1) < 0.05
    ypp = ad.get_group(prior, "prior_predictive")["y"]
    assert ypp.shape == (1, 4000, y.size) and ypp.dims[-1] == "obs"
    with pytest.raises(TypeError, match="bk.Model"):
        bk.sample_posterior_predictive(dens.gaussian([0.0], [1.0]), idata)


def test_errors_in_a_chain_reach_the_caller():
    with pytest.raises(ValueError, match="path_length"):
        bk.sample(dens.gaussian([0.0], [1.0]), draws=10, tune=10, chains=2, sampler="hmc",
                  path_length=-1.0, progressbar=False)


def test_pathfinder_init(y):
    vi = pytest.importorskip("bayeskit.vi", reason="init='pathfinder' needs bayeskit.vi")
    if not hasattr(vi, "pathfinder_init"):
        pytest.skip("bayeskit.vi has no pathfinder_init")
    ld = dens.NormalMean(y)
    kw = dict(draws=500, tune=300, chains=2, seed=9, init="pathfinder", progressbar=False)
    idata = bk.sample(ld, **kw)
    mean, sd = ld.exact_posterior
    _within_mcse(ad.get_group(idata, "posterior")["mu"].values, mean, sd)
    again = bk.sample(ld, **kw)
    np.testing.assert_array_equal(ad.get_group(again, "posterior")["mu"].values,
                                  ad.get_group(idata, "posterior")["mu"].values)


def test_unseeded_run_records_its_entropy_and_can_be_repeated():
    ld = dens.gaussian([0.0], [1.0])
    kw = dict(draws=50, tune=50, chains=2, progressbar=False)
    first = bk.sample(ld, **kw)
    seed = int(ad.get_attrs(first)["seed"])
    again = bk.sample(ld, seed=seed, **kw)
    np.testing.assert_array_equal(ad.get_group(again, "posterior")["theta"].values,
                                  ad.get_group(first, "posterior")["theta"].values)
    ss = np.random.SeedSequence(seed)
    same = bk.sample(ld, seed=ss, **kw)
    np.testing.assert_array_equal(ad.get_group(same, "posterior")["theta"].values,
                                  ad.get_group(first, "posterior")["theta"].values)


def test_keyboard_interrupt_inside_a_chain_stops_the_others(monkeypatch):
    """A KeyboardInterrupt raised in one chain's thread (here from its progress callback)
    loses that chain but stops the others and returns their draws, marked partial."""
    ld = dens.gaussian([0.0], [1.0])
    tune, draws = 100, 200_000
    original = inference._Progress.callback
    seen = {0: 0, 1: 0}

    def callback(self, chain):
        inner = original(self, chain)

        def progress(done, total, info):
            inner(done, total, info)
            seen[chain] = done
            if chain == 0 and min(seen.values()) > tune + 100:  # both chains have draws
                raise KeyboardInterrupt
        return progress

    monkeypatch.setattr(inference._Progress, "callback", callback)
    with pytest.warns(UserWarning, match="interrupted"):
        idata = bk.sample(ld, draws=draws, tune=tune, chains=2, cores=2, seed=0,
                          progressbar=True)
    attrs = ad.get_attrs(idata)
    assert attrs["partial"] == 1 and attrs["chains"] == 1
    assert 0 < ad.get_group(idata, "posterior")["theta"].shape[1] < draws
