"""Fast unit tests of bayeskit.samplers: building blocks, run_chain's contract, compilation.

Statistical correctness (exact posteriors, SBC, posteriordb) lives in
test_samplers_posteriors.py, test_sbc.py and test_posteriordb_nuts.py.
"""

import threading

import numpy as np
import pytest
from numba import njit

import bayeskit as bk
from bayeskit.samplers import STAT_NAMES, ChainResult, run_chain
from bayeskit.samplers import adaptation, hamiltonian, hmc, integrators, metropolis, nuts
from bayeskit.samplers.state import Metric, WelfordState

SAMPLERS = ["nuts", "hmc", "metropolis"]


@njit
def _std_normal(theta, grad):
    for i in range(theta.size):
        grad[i] = -theta[i]
    return -0.5 * np.sum(theta * theta)


@njit
def _scaled_normal(theta, grad, fdata, idata):
    # independent normals with sds fdata
    lp = 0.0
    for i in range(theta.size):
        z = theta[i] / fdata[i]
        lp -= 0.5 * z * z
        grad[i] = -z / fdata[i]
    return lp


@pytest.fixture(scope="module")
def std_normal():
    return bk.LogDensity.from_numba(_std_normal, 3)


@pytest.fixture(scope="module")
def scaled_normal():
    return bk.LogDensity.from_numba(_scaled_normal, 3, fdata=np.array([1.0, 3.0, 0.2]))


def _run(ld, sampler="nuts", seed=1, **kw):
    kw.setdefault("draws", 200)
    kw.setdefault("tune", 200)
    return run_chain(ld.fn, ld.fdata, ld.idata, np.full(ld.dim, 0.5), sampler=sampler,
                     rng=np.random.default_rng(seed), **kw)


def _diag(values):
    values = np.asarray(values, float)
    return Metric(values.copy(), np.zeros((0, 0)), np.zeros((0, 0)), False)


def _dense(cov):
    cov = np.asarray(cov, float)
    return Metric(np.diag(cov).copy(), cov.copy(), np.linalg.cholesky(cov), True)


# -- warmup schedule, dual averaging, Welford -------------------------------------------------
def test_warmup_schedule_matches_stan_windows():
    in_window, window_end = adaptation.warmup_schedule(1000)
    # Stan (CmdStan defaults): 75 init buffer, windows 25, 50, 100, 200, 500, 50 term buffer
    assert list(np.flatnonzero(window_end)) == [99, 149, 249, 449, 949]
    assert np.flatnonzero(in_window)[0] == 75 and np.flatnonzero(in_window)[-1] == 949
    assert in_window.sum() == 875


def test_warmup_schedule_short_and_tiny():
    in_window, window_end = adaptation.warmup_schedule(100)  # 15% / 75% / 10%
    assert np.flatnonzero(in_window)[0] == 15 and list(np.flatnonzero(window_end)) == [89]
    in_window, window_end = adaptation.warmup_schedule(19)
    assert not in_window.any() and not window_end.any()
    assert adaptation.warmup_schedule(0)[0].shape == (0,)


def test_dual_averaging_finds_the_step_size_with_target_acceptance():
    # a made-up acceptance curve exp(-step): target 0.8 is reached at step = -log(0.8)
    da = adaptation.dual_averaging_init(1.0, np.log(10.0))
    for _ in range(2000):
        da = adaptation.dual_averaging_update(da, np.exp(-np.exp(da.log_step)), 0.8)
    assert np.exp(da.log_step_avg) == pytest.approx(-np.log(0.8), rel=0.02)
    da2 = adaptation.dual_averaging_update(da, np.nan, 0.8)  # NaN acceptance counts as 0
    assert np.isfinite(da2.log_step) and da2.log_step < da.log_step


@pytest.mark.parametrize("dense", [False, True])
def test_welford_matches_numpy(dense):
    x = np.random.default_rng(0).normal(size=(50, 4)) @ np.array(
        [[1, 0.5, 0, 0], [0, 1, 0, 0], [0, 0, 2, 0], [0, 0, 1, 1.0]])
    w = adaptation.welford_init(4, dense)
    scratch = np.empty(4)
    for row in x:
        w = adaptation.welford_update(w, row, scratch)
    assert w.count == 50
    np.testing.assert_allclose(w.mean, x.mean(0), rtol=1e-12)
    np.testing.assert_allclose(w.m2 / 49, x.var(0, ddof=1), rtol=1e-12)
    if dense:
        np.testing.assert_allclose(w.m2_dense / 49, np.cov(x.T), rtol=1e-12)
    metric = _dense(np.eye(4)) if dense else _diag(np.ones(4))
    adaptation.update_metric(metric, w, 0)
    expected = (50 / 55) * np.cov(x.T) + 1e-3 * (5 / 55) * np.eye(4)  # Stan's regularization
    if dense:
        np.testing.assert_allclose(metric.inv_mass, expected, rtol=1e-12)
        np.testing.assert_allclose(metric.chol, np.linalg.cholesky(expected), rtol=1e-10)
    else:
        np.testing.assert_allclose(metric.inv_mass_diag, np.diag(expected), rtol=1e-12)
    w = adaptation.welford_reset(w)
    assert isinstance(w, WelfordState) and w.count == 0 and not w.mean.any()


def test_short_window_sets_a_diagonal_dense_metric():
    """A dense metric from fewer than min_dense_draws draws: the diagonal of variances."""
    x = np.random.default_rng(1).normal(size=(30, 4)) @ np.array(
        [[1, 0.9, 0, 0], [0, 1, 0, 0], [0, 0, 2, 0], [0, 0, 1, 1.0]])
    w = adaptation.welford_init(4, True)
    for row in x:
        w = adaptation.welford_update(w, row, np.empty(4))
    expected = (30 / 35) * x.var(0, ddof=1) + 1e-3 * (5 / 35)
    metric = _dense(np.array([[2.0, 0.5, 0, 0], [0.5, 2, 0, 0], [0, 0, 2, 0], [0, 0, 0, 2]]))
    adaptation.update_metric(metric, w, 31)
    np.testing.assert_allclose(metric.inv_mass, np.diag(expected), rtol=1e-12)
    np.testing.assert_allclose(metric.chol, np.diag(np.sqrt(expected)), rtol=1e-12)
    np.testing.assert_allclose(metric.inv_mass_diag, expected, rtol=1e-12)
    adaptation.update_metric(metric, w, 30)  # enough draws: the full covariance
    np.testing.assert_allclose(metric.inv_mass, (30 / 35) * np.cov(x.T)
                               + 1e-3 * (5 / 35) * np.eye(4), rtol=1e-12)


def test_stan_first_dense_window_is_singular_in_high_dimension():
    """Why static HMC needs min_dense_draws: 25 draws of a 50-d posterior span 24 of its
    directions, and Stan's shrinkage leaves a variance of 1e-3 * 5/30 in the other 26."""
    x = np.random.default_rng(2).normal(size=(25, 50))
    w = adaptation.welford_init(50, True)
    for row in x:
        w = adaptation.welford_update(w, row, np.empty(50))
    metric = _dense(np.eye(50))
    adaptation.update_metric(metric, w, 0)
    eig = np.linalg.eigvalsh(metric.inv_mass)
    np.testing.assert_allclose(eig[:26], 1e-3 * 5 / 30, rtol=1e-6)
    assert eig[26:].min() > 0.1


def test_cholesky_agrees_with_numpy_and_refuses_indefinite():
    a = np.array([[4.0, 1.2, 0.3], [1.2, 2.0, -0.4], [0.3, -0.4, 1.0]])
    out = np.empty((3, 3))
    assert integrators.cholesky(a, out)
    np.testing.assert_allclose(out, np.linalg.cholesky(a), rtol=1e-12)
    assert not integrators.cholesky(np.array([[1.0, 2.0], [2.0, 1.0]]), np.empty((2, 2)))


# -- Hamiltonian pieces ------------------------------------------------------------------------
def test_dense_momentum_is_cholesky_transform_of_standard_normals():
    cov = np.array([[2.0, 0.6], [0.6, 0.5]])
    metric = _dense(cov)
    p = np.empty(2)
    integrators.sample_momentum(np.random.default_rng(3), metric, p)
    z = np.random.default_rng(3).standard_normal(2)
    np.testing.assert_allclose(metric.chol.T @ p, z, rtol=1e-12)  # p = L^-T z ~ N(0, cov^-1)
    v = np.empty(2)
    integrators.velocity(metric, p, v)
    np.testing.assert_allclose(v, cov @ p, rtol=1e-12)


@pytest.mark.parametrize("metric", [_diag([1.0, 9.0, 0.04]),
                                    _dense([[1.0, 0.3, 0], [0.3, 9.0, 0], [0, 0, 0.04]])])
def test_leapfrog_is_reversible_and_conserves_energy(scaled_normal, metric):
    ld = scaled_normal
    q0 = np.array([0.3, -2.0, 0.1])
    p0 = np.array([0.5, 0.2, -3.0])
    q, p, g, v = q0.copy(), p0.copy(), np.empty(3), np.empty(3)
    lp = integrators.logp_grad(ld.fn, q, g, ld.fdata, ld.idata)
    integrators.velocity(metric, p, v)
    h0 = -lp + integrators.kinetic_energy(p, v)
    for _ in range(20):
        lp = integrators.leapfrog(ld.fn, ld.fdata, ld.idata, metric, q, p, g, 0.05, v)
    assert abs(-lp + integrators.kinetic_energy(p, v) - h0) < 1e-2
    for _ in range(20):
        lp = integrators.leapfrog(ld.fn, ld.fdata, ld.idata, metric, q, p, g, -0.05, v)
    np.testing.assert_allclose(q, q0, atol=1e-12)
    np.testing.assert_allclose(p, p0, atol=1e-12)


def test_find_reasonable_step_size_brackets_acceptance(std_normal):
    ld = std_normal
    state = nuts.init(np.zeros(3), ld.fn, ld.fdata, ld.idata)
    eps = adaptation.find_reasonable_step_size(np.random.default_rng(0), ld.fn, ld.fdata,
                                               ld.idata, state, _diag(np.ones(3)), 1e-4,
                                               np.empty((4, 3)))
    assert 0.1 < eps < 10.0  # doubled up from 1e-4 to the scale of a unit Gaussian


def test_kernels_have_blackjax_like_init_and_step(std_normal):
    ld = std_normal
    rng = np.random.default_rng(0)
    state = nuts.init(np.ones(3), ld.fn, ld.fdata, ld.idata)
    assert state.logdensity == pytest.approx(-1.5) and np.allclose(state.grad, -1.0)
    ws = np.empty((nuts.workspace_rows(10), 3))
    new, info = nuts.step(rng, state, ld.fn, ld.fdata, ld.idata, 0.5, _diag(np.ones(3)), 10, ws)
    # kept doublings hold 2**depth - 1 steps; an abandoned last subtree at most 2**depth more
    assert 2 ** info.tree_depth - 1 <= info.n_steps <= 2 ** (info.tree_depth + 1) - 1
    assert 0 <= info.acceptance_rate <= 1 and not info.diverging
    new, info = hmc.step(rng, state, ld.fn, ld.fdata, ld.idata, 0.5, _diag(np.ones(3)), 2.0,
                         np.empty((4, 3)))
    assert info.n_steps == 4 and info.tree_depth == 0
    new, info = metropolis.step(rng, state, ld.fn, ld.fdata, ld.idata, 0.5, _diag(np.ones(3)))
    assert info.accepted == (new is not state)


# -- run_chain's contract ----------------------------------------------------------------------
@pytest.mark.parametrize("sampler", SAMPLERS)
def test_run_chain_result_fields(std_normal, sampler):
    res = _run(std_normal, sampler, draws=150, tune=100)
    assert isinstance(res, ChainResult) and res.completed
    assert res.draws.shape == (150, 3) and res.n_draws_done == 150 and res.n_tune_done == 100
    expected = {"nuts": set(STAT_NAMES),
                "hmc": {"lp", "acceptance_rate", "step_size", "n_steps", "diverging",
                        "energy", "energy_error"},
                "metropolis": {"lp", "acceptance_rate", "step_size"}}[sampler]
    assert set(res.stats) == expected
    for name, values in res.stats.items():
        assert values.shape == (150,), name
    if "diverging" in res.stats:
        assert res.stats["diverging"].dtype == np.bool_
        assert res.stats["n_steps"].dtype == np.int64
        assert res.n_grad_evals >= res.stats["n_steps"].sum()
    lp = np.array([std_normal.logp(t) for t in res.draws])
    np.testing.assert_allclose(res.stats["lp"], lp, rtol=1e-12)
    assert np.all(res.stats["step_size"] == res.step_size)  # fixed after warmup
    assert res.inv_mass.shape == (3,) and res.tune_seconds > 0 and res.sample_seconds > 0


def test_dense_mass_returns_matrix(std_normal):
    res = _run(std_normal, "nuts", dense_mass=True)
    assert res.inv_mass.shape == (3, 3)
    np.testing.assert_allclose(res.inv_mass, res.inv_mass.T)


@pytest.mark.parametrize("sampler", SAMPLERS)
def test_same_seed_same_draws_whatever_the_chunking(scaled_normal, sampler):
    a = _run(scaled_normal, sampler, seed=7)
    b = _run(scaled_normal, sampler, seed=7, chunk_size=7)
    c = _run(scaled_normal, sampler, seed=7, chunk_size=1000)
    d = _run(scaled_normal, sampler, seed=8)
    np.testing.assert_array_equal(a.draws, b.draws)
    np.testing.assert_array_equal(a.draws, c.draws)
    for k in a.stats:
        np.testing.assert_array_equal(a.stats[k], b.stats[k])
    assert a.step_size == b.step_size and np.array_equal(a.inv_mass, b.inv_mass)
    assert not np.array_equal(a.draws, d.draws)


def test_threads_give_the_same_draws_as_sequential(scaled_normal):
    seq = [_run(scaled_normal, "nuts", seed=s).draws for s in range(3)]
    out = [None] * 3

    def work(s):
        out[s] = _run(scaled_normal, "nuts", seed=s).draws

    threads = [threading.Thread(target=work, args=(s,)) for s in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for a, b in zip(seq, out):
        np.testing.assert_array_equal(a, b)


def test_progress_and_stop_return_partial_results(std_normal):
    stop = threading.Event()
    calls = []

    def progress(done, total, info):
        calls.append((done, total, info))
        if done >= 250:
            stop.set()

    res = _run(std_normal, "nuts", draws=500, tune=200, chunk_size=50, progress=progress,
               stop=stop)
    assert not res.completed
    assert [c[0] for c in calls] == [50, 100, 150, 200, 250]
    assert all(c[1] == 700 for c in calls)
    assert set(calls[-1][2]) >= {"step_size", "divergences", "draws_per_second", "phase"}
    assert calls[0][2]["phase"] == "tune" and calls[-1][2]["phase"] == "sample"
    assert res.n_tune_done == 200 and res.n_draws_done == 50 and res.draws.shape == (50, 3)
    assert all(v.shape == (50,) for v in res.stats.values())
    full = _run(std_normal, "nuts", draws=500, tune=200)
    np.testing.assert_array_equal(res.draws, full.draws[:50])  # the same chain, cut short
    stop.set()
    early = _run(std_normal, "nuts", draws=500, tune=200, stop=stop)
    assert not early.completed and early.n_tune_done == 0 and early.draws.shape == (0, 3)


def test_new_log_density_does_not_recompile_samplers(std_normal, scaled_normal):
    """The log density is a first-class function: one compiled sampler serves every model."""
    _run(std_normal, "nuts")
    _run(std_normal, "hmc")
    _run(std_normal, "metropolis")
    before = {k: list(m.run_chunk.signatures) for k, m in
              {"nuts and hmc": hamiltonian, "metropolis": metropolis}.items()}

    @njit
    def other(theta, grad):  # a model never seen before
        grad[:] = -2.0 * theta
        return -np.sum(theta * theta)

    ld = bk.LogDensity.from_numba(other, 5)
    for sampler in SAMPLERS:
        _run(ld, sampler)
        _run(scaled_normal, sampler, dense_mass=True)
    after = {k: list(m.run_chunk.signatures) for k, m in
             {"nuts and hmc": hamiltonian, "metropolis": metropolis}.items()}
    assert after == before
    assert all(len(sigs) == 1 for sigs in after.values())


# -- non-finite densities ----------------------------------------------------------------------
@njit
def _nan_beyond_one(theta, grad):
    # a standard normal whose density (or gradient) is NaN for theta[0] > 1: the samplers
    # must treat it as outside the support, i.e. sample the normal truncated at 1
    for i in range(theta.size):
        grad[i] = -theta[i]
    if theta[0] > 1.0:
        if theta[1] > 0:
            return np.nan
        grad[0] = np.nan
    return -0.5 * np.sum(theta * theta)


@pytest.mark.parametrize("sampler", SAMPLERS)
def test_nan_density_is_a_rejection_not_a_crash(sampler):
    ld = bk.LogDensity.from_numba(_nan_beyond_one, 2)
    res = run_chain(ld.fn, ld.fdata, ld.idata, np.zeros(2), sampler=sampler, draws=2000,
                    tune=500, rng=np.random.default_rng(0))
    assert res.completed and np.all(np.isfinite(res.draws))
    assert res.draws[:, 0].max() <= 1.0
    if sampler != "metropolis":
        assert res.stats["diverging"].sum() > 0
    # truncated normal mean -phi(1)/Phi(1), a loose check (the exact ones are elsewhere)
    assert abs(res.draws[:, 0].mean() - (-0.2876)) < 0.15


def test_step_size_zero_does_not_raise(std_normal):
    """Dual averaging can drive the step size to 0.0 (exp underflow) when nothing is ever
    accepted; compiled code must not raise ZeroDivisionError from inside a chain."""
    ld = std_normal
    state = hmc.init(np.ones(3), ld.fn, ld.fdata, ld.idata)
    assert hmc.n_leapfrog_steps(2.0, 0.0) == hmc.MAX_STEPS
    assert hmc.n_leapfrog_steps(2.0, 0.3) == 6 and hmc.n_leapfrog_steps(2.0, 5.0) == 1
    new, info = hmc.step(np.random.default_rng(0), state, ld.fn, ld.fdata, ld.idata, 0.0,
                         _diag(np.ones(3)), 2.0, np.empty((4, 3)))
    assert info.n_steps == hmc.MAX_STEPS and np.array_equal(new.position, state.position)
    new, info = nuts.step(np.random.default_rng(0), state, ld.fn, ld.fdata, ld.idata, 0.0,
                          _diag(np.ones(3)), 3, np.empty((nuts.workspace_rows(3), 3)))
    assert info.n_steps == 7 and info.reached_max_treedepth


# -- bad input ----------------------------------------------------------------------------------
def test_bad_input_raises_clear_errors(std_normal):
    ld = std_normal
    ok = dict(rng=np.random.default_rng(0), draws=10, tune=10)
    with pytest.raises(ValueError, match="sampler"):
        run_chain(ld.fn, ld.fdata, ld.idata, np.zeros(3), sampler="gibbs", **ok)
    with pytest.raises(TypeError, match="fn"):
        run_chain(ld, ld.fdata, ld.idata, np.zeros(3), **ok)
    with pytest.raises(ValueError, match="theta0"):
        run_chain(ld.fn, ld.fdata, ld.idata, np.zeros((3, 1)), **ok)
    with pytest.raises(ValueError, match="theta0"):
        run_chain(ld.fn, ld.fdata, ld.idata, np.array([0.0, np.nan, 0.0]), **ok)
    with pytest.raises(TypeError, match="rng"):
        run_chain(ld.fn, ld.fdata, ld.idata, np.zeros(3), rng=0, draws=10)
    with pytest.raises(ValueError, match="draws"):
        run_chain(ld.fn, ld.fdata, ld.idata, np.zeros(3), draws=0, rng=np.random.default_rng())
    with pytest.raises(TypeError, match="tune"):
        run_chain(ld.fn, ld.fdata, ld.idata, np.zeros(3), draws=5, tune=1.5,
                  rng=np.random.default_rng())
    with pytest.raises(ValueError, match="target_accept"):
        run_chain(ld.fn, ld.fdata, ld.idata, np.zeros(3), target_accept=1.2, **ok)
    with pytest.raises(ValueError, match="max_treedepth"):
        run_chain(ld.fn, ld.fdata, ld.idata, np.zeros(3), max_treedepth=0, **ok)
    with pytest.raises(ValueError, match="path_length"):
        run_chain(ld.fn, ld.fdata, ld.idata, np.zeros(3), sampler="hmc", path_length=-1, **ok)
    with pytest.raises(ValueError, match="init_step_size"):
        run_chain(ld.fn, ld.fdata, ld.idata, np.zeros(3), init_step_size=0.0, **ok)
    nan_ld = bk.LogDensity.from_numba(_nan_beyond_one, 2)
    with pytest.raises(ValueError, match="not finite"):
        run_chain(nan_ld.fn, nan_ld.fdata, nan_ld.idata, np.array([2.0, 1.0]), **ok)
